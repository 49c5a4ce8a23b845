//! Jobs `tobira serve` runs on the policy's schedule. Each run first takes the job's lease, so with
//! several nodes on one database a job runs once per period.
//!
//! The HR sync job: an incremental read of changed entries, or a full read when one is due, and the
//! same plan, hold and apply as `tobira sync` (a held plan waits for an approver on `/sync/holds` or
//! `tobira sync --approve`).

use super::sync::{self, RunStatus, SyncRequest};
use super::App;
use crate::store;
use std::time::Duration;

/// When a job's first round runs: at once, or one period after start (so a restart does not run it
/// again at once).
#[derive(Clone, Copy, PartialEq, Eq)]
enum First {
    AtOnce,
    AfterPeriod,
}

/// Runs `round` every `period` until the task is aborted; a round that overruns delays the next.
fn every<F, Fut>(period: Duration, first: First, mut round: F) -> tokio::task::JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        if first == First::AfterPeriod {
            tick.tick().await;
        }
        loop {
            tick.tick().await;
            round().await;
        }
    })
}

/// A name for this node's leases.
fn node_name() -> String {
    format!("node-{}", uuid::Uuid::new_v4())
}

pub const SYNC_JOB: &str = "hr-sync";
pub const SYNC_ACTOR: &str = "system:hr-sync-schedule";

/// One scheduled sync attempt; `Ok(None)` when another node holds the lease.
pub async fn sync_once(app: &App, node: &str) -> Result<Option<RunStatus>, super::AppError> {
    let period_ms = app.policy.sync.every_seconds as i64 * 1000;
    let (now, node_owned) = (app.clock.now_ms(), node.to_string());
    // The lease outlives the period a little, so a slow run is not started twice.
    let held = app
        .db(move |c| {
            Ok(store::write_tx(c, |c| store::leases::try_acquire(c, SYNC_JOB, &node_owned, now, period_ms + 60_000))?)
        })
        .await?;
    if !held {
        return Ok(None);
    }
    let (policy, cfg) = (app.policy.clone(), app.config.directory.clone());
    let mode = app.db(move |c| sync::mode_for(c, &cfg, &policy, now, false)).await?;
    let raw = sync::read(&app.config.directory, &app.policy, &mode).await?;
    let (policy, source, master) = (app.policy.clone(), app.config.directory.url.clone(), app.master_key.clone());
    let status = app
        .db(move |c| {
            let req =
                SyncRequest { source: &source, requested_by: SYNC_ACTOR, now, dry_run: false, master_key: &master };
            Ok(sync::run(c, &policy, &raw, &req)?.status)
        })
        .await?;
    Ok(Some(status))
}

/// Runs the sync every `sync.every_seconds` until the task is aborted.
pub fn spawn_sync(app: App) -> Option<tokio::task::JoinHandle<()>> {
    let seconds = app.policy.sync.every_seconds;
    if seconds == 0 || app.config.directory.url.is_empty() || app.policy.directory.is_none() {
        return None;
    }
    let node = node_name();
    Some(every(Duration::from_secs(u64::from(seconds)), First::AtOnce, move || {
        let (app, node) = (app.clone(), node.clone());
        async move {
            match sync_once(&app, &node).await {
                Ok(Some(RunStatus::Held)) => {
                    tracing::warn!(job = SYNC_JOB, "HR sync plan held for approval; see `tobira sync --show`")
                }
                Ok(Some(status)) => tracing::info!(job = SYNC_JOB, ?status, "HR sync done"),
                Ok(None) => tracing::debug!(job = SYNC_JOB, "another node holds the lease"),
                Err(e) => tracing::error!(job = SYNC_JOB, error = %e, "HR sync failed"),
            }
        }
    }))
}

/// Reloads the signing keys every `oidc.key_reload_seconds` (every node: each signs with its own ring).
pub fn spawn_key_reload(app: App) -> tokio::task::JoinHandle<()> {
    let period = app.config.oidc.key_reload_seconds.max(1);
    every(Duration::from_secs(period), First::AfterPeriod, move || {
        let app = app.clone();
        async move {
            if let Err(e) = super::oidc::keys::reload(&app).await {
                tracing::error!(error = %e, "reloading the signing keys failed; the previous keys stay in use");
            }
        }
    })
}

