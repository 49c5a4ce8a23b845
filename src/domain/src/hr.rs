//! HR directory entries, checked before they change anything (R-LC-14), and turned into people and
//! departments through the policy's mapping (attribute names are the directory's, never assumed).
//!
//! Invariant: an entry either becomes a complete, valid [`HrPerson`] or an [`EntryProblem`] naming its
//! DN, the attribute and what is wrong. Nothing in between.

use crate::org::{EmploymentType, PersonStatus};
use crate::policy::directory::DirectoryMapping;
use crate::time_util::{parse_date, DateFormat};
use std::collections::{BTreeMap, BTreeSet};
use time::Date;

/// An entry as read: its DN and attribute values, attribute names lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawEntry {
    pub dn: String,
    pub attrs: BTreeMap<String, Vec<String>>,
    /// Attributes (lower-cased) whose values came as binary, not text: read as text they are a
    /// problem of the entry, never silently empty.
    pub binary: BTreeSet<String>,
}

impl RawEntry {
    pub fn new(dn: impl Into<String>, attrs: impl IntoIterator<Item = (String, Vec<String>)>) -> RawEntry {
        RawEntry {
            dn: dn.into(),
            attrs: attrs.into_iter().map(|(k, v)| (k.to_lowercase(), v)).collect(),
            binary: BTreeSet::new(),
        }
    }

    fn values(&self, attr: &str) -> &[String] {
        self.attrs.get(&attr.to_lowercase()).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// Why an entry was skipped.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EntryProblem {
    pub dn: String,
    /// The employee number, when it could be read: such a person is never treated as gone.
    pub employee_number: Option<String>,
    pub attribute: String,
    pub reason: String,
}

impl std::fmt::Display for EntryProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.dn, self.attribute, self.reason)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HrDepartment {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
}

/// A person as HR describes them now.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HrPerson {
    pub employee_number: String,
    /// entryUUID / objectGUID when mapped.
    pub directory_key: Option<String>,
    pub name_kanji: String,
    pub name_kana: String,
    pub name_romaji: Option<String>,
    pub department_code: String,
    pub department_name: Option<String>,
    /// 兼務: further departments, never including the primary one.
    pub concurrent: Vec<String>,
    pub post: Option<String>,
    pub employment_type: EmploymentType,
    pub status: PersonStatus,
    pub start_date: Option<Date>,
    pub end_date: Option<Date>,
    pub head_of_section: bool,
    pub secondment_target: Option<String>,
    pub contract_id: Option<String>,
    pub mail: Option<String>,
}

/// Active Directory's ACCOUNTDISABLE bit of `userAccountControl`.
const ACCOUNT_DISABLED: i64 = 0x2;

/// Longest text value accepted (a name, a title, a code).
const MAX_VALUE_CHARS: usize = 256;

/// Reads an entry's attributes with the checks every value passes (R-LC-14).
pub(crate) struct Reader<'a> {
    pub(crate) e: &'a RawEntry,
    pub(crate) employee_number: Option<String>,
}

impl Reader<'_> {
    pub(crate) fn problem(&self, attribute: &str, reason: impl Into<String>) -> EntryProblem {
        EntryProblem {
            dn: self.e.dn.clone(),
            employee_number: self.employee_number.clone(),
            attribute: attribute.into(),
            reason: reason.into(),
        }
    }

    fn check_text(&self, attr: &str, v: &str) -> Result<(), EntryProblem> {
        if v.chars().any(char::is_control) {
            return Err(self.problem(attr, "contains control characters"));
        }
        if v.chars().count() > MAX_VALUE_CHARS {
            return Err(self.problem(attr, format!("longer than {MAX_VALUE_CHARS} characters")));
        }
        Ok(())
    }

    /// At most one value, trimmed, checked; `None` when absent or empty.
    pub(crate) fn optional(&self, attr: Option<&str>) -> Result<Option<String>, EntryProblem> {
        let Some(attr) = attr else { return Ok(None) };
        self.text_only(attr)?;
        match self.e.values(attr) {
            [] => Ok(None),
            [v] => {
                self.check_text(attr, v)?;
                Ok(Some(v.trim().to_string()).filter(|v| !v.is_empty()))
            }
            _ => Err(self.problem(attr, "has several values where one is expected")),
        }
    }

    pub(crate) fn required(&self, attr: &str) -> Result<String, EntryProblem> {
        self.optional(Some(attr))?.ok_or_else(|| self.problem(attr, "is missing"))
    }

    fn text_only(&self, attr: &str) -> Result<(), EntryProblem> {
        if self.e.binary.contains(&attr.to_lowercase()) {
            return Err(self.problem(attr, "holds binary data where text is expected"));
        }
        Ok(())
    }

    fn all(&self, attr: Option<&str>) -> Result<Vec<String>, EntryProblem> {
        let Some(attr) = attr else { return Ok(Vec::new()) };
        self.text_only(attr)?;
        let mut out = Vec::new();
        for v in self.e.values(attr) {
            self.check_text(attr, v)?;
            let v = v.trim();
            if !v.is_empty() {
                out.push(v.to_string());
            }
        }
        Ok(out)
    }

    pub(crate) fn date(&self, attr: Option<&str>, format: DateFormat) -> Result<Option<Date>, EntryProblem> {
        let Some(v) = self.optional(attr)? else { return Ok(None) };
        parse_date(&v, format)
            .map(Some)
            .ok_or_else(|| self.problem(attr.unwrap_or_default(), format!("`{v}` is not a valid date")))
    }
}

