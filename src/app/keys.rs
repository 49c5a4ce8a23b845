//! Signing keys exist from the first start on and are never regenerated on restart: when a key of an
//! algorithm is missing it is generated and stored (sealed under the master key) with an audit event;
//! stored keys are checked to open under the configured master key, so a node started with the wrong
//! master key refuses to start instead of signing with keys nobody trusts.

use super::AppError;
use crate::crypto::jwt::StoredKey;
use crate::crypto::master_key::MasterKey;
use crate::crypto::signing::{self, Alg};
use crate::crypto::CryptoError;
use crate::store::{self, keys::KeyRow, DbConnection};
use serde_json::json;
use tobira_domain::audit::{AuditEvent, AuditRecord};

/// Ensures one unretired key per algorithm; returns the keys and the audit records written.
pub fn ensure(
    conn: &mut DbConnection,
    master: &MasterKey,
    now: i64,
) -> Result<(Vec<KeyRow>, Vec<AuditRecord>), AppError> {
    store::write_tx(conn, |c| {
        let mut keys = store::keys::all(c)?;
        for k in keys.iter().filter(|k| k.retired_at.is_none()) {
            let alg = Alg::parse(&k.alg).ok_or_else(|| {
                AppError::invalid(
                    "unknown_key_algorithm",
                    format!("保存された鍵 {} のアルゴリズム {} は不明です", k.kid, k.alg),
                    format!("stored key {} has unknown algorithm {}", k.kid, k.alg),
                )
            })?;
            signing::check_stored(alg, &k.kid, &k.private_key_encrypted, &k.public_key, master).map_err(|e| match e {
                CryptoError::Open { .. } => AppError::invalid("key_not_openable",
                    format!("署名鍵 {} を設定されたマスター鍵で開けません。すべてのノードで、鍵を作成したときのマスター鍵を使ってください", k.kid),
                    format!("signing key {} cannot be opened with the configured master key; every node must use the master key the keys were created with", k.kid),
                ),
                other => AppError::Crypto(other),
            })?;
        }
        let mut events = Vec::new();
        for alg in Alg::ALL {
            if keys.iter().any(|k| k.alg == alg.as_str() && k.retired_at.is_none()) {
                continue;
            }
            let (row, event) = generate(c, master, alg, "system:keys", now)?;
            events.push(event);
            keys.push(row);
        }
        let records = store::audit::append(c, now, events)?;
        Ok((keys, records))
    })
}

/// Generates a key of `alg` sealed under `master` and stores it; the key and its audit event
/// (`key.generated`, by `actor`).
pub(crate) fn generate(
    c: &mut DbConnection,
    master: &MasterKey,
    alg: Alg,
    actor: &str,
    now: i64,
) -> Result<(KeyRow, AuditEvent), AppError> {
    let new = signing::generate(alg, master)?;
    let row = KeyRow {
        kid: new.kid,
        alg: alg.as_str().into(),
        private_key_encrypted: new.private_sealed,
        public_key: new.public_b64,
        created_at: now,
        retired_at: None,
    };
    store::keys::insert(c, &row)?;
    let event =
        AuditEvent::new(actor, "key.generated", format!("key:{}", row.kid)).with_details(json!({ "alg": row.alg }));
    Ok((row, event))
}

/// The stored keys as the key ring takes them.
pub(crate) fn stored(rows: Vec<KeyRow>) -> Vec<StoredKey> {
    rows.into_iter()
        .map(|r| StoredKey {
            kid: r.kid,
            alg: r.alg,
            private_sealed: r.private_key_encrypted,
            public_b64: r.public_key,
            created_at: r.created_at,
            retired_at: r.retired_at,
        })
        .collect()
}
