//! How the HR directory's entries map onto people (the HR sync uses it; cities' layouts differ).
//!
//! Invariant: every attribute name is configured here, none is assumed by the code; every HR value of
//! an employment type maps to one [`EmploymentType`].

use crate::org::EmploymentType;
use crate::time_util::parse_iso_date;
pub use crate::time_util::DateFormat;
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
    /// The reading of the name (フリガナ); optional: leave it out when the directory has none.
    #[serde(default)]
    pub name_kana: Option<String>,
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
    /// Optional: without it, everyone is `directory.default_employment_type`.
    #[serde(default)]
    pub employment_type: Option<String>,
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
    /// Active Directory's `userAccountControl`: its 0x2 bit (ACCOUNTDISABLE) makes the person
    /// `disabled_status`.
    #[serde(default)]
    pub account_control: Option<String>,
    /// Active Directory's `uSNChanged`, the increments' high-water mark.
    #[serde(default)]
    pub usn_changed: Option<String>,
}

impl AttributeMap {
    /// The fields mapped to an empty (or blank) attribute name: such a mapping would skip every
    /// entry, so `policy check` refuses it.
    pub fn empty_names(&self) -> Vec<&'static str> {
        let required = [
            ("employee_number", &self.employee_number),
            ("name_kanji", &self.name_kanji),
            ("department_code", &self.department_code),
        ];
        let optional = [
            ("stable_key", &self.stable_key),
            ("name_kana", &self.name_kana),
            ("employment_type", &self.employment_type),
            ("name_romaji", &self.name_romaji),
            ("department_name", &self.department_name),
            ("concurrent_departments", &self.concurrent_departments),
            ("post", &self.post),
            ("status", &self.status),
            ("start_date", &self.start_date),
            ("end_date", &self.end_date),
            ("head_of_section", &self.head_of_section),
            ("secondment_target", &self.secondment_target),
            ("contract_id", &self.contract_id),
            ("mail", &self.mail),
            ("account_control", &self.account_control),
            ("usn_changed", &self.usn_changed),
        ];
        let blank_required = required.into_iter().filter(|(_, v)| v.trim().is_empty()).map(|(k, _)| k);
        let blank_optional =
            optional.into_iter().filter(|(_, v)| v.as_deref().is_some_and(|v| v.trim().is_empty())).map(|(k, _)| k);
        blank_required.chain(blank_optional).collect()
    }
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
    #[serde(default)]
    pub employment_types: BTreeMap<String, Spanned<EmploymentType>>,
    /// The type of everyone when the directory has no employment-type attribute (a directory of
    /// one kind of staff only; R-LC-10).
    #[serde(default)]
    pub default_employment_type: Option<Spanned<EmploymentType>>,
    /// HR's status values → `active`, `on_leave`, `seconded`, `left`.
    #[serde(default)]
    pub status_values: BTreeMap<String, Spanned<String>>,
    /// Leavers moved under this DN (if the directory moves them rather than deleting).
    #[serde(default)]
    pub leaver_base_dn: Option<String>,
    /// Date format of the date attributes: `YYYYMMDD` or `YYYY-MM-DD`.
    #[serde(default = "default_date_format")]
    pub date_format: DateFormat,
    /// Department entries; when set, a person in an unknown department is skipped (R-LC-14).
    #[serde(default)]
    pub departments: Option<DepartmentMapping>,
    /// A static department table, for a directory without department entries (or beside them):
    /// people are checked against its codes as against department entries.
    #[serde(default)]
    pub department_table: Vec<DepartmentRow>,
    /// Values of the head-of-section attribute that mean 所属長.
    #[serde(default = "default_true_values")]
    pub true_values: Vec<String>,
    /// How a run between full reads finds what changed.
    #[serde(default)]
    pub incremental: IncrementalMethod,
    /// Active Directory: the status a person takes while their AD account is disabled (the 0x2 bit
    /// of `userAccountControl`): `on_leave` (suspended, grants kept) or `left`.
    #[serde(default = "default_disabled_status")]
    pub disabled_status: Spanned<String>,
    /// A CSV export: how the file is read.
    #[serde(default)]
    pub csv: CsvFormat,
    /// A register of vendor contracts (a CSV file, `directory.contracts_file` in the configuration):
    /// when set, each contracted person is bound to a contract of it and ends with it.
    #[serde(default)]
    pub contracts: Option<ContractRegisterMapping>,
}

/// The columns of a contract register (R-LC-12, R-LC-13): one row per contract, with its number,
/// vendor and period. A person whose HR entry names a contract ends when the contract does (or
/// when its parent does: 再委託, a sub-contract, ends with the contract above it).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractRegisterMapping {
    /// Column of the contract number, which the people's `contract_id` attribute names.
    pub number: String,
    pub vendor: String,
    #[serde(default)]
    pub start_date: Option<String>,
    pub end_date: String,
    /// Column of the parent contract's number, for a sub-contract (再委託).
    #[serde(default)]
    pub parent: Option<String>,
    #[serde(default = "default_date_format")]
    pub date_format: DateFormat,
    #[serde(default)]
    pub encoding: CsvEncoding,
    /// Employment types that must name a contract of the register; a person of these types
    /// without one is skipped as a problem (R-LC-14), never provisioned.
    #[serde(default = "default_contracted")]
    pub required_for: Vec<EmploymentType>,
}

fn default_contracted() -> Vec<EmploymentType> {
    vec![EmploymentType::Vendor, EmploymentType::Agency, EmploymentType::DesignatedManager]
}

