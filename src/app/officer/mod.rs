//! What a security officer may do about a person's sign-in (R-AU-12, R-AU-15, R-AU-19, R-AC-03,
//! R-AC-08): see locked accounts and unlock them, reset a password to a temporary one, revoke a
//! credential, end sessions, suspend an account with a reason and reinstate it.
//!
//! Invariants: every action names its officer in the audit log, in the same transaction as the
//! change; a reset, enrolment link, revocation, unlock or reinstatement whose target is an officer,
//! the CISO, an auditor or a privileged ID only records a request until a second person approves
//! ([`four_eyes`]); a reset password is shown once to the officer and stored only as its hash (no one can
//! read a password, R-AU-15); suspension ends every session at once and emits a notification event
//! for the CISO and the person's 情報セキュリティ管理者 (R-AC-03).

pub mod four_eyes;
pub mod remote_access;
mod suspension;

pub(super) use suspension::reinstate_now;
pub use suspension::{reinstate, suspend};

use crate::app::signin::session::{self, Current};
use crate::app::signin::{factors, target, Origin};
use crate::app::{App, AppError};
use crate::crypto::password as pw;
use crate::store::{self, accounts::Account, DbConnection};
use serde_json::json;
use tobira_domain::authn::password as rules;
use tobira_domain::four_eyes::Kind;

/// Length of a reset (temporary) password: 20 characters ≈ 116 bits.
const TEMPORARY_LEN: usize = 20;

fn account(c: &mut DbConnection, login_id: &str) -> Result<Account, AppError> {
    store::accounts::by_login_id(c, login_id)?.ok_or_else(|| AppError::no_account(login_id))
}

/// A locked account as the officer's list shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct LockedAccount {
    pub login_id: String,
    /// Where the lock applies: a policy network, `-` outside every network, `*` everywhere.
    pub scope: String,
    pub failures: u32,
    pub locked_at: Option<i64>,
    /// `None`: until an officer unlocks it.
    pub locked_until: Option<i64>,
}

pub async fn locked(app: &App) -> Result<Vec<LockedAccount>, AppError> {
    let now = app.clock.now_ms();
    app.db(move |c| {
        let mut out = Vec::new();
        for (id, scope, s) in store::throttle::locked_accounts(c, now)? {
            if let Some(a) = store::accounts::by_id(c, &id)? {
                out.push(LockedAccount {
                    login_id: a.login_id,
                    scope,
                    failures: s.failures,
                    locked_at: s.locked_at,
                    locked_until: s.locked_until,
                });
            }
        }
        Ok(out)
    })
    .await
}

/// Runs `f` on the named account in one transaction with the officer's event appended.
pub(super) async fn act<T: Send + 'static>(
    app: &App,
    officer: &Current,
    login_id: &str,
    action: &'static str,
    origin: &Origin,
    f: impl FnOnce(&mut DbConnection, &Account, i64) -> Result<(T, serde_json::Value), AppError> + Send + 'static,
) -> Result<T, AppError> {
    act_as(app, &officer.account.login_id, login_id, action, origin, f).await
}

/// [`act`] on behalf of `actor` (a login: the officer, or the second person who approved).
async fn act_as<T: Send + 'static>(
    app: &App,
    actor: &str,
    login_id: &str,
    action: &'static str,
    origin: &Origin,
    f: impl FnOnce(&mut DbConnection, &Account, i64) -> Result<(T, serde_json::Value), AppError> + Send + 'static,
) -> Result<T, AppError> {
    let (login, actor, origin, now) = (login_id.to_string(), actor.to_string(), origin.clone(), app.clock.now_ms());
    app.db(move |c| {
        store::write_tx(c, |c| {
            let a = account(c, &login)?;
            let (out, details) = f(c, &a, now)?;
            let e = origin.event(actor, action, target(&a.login_id)).with_details(details);
            store::audit::append(c, now, vec![e])?;
            Ok(out)
        })
    })
    .await
}

