//! Sign-in with a passkey or security key alone: the key proves possession, and its user
//! verification a second kind (R-AU-02), so one ceremony can meet a two-kind requirement.
//!
//! Invariant: the browser learns nothing about which accounts exist: the options name no account,
//! and every refusal looks the same (a suspended or locked account too). A password lock does not
//! refuse a key with user verification unless `lockout.webauthn_ignores_password_lock = false`.

use super::factors::{put_challenge, take_challenge};
use super::session;
use super::{Origin, SigninError};
use crate::app::{App, AppError};
use crate::crypto::webauthn as wa;
use crate::store::{self, credentials};
use tobira_domain::authn::{kinds_for, Method, ProvedFactor};
use webauthn_rs::prelude::{DiscoverableAuthentication, Passkey, PublicKeyCredential};

/// Options for a discoverable sign-in and the handle of its server-side state.
pub async fn start(app: &App) -> Result<(String, serde_json::Value), AppError> {
    let (options, state) = wa::start_signin(&app.webauthn)?;
    let state = serde_json::to_string(&state)?;
    let handle = put_challenge(app, None, "webauthn_signin", state).await?;
    Ok((handle, serde_json::to_value(options)?))
}

/// Checks the browser's answer and opens a session. Returns the session cookie value.
pub async fn finish(
    app: &App,
    handle: &str,
    answer: &PublicKeyCredential,
    origin: &Origin,
) -> Result<String, SigninError> {
    super::attempts::throttle(app, origin).await?;
    let state: DiscoverableAuthentication =
        serde_json::from_str(&take_challenge(app, handle, "webauthn_signin", None).await?)
            .map_err(|_| SigninError::Expired)?;
    let refused = |app: &App, origin: &Origin| {
        let (app, origin) = (app.clone(), origin.clone());
        async move {
            super::attempts::source_failed(&app, &origin).await?;
            super::record_failure(&app, &origin, None, "webauthn", "refused").await?;
            Ok::<SigninError, SigninError>(SigninError::FactorRefused)
        }
    };
    let Ok((user, cred_id)) = wa::identify(&app.webauthn, answer) else { return Err(refused(app, origin).await?) };
    let found = app
        .db(move |c| {
            let Some(row) = credentials::webauthn_by_credential_id(c, &cred_id)? else { return Ok(None) };
            if row.account_id != user.to_string() {
                return Ok(None);
            }
            let account = store::accounts::by_id(c, &row.account_id)?;
            Ok(account.map(|a| (row, a)))
        })
        .await?;
    let Some((row, account)) = found else { return Err(refused(app, origin).await?) };
    let key: Passkey = serde_json::from_str(&row.credential_json).map_err(AppError::from)?;
    let result = match wa::finish_signin(&app.webauthn, answer, state, &key) {
        Ok(r) if r.user_verified() => r,
        _ => {
            super::record_failure(app, origin, Some(&account.login_id), "webauthn", "refused").await?;
            return Err(SigninError::FactorRefused);
        }
    };
    let now = app.clock.now_ms();
    if session::usable(&account, now).is_err() {
        super::record_failure(app, origin, Some(&account.login_id), "webauthn", "account_unavailable").await?;
        return Err(SigninError::FactorRefused);
    }
    // A password lock stops what was guessed; a key with user verification is not that, unless the
    // policy says otherwise (`lockout.webauthn_ignores_password_lock`).
    if !app.policy.lockout.webauthn_ignores_password_lock {
        let (id, scope) = (account.id.clone(), super::attempts::scope(&app.policy, origin));
        let locked = app
            .db(move |c| {
                Ok(store::throttle::global_lock(c, &id, now)?.is_some()
                    || store::throttle::locked_in(c, &id, &scope, now)?)
            })
            .await?;
        if locked {
            super::record_failure(app, origin, Some(&account.login_id), "webauthn", "locked").await?;
            return Err(SigninError::FactorRefused);
        }
    }
    let mut key = key;
    key.update_credential(&result);
    let key_json = serde_json::to_string(&key).map_err(AppError::from)?;
    let kinds = kinds_for(Method::Webauthn, row.attested_aaguid(), &app.policy.signin.biometric_aaguids);
    let factor = ProvedFactor { method: Method::Webauthn, credential: Some(row.id.clone()), kinds, at: now };
    let (policy, origin) = (app.policy.clone(), origin.clone());
    let (token, _) = app
        .db(move |c| {
            store::write_tx(c, |c| {
                credentials::webauthn_used(c, &row.id, &key_json, now)?;
                session::create(c, &policy, &account, vec![factor], &origin, now)
            })
        })
        .await?;
    Ok(token)
}
