//! Signing-key rotation (`tobira keys rotate`) and keeping every node's key ring in step with the
//! stored keys. A rotation adds a new key of each algorithm and retires the old ones: they sign no
//! more but stay published until the longest-lived token they signed has expired.

use crate::app::keys::stored;
use crate::app::{App, AppError};
use crate::crypto::jwt::KeyRing;
use crate::crypto::master_key::MasterKey;
use crate::crypto::signing::Alg;
use crate::store::{self, DbConnection};
use serde_json::json;
use tobira_domain::audit::AuditEvent;
use tobira_domain::policy::Policy;

/// How long a retired key stays published: the longest token lifetime plus five minutes of clock skew.
pub fn publish_after_retire_ms(policy: &Policy) -> i64 {
    (i64::from(policy.longest_token_minutes()) + 5) * 60_000
}

/// Generates a new key per algorithm and retires the current ones, with audit events; returns the
/// new kids.
pub fn rotate(conn: &mut DbConnection, master: &MasterKey, actor: &str, now: i64) -> Result<Vec<String>, AppError> {
    store::write_tx(conn, |c| {
        let mut events = Vec::new();
        let mut kids = Vec::new();
        for old in store::keys::all(c)?.into_iter().filter(|k| k.retired_at.is_none()) {
            store::keys::retire(c, &old.kid, now)?;
            events.push(
                AuditEvent::new(actor, "key.retired", format!("key:{}", old.kid))
                    .with_details(json!({ "alg": old.alg })),
            );
        }
        for alg in Alg::ALL {
            let (row, mut event) = crate::app::keys::generate(c, master, alg, actor, now)?;
            event.details["rotation"] = json!(true);
            events.push(event);
            kids.push(row.kid);
        }
        store::audit::append(c, now, events)?;
        Ok(kids)
    })
}

/// Loads the ring from the database.
pub fn load(conn: &mut DbConnection, policy: &Policy, master: &MasterKey, now: i64) -> Result<KeyRing, AppError> {
    Ok(KeyRing::load(&stored(store::keys::all(conn)?), master, now, publish_after_retire_ms(policy))?)
}

/// Reloads the running ring (after a rotation made by another process or node).
pub async fn reload(app: &App) -> Result<(), AppError> {
    let app2 = app.clone();
    app.db(move |c| {
        let keys = stored(store::keys::all(c)?);
        app2.keys.reload(&keys, &app2.master_key, app2.clock.now_ms(), publish_after_retire_ms(&app2.policy))?;
        Ok(())
    })
    .await
}