/// How an incremental read finds the entries changed since the last run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncrementalMethod {
    /// RFC 4533 content sync where the directory offers it (OpenLDAP syncprov) and `stable_key` is
    /// mapped; otherwise `modifyTimestamp`; `uSNChanged` for Active Directory.
    #[default]
    Auto,
    /// RFC 4533 refreshOnly with a stored cookie: sees deletions without a full read.
    ContentSync,
    /// Entries whose `modifyTimestamp` is at or after the last run's newest; deletions wait for
    /// the next full read.
    ModifyTimestamp,
    /// Active Directory: entries whose `uSNChanged` is above the last run's highest.
    UsnChanged,
}

/// The layout of an HR system's CSV export.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CsvFormat {
    /// `utf-8` (a BOM is allowed) or `shift_jis` (Windows-31J, as many HR systems export).
    pub encoding: CsvEncoding,
    /// Separates the values of a multi-valued column (concurrent posts).
    pub multi_value_separator: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CsvEncoding {
    #[default]
    #[serde(rename = "utf-8")]
    Utf8,
    ShiftJis,
}

impl Default for CsvFormat {
    fn default() -> Self {
        CsvFormat { encoding: CsvEncoding::Utf8, multi_value_separator: ";".into() }
    }
}

fn default_disabled_status() -> Spanned<String> {
    Spanned::new(0..0, "on_leave".into())
}

fn default_true_values() -> Vec<String> {
    ["TRUE", "true", "1", "yes", "○"].into_iter().map(String::from).collect()
}

fn default_date_format() -> DateFormat {
    DateFormat::Iso
}

/// Where department entries live, so people can be checked against known departments (R-LC-14).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentMapping {
    pub base_dn: String,
    #[serde(default = "default_department_filter")]
    pub filter: String,
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub parent_code: Option<String>,
}

/// One department of the policy's static table (`[[directory.department_table]]`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentRow {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub parent: Option<String>,
    /// The post title of the department's head (所属長): a person of this department with this post
    /// is its head when the directory has no head-of-section attribute.
    #[serde(default)]
    pub head_post: Option<String>,
}

impl DirectoryMapping {
    /// Whether neither department entries nor a department table are configured: then any
    /// department code a person's entry names is accepted.
    pub fn has_no_departments(&self) -> bool {
        self.departments.is_none() && self.department_table.is_empty()
    }

    /// Whether a person with `post` in `department` is its head by the department table's
    /// `head_post` (only when the directory has no head-of-section attribute).
    pub fn head_by_post(&self, department: &str, post: Option<&str>) -> bool {
        self.attributes.head_of_section.is_none()
            && post.is_some_and(|post| {
                self.department_table.iter().any(|d| d.code == department && d.head_post.as_deref() == Some(post))
            })
    }
}

fn default_department_filter() -> String {
    "(objectClass=organizationalUnit)".into()
}

/// The safety rules of the HR sync.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyncRules {
    /// A plan that disables or suspends more accounts than this is held for approval.
    pub max_removals: u32,
    /// … or more than this percentage of the active accounts.
    pub max_removal_percent: f64,
    /// Days a mover keeps the old department's birthright roles (0 = removed at once).
    pub mover_grace_days: u32,
    /// Days after a leaver is disabled until the account is deleted.
    pub retention_days: u32,
    /// The login ID of a new staff account: `{employee_number}` or a prefix such as `s{employee_number}`.
    pub login_id_pattern: String,
    /// Pre-approved windows (e.g. the April 1 reshuffle, 定期異動) with their own removal limit.
    pub bulk_windows: Vec<BulkWindowRule>,
    /// `tobira serve` runs a sync this often, in seconds (0 = only by hand with `tobira sync`): an
    /// incremental read of changed entries, or a full read when one is due.
    pub every_seconds: u32,
    /// A full read (the only kind that sees deletions) at least this often, in seconds; 0 = every run.
    pub full_every_seconds: u32,
    /// A held plan older than this, in minutes since it was last planned, cannot be approved: its
    /// picture of the directory is too old (a re-run while held plans it afresh).
    pub hold_max_age_minutes: u32,
}

/// A pre-approved bulk window, inclusive dates in JST.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkWindowRule {
    /// `YYYY-MM-DD`
    pub from: Spanned<String>,
    /// `YYYY-MM-DD`
    pub until: Spanned<String>,
    pub max_removals: u32,
    /// Who approved the window in advance (R-AC-02: recorded, and not the operator who runs the sync).
    pub approved_by: String,
}

/// A pre-approved bulk window in force (e.g. the April reshuffle, 定期異動) with its own removal
/// limit, as the plan applies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkWindow {
    pub max_removals: usize,
}

impl SyncRules {
    /// The bulk window that covers `today`, if any.
    pub fn window_on(&self, today: time::Date) -> Option<BulkWindow> {
        self.bulk_windows
            .iter()
            .filter(|w| {
                let (f, u) = (parse_iso_date(w.from.get_ref()), parse_iso_date(w.until.get_ref()));
                f.is_some_and(|f| f <= today) && u.is_some_and(|u| today <= u)
            })
            .map(|w| BulkWindow { max_removals: w.max_removals as usize })
            .max_by_key(|w| w.max_removals)
    }
}

impl Default for SyncRules {
    fn default() -> Self {
        // Small by default: a larger removal is exactly what a broken feed looks like.
        SyncRules {
            max_removals: 20,
            max_removal_percent: 2.0,
            mover_grace_days: 0,
            retention_days: 90,
            login_id_pattern: "{employee_number}".into(),
            bulk_windows: Vec::new(),
            every_seconds: 900,
            full_every_seconds: 86_400,
            hold_max_age_minutes: 240,
        }
    }
}
