//! Reconciliation on a schedule (R-LC-04): `serve` reconciles each provisioned system every
//! `reconcile_every_hours` (0: never), one node at a time per system (a job lease), reporting only
//! unless `reconcile_repair = true`; the same removal limits and hold as on demand. Each run, and a
//! run that could not list the system's Users, is stored as the system's last reconciliation for the
//! console and `tobira provisioning status`, and audited.

use super::reconcile::{self, Report};
use crate::app::{App, AppError};
use crate::store::{self, provisioning_runs::LastRun};
use serde_json::json;
use tobira_domain::audit::{AuditEvent, Outcome};

pub const ACTOR: &str = "system:provisioning-reconcile";

/// The job lease of a system's scheduled reconciliation.
pub fn job(system: &str) -> String {
    format!("provisioning-reconcile:{system}")
}

/// What a tick did for one system: its report, or why it failed.
#[derive(Debug)]
pub enum Ran {
    Done(Report),
    Failed(String),
}

/// One tick of the schedule: every provisioned system whose reconciliation is due and whose lease
/// this node takes is reconciled. Systems not due, or held by another node, are left out.
pub async fn tick(app: &App, node: &str) -> Result<Vec<(String, Ran)>, AppError> {
    let mut out = Vec::new();
    let due: Vec<(String, u32, bool, u32)> = super::systems(&app.policy)
        .into_iter()
        .filter(|(_, p, _)| p.reconcile_every_hours > 0)
        .map(|(s, p, _)| (s.id.get_ref().clone(), p.reconcile_every_hours, p.reconcile_repair, p.timeout_seconds))
        .collect();
    for (system, hours, repair, timeout) in due {
        let now = app.clock.now_ms();
        let every = i64::from(hours) * 3_600_000;
        let (sys, holder) = (system.clone(), node.to_string());
        // Long enough for a listing of many pages; released at the end.
        let ttl = (i64::from(timeout) * 1000 * 20).max(600_000);
        let taken = app
            .db(move |c| {
                store::write_tx(c, |c| -> Result<bool, AppError> {
                    let last = store::provisioning_runs::last(c, &sys)?;
                    if last.is_some_and(|l| now - l.ran_at < every) {
                        return Ok(false);
                    }
                    Ok(store::leases::try_acquire(c, &job(&sys), &holder, now, ttl)?)
                })
            })
            .await?;
        if !taken {
            continue;
        }
        let ran = match reconcile::reconcile(app, &system, repair, ACTOR).await {
            Ok(r) => Ran::Done(r),
            Err(e) => {
                let msg = e.to_string();
                let (sys, m) = (system.clone(), msg.clone());
                app.db(move |c| {
                    store::write_tx(c, |c| -> Result<(), AppError> {
                        let run = LastRun {
                            system_id: sys.clone(),
                            ran_at: now,
                            actor: ACTOR.into(),
                            repair,
                            listed: 0,
                            foreign_users: 0,
                            orphans: 0,
                            missing: 0,
                            wrong: 0,
                            held: String::new(),
                            queued: 0,
                            error: Some(m.clone()),
                        };
                        store::provisioning_runs::save(c, &run)?;
                        let e = AuditEvent::new(ACTOR, "provisioning.reconcile_failed", format!("system:{sys}"))
                            .with_outcome(Outcome::Failure)
                            .with_details(json!({ "error": m, "repair": repair }));
                        store::audit::append(c, now, vec![e])?;
                        Ok(())
                    })
                })
                .await?;
                Ran::Failed(msg)
            }
        };
        let (sys, holder) = (system.clone(), node.to_string());
        app.db(move |c| Ok(store::leases::release(c, &job(&sys), &holder)?)).await?;
        out.push((system, ran));
    }
    Ok(out)
}
