//! The operators' view of a system's provisioning queue (`tobira provisioning status|retry`) and
//! `/metrics`' gauges.

use crate::app::AppError;
use crate::store::{self, provisioning::QueueStats, DbConnection};
use serde::Serialize;
use serde_json::json;
use tobira_domain::audit::AuditEvent;
use tobira_domain::policy::Policy;

#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub system: String,
    pub queue: QueueStats,
    /// The newest items, newest first: (created_at, account id, event, why, status, attempts, last error).
    pub recent: Vec<Recent>,
    /// For a file system (R-ZN-04): its batches.
    pub files: Option<FileStatus>,
    /// The last reconciliation, on demand or scheduled.
    pub last_reconciliation: Option<store::provisioning_runs::LastRun>,
}

/// A file system's numbered batches: the last written, the last receipt, those awaiting one.
#[derive(Debug, Clone, Serialize)]
pub struct FileStatus {
    /// 0: none written yet.
    pub last_written: i64,
    /// (batch, when its receipt was read).
    pub last_receipt: Option<(i64, i64)>,
    /// (batch, written at, items), lowest number first.
    pub awaiting: Vec<(i64, i64, usize)>,
}

fn file_status(c: &mut DbConnection, system: &str) -> Result<FileStatus, AppError> {
    use store::provisioning_files as sf;
    let awaiting = sf::awaiting(c, system)?
        .into_iter()
        .map(|b| Ok((b.seq, b.written_at, b.items()?.len())))
        .collect::<Result<_, store::StoreError>>()?;
    Ok(FileStatus {
        last_written: sf::next_seq(c, system)? - 1,
        last_receipt: sf::last_receipted(c, system)?.and_then(|b| b.receipt_at.map(|at| (b.seq, at))),
        awaiting,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Recent {
    pub created_at: i64,
    pub account_id: String,
    pub event: String,
    pub why: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

pub(crate) fn provisioned(policy: &Policy, system: &str) -> Result<bool, AppError> {
    Ok(super::settings_of(policy, system)?.is_file())
}

pub fn status(c: &mut DbConnection, policy: &Policy, system: &str, recent: i64) -> Result<Status, AppError> {
    let is_file = provisioned(policy, system)?;
    let queue = store::provisioning::stats(c, system)?;
    let recent = store::provisioning::recent(c, system, recent)?
        .into_iter()
        .map(|i| Recent {
            created_at: i.created_at,
            account_id: i.account_id,
            event: i.event,
            why: i.why,
            status: i.status,
            attempts: i.attempts,
            last_error: i.last_error,
        })
        .collect();
    let files = if is_file { Some(file_status(c, system)?) } else { None };
    let last_reconciliation = store::provisioning_runs::last(c, system)?;
    Ok(Status { system: system.into(), queue, recent, files, last_reconciliation })
}

/// Puts the system's stopped items back in the queue (after someone fixed the cause), audited with
/// the reason when one was given (the console's form requires one; the CLI gives none).
pub fn retry(
    c: &mut DbConnection,
    policy: &Policy,
    system: &str,
    actor: &str,
    reason: Option<&str>,
    now: i64,
) -> Result<usize, AppError> {
    provisioned(policy, system)?;
    store::write_tx(c, |c| -> Result<usize, AppError> {
        let n = store::provisioning::retry_stopped(c, system)?;
        store::audit::append(
            c,
            now,
            vec![AuditEvent::new(actor, "provisioning.retried", format!("system:{system}")).with_details(
                match reason {
                    Some(r) => json!({ "items": n, "reason": r }),
                    None => json!({ "items": n }),
                },
            )],
        )?;
        Ok(n)
    })
}

/// Per provisioned system: pending items, stopped items, age in seconds of the oldest pending one.
pub fn gauges(c: &mut DbConnection, policy: &Policy, now: i64) -> Result<Vec<(String, QueueStats, i64)>, AppError> {
    let mut out = Vec::new();
    for (s, _, _) in super::systems(policy) {
        let q = store::provisioning::stats(c, s.id.get_ref())?;
        let age = q.oldest_pending_at.map_or(0, |t| (now - t).max(0) / 1000);
        out.push((s.id.get_ref().clone(), q, age));
    }
    Ok(out)
}

/// `/metrics`' provisioning gauges, one line per provisioned system (no personal data).
pub fn metrics(c: &mut DbConnection, policy: &Policy, now: i64) -> Result<String, AppError> {
    use std::fmt::Write;
    let g = gauges(c, policy, now)?;
    let mut out = String::new();
    let mut metric = |name: &str, help: &str, v: &dyn Fn(&QueueStats, i64) -> i64| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
        for (s, q, age) in &g {
            let _ = writeln!(out, "{name}{{system=\"{s}\"}} {}", v(q, *age));
        }
    };
    metric("tobira_provisioning_queue_depth", "Provisioning items waiting to be pushed, per system.", &|q, _| {
        q.pending
    });
    metric(
        "tobira_provisioning_awaiting_receipt",
        "Items written to a file batch whose receipt has not come back, per system (file systems, R-ZN-04).",
        &|q, _| q.sent,
    );
    metric(
        "tobira_provisioning_failures",
        "Provisioning items stopped by an error that will not heal, per system.",
        &|q, _| q.stopped,
    );
    metric(
        "tobira_provisioning_oldest_item_age_seconds",
        "Age of the oldest item waiting, per system (0: none).",
        &|_, a| a,
    );
    Ok(out)
}
