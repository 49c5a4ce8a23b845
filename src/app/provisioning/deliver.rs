//! Delivery of a system's provisioning outbox: one node at a time per system (job lease), items in
//! order per person; a 5xx, a timeout or a refused connection leaves the item for a later attempt
//! with back-off and ends the system's round (other systems are not held up); an error that will
//! not heal stops the item with a finding. Every push and its answer is audited, without the token.

use super::scim::{self, Client, ScimError};
use crate::app::{App, AppError};
use crate::store::{self, provisioning::Item};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use tobira_domain::audit::{AuditEvent, Outcome};
use tobira_domain::policy::provisioning::Provisioning;
use tobira_domain::provisioning::{Event, Resource};

pub use super::round::{job, Pushed, Round, ACTOR, ORPHAN_PREFIX};

/// The wait before attempt `attempts + 1`: 5 s doubling, at most `retry_max_seconds`.
pub fn backoff_ms(p: &Provisioning, attempts: i64) -> i64 {
    let secs = 5i64.saturating_mul(1i64 << attempts.clamp(0, 20));
    secs.min(i64::from(p.retry_max_seconds)) * 1000
}

/// One delivery round for `system`; `Ok(None)` when another node holds its lease.
pub async fn run_system(app: &App, system: &str, node: &str) -> Result<Option<Round>, AppError> {
    let p = super::settings_of(&app.policy, system)?.clone();
    let (policy, sys, holder, now) = (app.policy.clone(), system.to_string(), node.to_string(), app.clock.now_ms());
    let ttl = i64::from(p.timeout_seconds) * 1000 * 4 + 60_000;
    let queued = app
        .db(move |c| {
            store::write_tx(c, |c| -> Result<Option<usize>, AppError> {
                if !store::leases::try_acquire(c, &job(&sys), &holder, now, ttl)? {
                    return Ok(None);
                }
                let events = super::track_due(c, &policy, &sys, ACTOR, now)?;
                let n = events.len();
                store::audit::append(c, now, events)?;
                Ok(Some(n))
            })
        })
        .await?;
    let Some(queued) = queued else { return Ok(None) };
    let result = if p.is_file() {
        let (sys, master, now) = (system.to_string(), app.master_key.clone(), app.clock.now_ms());
        let mut round = Round { queued, ..Round::default() };
        app.db(move |c| super::files::round(c, &p, &master, &sys, now, &mut round).map(|_| round)).await
    } else {
        deliver(app, system, &p, queued).await
    };
    let (sys, holder) = (system.to_string(), node.to_string());
    app.db(move |c| Ok(store::leases::release(c, &job(&sys), &holder)?)).await?;
    result.map(Some)
}

async fn deliver(app: &App, system: &str, p: &Provisioning, queued: usize) -> Result<Round, AppError> {
    let mut round = Round { queued, ..Round::default() };
    let client = Client::of(p, app.clock.now_ms()).map_err(|e| {
        AppError::invalid("connection_settings_invalid", format!("連携先への接続の設定に誤りがあります：{e}"), e)
    })?;
    let (sys, limit) = (system.to_string(), i64::from(p.batch));
    let items = app.db(move |c| Ok(store::provisioning::pending(c, &sys, limit)?)).await?;
    let mut waiting = BTreeSet::new();
    let mut patch = None;
    let mut groups = super::groups::Round::load(app, system, p).await?;
    for item in items {
        let now = app.clock.now_ms();
        let it = item.clone();
        let (blocked, remote) = app
            .db(move |c| {
                Ok((
                    store::provisioning::blocked(c, &it)?,
                    store::provisioning::link(c, &it.system_id, &it.account_id)?.and_then(|l| l.1),
                ))
            })
            .await?;
        if waiting.contains(&item.account_id) || item.next_attempt_at > now || blocked {
            waiting.insert(item.account_id.clone());
            round.waiting += 1;
            continue;
        }
        let answer = match (push(&client, p, &item, remote, &mut patch).await, groups.as_mut()) {
            (Ok(pushed), Some(g)) => g.after(&client, p, &item, pushed, &mut patch).await,
            (answer, _) => answer,
        };
        let down = matches!(answer, Err(ScimError::Retry(_)));
        match &answer {
            Ok(_) => round.pushed += 1,
            Err(ScimError::Retry(_)) => round.retrying += 1,
            Err(ScimError::Stop { .. }) => {
                round.stopped += 1;
                waiting.insert(item.account_id.clone());
            }
        }
        let (p2, now) = (p.clone(), app.clock.now_ms());
        app.db(move |c| store::write_tx(c, |c| record(c, &p2, &item, answer, now))).await?;
        if down {
            // The system is down or refusing: the rest of its queue waits for the next round.
            break;
        }
    }
    if let Some(g) = groups {
        g.save(app, system).await?;
    }
    Ok(round)
}