/// Delivers back-channel logouts every `oidc.backchannel_every_seconds` (one node per round, by lease).
pub fn spawn_backchannel_logout(app: App) -> Result<tokio::task::JoinHandle<()>, super::AppError> {
    let http = super::oidc::backchannel::http_client(&app)?;
    let (period, node) = (app.config.oidc.backchannel_every_seconds.max(1), node_name());
    Ok(every(Duration::from_secs(period), First::AtOnce, move || {
        let (app, http, node) = (app.clone(), http.clone(), node.clone());
        async move {
            if let Err(e) = super::oidc::backchannel::run_once(&app, &http, &node).await {
                tracing::error!(job = super::oidc::backchannel::JOB, error = %e, "back-channel logout round failed");
            }
        }
    }))
}

/// Ends elevations past their end time, lapses undecided elevation and access requests and disables
/// development IDs past their end every
/// `jobs.privileged_sweep_seconds`, on every node: each change is conditional on the row's status,
/// so two nodes never record one end twice.
pub fn spawn_privileged_sweep(app: App) -> tokio::task::JoinHandle<()> {
    let period = app.config.jobs.privileged_sweep_seconds.max(1);
    every(Duration::from_secs(period), First::AtOnce, move || {
        let app = app.clone();
        async move {
            let (now, policy) = (app.clock.now_ms(), app.policy.clone());
            match app.db(move |c| super::privileged::sweep::sweep(c, &policy, now)).await {
                Ok(s) if s == Default::default() => {}
                Ok(s) => tracing::info!(
                    job = "privileged-sweep",
                    lapsed = s.lapsed,
                    expired = s.expired,
                    development = s.development,
                    "privileged sweep"
                ),
                Err(e) => tracing::error!(job = "privileged-sweep", error = %e, "privileged sweep failed"),
            }
            // Access requests nobody decided within [access_requests] lapse_days (R-LC-02).
            match app.db(move |c| super::requests::sweep(c, now)).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(job = "access-request-sweep", lapsed = n, "access requests lapsed"),
                Err(e) => tracing::error!(job = "access-request-sweep", error = %e, "access request sweep failed"),
            }
        }
    })
}

/// Runs the periodic review every `review.every_minutes` (one node per period, by lease).
pub fn spawn_review(app: App) -> Option<tokio::task::JoinHandle<()>> {
    let minutes = app.policy.review.every_minutes;
    if minutes == 0 {
        return None;
    }
    let (ctx, node) = (super::review::job::Ctx::of(&app), node_name());
    Some(every(Duration::from_secs(u64::from(minutes) * 60), First::AfterPeriod, move || {
        let (ctx, node, now) = (ctx.clone(), node.clone(), app.clock.now_ms());
        async move {
            match super::review::job::run(&ctx, &node, now, true).await {
                Ok(Some(r)) => tracing::info!(job = super::review::job::JOB, report = ?r, "review run done"),
                Ok(None) => tracing::debug!(job = super::review::job::JOB, "another node holds the lease"),
                Err(e) => tracing::error!(job = super::review::job::JOB, error = %e, "review run failed"),
            }
        }
    }))
}

/// Delivers the notification outbox by mail every `smtp.every_seconds` (one node per round, by
/// lease), the first round one period after start; `None` when `smtp.host` is empty (mail off).
pub fn spawn_mail_delivery(app: App) -> Result<Option<tokio::task::JoinHandle<()>>, super::AppError> {
    if app.config.smtp.host.is_empty() {
        return Ok(None);
    }
    let mailer = crate::mail::Mailer::new(&app.config.smtp).map_err(|e| {
        super::AppError::invalid(
            "mail_settings_invalid",
            format!("メール送信の設定に誤りがあります：{e}"),
            e.to_string(),
        )
    })?;
    let (period, node) = (app.config.smtp.every_seconds.max(1), node_name());
    Ok(Some(every(Duration::from_secs(period), First::AfterPeriod, move || {
        let (app, mailer, node) = (app.clone(), mailer.clone(), node.clone());
        async move {
            match super::mail_delivery::run_once(&app, &mailer, &node).await {
                Ok(Some(r)) if r == Default::default() => {}
                Ok(Some(r)) => tracing::info!(
                    job = super::mail_delivery::JOB,
                    sent = r.sent,
                    deferred = r.deferred,
                    undeliverable = r.undeliverable,
                    "mail delivery round"
                ),
                Ok(None) => tracing::debug!(job = super::mail_delivery::JOB, "another node holds the lease"),
                Err(e) => tracing::error!(job = super::mail_delivery::JOB, error = %e, "mail delivery round failed"),
            }
        }
    })))
}