/// The named account, after the vendor guard: a vendor changes no privileged ID's lock or
/// credentials (R-PR-04).
async fn guarded(app: &App, officer: &Current, login_id: &str, action: &str, origin: &Origin) -> Result<(), AppError> {
    let target = {
        let l = login_id.to_string();
        app.db(move |c| account(c, &l)).await?
    };
    crate::app::privileged::accounts::vendor_guard(app, officer, &target, action, None, origin).await.map(|_| ())
}

/// Unlocks the account; `reason` (may be empty from the API) is recorded with the action.
pub async fn unlock(
    app: &App,
    officer: &Current,
    login_id: &str,
    reason: &str,
    origin: &Origin,
) -> Result<bool, AppError> {
    guarded(app, officer, login_id, "account.unlock", origin).await?;
    four_eyes::gate(app, officer, login_id, Kind::Unlock, json!({ "reason": reason }), origin).await?;
    unlock_now(app, &officer.account.login_id, login_id, reason, origin).await
}

pub(super) async fn unlock_now(
    app: &App,
    actor: &str,
    login_id: &str,
    reason: &str,
    origin: &Origin,
) -> Result<bool, AppError> {
    let reason = reason.to_string();
    act_as(app, actor, login_id, "account.unlocked", origin, move |c, a, now| {
        let scopes = store::throttle::clear_locks(c, &a.id, now)?;
        Ok((!scopes.is_empty(), json!({ "was_locked": !scopes.is_empty(), "scopes": scopes, "reason": reason })))
    })
    .await
}

/// Sets a temporary password (must be changed at next sign-in, R-AU-06), unlocks the account and
/// ends its sessions. Returns the temporary password, to be handed over once.
pub async fn reset_password(
    app: &App,
    officer: &Current,
    login_id: &str,
    supervisor: Option<&crate::app::privileged::accounts::Supervision>,
    reason: &str,
    origin: &Origin,
) -> Result<String, AppError> {
    let target = {
        let l = login_id.to_string();
        app.db(move |c| account(c, &l)).await?
    };
    let supervised =
        crate::app::privileged::accounts::vendor_guard(app, officer, &target, "password.reset", supervisor, origin)
            .await?;
    four_eyes::gate(
        app,
        officer,
        login_id,
        Kind::PasswordReset,
        json!({ "supervised_by": supervised, "reason": reason }),
        origin,
    )
    .await?;
    reset_now(app, &officer.account.login_id, login_id, supervised, reason, origin).await
}

pub(super) async fn reset_now(
    app: &App,
    actor: &str,
    login_id: &str,
    supervised: Option<String>,
    reason: &str,
    origin: &Origin,
) -> Result<String, AppError> {
    let reason = reason.to_string();
    let temporary = pw::temporary(TEMPORARY_LEN)?;
    let hash = pw::hash(&temporary, &app.policy.password.hashing)?;
    let policy = app.policy.clone();
    let (actor, o) = (actor.to_string(), origin.clone());
    act_as(app, &actor.clone(), login_id, "password.reset", origin, move |c, a, now| {
        // A temporary password expires like any other, so an unused one cannot linger.
        let rule = policy.password.for_account(a.is_privileged);
        // A vendor's privileged ID keeps the password staff set: its holder may not change it (R-PR-04).
        let temporary = !(a.is_privileged && a.is_vendor);
        store::accounts::set_password(c, &a.id, &hash, temporary, now, rules::expires_at(rule, now))?;
        store::throttle::clear_locks(c, &a.id, now)?;
        let ended = session::end_sessions(c, a, &actor, "password_reset", None, &o, now)?;
        Ok(((), json!({ "temporary_password": "issued", "must_change_password": temporary, "sessions_ended": ended, "supervised_by": supervised, "reason": reason })))
    })
    .await?;
    Ok(temporary)
}

