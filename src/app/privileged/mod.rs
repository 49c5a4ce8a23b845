//! Privileged IDs as the service runs them (R-PR-01…R-PR-09): linked privileged accounts,
//! eligibility named by a system's owner, elevations asked for, approved and ended, delegates
//! approved by the CISO, and the report. The rules are the domain's (`tobira_domain::privileged`);
//! this module reads the facts, writes the outcome and its audit record in one transaction, and
//! records refusals too.

pub mod accounts;
pub mod delegation;
pub mod development;
pub mod elevation;
pub mod eligibility;
pub mod report;
pub mod sweep;

use super::signin::{session::Current, target, Origin};
use super::AppError;
/// The records the privileged use cases return: an elevation with its status words, a delegation.
pub use crate::store::privileged::{status, Delegation, Elevation};
use crate::store::{self, DbConnection};
use serde_json::Value;

/// Appends the audit record of a refused privileged action in its own transaction and returns the
/// refusal; a refusal is evidence too (R-PR-04). `why` is a domain rule's refusal (`AppError::Rule`,
/// or anything `?` turns into one) or a refusal in words (`AppError::Refused`); the record keeps its
/// English text.
pub(crate) fn refused(
    c: &mut DbConnection,
    cur: &Current,
    (action, subject): (&str, &str),
    why: impl Into<AppError>,
    details: Value,
    origin: &Origin,
    now: i64,
) -> AppError {
    let why = why.into();
    let mut d = details;
    d["refused"] = Value::String(why.english());
    let e = origin.event(cur.account.login_id.clone(), action, subject.to_string()).with_details(d);
    match store::write_tx(c, |c| store::audit::append(c, now, vec![e])) {
        Ok(_) => why,
        Err(err) => AppError::from(err),
    }
}

/// The audit target of a role on a system.
pub(crate) fn role_target(role: &str) -> String {
    format!("role:{role}")
}

pub(crate) fn account_target(login: &str) -> String {
    target(login)
}
