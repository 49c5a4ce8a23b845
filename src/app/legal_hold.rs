//! Legal hold of audit records and their retention deletion (R-LG-06, R-LG-01): the CISO holds a
//! time range and the people or systems concerned; `tobira audit prune` (or the page's owner, the
//! operator) deletes records older than `audit.retention_days`, but only a prefix of the chain and
//! never into an active hold's range; the CSIRT gets an export of a hold (see [`super::hold_export`]).
//!
//! Invariants: only the holder of the policy's CISO role creates, releases, lists or exports holds
//! (a refusal is audited); pruning verifies the prefix it deletes first and refuses a broken one
//! (evidence is never destroyed unverified); the deletion, the anchor it leaves (last deleted
//! record's sequence number and hash) and the `audit.pruned` record that seals the same pair commit
//! together, so `tobira audit verify` walks the remaining chain from an attested anchor.

use super::signin::Origin;
use super::{App, AppError};
/// The record of a legal hold.
pub use crate::store::audit_holds::Hold;
use crate::store::{self, audit_holds::Anchor, DbConnection};
use serde_json::json;
use tobira_domain::audit::{AuditEvent, Outcome};
use tobira_domain::audit_hold::{self as rules, NewHold};
use tobira_domain::policy::{OfficerFunction, Policy};

/// Who acts: a signed-in person (page) or a login named on the command line by the operator.
#[derive(Debug, Clone)]
pub struct Actor {
    pub login: String,
    /// `operator:NAME` when the command line acts.
    pub operator: Option<String>,
}

/// Whether `login` holds the policy's CISO role now.
pub fn is_ciso(c: &mut DbConnection, policy: &Policy, login: &str, now: i64) -> Result<bool, AppError> {
    let Some(role) = policy.officer_role(OfficerFunction::Ciso) else { return Ok(false) };
    let Some(a) = store::accounts::by_login_id(c, login)? else { return Ok(false) };
    if crate::app::signin::session::usable(&a, now).is_err() {
        return Ok(false);
    }
    Ok(store::accounts::grants_in_force(c, &a.id, now)?.iter().any(|g| g.role_id == role))
}

fn event(actor: &Actor, origin: &Origin, action: &str, target: &str, details: serde_json::Value) -> AuditEvent {
    let mut d = details;
    if let (Some(op), Some(obj)) = (&actor.operator, d.as_object_mut()) {
        obj.insert("operator".into(), json!(op));
    }
    origin.event(actor.login.clone(), action, target).with_details(d)
}

/// Refuses (and audits the refusal of) anyone but the CISO.
pub fn require_ciso(
    c: &mut DbConnection,
    policy: &Policy,
    actor: &Actor,
    action: &str,
    origin: &Origin,
    now: i64,
) -> Result<(), AppError> {
    if is_ciso(c, policy, &actor.login, now)? {
        return Ok(());
    }
    let e = event(actor, origin, action, "audit_holds", json!({ "refused": "not the CISO" }))
        .with_outcome(Outcome::Failure);
    crate::app::audit_log::record_alone(c, now, e)?;
    Err(AppError::refused("ciso_only", "CISOのみが行えます（R-LG-06）", "only the CISO may do this (R-LG-06)"))
}

/// The CISO holds the records of a range and of the people or systems concerned.
pub fn create(
    c: &mut DbConnection,
    policy: &Policy,
    actor: &Actor,
    h: NewHold,
    origin: &Origin,
    now: i64,
) -> Result<Hold, AppError> {
    require_ciso(c, policy, actor, "audit.hold_created", origin, now)?;
    rules::check(&h).map_err(|(ja, en)| AppError::invalid("invalid_hold", ja, en))?;
    let hold = Hold {
        id: store::new_id(),
        case_number: h.case_number.trim().to_string(),
        reason: h.reason.trim().to_string(),
        from_at: h.from_at,
        until_at: h.until_at,
        subjects: serde_json::to_string(&h.subjects)?,
        created_by: actor.login.clone(),
        created_at: now,
        released_by: None,
        released_at: None,
        release_reason: None,
    };
    let e = event(
        actor,
        origin,
        "audit.hold_created",
        &format!("audit_hold:{}", hold.id),
        json!({ "case_number": hold.case_number, "reason": hold.reason, "from_at": hold.from_at, "until_at": hold.until_at, "subjects": h.subjects }),
    );
    store::write_tx(c, |c| -> Result<(), AppError> {
        store::audit_holds::insert(c, &hold)?;
        store::audit::append(c, now, vec![e])?;
        Ok(())
    })?;
    Ok(hold)
}

