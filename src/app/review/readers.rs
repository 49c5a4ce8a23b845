//! Who sees what of the review (R-RV-09, R-LG-11): officers and the auditor read every report (the
//! auditor changes nothing: no approval list may name them, and every change here asks for a
//! reviewer, restorer or approver entitlement), a 所属長 reads the rows of their own section's
//! people only, and searching a person's usage in the audit log is for `approvals.audit_search`
//! (the CISO, the 統括情報セキュリティ責任者 and whoever the CISO names by delegation), each search
//! itself audited.

use super::table::Table;
use crate::app::AppError;
use crate::store::{schema, DbConnection};
use diesel::prelude::*;
use tobira_domain::approval::{self, ApproverFacts, Concerning};
use tobira_domain::policy::{OfficerFunction, Policy};

/// What a reader may see of the reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reader {
    /// Officers and the auditor: everything.
    All,
    /// A 所属長: the rows of these employee numbers (their departments' people).
    Section(Vec<String>),
}

pub fn reader(c: &mut DbConnection, facts: &ApproverFacts) -> Result<Option<Reader>, AppError> {
    use schema::{people, person_departments as pd};
    let officer = [
        OfficerFunction::Ciso,
        OfficerFunction::DeputyCiso,
        OfficerFunction::ChiefSecurityOfficer,
        OfficerFunction::SecurityOfficer,
        OfficerFunction::Auditor,
    ];
    if officer.iter().any(|f| facts.holds(*f)) {
        return Ok(Some(Reader::All));
    }
    if !facts.headed.is_empty() {
        let members: Vec<String> = pd::table
            .inner_join(people::table)
            .filter(pd::department_code.eq_any(&facts.headed))
            .select(people::employee_number)
            .load(c)?;
        return Ok(Some(Reader::Section(members)));
    }
    Ok(None)
}

/// Whether the report names people (a 所属長 may read those, cut to their section).
pub fn about_people(report: &str) -> bool {
    matches!(report, "dormant" | "grants" | "passwords")
}

/// `t` as `r` may see it; `None` when the report is not for them.
pub fn cut(r: &Reader, mut t: Table) -> Option<Table> {
    match r {
        Reader::All => Some(t),
        Reader::Section(members) if about_people(t.report) => {
            t.rows.retain(|row| {
                row.get("employee_number").and_then(|v| v.as_str()).is_some_and(|en| members.iter().any(|m| m == en))
            });
            t.summary.clear();
            t.summary.insert("section_only".into(), serde_json::json!(true));
            Some(t)
        }
        Reader::Section(_) => None,
    }
}

/// Whether `facts` may search people's usage in the audit log.
pub fn may_search_audit(policy: &Policy, facts: &ApproverFacts) -> bool {
    approval::check(policy, &policy.approvals.audit_search, facts, Concerning::default()).is_ok()
}
