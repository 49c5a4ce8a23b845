//! Held HR-sync plans (R-LC-01, R-LC-03, R-AC-02): recording a hold, or renewing the one that waits
//! when a re-run plans it again; expiring the holds an applied run superseded; and deciding one.
//!
//! Invariants: a hold records the directory state it was planned against and the people it
//! touches; approval re-reads the directory, re-plans those people and applies only the steps that
//! still hold (`lifecycle::hold::recheck`), so a plan whose deletions were undone in HR disables
//! nobody; every approval, refusal and discard is audited under the decider's own account. Who may
//! decide is the domain's `lifecycle::hold::may_approve`.

use super::apply::{self, Basis, HoldRecord, Keys, RunContent};
use super::check::{self, Checked};
use crate::app::words::Words;
use crate::app::AppError;
use crate::directory::RawDirectory;
use crate::store::{self, hr_known, sync_holds, sync_runs, DbConnection, StoreError};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeSet;
use tobira_domain::approval::{self, ApproverFacts, Concerning};
use tobira_domain::audit::{AuditEvent, Outcome};
use tobira_domain::lifecycle::hold::{self, Decider, Hold, Recheck, RunState};
use tobira_domain::lifecycle::{plan, Holdings, Plan};
use tobira_domain::policy::Policy;
use tobira_domain::refusal::Explain;
use tobira_domain::time_util::{from_millis, JST};

fn basis(raw: &RawDirectory) -> Basis {
    Basis {
        // The reader's own name of its method, as the `sync.applied` event records it.
        method: serde_json::to_value(raw.method).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
        complete: raw.complete,
        high_water: raw.high_water.clone(),
        cookie: raw.cookie.as_ref().map(hex::encode),
    }
}

fn record_of(content: &RunContent) -> HoldRecord {
    content.hold.clone().unwrap_or_default()
}

/// Stores `content` (whose plan is held) as the hold that waits: a new run, or, when a plan is held
/// already, that run re-planned in place. Returns the run id.
pub fn hold(
    conn: &mut DbConnection,
    mut content: RunContent,
    raw: &RawDirectory,
    source: &str,
    requested_by: &str,
    now: i64,
) -> Result<(String, RunContent), AppError> {
    let reason = content.plan.hold.clone().unwrap_or_default();
    let summary = apply::summary(&content.plan);
    store::write_tx(conn, |c| -> Result<(String, RunContent), AppError> {
        let waiting = sync_holds::held(c)?.into_iter().next();
        let previous = match &waiting {
            Some(r) => Some(record_of(&parse(r)?)),
            None => None,
        };
        let mut ran_by = previous.as_ref().map(|p| p.ran_by.clone()).unwrap_or_default();
        if !ran_by.iter().any(|r| r == requested_by) {
            ran_by.push(requested_by.to_string());
        }
        content.hold = Some(HoldRecord {
            basis: basis(raw),
            touched: hold::touched(&content.plan),
            ran_by,
            first_held_at: previous.as_ref().map_or(now, |p| p.first_held_at),
            renewals: previous.as_ref().map_or(0, |p| p.renewals + 1),
        });
        let plan_json = serde_json::to_string(&content).map_err(|e| {
            AppError::invalid(
                "hold_not_stored",
                format!("保留する計画を保存できません：{e}"),
                format!("the held plan cannot be stored: {e}"),
            )
        })?;
        let details =
            json!({ "reason": reason, "summary": summary, "source": source, "problems": content.plan.problems.len() });
        let (id, event) = match waiting {
            Some(r) if sync_holds::renew(c, &r.id, &reason, &plan_json, now)? => {
                (r.id.clone(), AuditEvent::new(requested_by, "sync.hold_renewed", format!("sync:{}", r.id)))
            }
            _ => {
                let id = store::new_id();
                let run = sync_runs::SyncRun {
                    id: id.clone(),
                    created_at: now,
                    source: source.into(),
                    status: "held".into(),
                    hold_reason: Some(reason.clone()),
                    requested_by: requested_by.into(),
                    decided_by: None,
                    decided_at: None,
                    plan_json,
                };
                sync_runs::insert_run(c, &run)?;
                (id.clone(), AuditEvent::new(requested_by, "sync.held", format!("sync:{id}")))
            }
        };
        store::audit::append(c, now, vec![event.with_outcome(Outcome::Denied).with_details(details)])?;
        Ok((id, content))
    })
}

