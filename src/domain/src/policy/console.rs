//! The operator's console limits (`[console]`): page sizes and export bounds, so no list in the
//! console is unbounded. Each has a safe default here, the only place such numbers appear.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleRules {
    /// People per page of search results (1–200).
    pub search_page_size: u32,
    /// Audit records per page on the audit-log page and API (1–1000).
    pub audit_page_size: u32,
    /// Most records one CSV export of the audit log holds (1–1,000,000); a larger selection is
    /// refused with the advice to narrow the filter.
    pub audit_export_max_rows: u32,
    /// Entries per page of the person page's own lists (sign-ins, failures, actions on them; 1–200).
    pub person_list_size: u32,
    /// Open officer requests shown on `/console/approvals`, oldest first (1–1000).
    pub approvals_list_size: u32,
    /// Rows of each list on `/console/privileged` (accounts, elevations, delegations; 1–5000).
    pub privileged_list_size: u32,
}

impl Default for ConsoleRules {
    fn default() -> Self {
        // 25 rows fit a helpdesk screen; 100 audit rows a page keep a page under a few hundred KB;
        // 100,000 rows is a month of a mid-sized city's sign-ins, about 30 MB of CSV.
        // 100 open requests is far more than a city's officers leave waiting; 500 privileged rows
        // covers every privileged and development ID of a large city on one page.
        ConsoleRules {
            search_page_size: 25,
            audit_page_size: 100,
            audit_export_max_rows: 100_000,
            person_list_size: 20,
            approvals_list_size: 100,
            privileged_list_size: 500,
        }
    }
}

impl ConsoleRules {
    /// The settings outside their ranges, as messages.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (name, v, max) in [
            ("search_page_size", self.search_page_size, 200),
            ("audit_page_size", self.audit_page_size, 1_000),
            ("audit_export_max_rows", self.audit_export_max_rows, 1_000_000),
            ("person_list_size", self.person_list_size, 200),
            ("approvals_list_size", self.approvals_list_size, 1_000),
            ("privileged_list_size", self.privileged_list_size, 5_000),
        ] {
            if !(1..=max).contains(&v) {
                out.push(format!("console.{name} must be between 1 and {max}"));
            }
        }
        out
    }
}
