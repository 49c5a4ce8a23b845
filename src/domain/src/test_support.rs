//! The shipped example policy, for the domain's own tests (compiled in, no file I/O).

use crate::hr::HrPerson;
use crate::org::{EmploymentType, PersonStatus};
use crate::policy::{load, Policy, SourceFile};

macro_rules! example {
    ($name:literal) => {
        SourceFile {
            name: concat!("policies/", $name).into(),
            text: include_str!(concat!("../../../policies/", $name)).into(),
        }
    };
}

/// Every file of `policies/`.
pub fn example_files() -> Vec<SourceFile> {
    vec![
        example!("municipality.toml"),
        example!("systems.toml"),
        example!("roles.toml"),
        example!("officers.toml"),
        example!("authentication.toml"),
        example!("review.toml"),
        example!("directory.toml"),
        example!("clients.toml"),
    ]
}

pub fn example_policy() -> Policy {
    load(&example_files()).unwrap_or_else(|e| panic!("{e}"))
}

/// A regular member of staff of the fictional city in department `dept`, active, with no dates.
pub fn person(en: &str, dept: &str) -> HrPerson {
    HrPerson {
        employee_number: en.into(),
        directory_key: None,
        name_kanji: "東雲 太郎".into(),
        name_kana: "シノノメ タロウ".into(),
        name_romaji: None,
        department_code: dept.into(),
        department_name: None,
        concurrent: vec![],
        post: None,
        employment_type: EmploymentType::Regular,
        status: PersonStatus::Active,
        start_date: None,
        end_date: None,
        head_of_section: false,
        secondment_target: None,
        contract_id: None,
        mail: None,
    }
}
