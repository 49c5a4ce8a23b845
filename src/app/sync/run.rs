//! A sync run, composed: the read a run by hand needs, the check and the plan, then the plan applied
//! (with the marks the next incremental read starts from), held for a second person, or, on a dry
//! run, only returned (R-LC-01, R-LC-03, R-LC-14, R-AC-02).
//!
//! Invariants: the marks move only once everything is applied; an applied run that read the people
//! a waiting hold was planned for supersedes that hold.

use super::apply::{apply, plan_full, summary, Keys, RunContent, RunStatus, SyncOutcome, ACTOR};
use super::check::{check, Checked};
use super::read::{mode_for, read, ReadMode, CONTRACTS_DIGEST, COOKIE, HIGH_WATER, LAST_FULL};
use crate::app::AppError;
use crate::config::DirectoryConfig;
use crate::crypto::master_key::MasterKey;
use crate::directory::RawDirectory;
use crate::store::{self, sync_runs, DbConnection};
use serde_json::json;
use std::collections::BTreeSet;
use tobira_domain::audit::AuditEvent;
use tobira_domain::policy::Policy;
use tobira_domain::time_util::{from_millis, JST};

/// How many entries the last run (applied or held) skipped as malformed: `/metrics`' gauge.
pub const LAST_SKIPPED: &str = "hr-sync.last-skipped";

/// How a run by hand read the directory, for the operator's one-line notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// Every entry (the only read that sees deletions without content sync).
    Everything,
    /// RFC 4533 content sync of the changes and deletions since the last run.
    ContentSync,
    /// The entries changed since the high-water mark (deletions need a full read).
    ChangedSince(String),
}

/// One sync run by hand (`tobira sync`): the read this run needs (`full` forces a full one), the
/// directory read, the policy recorded (not on a dry run), then the plan applied, held or (dry run)
/// only returned.
pub async fn by_hand(
    conn: &mut DbConnection,
    cfg: &DirectoryConfig,
    policy: &Policy,
    full: bool,
    req: &SyncRequest<'_>,
) -> Result<(SyncOutcome, Reading), AppError> {
    let mode = mode_for(conn, cfg, policy, req.now, full)?;
    let raw = read(cfg, policy, &mode).await?;
    let reading = match (&mode, raw.method) {
        (_, crate::directory::ReadMethod::ContentSync) if !raw.complete => Reading::ContentSync,
        (ReadMode::Changes { high_water: Some(hw), .. }, _) if !raw.complete => Reading::ChangedSince(hw.clone()),
        _ => Reading::Everything,
    };
    if !req.dry_run {
        crate::app::policy::record(conn, policy, req.now)?;
    }
    Ok((run(conn, policy, &raw, req)?, reading))
}

/// One sync as asked for.
#[derive(Debug, Clone)]
pub struct SyncRequest<'a> {
    /// Where the entries came from (the directory URL), for the record.
    pub source: &'a str,
    /// Who ran it; a held run must be approved by someone else.
    pub requested_by: &'a str,
    pub now: i64,
    pub dry_run: bool,
    /// Seals the joiners' enrollment links (R-AU-06).
    pub master_key: &'a MasterKey,
}

/// Plans from `raw` and applies, holds or (dry run) only returns the plan.
pub fn run(
    conn: &mut DbConnection,
    policy: &Policy,
    raw: &RawDirectory,
    req: &SyncRequest,
) -> Result<SyncOutcome, AppError> {
    let SyncRequest { source, requested_by, now, dry_run, master_key } = *req;
    let Checked { departments, contracts, snapshot, other_problems } = check(raw, policy)?;
    let window = policy.sync.window_on(from_millis(now).to_offset(JST).date());
    let mut plan = plan_full(conn, policy, &snapshot, now, window.as_ref())?;
    plan.problems.extend(other_problems);
    let run_id = store::new_id();
    if dry_run {
        return Ok(SyncOutcome { run_id, status: RunStatus::DryRun, plan });
    }
    let read: BTreeSet<String> = snapshot.people.iter().map(|p| p.employee_number.clone()).collect();
    let speaks_for_everyone = snapshot.speaks_for_everyone();
    let content = RunContent {
        departments: departments.into_iter().map(|d| (d.code, d.name, d.parent_code)).collect(),
        contracts,
        plan,
        hold: None,
    };
    let problems: Vec<String> = content.plan.problems.iter().map(|p| p.to_string()).collect();
    let skipped = content.plan.problems.len().to_string();
    store::write_tx(conn, |c| sync_runs::set_state(c, LAST_SKIPPED, &skipped, now))?;
    if content.plan.hold.is_some() {
        // One hold waits at a time: a re-run while it waits re-plans it in place.
        let (run_id, content) = super::hold::hold(conn, content, raw, source, requested_by, now)?;
        return Ok(SyncOutcome { run_id, status: RunStatus::Held, plan: content.plan });
    }
    apply(conn, &Keys { policy, master_key }, &content, &run_id, now, ACTOR)?;
    store::write_tx(conn, |c| -> Result<(), AppError> {
        // The next incremental read starts where this one ended; only once everything is applied.
        if let Some(hw) = &raw.high_water {
            sync_runs::set_state(c, HIGH_WATER, hw, now)?;
        }
        if let Some(cookie) = &raw.cookie {
            sync_runs::set_state(c, COOKIE, &hex::encode(cookie), now)?;
        }
        if raw.complete {
            sync_runs::set_state(c, LAST_FULL, &now.to_string(), now)?;
            // Only a full read has bound everyone to the register as read.
            if let Some(r) = &raw.contracts {
                sync_runs::set_state(c, CONTRACTS_DIGEST, &r.digest, now)?;
            }
        }
        let mode = if raw.complete { "full" } else { "incremental" };
        let e = AuditEvent::new(requested_by, "sync.applied", format!("sync:{run_id}"))
            .with_details(json!({ "mode": mode, "method": raw.method, "summary": summary(&content.plan), "source": source, "problems": problems }));
        store::audit::append(c, now, vec![e])?;
        // A hold planned against an older state of the people this run read is superseded.
        super::hold::expire_superseded(c, speaks_for_everyone, &read, &run_id, now)?;
        Ok(())
    })?;
    Ok(SyncOutcome { run_id, status: RunStatus::Applied, plan: content.plan })
}
