//! The OpenID Connect provider's use cases: authorization, one file per grant, userinfo,
//! introspection, revocation, logout, client secrets and signing-key rotation.
//!
//! Invariants: every issuance and every refusal is audited, and no token leaves before its audit
//! record is committed (issuances that change state commit it in their own transaction; the others
//! through the group-commit appender); a client is known only from the policy and proves itself
//! with the digest of its generated secret; errors carry the specifications' codes and never
//! internal text.

pub mod assertion;
pub mod authorize;
pub mod backchannel;
pub mod client_credentials;
pub mod code;
pub mod introspect;
pub mod issue;
pub mod keys;
pub mod logout;
pub mod refresh;
pub mod revoke;
pub mod secrets;
pub mod standing;
pub mod token;
pub mod userinfo;

use super::signin::{new_token, Origin};
use super::{App, AppError};
use crate::store;
use serde_json::json;
use sha2::{Digest, Sha256};
use tobira_domain::audit::{AuditEvent, Outcome};
use tobira_domain::authn::{access, session as limits};
use tobira_domain::oidc::{ErrorCode, OAuthError};
use tobira_domain::policy::{Client, ClientAuth, Policy};
use tobira_domain::rbac::AccountStatus;

/// A refusal in the specification's terms, or a failure of tobira itself.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error(transparent)]
    OAuth(#[from] OAuthError),
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<diesel::result::Error> for OidcError {
    fn from(e: diesel::result::Error) -> Self {
        OidcError::App(e.into())
    }
}

impl From<crate::store::StoreError> for OidcError {
    fn from(e: crate::store::StoreError) -> Self {
        OidcError::App(e.into())
    }
}

impl From<crate::crypto::CryptoError> for OidcError {
    fn from(e: crate::crypto::CryptoError) -> Self {
        OidcError::App(e.into())
    }
}

pub fn err(code: ErrorCode, description: impl Into<String>) -> OidcError {
    OidcError::OAuth(OAuthError::new(code, description))
}

/// The issuer: the public URL without a trailing slash.
pub fn issuer(app: &App) -> String {
    app.config.http.public_url.trim_end_matches('/').to_string()
}

/// The `sid` relying parties see for a session: derived from the session id, which itself is the
/// digest of the cookie, so it can be given out.
pub fn public_sid(session_id: &str) -> String {
    hex::encode(&Sha256::digest(format!("tobira-sid:{session_id}").as_bytes())[..16])
}

/// What a client presented to prove who it is.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub client_id: Option<String>,
    pub secret: Option<String>,
    /// A signed client assertion (`private_key_jwt`).
    pub assertion: Option<String>,
    /// The method the credentials came by.
    pub method: Option<ClientAuth>,
}

/// Authenticates a client at the token, introspection or revocation endpoint: a known client of an
/// approved system, by its registered method, with the secret whose digest is stored, from a
/// network it may call from. Refusals are audited.
pub async fn authenticate<'p>(app: &'p App, creds: &Credentials, origin: &Origin) -> Result<&'p Client, OidcError> {
    let refuse = |why: &str| err(ErrorCode::InvalidClient, why);
    let Some(id) = creds.client_id.as_deref() else { return Err(refuse("client authentication is required")) };
    let Some(client) = app.policy.client(id) else {
        audit_refusal(
            app,
            origin,
            "client:(unknown)",
            "client.auth_failed",
            ErrorCode::InvalidClient,
            "unknown client",
        )
        .await?;
        return Err(refuse("client authentication failed"));
    };
    let fail = |why: &'static str| async move {
        audit_refusal(app, origin, &format!("client:{id}"), "client.auth_failed", ErrorCode::InvalidClient, why)
            .await?;
        Err::<&Client, OidcError>(refuse("client authentication failed"))
    };
    if creds.method != Some(client.auth_method) {
        return fail("wrong authentication method").await;
    }
    let cid = id.to_string();
    if client.auth_method == ClientAuth::PrivateKeyJwt {
        let now = app.clock.now_ms();
        let checked =
            creds.assertion.as_deref().ok_or("no assertion").and_then(|a| assertion::verify(app, client, a, now));
        let (jti, exp) = match checked {
            Ok(v) => v,
            Err(why) => return fail(why).await,
        };
        if !app.db(move |c| Ok(store::write_tx(c, |c| store::oidc::use_assertion(c, &jti, &cid, exp, now))?)).await? {
            return fail("the assertion was used before (replay)").await;
        }
    } else {
        let Some(secret) = creds.secret.as_deref() else { return fail("no secret").await };
        if !secrets::check(app, &cid, secret).await? {
            return fail("wrong secret").await;
        }
    }
    if !client.networks.is_empty() {
        let net = origin.ip.and_then(|ip| access::network_of(&app.policy, ip)).map(|n| n.id.get_ref().as_str());
        if !client.networks.iter().any(|n| Some(n.get_ref().as_str()) == net) {
            return fail("calls from a network the client may not use").await;
        }
    }
    Ok(client)
}

/// Whether the client's system may connect now (R-AC-10).
pub fn system_approved(app: &App, client: &Client) -> bool {
    app.policy
        .system(client.system.get_ref())
        .is_some_and(|s| s.approval.status == tobira_domain::policy::ApprovalStatus::Approved)
}