/// Inside an applied run's transaction: every hold it supersedes (it read everyone, or any person a
/// hold touches) expires, with an audit event each. Returns their ids.
pub fn expire_superseded(
    c: &mut DbConnection,
    speaks_for_everyone: bool,
    read: &BTreeSet<String>,
    run_id: &str,
    now: i64,
) -> Result<Vec<String>, AppError> {
    let mut expired = Vec::new();
    for r in sync_holds::held(c)? {
        let touched = parse(&r).map(|content| record_of(&content).touched).unwrap_or_default();
        if hold::supersedes(speaks_for_everyone, read, &touched)
            && sync_holds::leave_held(c, &r.id, RunState::Expired.as_str(), apply::ACTOR, now)?
        {
            let e = AuditEvent::new(apply::ACTOR, "sync.hold_expired", format!("sync:{}", r.id))
                .with_details(json!({ "superseded_by": run_id }));
            store::audit::append(c, now, vec![e])?;
            expired.push(r.id);
        }
    }
    Ok(expired)
}

fn parse(r: &sync_runs::SyncRun) -> Result<RunContent, AppError> {
    serde_json::from_str(&r.plan_json)
        .map_err(|e| AppError::Store(StoreError::Integrity(format!("sync run {} cannot be read: {e}", r.id))))
}

/// A run with its content.
pub fn load(conn: &mut DbConnection, run_id: &str) -> Result<(sync_runs::SyncRun, RunContent), AppError> {
    let r = sync_runs::run(conn, run_id)?.ok_or_else(|| {
        AppError::not_found(
            "sync_run_not_found",
            format!("同期 {run_id} が見つかりません"),
            format!("sync run {run_id} not found"),
        )
    })?;
    let content = parse(&r)?;
    Ok((r, content))
}

/// Who decides a hold: the account they proved, and what the policy knows of them.
#[derive(Debug, Clone)]
pub struct Approver {
    pub login_id: String,
    pub facts: ApproverFacts,
}

impl Approver {
    fn names(&self) -> Vec<String> {
        vec![self.login_id.clone(), format!("account:{}", self.login_id), self.facts.employee_number.clone()]
    }
}

/// Whether `by` may approve `run_id` now; a refusal is audited under `by`'s account.
pub fn check(
    conn: &mut DbConnection,
    policy: &Policy,
    run_id: &str,
    by: &Approver,
    now: i64,
) -> Result<(sync_runs::SyncRun, RunContent), AppError> {
    let (r, content) = load(conn, run_id)?;
    let record = record_of(&content);
    let mut ran_by = record.ran_by.clone();
    ran_by.push(r.requested_by.clone());
    let state = RunState::parse(&r.status).unwrap_or(RunState::Discarded);
    let entitled = approval::check(policy, &policy.approvals.sync_hold, &by.facts, Concerning::default()).is_ok();
    let names = by.names();
    let held = Hold { state, planned_at: r.created_at, ran_by: &ran_by };
    match hold::may_approve(&held, &Decider { names: &names, entitled }, now, &policy.sync) {
        Ok(()) => Ok((r, content)),
        Err(refusal) => Err(refuse_rule(conn, run_id, &by.login_id, refusal, now)),
    }
}

/// Records a refused approval under `by` (its English and code in the audit record) and returns
/// the refusal.
pub fn refuse(conn: &mut DbConnection, run_id: &str, by: &str, why: Words, code: &'static str, now: i64) -> AppError {
    match record_refusal(conn, run_id, by, &why.en, code, now) {
        Ok(()) => {
            AppError::refused(code, format!("同期 {run_id}：{}", why.ja), format!("sync run {run_id}: {}", why.en))
        }
        Err(e) => e,
    }
}

/// [`refuse`] for the hold's own rule: the refusal travels typed, with its code, to the answer.
pub fn refuse_rule(conn: &mut DbConnection, run_id: &str, by: &str, refusal: hold::Refusal, now: i64) -> AppError {
    match record_refusal(conn, run_id, by, &refusal.en(), refusal.code(), now) {
        Ok(()) => refusal.into(),
        Err(e) => e,
    }
}

fn record_refusal(
    conn: &mut DbConnection,
    run_id: &str,
    by: &str,
    en: &str,
    code: &str,
    now: i64,
) -> Result<(), AppError> {
    let e = AuditEvent::new(by, "sync.approve_refused", format!("sync:{run_id}"))
        .with_outcome(Outcome::Denied)
        .with_details(json!({ "why": en, "code": code }));
    store::write_tx(conn, |c| store::audit::append(c, now, vec![e]))?;
    Ok(())
}

