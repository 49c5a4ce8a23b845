//! The HR sync use case: read the directory, check every entry, plan against what tobira holds, and
//! either apply the plan (in transactions, each step with its audit event) or hold it for a second
//! person's approval (R-LC-01, R-LC-03, R-LC-14, R-AC-02).
//!
//! Invariants: a failed or cut-short read changes nothing; a held plan changes nothing until approved
//! by someone other than who ran it; batches are separate transactions, and a crash between them
//! leaves a state from which the next run converges, because the plan is a diff.

use super::AppError;
use crate::config::DirectoryConfig;
use crate::crypto::master_key::MasterKey;
use crate::directory::RawDirectory;
pub use crate::directory::ReadMode;
use crate::store::{self, DbConnection};
use crate::store::{hr_known, hr_sync, sync_runs};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeSet;
use tobira_domain::audit::AuditEvent;
use tobira_domain::contracts::Contract;
use tobira_domain::hr::HrDepartment;
use tobira_domain::lifecycle::{plan, Action, BulkWindow, Holdings, Plan, Snapshot};
use tobira_domain::policy::directory::{ContractRegisterMapping, DirectoryMapping};
use tobira_domain::policy::Policy;
use tobira_domain::time_util::{from_millis, JST};

pub const ACTOR: &str = "system:hr-sync";

/// `sync_state` names: the newest modifyTimestamp (or uSNChanged) applied, the content-sync cookie
/// of the last applied run (hex), and when the last full read was applied.
pub const HIGH_WATER: &str = "hr-sync.high-water";
pub const COOKIE: &str = "hr-sync.cookie";
pub const LAST_FULL: &str = "hr-sync.last-full-at";
/// How many entries the last run (applied or held) skipped as malformed: `/metrics`' gauge.
pub const LAST_SKIPPED: &str = "hr-sync.last-skipped";
/// The SHA-256 of the contract register as of the last applied full read.
pub const CONTRACTS_DIGEST: &str = "hr-sync.contracts-digest";

pub(crate) fn mapping(policy: &Policy) -> Result<&DirectoryMapping, AppError> {
    policy.directory.as_ref().ok_or_else(|| {
        AppError::invalid("ポリシーに [directory] の対応付けがありません", "the policy has no [directory] mapping")
    })
}

fn unread(e: crate::directory::DirectoryError) -> AppError {
    AppError::Directory(format!("{e}; nothing was changed"))
}

/// The contract register's file, when the policy maps one: an error when it is not configured.
fn register_file<'a>(
    cfg: &'a DirectoryConfig,
    policy: &'a Policy,
) -> Result<Option<(&'a str, &'a ContractRegisterMapping)>, AppError> {
    let Some(m) = mapping(policy)?.contracts.as_ref() else {
        return Ok(None);
    };
    if cfg.contracts_file.is_empty() {
        return Err(AppError::invalid(
            "ポリシーは契約台帳（[directory.contracts]）を対応付けていますが、directory.contracts_file が設定されていません。何も変更していません",
            "the policy maps a contract register ([directory.contracts]) but directory.contracts_file is not set; nothing was changed",
        ));
    }
    Ok(Some((cfg.contracts_file.as_str(), m)))
}

/// Full when asked, when nothing has been read yet, when the last full read is older than
/// `sync.full_every_seconds`, or when the contract register changed since the last full read (a
/// contract's new end date concerns people whose entries did not change); otherwise the changes
/// since the stored marks.
pub fn mode_for(
    conn: &mut DbConnection,
    cfg: &DirectoryConfig,
    policy: &Policy,
    now: i64,
    force_full: bool,
) -> Result<ReadMode, AppError> {
    let high_water = sync_runs::state(conn, HIGH_WATER)?;
    let cookie = sync_runs::state(conn, COOKIE)?.and_then(|c| hex::decode(c).ok());
    let last_full: Option<i64> = sync_runs::state(conn, LAST_FULL)?.and_then(|v| v.parse().ok());
    let full_due = last_full.is_none_or(|t| now - t >= policy.sync.full_every_seconds as i64 * 1000);
    let register_changed = match register_file(cfg, policy)? {
        Some((file, _)) => {
            sync_runs::state(conn, CONTRACTS_DIGEST)?
                != Some(crate::directory::csv::register_digest(file).map_err(unread)?)
        }
        None => false,
    };
    Ok(if force_full || full_due || register_changed || (high_water.is_none() && cookie.is_none()) {
        ReadMode::Full
    } else {
        ReadMode::Changes { high_water, cookie }
    })
}

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
        super::policy::record(conn, policy, req.now)?;
    }
    Ok((run(conn, policy, &raw, req)?, reading))
}

/// Reads the directory (or the HR system's CSV export) as `mode` says, and the contract register
/// when the policy maps one.
pub async fn read(cfg: &DirectoryConfig, policy: &Policy, mode: &ReadMode) -> Result<RawDirectory, AppError> {
    use tobira_domain::policy::directory::DirectoryKind;
    let mapping = mapping(policy)?;
    let register = register_file(cfg, policy)?;
    let mut raw = match mapping.kind {
        DirectoryKind::Csv => crate::directory::csv::read(&cfg.url, mapping),
        DirectoryKind::Ldap | DirectoryKind::ActiveDirectory => crate::directory::ldap::read(cfg, mapping, mode).await,
    }
    .map_err(unread)?;
    if let Some((file, m)) = register {
        raw.contracts = Some(crate::directory::csv::read_register(file, m).map_err(unread)?);
    }
    Ok(raw)
}

