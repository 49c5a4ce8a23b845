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
    let (serde_json::Value::Object(a), serde_json::Value::Object(b)) = (json!(old), json!(new)) else { return Vec::new() };
    b.iter().filter(|(k, v)| !ignore.contains(&k.as_str()) && a.get(*k) != Some(*v)).map(|(k, _)| k.clone()).collect()
}

/// What to do with one row kind: insert new ones, update changed ones, withdraw missing ones.
fn plan<T: Serialize + Clone>(existing: Vec<T>, wanted: Vec<T>, id: fn(&T) -> &str, ignore: &[&str]) -> (Vec<T>, Vec<(T, Vec<String>)>, Vec<T>) {
    let mut old: BTreeMap<String, T> = existing.into_iter().map(|r| (id(&r).to_string(), r)).collect();
    let (mut inserts, mut updates) = (Vec::new(), Vec::new());
    for w in wanted {
        match old.remove(id(&w)) {
            None => inserts.push(w),
            Some(o) => {
                let fields = changed_fields(&o, &w, ignore);
                if !fields.is_empty() {
                    updates.push((w, fields));
                }
            }
        }
    }
    (inserts, updates, old.into_values().collect())
}

pub fn sync(conn: &mut DbConnection, policy: &Policy, now: i64) -> Result<Vec<AuditEvent>, AppError> {
    let (want_systems, want_roles) = reg::rows_from_policy(policy, now);
    let mut events = Vec::new();
    let current: BTreeMap<String, SystemRow> = reg::systems(conn)?.into_iter().map(|s| (s.id.clone(), s)).collect();
    // Client registration columns belong to the token service, not the policy: keep what is stored.
    let want_systems: Vec<SystemRow> = want_systems
        .into_iter()
        .map(|mut s| {
            if let Some(c) = current.get(&s.id) {
                s.client_secret_digest = c.client_secret_digest.clone();
                s.redirect_uris = c.redirect_uris.clone();
            }
            s
        })
        .collect();
    let (ins, upd, gone) = plan(current.into_values().collect(), want_systems, |s: &SystemRow| &s.id, &["updated_at"]);
    for s in ins {
        reg::insert_system(conn, &s)?;
        events.push(AuditEvent::new(ACTOR, "system.registered", format!("system:{}", s.id)).with_details(json!({ "zone": s.zone, "classification": s.classification, "owner": s.owner_title, "approval": s.approval_status })));
    }
    for (s, fields) in upd {
        reg::update_system(conn, &s)?;
        events.push(AuditEvent::new(ACTOR, "system.changed", format!("system:{}", s.id)).with_details(json!({ "fields": fields })));
    }
    for mut s in gone.into_iter().filter(|s| s.in_policy) {
        s.in_policy = false;
        s.updated_at = now;
        reg::update_system(conn, &s)?;
        events.push(AuditEvent::new(ACTOR, "system.withdrawn", format!("system:{}", s.id)));
    }

    let (ins, upd, gone) = plan(reg::roles(conn)?, want_roles, |r: &RoleRow| &r.id, &["updated_at"]);
    for r in ins {
        reg::insert_role(conn, &r)?;
        events.push(AuditEvent::new(ACTOR, "role.registered", format!("role:{}", r.id)).with_details(json!({ "system": r.system_id, "privileged": r.privileged })));
    }
    for (r, fields) in upd {
        reg::update_role(conn, &r)?;
        events.push(AuditEvent::new(ACTOR, "role.changed", format!("role:{}", r.id)).with_details(json!({ "fields": fields })));
    }
    for mut r in gone.into_iter().filter(|r| r.in_policy) {
        r.in_policy = false;
        r.updated_at = now;
        reg::update_role(conn, &r)?;
        events.push(AuditEvent::new(ACTOR, "role.withdrawn", format!("role:{}", r.id)));
    }
    Ok(events)
}