/// Issues a new enrollment link for the account (R-AU-06): older open links are revoked, the mail
/// is queued when the person has an address, and the URL is returned once for hand-over. The
/// audit event names the link, never its token.
pub async fn enrollment_link(
    app: &App,
    officer: &Current,
    login_id: &str,
    reason: &str,
    origin: &Origin,
) -> Result<crate::app::enrollment::Reissued, AppError> {
    guarded(app, officer, login_id, "enrollment.issue", origin).await?;
    four_eyes::gate(app, officer, login_id, Kind::EnrollmentLink, json!({ "reason": reason }), origin).await?;
    enrollment_link_now(app, &officer.account.login_id, login_id, reason, origin).await
}

pub(super) async fn enrollment_link_now(
    app: &App,
    actor: &str,
    login_id: &str,
    reason: &str,
    origin: &Origin,
) -> Result<crate::app::enrollment::Reissued, AppError> {
    let (master, policy, public_url, actor, reason) = (
        app.master_key.clone(),
        app.policy.clone(),
        app.config.http.public_url.clone(),
        actor.to_string(),
        reason.to_string(),
    );
    act_as(app, &actor.clone(), login_id, "enrollment.issued", origin, move |c, a, now| {
        let (r, mut details) = crate::app::enrollment::reissue_in(c, &master, &policy, &public_url, a, &actor, now)?;
        details["reason"] = json!(reason);
        Ok((r, details))
    })
    .await
}

/// Revokes one credential (a lost card or key, R-AU-12); the sessions that used it end at once.
pub async fn revoke_credential(
    app: &App,
    officer: &Current,
    login_id: &str,
    credential_id: &str,
    reason: &str,
    origin: &Origin,
) -> Result<usize, AppError> {
    guarded(app, officer, login_id, "credential.revoke", origin).await?;
    four_eyes::gate(
        app,
        officer,
        login_id,
        Kind::CredentialRevoke,
        json!({ "credential": credential_id, "reason": reason }),
        origin,
    )
    .await?;
    revoke_now(app, &officer.account.login_id, login_id, credential_id, reason, origin).await
}

pub(super) async fn revoke_now(
    app: &App,
    actor: &str,
    login_id: &str,
    credential_id: &str,
    reason: &str,
    origin: &Origin,
) -> Result<usize, AppError> {
    let (login, cred, reason, actor, origin, now) = (
        login_id.to_string(),
        credential_id.to_string(),
        reason.to_string(),
        actor.to_string(),
        origin.clone(),
        app.clock.now_ms(),
    );
    app.db(move |c| {
        store::write_tx(c, |c| {
            let a = account(c, &login)?;
            factors::revoke(c, &a, &cred, &actor, &reason, true, &origin, now)?.ok_or_else(|| {
                AppError::not_found(
                    "credential_not_found",
                    format!("{login} の認証情報 {cred} が見つかりません"),
                    format!("credential {cred} of {login} not found"),
                )
            })
        })
    })
    .await
}

/// Ends every session of an account (R-AC-08).
pub async fn end_sessions(
    app: &App,
    officer: &Current,
    login_id: &str,
    reason: &str,
    origin: &Origin,
) -> Result<usize, AppError> {
    let (login, reason, actor, origin, now) = (
        login_id.to_string(),
        reason.to_string(),
        officer.account.login_id.clone(),
        origin.clone(),
        app.clock.now_ms(),
    );
    app.db(move |c| {
        store::write_tx(c, |c| {
            let a = account(c, &login)?;
            session::end_sessions(c, &a, &actor, &reason, None, &origin, now)
        })
    })
    .await
}

/// An account's credentials, for the officer's view.
pub async fn credentials(app: &App, login_id: &str) -> Result<Vec<factors::Listed>, AppError> {
    let login = login_id.to_string();
    app.db(move |c| {
        let a = account(c, &login)?;
        factors::list(c, &a.id)
    })
    .await
}