/// Steps per transaction when applying.
const BATCH: usize = 500;

/// What a run stores: the plan and the departments read with it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunContent {
    pub plan: Plan,
    pub departments: Vec<(String, String, Option<String>)>,
    /// The contract register's contracts as read, stored with the run (R-LC-12).
    #[serde(default)]
    pub contracts: Vec<Contract>,
    /// A held plan's record: the directory state it was planned against, the people it touches,
    /// who ran it (`None` for an applied run).
    #[serde(default)]
    pub hold: Option<super::sync_hold::HoldRecord>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    DryRun,
    Applied,
    Held,
}

#[derive(Debug, Clone, Serialize)]
pub struct SyncOutcome {
    pub run_id: String,
    pub status: RunStatus,
    pub plan: Plan,
}

pub use super::sync_check::{check, Checked};

/// Beyond this many people named by a partial read, everyone is loaded in one pass instead.
const SCOPED_LOAD_MAX: usize = 5_000;

/// Plans `snapshot` against the database at `now`. A read that speaks for everyone is planned
/// against everyone tobira holds; a partial one only against the people it names or reports gone
/// (nobody else can change), so an increment costs what it read, not the size of the city.
pub fn plan_full(
    conn: &mut DbConnection,
    policy: &Policy,
    snapshot: &Snapshot,
    now: i64,
    bulk: Option<&BulkWindow>,
) -> Result<Plan, AppError> {
    let scope = hr_known::Scope {
        employee_numbers: snapshot.people.iter().map(|p| p.employee_number.clone()).collect(),
        directory_keys: snapshot.gone_keys.clone(),
    };
    let partial =
        !snapshot.speaks_for_everyone() && scope.employee_numbers.len() + scope.directory_keys.len() <= SCOPED_LOAD_MAX;
    let known = hr_known::load_known(conn, now, partial.then_some(&scope))?;
    let taken = hr_known::login_ids(conn)?;
    let held = if partial {
        Holdings { known: &known, taken_login_ids: &taken, active_accounts: hr_known::active_staff_accounts(conn)? }
    } else {
        Holdings::all(&known, &taken)
    };
    let today = from_millis(now).to_offset(JST).date();
    Ok(plan(snapshot, &held, policy, today, now, bulk))
}

/// The login IDs of the accounts a batch creates: the joiners who get an enrollment link (R-AU-06).
fn joiners(batch: &[tobira_domain::lifecycle::Step]) -> Vec<String> {
    batch
        .iter()
        .filter_map(|s| match &s.action {
            Action::CreateAccount { login_id, .. } => Some(login_id.clone()),
            _ => None,
        })
        .collect()
}

/// The employee numbers a batch touches.
fn people_of(batch: &[tobira_domain::lifecycle::Step]) -> Vec<String> {
    let mut v: Vec<String> =
        batch.iter().map(|s| tobira_domain::lifecycle::hold::employee_number(&s.action).to_string()).collect();
    v.sort();
    v.dedup();
    v
}

pub(crate) fn apply(
    conn: &mut DbConnection,
    keys: &Keys,
    content: &RunContent,
    run_id: &str,
    now: i64,
    actor: &str,
) -> Result<usize, AppError> {
    let depts: Vec<HrDepartment> = content
        .departments
        .iter()
        .map(|(c, n, p)| HrDepartment { code: c.clone(), name: n.clone(), parent_code: p.clone() })
        .collect();
    let mut written = store::write_tx(conn, |c| -> Result<usize, AppError> {
        let mut events = hr_sync::save_departments(c, &depts, now, actor)?;
        events.extend(store::contracts::save(c, &content.contracts, now, actor)?);
        Ok(store::audit::append(c, now, events)?.len())
    })?;
    let mut cache = hr_sync::ApplyCache::with_departments(depts.iter().map(|d| d.code.clone()));
    for batch in content.plan.steps.chunks(BATCH) {
        written += store::write_tx(conn, |c| -> Result<usize, AppError> {
            let mut events = hr_sync::apply_steps(c, &mut cache, batch, run_id, now, actor)?;
            events.extend(crate::app::enrollment::issue_for_joiners(
                c,
                keys.master_key,
                keys.policy,
                &joiners(batch),
                actor,
                now,
            )?);
            // The business systems hear of the batch's changes in the same transaction (R-LC-01, R-LC-03).
            events.extend(crate::app::provisioning::track_people(c, keys.policy, &people_of(batch), actor, now)?);
            Ok(store::audit::append(c, now, events)?.len())
        })?;
    }
    Ok(written)
}

pub(crate) fn summary(p: &Plan) -> serde_json::Value {
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for s in &p.steps {
        *counts.entry(s.action.kind()).or_default() += 1;
    }
    json!({ "steps": counts, "removals": p.removals, "active_accounts": p.active_accounts, "problems": p.problems.len(), "not_removed": p.not_removed.len() })
}

/// What applying needs besides the plan: the policy (the enrollment link's lifetime and mail) and
/// the master key that seals a joiner's link until its mail is sent.
#[derive(Clone, Copy)]
pub struct Keys<'a> {
    pub policy: &'a Policy,
    pub master_key: &'a MasterKey,
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
        let (run_id, content) = super::sync_hold::hold(conn, content, raw, source, requested_by, now)?;
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
        super::sync_hold::expire_superseded(c, speaks_for_everyone, &read, &run_id, now)?;
        Ok(())
    })?;
    Ok(SyncOutcome { run_id, status: RunStatus::Applied, plan: content.plan })
}