/// Delivers each provisioned system's outbox every `provisioning.every_seconds` of that system (one
/// node per system and round, by lease); a system that is down delays only its own task.
pub fn spawn_provisioning(app: App) -> Vec<tokio::task::JoinHandle<()>> {
    let node = node_name();
    super::provisioning::systems(&app.policy)
        .into_iter()
        .filter(|(_, p, _)| p.every_seconds > 0)
        .map(|(s, p, _)| {
            let (app, node, system) = (app.clone(), node.clone(), s.id.get_ref().clone());
            every(Duration::from_secs(u64::from(p.every_seconds)), First::AtOnce, move || {
                let (app, node, system) = (app.clone(), node.clone(), system.clone());
                async move {
                    match super::provisioning::deliver::run_system(&app, &system, &node).await {
                        Ok(Some(r)) if r == Default::default() => {}
                        Ok(Some(r)) => tracing::info!(job = "provisioning", system = %system, pushed = r.pushed, retrying = r.retrying, stopped = r.stopped, waiting = r.waiting, written = r.written, applied = r.applied, receipts_refused = r.receipts_refused, "provisioning round"),
                        Ok(None) => tracing::debug!(job = "provisioning", system = %system, "another node holds the lease"),
                        Err(e) => tracing::error!(job = "provisioning", system = %system, error = %e, "provisioning round failed"),
                    }
                }
            })
        })
        .collect()
}

/// Reconciles the provisioned systems whose `reconcile_every_hours` has passed (one node per system
/// and run, by lease), checking every five minutes, the first check one period after start; `None`
/// when no system has the schedule on.
pub fn spawn_provisioning_reconcile(app: App) -> Option<tokio::task::JoinHandle<()>> {
    if !super::provisioning::systems(&app.policy).iter().any(|(_, p, _)| p.reconcile_every_hours > 0) {
        return None;
    }
    let node = node_name();
    Some(every(Duration::from_secs(300), First::AfterPeriod, move || {
        let (app, node) = (app.clone(), node.clone());
        async move {
            match super::provisioning::scheduled::tick(&app, &node).await {
                Ok(runs) => {
                    for (system, ran) in runs {
                        match ran {
                            super::provisioning::scheduled::Ran::Done(r) => {
                                tracing::info!(job = "provisioning-reconcile", system = %system, orphans = r.drift.orphans.len(), missing = r.drift.missing.len(), wrong = r.drift.wrong.len(), queued = r.queued, held = r.held(), "reconciliation")
                            }
                            super::provisioning::scheduled::Ran::Failed(e) => {
                                tracing::error!(job = "provisioning-reconcile", system = %system, error = %e, "reconciliation failed")
                            }
                        }
                    }
                }
                Err(e) => tracing::error!(job = "provisioning-reconcile", error = %e, "reconciliation tick failed"),
            }
        }
    }))
}

/// Prunes the audit log every `audit.prune_every_hours` (one node per period, by lease), the first
/// run one period after start; `None` when the schedule is off (0).
pub fn spawn_audit_prune(app: App) -> Option<tokio::task::JoinHandle<()>> {
    let hours = app.policy.audit.prune_every_hours;
    if hours == 0 {
        return None;
    }
    let node = node_name();
    Some(every(Duration::from_secs(u64::from(hours) * 3_600), First::AfterPeriod, move || {
        let (app, node) = (app.clone(), node.clone());
        async move {
            match super::legal_hold::prune_scheduled(&app, &node).await {
                Ok(Some(p)) => tracing::info!(
                    job = super::legal_hold::PRUNE_JOB,
                    deleted = p.deleted,
                    held_by = p.held_by.len(),
                    "audit pruning"
                ),
                Ok(None) => tracing::debug!(job = super::legal_hold::PRUNE_JOB, "another node holds the lease"),
                Err(e) => tracing::error!(job = super::legal_hold::PRUNE_JOB, error = %e, "audit pruning failed"),
            }
        }
    }))
}