fn valid_code(v: &str) -> bool {
    !v.is_empty() && v.len() <= 32 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Reads a department entry.
pub fn read_department(
    e: &RawEntry,
    m: &crate::policy::directory::DepartmentMapping,
) -> Result<HrDepartment, EntryProblem> {
    let r = Reader { e, employee_number: None };
    let code = r.required(&m.code)?;
    if !valid_code(&code) {
        return Err(
            r.problem(&m.code, format!("`{code}` is not a department code (letters, digits, '-' or '_', at most 32)"))
        );
    }
    Ok(HrDepartment { code, name: r.required(&m.name)?, parent_code: r.optional(m.parent_code.as_deref())? })
}

/// Reads and checks a person entry. `departments`, when given, are the known department codes.
pub fn read_person(
    e: &RawEntry,
    m: &DirectoryMapping,
    departments: Option<&BTreeSet<String>>,
) -> Result<HrPerson, EntryProblem> {
    let a = &m.attributes;
    let mut r = Reader { e, employee_number: None };
    let employee_number = r.required(&a.employee_number)?;
    if !valid_code(&employee_number) {
        return Err(r.problem(
            &a.employee_number,
            format!("`{employee_number}` is not an employee number (letters, digits, '-' or '_', at most 32)"),
        ));
    }
    r.employee_number = Some(employee_number.clone());
    let employment_type = match (a.employment_type.as_deref(), &m.default_employment_type) {
        (Some(attr), _) => {
            let employment_raw = r.required(attr)?;
            *m.employment_types
                .get(&employment_raw)
                .ok_or_else(|| r.problem(attr, format!("`{employment_raw}` is not an employment type of the mapping")))?
                .get_ref()
        }
        (None, Some(default)) => *default.get_ref(),
        (None, None) => {
            return Err(r.problem(
                "employment_type",
                "no employment-type attribute is mapped and directory.default_employment_type is not set",
            ))
        }
    };
    let mut status = match r.optional(a.status.as_deref())? {
        None => PersonStatus::Active,
        Some(v) => m.status_values.get(&v).and_then(|s| PersonStatus::parse(s.get_ref())).ok_or_else(|| {
            r.problem(a.status.as_deref().unwrap_or_default(), format!("`{v}` is not a status value of the mapping"))
        })?,
    };
    if let Some(attr) = a.account_control.as_deref() {
        if let Some(v) = r.optional(Some(attr))? {
            let flags: i64 = v.parse().map_err(|_| r.problem(attr, format!("`{v}` is not a number")))?;
            if flags & ACCOUNT_DISABLED != 0 && matches!(status, PersonStatus::Active | PersonStatus::Seconded) {
                status = PersonStatus::parse(m.disabled_status.get_ref()).unwrap_or(PersonStatus::OnLeave);
            }
        }
    }
    let department_code = r.required(&a.department_code)?;
    let mut concurrent = r.all(a.concurrent_departments.as_deref())?;
    concurrent.retain(|c| c != &department_code);
    concurrent.sort();
    concurrent.dedup();
    if let Some(known) = departments {
        for code in std::iter::once(&department_code).chain(concurrent.iter()) {
            if !known.contains(code) {
                return Err(r.problem(&a.department_code, format!("department `{code}` is not a known department")));
            }
        }
    }
    let start_date = r.date(a.start_date.as_deref(), m.date_format)?;
    let end_date = r.date(a.end_date.as_deref(), m.date_format)?;
    if let (Some(s), Some(en)) = (start_date, end_date) {
        if en < s {
            return Err(r.problem(
                a.end_date.as_deref().unwrap_or_default(),
                format!("end date {en} is before start date {s}"),
            ));
        }
    }
    let head_of_section = r.optional(a.head_of_section.as_deref())?.is_some_and(|v| m.true_values.contains(&v));
    Ok(HrPerson {
        directory_key: r.optional(a.stable_key.as_deref())?,
        name_kanji: r.required(&a.name_kanji)?,
        name_kana: r.optional(a.name_kana.as_deref())?.unwrap_or_default(),
        name_romaji: r.optional(a.name_romaji.as_deref())?,
        department_name: r.optional(a.department_name.as_deref())?,
        post: r.optional(a.post.as_deref())?,
        secondment_target: r.optional(a.secondment_target.as_deref())?,
        contract_id: r.optional(a.contract_id.as_deref())?,
        mail: r.optional(a.mail.as_deref())?,
        employee_number,
        department_code,
        concurrent,
        employment_type,
        status,
        start_date,
        end_date,
        head_of_section,
    })
}

#[cfg(test)]
mod tests;