fn record(
    c: &mut store::DbConnection,
    p: &Provisioning,
    item: &Item,
    answer: Result<Pushed, ScimError>,
    now: i64,
) -> Result<(), AppError> {
    use store::provisioning as sp;
    let base = json!({ "system": item.system_id, "event": item.event, "why": item.why, "item": item.id, "seq": item.seq, "attempt": item.attempts + 1 });
    let with = |extra: Value| {
        let mut d = base.clone();
        if let (Some(d), Value::Object(e)) = (d.as_object_mut(), extra) {
            d.extend(e);
        }
        d
    };
    let target = format!("account-id:{}", item.account_id);
    let event = match answer {
        Ok(pushed) => {
            sp::done(c, &item.id, now)?;
            sp::set_remote_id(c, &item.system_id, &item.account_id, pushed.remote_id.as_deref())?;
            AuditEvent::new(ACTOR, "provisioning.pushed", target)
                .with_details(with(json!({ "answer": pushed.answer, "remote_id": pushed.remote_id })))
        }
        Err(ScimError::Retry(msg)) => {
            let next = now + backoff_ms(p, item.attempts);
            sp::retry_later(c, &item.id, item.attempts + 1, next, &msg)?;
            AuditEvent::new(ACTOR, "provisioning.failed", target)
                .with_outcome(Outcome::Failure)
                .with_details(with(json!({ "error": msg, "next_attempt_at": next })))
        }
        Err(e @ ScimError::Stop { .. }) => {
            let msg = e.to_string();
            sp::stop(c, &item.id, item.attempts + 1, &msg, now)?;
            let f = store::review::FindingRow {
                key: format!("provisioning:{}", item.id),
                kind: "provisioning_stopped".into(),
                subject: format!("{}:{}", item.system_id, item.account_id),
                at: now,
                events: 1,
                evidence: item.id.clone(),
                detail: msg.clone(),
                found_at: now,
            };
            store::review::insert_findings(c, vec![f])?;
            AuditEvent::new(ACTOR, "provisioning.stopped", target)
                .with_outcome(Outcome::Failure)
                .with_details(with(json!({ "error": msg })))
        }
    };
    store::audit::append(c, now, vec![event])?;
    Ok(())
}

async fn update(
    client: &Client,
    p: &Provisioning,
    id: &str,
    user: &Value,
    patch: &mut Option<bool>,
) -> Result<bool, ScimError> {
    if patch.is_none() {
        *patch = Some(client.patch_supported().await?);
    }
    let mapped = super::groups::mapped(p);
    // PATCH replaces what tobira holds; a value tobira no longer has needs the whole User replaced.
    if *patch == Some(true) && mapped.iter().all(|m| scim::lookup(user, m).is_some()) {
        client.patch(id, user, &mapped).await
    } else {
        client.replace(id, user).await
    }
}

/// Brings the system's User of `item`'s account to the item's state.
pub async fn push(
    client: &Client,
    p: &Provisioning,
    item: &Item,
    remote: Option<String>,
    patch: &mut Option<bool>,
) -> Result<Pushed, ScimError> {
    let stop = |detail: String| ScimError::Stop { status: 0, scim_type: None, detail };
    let resource: Resource =
        serde_json::from_str(&item.resource_json).map_err(|e| stop(format!("the queued item cannot be read: {e}")))?;
    let event = Event::parse(&item.event).ok_or_else(|| stop(format!("unknown event `{}`", item.event)))?;
    if let Some(id) = item.account_id.strip_prefix(ORPHAN_PREFIX) {
        // A User tobira did not make, found by reconciliation: only deactivated, never deleted.
        if patch.is_none() {
            *patch = Some(client.patch_supported().await?);
        }
        let there = client.set_active(id, false, *patch == Some(true)).await?;
        return Ok(Pushed {
            remote_id: None,
            answer: if there { "orphan deactivated" } else { "orphan not there; nothing to deactivate" },
        });
    }
    let user = super::groups::user(p, &resource);
    let id = match remote {
        Some(id) => Some(id),
        None => client.by_external_id(&item.account_id).await?.map(|f| f.id),
    };
    if event == Event::Delete {
        return match id {
            Some(id) => {
                client.delete(&id).await.map(|_| Pushed { remote_id: None, answer: "deleted; read back: gone" })
            }
            None => Ok(Pushed { remote_id: None, answer: "not there; nothing to delete" }),
        };
    }
    if let Some(id) = id {
        if update(client, p, &id, &user, patch).await? {
            return Ok(Pushed { remote_id: Some(id), answer: "updated" });
        }
    }
    if !resource.active {
        return Ok(Pushed { remote_id: None, answer: "not there; nothing to deactivate" });
    }
    match client.create(&user).await {
        Ok(id) => Ok(Pushed { remote_id: Some(id), answer: "created" }),
        Err(ScimError::Stop { status: 409, scim_type, detail }) => {
            // uniqueness on userName: the same person's User (no or the same externalId) is linked.
            let name = user["userName"].as_str().unwrap_or_default();
            match client.by_user_name(name).await? {
                Some(f) if f.external_id.as_deref().is_none_or(|e| e == item.account_id) => {
                    update(client, p, &f.id, &user, patch).await?;
                    Ok(Pushed { remote_id: Some(f.id), answer: "linked the existing User with this userName" })
                }
                Some(f) => Err(ScimError::Stop {
                    status: 409,
                    scim_type: Some("uniqueness".into()),
                    detail: format!(
                        "userName {name} is held by another User (id {}, externalId {})",
                        f.id,
                        f.external_id.unwrap_or_default()
                    ),
                }),
                None => Err(ScimError::Stop { status: 409, scim_type, detail }),
            }
        }
        Err(e) => Err(e),
    }
}

/// One round for every provisioned system (for `tobira provisioning` and the tests).
pub async fn run_all(app: &App, node: &str) -> Result<Vec<(String, Option<Round>)>, AppError> {
    let mut out = Vec::new();
    for (s, _, _) in super::systems(&app.policy) {
        let id = s.id.get_ref().clone();
        let r = run_system(app, &id, node).await?;
        out.push((id, r));
    }
    Ok(out)
}