/// The CISO releases a hold, with a reason; its records become subject to retention again.
pub fn release(
    c: &mut DbConnection,
    policy: &Policy,
    actor: &Actor,
    id: &str,
    reason: &str,
    origin: &Origin,
    now: i64,
) -> Result<(), AppError> {
    require_ciso(c, policy, actor, "audit.hold_released", origin, now)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::invalid(
            "no_reason",
            "解除の理由を入力してください",
            "a reason for the release is required",
        ));
    }
    let e = event(actor, origin, "audit.hold_released", &format!("audit_hold:{id}"), json!({ "reason": reason }));
    store::write_tx(c, |c| -> Result<(), AppError> {
        if !store::audit_holds::release(c, id, &actor.login, reason, now)? {
            return Err(AppError::not_found(
                "hold_not_found",
                format!("有効な保全 {id} が見つかりません"),
                format!("active hold {id} not found"),
            ));
        }
        store::audit::append(c, now, vec![e])?;
        Ok(())
    })
}

/// Every hold, newest first (the CISO only).
pub fn list(
    c: &mut DbConnection,
    policy: &Policy,
    actor: &Actor,
    origin: &Origin,
    now: i64,
) -> Result<Vec<Hold>, AppError> {
    require_ciso(c, policy, actor, "audit.holds_read", origin, now)?;
    let holds = store::audit_holds::all(c, 1_000)?;
    let e = event(actor, origin, "audit.holds_read", "audit_holds", json!({ "holds": holds.len() }));
    crate::app::audit_log::record_alone(c, now, e)?;
    Ok(holds)
}

/// What a pruning did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Pruned {
    pub deleted: usize,
    /// The new anchor (last deleted record), if anything was deleted.
    pub through_seq: Option<i64>,
    /// The retention cut before holds were considered.
    pub retention_through: i64,
    /// Active holds that stopped the pruning earlier.
    pub held_by: Vec<String>,
}

/// Deletes the records older than `audit.retention_days`, up to the first record of any active
/// hold's range; `dry_run` only says what it would do. `by` is who runs it (`operator:NAME`).
pub fn prune(c: &mut DbConnection, policy: &Policy, by: &str, dry_run: bool, now: i64) -> Result<Pruned, AppError> {
    let cutoff = now - i64::from(policy.audit.retention_days) * 86_400_000;
    let retention_through = store::audit_holds::last_seq_before(c, cutoff)?;
    let mut hold_cuts = Vec::new();
    let mut held_by = Vec::new();
    for h in store::audit_holds::active(c)? {
        let cut = store::audit_holds::last_seq_before(c, h.from_at)?;
        if cut < retention_through {
            held_by.push(h.id.clone());
        }
        hold_cuts.push(cut);
    }
    let through = rules::prune_through(retention_through, &hold_cuts);
    let anchor = store::audit_holds::latest_anchor(c)?;
    let from = anchor.as_ref().map_or(0, |a| a.seq);
    if through <= from {
        return Ok(Pruned { deleted: 0, through_seq: None, retention_through, held_by });
    }
    // Never destroy a prefix that does not verify: it may be the evidence of the tampering.
    let v = store::audit::verify_from(c, anchor.as_ref().map(Anchor::head), 1_000, through)?;
    if let Some(b) = v.first_break {
        return Err(AppError::refused(
            "chain_broken",
            format!("監査記録の連鎖が壊れているため削除しません（{b}）"),
            format!("the chain is broken ({b}); nothing pruned"),
        ));
    }
    if dry_run {
        return Ok(Pruned {
            deleted: usize::try_from(through - from).unwrap_or(0),
            through_seq: Some(through),
            retention_through,
            held_by,
        });
    }
    let deleted = store::write_tx(c, |c| -> Result<usize, AppError> {
        let hash = store::audit_holds::hash_of(c, through)?.ok_or_else(|| {
            AppError::conflict(
                "record_vanished",
                format!("削除の途中で記録 #{through} がなくなりました"),
                format!("record #{through} vanished during the pruning"),
            )
        })?;
        let deleted = store::audit_holds::prune_through(
            c,
            &Anchor { seq: through, hash: hash.clone(), pruned_at: now, pruned: 0, pruned_by: by.to_string() },
        )?;
        let e = AuditEvent::new(by, "audit.pruned", "audit_events").with_details(json!({
            "through_seq": through, "through_hash": hash, "deleted": deleted, "retention_days": policy.audit.retention_days, "held_by": held_by,
        }));
        store::audit::append(c, now, vec![e])?;
        Ok(deleted)
    })?;
    Ok(Pruned { deleted, through_seq: Some(through), retention_through, held_by })
}

