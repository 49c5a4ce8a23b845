//! A person's credentials as the pages and the officer API list them, and removing one together with
//! the sessions that used it (R-AU-12).

use crate::app::signin::{session::Current, target, Origin};
use crate::app::{App, AppError};
use crate::store::{self, credentials, DbConnection};
use serde_json::json;
use tobira_domain::authn::ProvedFactor;

/// A credential as the pages and the officer API list it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = ListedCredential)]
pub struct Listed {
    pub id: String,
    /// `totp` or `webauthn`.
    #[schema(value_type = String)]
    pub kind: &'static str,
    pub name: String,
    pub aaguid: Option<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

pub fn list(c: &mut DbConnection, account_id: &str) -> Result<Vec<Listed>, AppError> {
    let mut out: Vec<Listed> = credentials::totps_of(c, account_id)?
        .into_iter()
        .map(|t| Listed {
            id: t.id,
            kind: "totp",
            name: t.name,
            aaguid: None,
            created_at: t.created_at,
            last_used_at: t.last_used_step.map(|s| s * 30_000),
        })
        .collect();
    out.extend(credentials::webauthns_of(c, account_id)?.into_iter().map(|w| Listed {
        id: w.id,
        kind: "webauthn",
        name: w.name,
        aaguid: w.aaguid,
        created_at: w.created_at,
        last_used_at: w.last_used_at,
    }));
    Ok(out)
}

/// The factors of account `account_id`, for its owner's pages.
pub async fn listed(app: &App, account_id: String) -> Result<Vec<Listed>, AppError> {
    app.db(move |c| list(c, &account_id)).await
}

/// The signed-in owner removes one of their own credentials (and the sessions that used it), in one
/// transaction. Returns how many sessions ended, or `None` when they have no such credential.
pub async fn remove_own(
    app: &App,
    cur: &Current,
    credential_id: String,
    origin: Origin,
) -> Result<Option<usize>, AppError> {
    let (account, now) = (cur.account.clone(), app.clock.now_ms());
    app.db(move |c| {
        store::write_tx(c, |c| {
            revoke(c, &account, &credential_id, &account.login_id, "removed_by_owner", true, &origin, now)
        })
    })
    .await
}

/// Removes a credential of `account` (by its owner or an officer) and, with `end_sessions`, ends
/// every session that used it, at once (R-AU-12; a card handed back in person needs no more than the
/// removal). Call inside `write_tx`. Returns how many sessions ended, or `None` when the account has
/// no such credential.
#[allow(clippy::too_many_arguments)]
pub fn revoke(
    c: &mut DbConnection,
    account: &store::accounts::Account,
    credential_id: &str,
    actor: &str,
    reason: &str,
    end_sessions: bool,
    origin: &Origin,
    now: i64,
) -> Result<Option<usize>, AppError> {
    let removed = match credentials::delete_totp(c, &account.id, credential_id)? {
        Some(t) => Some(("totp", t.name)),
        None => credentials::delete_webauthn(c, &account.id, credential_id)?.map(|w| ("webauthn", w.name)),
    };
    let Some((kind, name)) = removed else { return Ok(None) };
    let mut ended = Vec::new();
    let open = if end_sessions { store::sessions::open_of_account(c, &account.id, now)? } else { Vec::new() };
    for s in open {
        let factors: Vec<ProvedFactor> = serde_json::from_str(&s.factors).unwrap_or_default();
        if factors.iter().any(|f| f.credential.as_deref() == Some(credential_id))
            && store::sessions::revoke(c, &s.id, "credential_revoked", now)?
        {
            ended.push(s.id[..16].to_string());
        }
    }
    let e = origin.event(actor, "credential.revoked", target(&account.login_id)).with_details(
        json!({ "type": kind, "credential": credential_id, "name": name, "reason": reason, "sessions_ended": ended }),
    );
    store::audit::append(c, now, vec![e])?;
    Ok(Some(ended.len()))
}