/// Refuses a grant for a client whose system's approval has been withdrawn since the tokens or the
/// code were issued (R-AC-10): a code or refresh token outlives no approval. (The token endpoint
/// audits the refusal, as every other.)
pub fn unapproved_refused(app: &App, client: &Client) -> Result<(), OidcError> {
    if system_approved(app, client) {
        return Ok(());
    }
    Err(err(ErrorCode::UnauthorizedClient, "the client's system is not approved to connect (R-AC-10)"))
}

/// Records a refusal through the group-commit appender.
pub async fn audit_refusal(
    app: &App,
    origin: &Origin,
    target: &str,
    action: &str,
    code: ErrorCode,
    why: &str,
) -> Result<(), AppError> {
    app.audit
        .record(
            origin
                .event("oidc", action, target)
                .with_outcome(Outcome::Denied)
                .with_details(json!({ "error": code.as_str(), "reason": why })),
        )
        .await?;
    Ok(())
}

/// An event about a token for `client`.
pub fn token_event(origin: &Origin, client: &Client, action: &str, details: serde_json::Value) -> AuditEvent {
    origin
        .event(format!("client:{}", client.id.get_ref()), action, format!("client:{}", client.id.get_ref()))
        .with_details(details)
}

/// Why a person's tokens stop: the account cannot sign in now, or its session ended — revoked, past
/// its absolute end, or idle (R-AU-11, R-PR-07). This is the one place that decides it, for the code
/// exchange, refresh, introspection and userinfo alike.
///
/// Idle, for a session a relying party keeps using: a refresh (or code exchange) counts as activity
/// only while the session is still within its idle window; once the window has passed the session is
/// dead and nothing revives it — the caller ends it ([`end_timed_out`]), which the back-channel
/// logout then reports to the systems.
pub fn person_standing(policy: &Policy, s: &store::oidc::Standing, now: i64) -> Result<(), &'static str> {
    if s.family_revoked.is_some() {
        return Err("revoked");
    }
    if s.family_expires_at <= now {
        return Err("expired");
    }
    if AccountStatus::parse(&s.account_status) != Some(AccountStatus::Active)
        || s.account_expires_at.is_some_and(|e| e <= now)
    {
        return Err("account_unavailable");
    }
    if s.locked(now) {
        return Err("account_locked");
    }
    if s.session_revoked.is_some() || s.session_expires_at <= now {
        return Err("session_ended");
    }
    let rule = limits::rule(&policy.session, s.session_privileged);
    limits::check(rule, s.session_created_at, s.session_last_seen_at, now).map_err(limits::Expiry::as_str)
}

/// Whether a refusal of [`person_standing`] is a time-out, which the caller records by ending the session.
pub fn is_time_out(why: &str) -> bool {
    why == limits::Expiry::Idle.as_str() || why == limits::Expiry::Absolute.as_str()
}

/// Ends a session found past its idle or absolute limit (call inside `write_tx`), so its families
/// are reported by the back-channel logout and its browser cookie opens nothing. False when it had
/// ended already.
pub fn end_timed_out(
    c: &mut store::DbConnection,
    session_id: &str,
    account_id: &str,
    reason: &str,
    origin: &Origin,
    now: i64,
) -> Result<bool, AppError> {
    if !store::sessions::revoke(c, session_id, reason, now)? {
        return Ok(false);
    }
    let login = store::accounts::by_id(c, account_id)?.map_or_else(|| account_id.to_string(), |a| a.login_id);
    let short = &session_id[..16.min(session_id.len())];
    let e = origin
        .event("system", "auth.session_ended", super::signin::target(&login))
        .with_details(json!({ "session": short, "reason": reason }));
    store::audit::append(c, now, vec![e])?;
    Ok(true)
}

/// Generates a new secret for a client of the policy (high-entropy, shown once), stores its digest
/// and records who did it. The previous secret stops working at once.
pub fn new_client_secret(
    conn: &mut store::DbConnection,
    policy: &tobira_domain::policy::Policy,
    client_id: &str,
    actor: &str,
    now: i64,
) -> Result<String, AppError> {
    let client = policy.client(client_id).ok_or_else(|| {
        AppError::not_found(
            "client_not_in_policy",
            format!("クライアント `{client_id}` はポリシーにありません"),
            format!("client `{client_id}` is not in the policy"),
        )
    })?;
    if client.auth_method == ClientAuth::PrivateKeyJwt {
        return Err(AppError::invalid(
            "client_has_no_secret",
            format!("クライアント `{client_id}` は自身の鍵で認証するため（private_key_jwt）、シークレットはありません"),
            format!("client `{client_id}` authenticates with its own key (private_key_jwt) and has no secret"),
        ));
    }
    let (secret, digest) = new_token()?;
    store::write_tx(conn, |c| {
        store::oidc::set_secret(c, client_id, &digest, actor, now)?;
        let e = AuditEvent::new(actor, "client.secret_generated", format!("client:{client_id}"))
            .with_details(json!({ "system": client.system.get_ref() }));
        store::audit::append(c, now, vec![e])?;
        Ok::<_, AppError>(())
    })?;
    Ok(secret)
}
