//! Client secrets as the token endpoint checks them: the stored digest, remembered for a few
//! seconds (`oidc.client_cache_seconds`) so a busy batch client does not cost a database read per
//! request. A new secret works at once (a mismatch reads the database again); a replaced one may
//! keep working on a node for at most that many seconds.

use crate::app::signin::token_digest;
use crate::app::{App, AppError};
use crate::store;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};
use tobira_domain::time_util::constant_time_eq;

#[derive(Default)]
pub struct SecretCache {
    digests: Mutex<HashMap<String, (String, Instant)>>,
}

impl std::fmt::Debug for SecretCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretCache(…)")
    }
}

impl SecretCache {
    fn cached(&self, client_id: &str, ttl: Duration) -> Option<String> {
        // A poisoned cache is still a consistent map (each use is one get, insert or remove).
        let map = self.digests.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(client_id).filter(|(_, at)| at.elapsed() < ttl).map(|(d, _)| d.clone())
    }

    fn put(&self, client_id: &str, digest: Option<String>) {
        let mut map = self.digests.lock().unwrap_or_else(PoisonError::into_inner);
        match digest {
            Some(d) => map.insert(client_id.to_string(), (d, Instant::now())),
            None => map.remove(client_id),
        };
    }
}

/// Whether `secret` is the client's current secret.
pub async fn check(app: &App, client_id: &str, secret: &str) -> Result<bool, AppError> {
    let presented = token_digest(secret);
    let ttl = Duration::from_secs(app.config.oidc.client_cache_seconds);
    if let Some(d) = app.secrets.cached(client_id, ttl) {
        if constant_time_eq(d.as_bytes(), presented.as_bytes()) {
            return Ok(true);
        }
    }
    let cid = client_id.to_string();
    let stored = app.db(move |c| Ok(store::oidc::secret_digest(c, &cid)?)).await?;
    let ok = stored.as_deref().is_some_and(|d| constant_time_eq(d.as_bytes(), presented.as_bytes()));
    if !ttl.is_zero() {
        app.secrets.put(client_id, stored);
    }
    Ok(ok)
}
