//! Provisioning to business systems (R-LC-01, R-LC-03, R-LC-08): every change of an account or its
//! grants that a system with `[systems.provisioning]` must hear about is queued in its outbox, in
//! the same transaction as the change ([`track`]); `serve` pushes the queue per system, one node at
//! a time ([`deliver`]) through a SCIM 2.0 client ([`scim`]).
//!
//! Who is provisioned: the holders of a grant of the system, only while they hold it, and only
//! while the system is approved in the register: a system whose approval is withdrawn (retired) has
//! every account tobira made there deactivated and, after the retention, deleted (R-LC-08).

pub mod deliver;
pub mod files;
pub mod groups;
pub mod oauth;
pub mod ops;
pub mod reconcile;
pub mod round;
pub mod scheduled;
pub mod scim;
pub mod scim_error;

/// The status of a queued item that stopped (retried only by hand, after the cause is fixed).
pub use crate::store::provisioning::STOPPED;
use crate::store::{self, DbConnection, StoreError};
use serde_json::json;
use tobira_domain::audit::AuditEvent;
use tobira_domain::policy::provisioning::Provisioning;
use tobira_domain::policy::{ApprovalStatus, Policy, System};
use tobira_domain::provisioning::{decide, removable_due_by};
use tobira_domain::provisioning_sweep::{sweep, Mark, Sweep};

/// `sync_state` name prefix of each system's [`Mark`]: up to when its time-bound changes were queued.
const TRACKED: &str = "provisioning.tracked.";

/// The provisioning of `system`; refused (404) when the policy gives it none.
pub fn settings_of<'a>(policy: &'a Policy, system: &str) -> Result<&'a Provisioning, crate::app::AppError> {
    policy.systems.iter().find(|s| s.id.get_ref() == system).and_then(|s| s.provisioning.as_ref()).ok_or_else(|| {
        crate::app::AppError::not_found(
            "system_not_provisioned",
            format!("システム `{system}` にはポリシーの [systems.provisioning] がありません"),
            format!("system `{system}` has no [systems.provisioning] in the policy"),
        )
    })
}

/// The systems the policy provisions, with the roles that make someone a holder (none when the
/// system is not approved: nobody is provisioned there).
pub fn systems(policy: &Policy) -> Vec<(&System, &Provisioning, Vec<String>)> {
    policy
        .systems
        .iter()
        .filter_map(|s| {
            let p = s.provisioning.as_ref()?;
            let roles = if s.approval.status == ApprovalStatus::Approved {
                policy
                    .roles
                    .iter()
                    .filter(|r| r.system.get_ref() == s.id.get_ref())
                    .map(|r| r.id.get_ref().clone())
                    .collect()
            } else {
                Vec::new()
            };
            Some((s, p, roles))
        })
        .collect()
}

/// Queues what `account_ids`' current state gives at every provisioned system; returns the audit
/// events of what was queued. Call inside the transaction that made the change.
pub fn track(
    c: &mut DbConnection,
    policy: &Policy,
    account_ids: &[String],
    actor: &str,
    now: i64,
) -> Result<Vec<AuditEvent>, StoreError> {
    let mut events = Vec::new();
    for (s, p, roles) in systems(policy) {
        track_system(c, s.id.get_ref(), p, &roles, account_ids, actor, now, &mut events)?;
    }
    Ok(events)
}

#[allow(clippy::too_many_arguments)]
fn track_system(
    c: &mut DbConnection,
    system: &str,
    p: &Provisioning,
    roles: &[String],
    account_ids: &[String],
    actor: &str,
    now: i64,
    events: &mut Vec<AuditEvent>,
) -> Result<(), StoreError> {
    for id in account_ids {
        let holder = store::provisioning::holder(c, id, roles, now)?;
        let link = store::provisioning::link(c, system, id)?;
        let Some(change) = decide(link.as_ref().map(|l| &l.0), holder.as_ref(), p, now) else { continue };
        if let Some(item) = store::provisioning::record(c, system, id, &change, now)? {
            let login = holder.as_ref().map_or(id.as_str(), |h| h.login_id.as_str());
            events.push(AuditEvent::new(actor, "provisioning.queued", format!("account:{login}")).with_details(
                json!({ "system": system, "event": item.event, "why": item.why, "seq": item.seq, "item": item.id }),
            ));
        }
    }
    Ok(())
}

/// [`track`] for the accounts of the people with these employee numbers (the HR sync's steps).
pub fn track_people(
    c: &mut DbConnection,
    policy: &Policy,
    employee_numbers: &[String],
    actor: &str,
    now: i64,
) -> Result<Vec<AuditEvent>, StoreError> {
    if systems(policy).is_empty() || employee_numbers.is_empty() {
        return Ok(Vec::new());
    }
    let ids = store::provisioning::accounts_of_people(c, employee_numbers)?;
    track(c, policy, &ids, actor, now)
}

/// Re-evaluates the accounts a system may have to hear about because time passed (grants that
/// began or ran out, retention that ended), or everyone when [`sweep`] says so (the first round
/// under this policy, a system retired from the register, a day since the last full round). Call
/// in the delivery round's transaction; returns the audit events of what was queued.
pub fn track_due(
    c: &mut DbConnection,
    policy: &Policy,
    system: &str,
    actor: &str,
    now: i64,
) -> Result<Vec<AuditEvent>, StoreError> {
    let mut events = Vec::new();
    let name = format!("{TRACKED}{system}");
    let stored = store::sync_runs::state(c, &name)?.and_then(|m| Mark::parse(&m));
    let (due, mark) = sweep(stored.as_ref(), &policy.digest, now);
    for (s, p, roles) in systems(policy).into_iter().filter(|(s, _, _)| s.id.get_ref() == system) {
        let ids = match due {
            Sweep::Everyone => store::provisioning::accounts_to_track(c, system, &roles, now)?,
            Sweep::Since(since) => store::provisioning::accounts_due(
                c,
                system,
                &roles,
                since,
                now,
                removable_due_by(p.delete_after_days, now),
            )?,
        };
        track_system(c, s.id.get_ref(), p, &roles, &ids, actor, now, &mut events)?;
    }
    store::sync_runs::set_state(c, &name, &mark.encode(), now)?;
    Ok(events)
}
