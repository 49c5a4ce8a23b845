//! Is this node's clock in step (R-LG-04)? The audit records of every node share one chain and are
//! read in time order, so a node's clock is compared with the database server's: the skew is a
//! `/metrics` gauge and part of `/readyz`, and a skew beyond `audit.max_clock_skew_ms` at start is
//! logged and audited. SQLite has no clock of its own (it runs in this process): nothing to compare.

use super::AppError;
use crate::store::{self, DbConnection};
use serde_json::json;
use tobira_domain::audit::{AuditEvent, Outcome};
use tobira_domain::policy::Policy;

/// This host's clock, in UTC milliseconds (not the application's clock, which tests fix).
#[allow(clippy::disallowed_methods, reason = "the skew check compares the host's own clock with the database server's")]
pub fn host_now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// How far `local` (a clock read in milliseconds) is ahead of the database server's clock; `None`
/// on SQLite. The local clock is read before and after the query, and their middle is compared.
/// Readiness: the database answers; then this host's clock against the database's (`None` when the
/// database cannot tell).
pub async fn ready(app: &super::App) -> Result<Option<i64>, AppError> {
    app.db(|c| {
        store::ping(c)?;
        skew_ms(c, host_now_ms)
    })
    .await
}

pub fn skew_ms(c: &mut DbConnection, local: impl Fn() -> i64) -> Result<Option<i64>, AppError> {
    let before = local();
    let Some(db) = store::database_clock_ms(c)? else { return Ok(None) };
    let after = local();
    Ok(Some(before + (after - before) / 2 - db))
}

/// Compares the clocks; beyond the policy's limit it is logged and an audit event
/// (`clock.skew_exceeded`) is returned for the caller to append. Returns the skew and the event.
pub fn check(
    c: &mut DbConnection,
    policy: &Policy,
    node: &str,
    local: impl Fn() -> i64,
) -> Result<(Option<i64>, Option<AuditEvent>), AppError> {
    let Some(skew) = skew_ms(c, local)? else { return Ok((None, None)) };
    let max = i64::from(policy.audit.max_clock_skew_ms);
    if skew.abs() <= max {
        return Ok((Some(skew), None));
    }
    tracing::error!(
        skew_ms = skew,
        max_ms = max,
        node,
        "this node's clock is out of step with the database server's (R-LG-04)"
    );
    let e = AuditEvent::new("system", "clock.skew_exceeded", format!("node:{node}"))
        .with_outcome(Outcome::Failure)
        .with_details(json!({ "skew_ms": skew, "max_clock_skew_ms": max }));
    Ok((Some(skew), Some(e)))
}
