//! Brings the stored register of business systems and roles in line with the policy (R-ZN-07), with
//! an audit event for every system or role registered, changed or withdrawn.

use super::AppError;
use crate::store::registry::{self as reg, RoleRow, SystemRow};
use crate::store::DbConnection;
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use tobira_domain::audit::AuditEvent;
use tobira_domain::policy::Policy;

const ACTOR: &str = "system:policy";

/// The names of the fields that differ between two rows, ignoring `ignore`.
fn changed_fields<T: Serialize>(old: &T, new: &T, ignore: &[&str]) -> Vec<String> {
    let (serde_json::Value::Object(a), serde_json::Value::Object(b)) = (json!(old), json!(new)) else {
        return Vec::new();
    };
    b.iter().filter(|(k, v)| !ignore.contains(&k.as_str()) && a.get(*k) != Some(*v)).map(|(k, _)| k.clone()).collect()
}

/// A register row kind: how it is named in audit events and written.
trait Registered: Serialize + Clone {
    const KIND: &'static str;
    fn id(&self) -> &str;
    /// The row's `in_policy` flag and `updated_at`.
    fn policy_state(&mut self) -> (&mut bool, &mut i64);
    /// Marks the row as no longer in the policy; false when it already was withdrawn.
    fn withdraw(&mut self, now: i64) -> bool {
        let (in_policy, updated_at) = self.policy_state();
        if !*in_policy {
            return false;
        }
        *in_policy = false;
        *updated_at = now;
        true
    }
    fn insert(&self, conn: &mut DbConnection) -> Result<(), AppError>;
    fn update(&self, conn: &mut DbConnection) -> Result<(), AppError>;
    /// What a "registered" event says about the row.
    fn summary(&self) -> serde_json::Value;
}

impl Registered for SystemRow {
    const KIND: &'static str = "system";
    fn id(&self) -> &str {
        &self.id
    }
    fn policy_state(&mut self) -> (&mut bool, &mut i64) {
        (&mut self.in_policy, &mut self.updated_at)
    }
    fn insert(&self, conn: &mut DbConnection) -> Result<(), AppError> {
        Ok(reg::insert_system(conn, self)?)
    }
    fn update(&self, conn: &mut DbConnection) -> Result<(), AppError> {
        Ok(reg::update_system(conn, self)?)
    }
    fn summary(&self) -> serde_json::Value {
        json!({ "zone": self.zone, "classification": self.classification, "owner": self.owner_title, "approval": self.approval_status })
    }
}

impl Registered for RoleRow {
    const KIND: &'static str = "role";
    fn id(&self) -> &str {
        &self.id
    }
    fn policy_state(&mut self) -> (&mut bool, &mut i64) {
        (&mut self.in_policy, &mut self.updated_at)
    }
    fn insert(&self, conn: &mut DbConnection) -> Result<(), AppError> {
        Ok(reg::insert_role(conn, self)?)
    }
    fn update(&self, conn: &mut DbConnection) -> Result<(), AppError> {
        Ok(reg::update_role(conn, self)?)
    }
    fn summary(&self) -> serde_json::Value {
        json!({ "system": self.system_id, "privileged": self.privileged })
    }
}

/// Inserts new rows, updates changed ones and withdraws the ones the policy no longer has (never
/// deleting them); one audit event each.
fn apply<T: Registered>(
    conn: &mut DbConnection,
    existing: Vec<T>,
    wanted: Vec<T>,
    now: i64,
    events: &mut Vec<AuditEvent>,
) -> Result<(), AppError> {
    let kind = T::KIND;
    let mut old: BTreeMap<String, T> = existing.into_iter().map(|r| (r.id().to_string(), r)).collect();
    for w in wanted {
        let target = format!("{kind}:{}", w.id());
        match old.remove(w.id()) {
            None => {
                w.insert(conn)?;
                events.push(AuditEvent::new(ACTOR, format!("{kind}.registered"), target).with_details(w.summary()));
            }
            Some(o) => {
                let fields = changed_fields(&o, &w, &["updated_at"]);
                if !fields.is_empty() {
                    w.update(conn)?;
                    events.push(
                        AuditEvent::new(ACTOR, format!("{kind}.changed"), target)
                            .with_details(json!({ "fields": fields })),
                    );
                }
            }
        }
    }
    for mut gone in old.into_values() {
        if gone.withdraw(now) {
            gone.update(conn)?;
            events.push(AuditEvent::new(ACTOR, format!("{kind}.withdrawn"), format!("{kind}:{}", gone.id())));
        }
    }
    Ok(())
}

pub fn sync(conn: &mut DbConnection, policy: &Policy, now: i64) -> Result<Vec<AuditEvent>, AppError> {
    let (want_systems, want_roles) = reg::rows_from_policy(policy, now);
    let current = reg::systems(conn)?;
    // Client registration columns belong to the token service, not the policy: keep what is stored.
    let stored: BTreeMap<&str, &SystemRow> = current.iter().map(|s| (s.id.as_str(), s)).collect();
    let want_systems: Vec<SystemRow> = want_systems
        .into_iter()
        .map(|mut s| {
            if let Some(c) = stored.get(s.id.as_str()) {
                s.client_secret_digest = c.client_secret_digest.clone();
                s.redirect_uris = c.redirect_uris.clone();
            }
            s
        })
        .collect();
    let mut events = Vec::new();
    apply(conn, current, want_systems, now, &mut events)?;
    let current_roles = reg::roles(conn)?;
    apply(conn, current_roles, want_roles, now, &mut events)?;
    Ok(events)
}