/// The lease of the scheduled pruning, and who it runs as in the audit log.
pub const PRUNE_JOB: &str = "audit-prune";
pub const PRUNE_ACTOR: &str = "system:audit-prune-schedule";

/// One scheduled pruning (`audit.prune_every_hours`): [`prune`] as `tobira audit prune` runs it, by
/// [`PRUNE_ACTOR`]; `Ok(None)` when another node holds this period's lease.
pub async fn prune_scheduled(app: &App, node: &str) -> Result<Option<Pruned>, AppError> {
    let period_ms = i64::from(app.policy.audit.prune_every_hours) * 3_600_000;
    let (policy, node, now) = (app.policy.clone(), node.to_string(), app.clock.now_ms());
    app.db(move |c| {
        // The lease outlives the period a little, so two nodes do not both run in one period.
        if !store::write_tx(c, |c| store::leases::try_acquire(c, PRUNE_JOB, &node, now, period_ms + 60_000))? {
            return Ok(None);
        }
        prune(c, &policy, PRUNE_ACTOR, false, now).map(Some)
    })
    .await
}

/// Whether the anchor the chain starts from is sealed by an `audit.pruned` record in the chain.
pub fn anchor_attested(c: &mut DbConnection, anchor: &Anchor) -> Result<bool, AppError> {
    let pruned = store::audit::by_action(c, "audit.pruned", 1_000)?;
    Ok(pruned.iter().any(|r| {
        r.seq > anchor.seq
            && r.event.details["through_seq"].as_i64() == Some(anchor.seq)
            && r.event.details["through_hash"].as_str() == Some(anchor.hash.as_str())
    }))
}

/// Holds as the console pages use them: each call is one transaction on the pool, by `actor`.
pub struct Holds<'a>(pub &'a App, pub Actor, pub Origin);

impl Holds<'_> {
    /// Every hold, for the CISO (audited).
    pub async fn list(&self) -> Result<Vec<Hold>, AppError> {
        let (policy, who, origin, now) = (self.0.policy.clone(), self.1.clone(), self.2.clone(), self.0.clock.now_ms());
        self.0.db(move |c| list(c, &policy, &who, &origin, now)).await
    }

    /// Marks a time range and its people or systems as held.
    pub async fn create(&self, h: NewHold) -> Result<Hold, AppError> {
        let (policy, who, origin, now) = (self.0.policy.clone(), self.1.clone(), self.2.clone(), self.0.clock.now_ms());
        self.0.db(move |c| create(c, &policy, &who, h, &origin, now)).await
    }

    /// Releases hold `id` for `reason`.
    pub async fn release(&self, id: String, reason: String) -> Result<(), AppError> {
        let (policy, who, origin, now) = (self.0.policy.clone(), self.1.clone(), self.2.clone(), self.0.clock.now_ms());
        self.0.db(move |c| release(c, &policy, &who, &id, &reason, &origin, now)).await
    }
}
