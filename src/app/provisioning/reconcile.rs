//! Reconciliation of a provisioned system (R-LC-04): list its Users page by page (RFC 7644
//! `startIndex`/`count`/`totalResults`), compare them with what tobira sent, record the drift (audit
//! event `provisioning.reconciled`, a review finding per orphan) and, on repair, queue the fixes in
//! the outbox: create the missing, update the wrong, `active: false` for orphans within the HR
//! sync's removal limits. Reconciliation never deletes; beyond the limits the deactivations are
//! held (reported, not queued).

use super::deliver::ORPHAN_PREFIX;
use super::scim::Client;
use crate::app::{App, AppError};
use crate::store::{self, provisioning_runs::LastRun, DbConnection};
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use tobira_domain::audit::AuditEvent;
use tobira_domain::policy::provisioning::Provisioning;
use tobira_domain::policy::Policy;
use tobira_domain::provisioning::reconcile::{drift, Drift, Expected, Listed};
use tobira_domain::provisioning::{Event, Resource};

/// What a reconciliation found and, on repair, queued.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub system: String,
    pub drift: Drift,
    pub repair: bool,
    /// Items queued (0 without repair).
    pub queued: usize,
}

impl Report {
    /// Deactivations beyond the removal limits were held.
    pub fn held(&self) -> bool {
        !self.drift.held.is_empty()
    }
}

fn config<'a>(policy: &'a Policy, system: &str) -> Result<&'a Provisioning, AppError> {
    let p = super::settings_of(policy, system)?;
    if p.is_file() {
        return Err(AppError::invalid("system_behind_air_gap",
            format!("システム `{system}` とは分離されたネットワークをまたぐファイル連携（kind = \"file\"、R-ZN-04）のため、利用者の一覧を取得できず突合できません。委託事業者の出力と `tobira provisioning status {system}` を手作業で照合してください"),
            format!("system `{system}` is reached by files across the air gap (kind = \"file\", R-ZN-04): tobira cannot list its Users, so it cannot be reconciled; compare the vendor's export with `tobira provisioning status {system}` by hand"),
        ));
    }
    Ok(p)
}

/// Every User of the system, in pages of the policy's `batch`.
pub async fn list_users(policy: &Policy, system: &str, now: i64) -> Result<Vec<Listed>, AppError> {
    let p = config(policy, system)?;
    let client = Client::of(p, now).map_err(|e| {
        AppError::invalid("connection_settings_invalid", format!("連携先への接続の設定に誤りがあります：{e}"), e)
    })?;
    let users = client
        .list_all(p.batch as usize)
        .await
        .map_err(|e| AppError::Task(format!("system `{system}`: listing its Users: {e}")))?;
    Ok(users.iter().filter_map(Listed::from_json).collect())
}

/// Compares `listed` with what tobira sent to `system`, records it and, with `repair`, queues the
/// fixes, in one transaction.
pub fn record(
    c: &mut DbConnection,
    policy: &Policy,
    system: &str,
    listed: &[Listed],
    repair: bool,
    actor: &str,
    now: i64,
) -> Result<Report, AppError> {
    let p = config(policy, system)?;
    let mapped = super::groups::mapped(p);
    store::write_tx(c, |c| -> Result<Report, AppError> {
        let expected: Vec<Expected> = store::provisioning::expected(c, system)?
            .into_iter()
            .map(|(account_id, resource)| Expected { account_id, resource })
            .collect();
        let sent: BTreeMap<&str, &Resource> = expected.iter().map(|e| (e.account_id.as_str(), &e.resource)).collect();
        let ext: Vec<String> = listed.iter().filter_map(|l| l.external_id.clone()).collect();
        let ours: BTreeSet<String> = store::provisioning::known_accounts(c, &ext)?.into_iter().collect();
        let d = drift(&expected, listed, &ours, &mapped, &policy.sync);
        let mut queued = Vec::new();
        if repair {
            // An account whose items are still queued (or stopped) gets nothing more: its queue brings it there.
            let open: BTreeSet<String> = store::provisioning::open_accounts(c, system)?.into_iter().collect();
            let mut fixes: Vec<(String, Event, &str, Resource)> = Vec::new();
            fixes.extend(
                d.missing.iter().map(|id| (id.clone(), Event::Create, "reconcile_missing", sent[id.as_str()].clone())),
            );
            fixes.extend(d.wrong.iter().map(|w| {
                (w.account_id.clone(), Event::Update, "reconcile_wrong", sent[w.account_id.as_str()].clone())
            }));
            if d.held.is_empty() {
                let off = Resource { attributes: BTreeMap::new(), active: false };
                fixes.extend(
                    d.deactivations()
                        .into_iter()
                        .map(|o| (format!("{ORPHAN_PREFIX}{}", o.id), Event::Deactivate, "orphan", off.clone())),
                );
            }
            for (account, event, why, resource) in fixes.into_iter().filter(|f| !open.contains(&f.0)) {
                queued.push(store::provisioning::queue(c, system, &account, event, why, &resource, now)?);
            }
        }
        let findings = d
            .orphans
            .iter()
            .map(|o| store::review::FindingRow {
                key: format!("provisioning-orphan:{system}:{}", o.id),
                kind: "provisioning_orphan".into(),
                subject: format!("{system}:{}", o.user_name),
                at: now,
                events: 1,
                evidence: o.id.clone(),
                detail: format!(
                    "User {} (id {}, externalId {}) is in {system} but tobira does not provision it there",
                    o.user_name,
                    o.id,
                    o.external_id.as_deref().unwrap_or("none")
                ),
                found_at: now,
            })
            .collect();
        store::review::insert_findings(c, findings)?;
        let mut events = vec![AuditEvent::new(actor, "provisioning.reconciled", format!("system:{system}")).with_details(json!({
            "listed": d.listed, "foreign": d.foreign, "orphans": d.orphans.len(), "missing": d.missing.len(), "wrong": d.wrong.len(),
            "deactivations": d.deactivations().len(), "held": d.held, "repair": repair, "queued": queued.len(),
        }))];
        events.extend(queued.iter().map(|i| {
            AuditEvent::new(actor, "provisioning.queued", format!("account-id:{}", i.account_id))
                .with_details(json!({ "system": system, "event": i.event, "why": i.why, "seq": i.seq, "item": i.id }))
        }));
        store::audit::append(c, now, events)?;
        let report = Report { system: system.into(), repair, queued: queued.len(), drift: d };
        store::provisioning_runs::save(c, &last_run(&report, actor, now))?;
        Ok(report)
    })
}

/// A reconciliation of `system` on demand: list, compare, record, and with `repair` queue the fixes.
pub async fn reconcile(app: &App, system: &str, repair: bool, actor: &str) -> Result<Report, AppError> {
    let listed = list_users(&app.policy, system, app.clock.now_ms()).await?;
    let (policy, sys, actor, now) = (app.policy.clone(), system.to_string(), actor.to_string(), app.clock.now_ms());
    app.db(move |c| record(c, &policy, &sys, &listed, repair, &actor, now)).await
}

/// A reconciliation's report as the system's last run.
pub fn last_run(r: &Report, actor: &str, now: i64) -> LastRun {
    let n = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
    LastRun {
        system_id: r.system.clone(),
        ran_at: now,
        actor: actor.into(),
        repair: r.repair,
        listed: n(r.drift.listed),
        foreign_users: n(r.drift.foreign),
        orphans: n(r.drift.orphans.len()),
        missing: n(r.drift.missing.len()),
        wrong: n(r.drift.wrong.len()),
        held: r.drift.held.join(", "),
        queued: n(r.queued),
        error: None,
    }
}
