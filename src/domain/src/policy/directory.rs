//! How the HR directory's entries map onto people (the HR sync uses it; cities' layouts differ).
//!
//! Invariant: every attribute name is configured here, none is assumed by the code; every HR value of
//! an employment type maps to one [`EmploymentType`].

use crate::org::EmploymentType;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectoryKind {
    /// OpenLDAP and other RFC 4511 directories (inetOrgPerson or custom schema).
    Ldap,
    /// Microsoft Active Directory (objectGUID, uSNChanged, userAccountControl).
    ActiveDirectory,
    /// A CSV export from the HR system.
    Csv,
}

/// LDAP attribute names (or CSV column names) for each field of a person.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeMap {
    /// A stable key that survives renames (entryUUID, objectGUID); the employee number when absent.
    #[serde(default)]
    pub stable_key: Option<String>,
    pub employee_number: String,
    pub name_kanji: String,
    pub name_kana: String,
    #[serde(default)]
    pub name_romaji: Option<String>,
    pub department_code: String,
    #[serde(default)]
    pub department_name: Option<String>,
    /// A multi-valued attribute listing concurrent posts (兼務).
    #[serde(default)]
    pub concurrent_departments: Option<String>,
    #[serde(default)]
    pub post: Option<String>,
    pub employment_type: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub start_date: Option<String>,
    #[serde(default)]
    pub end_date: Option<String>,
    /// Whether the person is 所属長.
    #[serde(default)]
    pub head_of_section: Option<String>,
    #[serde(default)]
    pub secondment_target: Option<String>,
    #[serde(default)]
    pub contract_id: Option<String>,
    #[serde(default)]
    pub mail: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryMapping {
    pub kind: DirectoryKind,
    /// Search base (LDAP) — unused for CSV.
    #[serde(default)]
    pub base_dn: String,
    #[serde(default)]
    pub filter: String,
    pub attributes: AttributeMap,
    /// HR's employment-type values → tobira's types.
    pub employment_types: BTreeMap<String, Spanned<EmploymentType>>,
    /// HR's status values → `active`, `on_leave`, `seconded`, `left`.
    #[serde(default)]
    pub status_values: BTreeMap<String, Spanned<String>>,
    /// Leavers moved under this DN (if the directory moves them rather than deleting).
    #[serde(default)]
    pub leaver_base_dn: Option<String>,
    /// Date format of the date attributes, e.g. `%Y%m%d` or `%Y-%m-%d`.
    #[serde(default = "default_date_format")]
    pub date_format: String,
}

fn default_date_format() -> String {
    "%Y-%m-%d".into()
}