/// The held plan's people re-planned against `raw` (a fresh full read), split against the held plan.
pub fn recheck(
    conn: &mut DbConnection,
    policy: &Policy,
    content: &RunContent,
    raw: &RawDirectory,
    now: i64,
) -> Result<(Recheck, Checked), AppError> {
    let mut checked = check::check(raw, policy)?;
    if checked.snapshot.people.is_empty() {
        return Err(AppError::Directory(format!(
            "{}; the hold cannot be re-checked, nothing was changed",
            hold::empty_read(&checked.snapshot.problems)
        )));
    }
    let touched = record_of(content).touched;
    let touched = if touched.is_empty() { hold::touched(&content.plan) } else { touched };
    checked.snapshot.people.retain(|p| touched.contains(&p.employee_number));
    let scope = hr_known::Scope { employee_numbers: touched, directory_keys: BTreeSet::new() };
    let known = hr_known::load_known(conn, now, Some(&scope))?;
    let taken = hr_known::login_ids(conn)?;
    let held =
        Holdings { known: &known, taken_login_ids: &taken, active_accounts: hr_known::active_staff_accounts(conn)? };
    let today = from_millis(now).to_offset(JST).date();
    let fresh = plan(&checked.snapshot, &held, policy, today, now, None);
    Ok((hold::recheck(&content.plan, &fresh), checked))
}

/// What an approval did.
#[derive(Debug, Clone, Serialize)]
pub struct Approved {
    pub run_id: String,
    pub recheck: Recheck,
}

/// Approves `run_id` by `by`, against `raw`, a full read made for this approval: checks who decides
/// and the hold (again, in case it changed during the read), re-plans and applies only what still
/// holds. The run is `applied` with the approver recorded; the audit event carries the difference.
pub fn approve(
    conn: &mut DbConnection,
    keys: &Keys,
    run_id: &str,
    by: &Approver,
    raw: &RawDirectory,
    now: i64,
) -> Result<Approved, AppError> {
    let (r, content) = check(conn, keys.policy, run_id, by, now)?;
    let (recheck, checked) = recheck(conn, keys.policy, &content, raw, now)?;
    if !store::write_tx(conn, |c| sync_holds::leave_held(c, run_id, RunState::Applied.as_str(), &by.login_id, now))? {
        return Err(AppError::conflict(
            "decided_meanwhile",
            format!("同期 {run_id} は既に決着しました"),
            format!("sync run {run_id} was decided meanwhile"),
        ));
    }
    let applied = Plan {
        steps: recheck.apply.clone(),
        removals: recheck.apply.iter().filter(|s| s.action.is_removal()).count(),
        hold: None,
        not_removed: Vec::new(),
        problems: checked.snapshot.problems.clone(),
        ..content.plan.clone()
    };
    let fresh = RunContent {
        plan: applied,
        departments: checked.departments.into_iter().map(|d| (d.code, d.name, d.parent_code)).collect(),
        contracts: checked.contracts,
        hold: content.hold.clone(),
    };
    apply::apply(conn, keys, &fresh, run_id, now, apply::ACTOR)?;
    let difference = json!({ "applied": recheck.apply.len(), "no_longer_holds": recheck.dropped.len(), "new_since_hold": recheck.new.len(), "no_longer_holds_people": recheck.dropped.iter().map(|s| hold::employee_number(&s.action)).collect::<BTreeSet<_>>() });
    store::write_tx(conn, |c| -> Result<(), AppError> {
        let e = AuditEvent::new(&by.login_id, "sync.approved", format!("sync:{run_id}"))
            .with_details(json!({ "requested_by": r.requested_by, "approver_account": by.login_id, "summary": apply::summary(&fresh.plan), "difference": difference }));
        store::audit::append(c, now, vec![e])?;
        Ok(())
    })?;
    Ok(Approved { run_id: run_id.into(), recheck })
}

/// Discards a held run; `by` is recorded.
pub fn discard(conn: &mut DbConnection, run_id: &str, by: &str, now: i64) -> Result<(), AppError> {
    store::write_tx(conn, |c| -> Result<(), AppError> {
        if !sync_holds::leave_held(c, run_id, RunState::Discarded.as_str(), by, now)? {
            return Err(AppError::conflict(
                "sync_run_not_held",
                format!("同期 {run_id} は保留中ではありません"),
                format!("sync run {run_id} is not held"),
            ));
        }
        store::audit::append(c, now, vec![AuditEvent::new(by, "sync.discarded", format!("sync:{run_id}"))])?;
        Ok(())
    })
}
