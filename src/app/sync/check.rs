//! Checking what the directory returned (R-LC-14, R-LC-12): every department entry, contract row
//! and person entry through the policy's mapping, into the snapshot a plan is made from.
//!
//! Invariants: problems are kept and reported, never applied; only person entries go into the
//! snapshot's problems (so a skipped person is never treated as gone); the policy's department
//! table adds to the department entries; a person bound to a contract ends with it.

use super::read::mapping;
use crate::app::AppError;
use crate::directory::RawDirectory;
use std::collections::BTreeSet;
use tobira_domain::contracts::{Contract, Register};
use tobira_domain::hr::{read_department, read_person, EntryProblem, HrDepartment};
use tobira_domain::lifecycle::Snapshot;
use tobira_domain::policy::Policy;

/// A read, checked: departments, the people snapshot, and the department entries and contract
/// register rows that were skipped.
pub struct Checked {
    pub departments: Vec<HrDepartment>,
    /// The contract register's contracts that can be relied on.
    pub contracts: Vec<Contract>,
    pub snapshot: Snapshot,
    pub other_problems: Vec<EntryProblem>,
}

/// Checks every entry through the policy's mapping; problems are kept, never applied. Only person
/// entries go into the snapshot's problems: a bad department entry or contract row cannot stand for
/// a person. A person bound to a contract ends with it (R-LC-12); one whose contract cannot be
/// relied on is a problem of their entry.
pub fn check(raw: &RawDirectory, policy: &Policy) -> Result<Checked, AppError> {
    let mapping = mapping(policy)?;
    let mut problems: Vec<EntryProblem> = Vec::new();
    let mut other_problems = Vec::new();
    let mut departments = Vec::new();
    if let Some(dm) = &mapping.departments {
        for e in &raw.departments {
            match read_department(e, dm) {
                Ok(d) => departments.push(d),
                Err(p) => other_problems.push(p),
            }
        }
    }
    let register = match (&mapping.contracts, &raw.contracts) {
        (Some(m), Some(file)) => {
            let (register, row_problems) = Register::read(&file.rows, m);
            other_problems.extend(file.unreadable.iter().cloned().chain(row_problems));
            Some((register, m))
        }
        (Some(_), None) => {
            return Err(AppError::invalid(
                "contract_register_not_read",
                "ポリシーは契約台帳を対応付けていますが、契約台帳を読んでいません。何も変更していません",
                "the policy maps a contract register but none was read; nothing was changed",
            ))
        }
        (None, _) => None,
    };
    // The policy's static table adds its departments (a directory without department entries).
    departments.extend(
        mapping
            .department_table
            .iter()
            .filter(|t| !departments.iter().any(|d| d.code == t.code))
            .map(|t| HrDepartment { code: t.code.clone(), name: t.name.clone(), parent_code: t.parent.clone() })
            .collect::<Vec<_>>(),
    );
    let known: Option<BTreeSet<String>> =
        (!mapping.has_no_departments()).then(|| departments.iter().map(|d| d.code.clone()).collect());
    let mut people = Vec::new();
    problems.extend(raw.unreadable.iter().cloned());
    for e in &raw.people {
        let mut p = match read_person(e, mapping, known.as_ref()) {
            Ok(p) => p,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        // 所属長 by the table's head post, where the directory names no head of section.
        p.head_of_section |= mapping.head_by_post(&p.department_code, p.post.as_deref());
        if let Some((register, m)) = &register {
            if let Err(reason) = register.bind(&mut p, m) {
                let attribute = mapping.attributes.contract_id.clone().unwrap_or_default();
                problems.push(EntryProblem {
                    dn: e.dn.clone(),
                    employee_number: Some(p.employee_number),
                    attribute,
                    reason,
                });
                continue;
            }
        }
        people.push(p);
    }
    let contracts = register.map(|(r, _)| r.contracts().cloned().collect()).unwrap_or_default();
    Ok(Checked {
        departments,
        contracts,
        snapshot: Snapshot {
            people,
            problems,
            complete: raw.complete,
            gone_keys: raw.gone_keys.clone(),
            present_keys: raw.present_keys.clone(),
        },
        other_problems,
    })
}
