//! Second factors of a signed-in person: proving one (step two of a sign-in, or a step-up), enrolling
//! TOTP and security keys/passkeys, listing and removing them. Removing a credential ends every
//! session that used it (R-AU-12).
//!
//! Invariants: ceremony state lives server-side in `auth_challenges`, bound to the account and
//! answerable once; TOTP secrets are stored sealed under the master key; a TOTP step is accepted once.

use super::session::{self, Current};
use super::{attempts, new_token, target, token_digest, Origin, SigninError};
use crate::app::{App, AppError};
use crate::crypto::{totp, webauthn as wa};
use crate::store::{self, credentials, DbConnection};
use serde_json::json;
use tobira_domain::audit::AuditEvent;
use tobira_domain::authn::{kinds_for, Method, ProvedFactor};
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, Uuid,
};

mod manage;

pub use manage::{list, listed, remove_own, revoke, Listed};

pub(crate) const TOTP_PURPOSE: &str = "totp-secret";

/// Stores ceremony state for the policy's `challenge_seconds`; returns the handle the browser holds.
pub(crate) async fn put_challenge(
    app: &App,
    account_id: Option<String>,
    kind: &'static str,
    state: String,
) -> Result<String, AppError> {
    put_challenge_for(app, account_id, kind, state, app.policy.signin.challenge_seconds).await
}

/// [`put_challenge`] for `seconds`.
pub(crate) async fn put_challenge_for(
    app: &App,
    account_id: Option<String>,
    kind: &'static str,
    state: String,
    seconds: u32,
) -> Result<String, AppError> {
    let (handle, id) = new_token()?;
    let now = app.clock.now_ms();
    let exp = now + i64::from(seconds) * 1_000;
    app.db(move |c| Ok(store::throttle::put_challenge(c, &id, account_id.as_deref(), kind, &state, now, exp)?)).await?;
    Ok(handle)
}

/// Takes the state of a ceremony; `Expired` when unknown, used, timed out, or of another account.
pub(crate) async fn take_challenge(
    app: &App,
    handle: &str,
    kind: &'static str,
    account_id: Option<&str>,
) -> Result<String, SigninError> {
    let (id, now) = (token_digest(handle), app.clock.now_ms());
    let found =
        app.db(move |c| store::write_tx(c, |c| Ok(store::throttle::take_challenge(c, &id, kind, now)?))).await?;
    match found {
        Some((owner, state)) if owner.as_deref() == account_id => Ok(state),
        _ => Err(SigninError::Expired),
    }
}

/// Adds `factor` to the session and records it.
async fn prove(app: &App, cur: &Current, factor: ProvedFactor, event: AuditEvent) -> Result<(), AppError> {
    let (cur, now) = (cur.clone(), app.clock.now_ms());
    app.db(move |c| {
        store::write_tx(c, |c| -> Result<(), AppError> {
            session::add_factor(c, &cur, factor, now)?;
            store::audit::append(c, now, vec![event])?;
            Ok(())
        })
    })
    .await
}

/// Step two or step-up with a TOTP code: counted against lockout like a password guess.
/// Checks `code` against the account's TOTP credentials under its lockout (a claim before the
/// check, R-AU-11) and uses up the code's time step; the credential that matched.
pub async fn check_totp(
    app: &App,
    account: &store::accounts::Account,
    code: &str,
    origin: &Origin,
) -> Result<Option<String>, SigninError> {
    let claim = attempts::claim(app, account, origin, "totp").await?;
    let (id, key, skew, unix) = (
        account.id.clone(),
        app.master_key.clone(),
        app.policy.signin.totp_skew_steps,
        (app.clock.now_ms() / 1000).max(0) as u64,
    );
    let code = code.to_string();
    let matched = app
        .db(move |c| {
            for t in credentials::totps_of(c, &id)? {
                let secret = key.open(TOTP_PURPOSE, &t.secret_encrypted)?;
                if let Some(step) = totp::check(&secret, &code, unix, skew)? {
                    // A replayed code (its step already used) is refused like a wrong one.
                    return Ok(credentials::use_totp_step(c, &t.id, step as i64)?.then_some(t.id));
                }
            }
            Ok(None)
        })
        .await?;
    attempts::settle(app, account, origin, "totp", claim, matched.is_some()).await?;
    Ok(matched)
}

pub async fn verify_totp(app: &App, cur: &Current, code: &str, origin: &Origin) -> Result<(), SigninError> {
    let account = cur.account.clone();
    let matched = check_totp(app, &account, code, origin).await?;
    let Some(cred) = matched else { return Err(SigninError::FactorRefused) };
    let now = app.clock.now_ms();
    let factor = ProvedFactor {
        method: Method::Totp,
        credential: Some(cred.clone()),
        kinds: kinds_for(Method::Totp, None, &[]),
        at: now,
    };
    let event = session::account_event(origin, &account.login_id, "auth.step_up", &account)
        .with_details(json!({ "method": "totp", "credential": cred }));
    prove(app, cur, factor, event).await?;
    Ok(())
}

/// A TOTP enrolment in progress: what the page shows.
pub struct TotpEnrolment {
    pub handle: String,
    pub url: String,
    pub secret_base32: String,
    pub qr_svg: String,
}

pub async fn start_totp(app: &App, cur: &Current) -> Result<TotpEnrolment, AppError> {
    let secret = totp::new_secret()?;
    let issuer = app.policy.municipality.name.clone();
    let url = totp::otpauth_url(&secret, &cur.account.login_id, &issuer)?;
    let sealed = app.master_key.seal(TOTP_PURPOSE, &secret)?;
    let handle = put_challenge(app, Some(cur.account.id.clone()), "totp_enrol", sealed).await?;
    Ok(TotpEnrolment { handle, qr_svg: totp::qr_svg(&url)?, secret_base32: totp::secret_base32(&secret), url })
}

/// Finishes a TOTP enrolment with a code from the new device; the code proves possession, so the
/// session gains that kind.
pub async fn finish_totp(
    app: &App,
    cur: &Current,
    handle: &str,
    code: &str,
    name: &str,
    origin: &Origin,
) -> Result<(), SigninError> {
    let sealed = take_challenge(app, handle, "totp_enrol", Some(&cur.account.id)).await?;
    let secret = app.master_key.open(TOTP_PURPOSE, &sealed).map_err(AppError::from)?;
    let now = app.clock.now_ms();
    let step = totp::check(&secret, code, (now / 1000).max(0) as u64, app.policy.signin.totp_skew_steps)
        .map_err(AppError::from)?
        .ok_or(SigninError::FactorRefused)?;
    let row = credentials::Totp {
        id: store::new_id(),
        account_id: cur.account.id.clone(),
        name: clean_name(name, "TOTP"),
        secret_encrypted: sealed,
        created_at: now,
        last_used_step: Some(step as i64),
    };
    let factor = ProvedFactor {
        method: Method::Totp,
        credential: Some(row.id.clone()),
        kinds: kinds_for(Method::Totp, None, &[]),
        at: now,
    };
    let event = session::account_event(origin, &cur.account.login_id, "credential.added", &cur.account)
        .with_details(json!({ "type": "totp", "credential": row.id, "name": row.name }));
    let (cur2, ev) = (cur.clone(), event);
    app.db(move |c| {
        store::write_tx(c, |c| -> Result<(), AppError> {
            credentials::insert_totp(c, &row)?;
            session::add_factor(c, &cur2, factor, now)?;
            store::audit::append(c, now, vec![ev])?;
            Ok(())
        })
    })
    .await?;
    Ok(())
}

fn clean_name(name: &str, default: &str) -> String {
    let n: String = name.chars().filter(|c| !c.is_control()).take(60).collect::<String>().trim().to_string();
    if n.is_empty() {
        default.to_string()
    } else {
        n
    }
}

fn user_handle(account_id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(account_id).map_err(|_| {
        AppError::invalid("account_id_malformed", "アカウントIDが UUID ではありません", "account id is not a UUID")
    })
}

fn passkeys(c: &mut DbConnection, account_id: &str) -> Result<Vec<(credentials::Webauthn, Passkey)>, AppError> {
    Ok(credentials::webauthns_of(c, account_id)?
        .into_iter()
        .filter_map(|w| serde_json::from_str::<Passkey>(&w.credential_json).ok().map(|p| (w, p)))
        .collect())
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, AppError> {
    Ok(serde_json::to_string(v)?)
}

/// Options for registering a new security key or passkey.
pub async fn start_key_registration(app: &App, cur: &Current) -> Result<(String, serde_json::Value), AppError> {
    let (id, login) = (cur.account.id.clone(), cur.account.login_id.clone());
    let existing = {
        let id = id.clone();
        app.db(move |c| Ok(passkeys(c, &id)?.into_iter().map(|(_, p)| p.cred_id().clone()).collect::<Vec<_>>())).await?
    };
    let display = cur.account.login_id.clone();
    let (options, state) = wa::start_registration(
        &app.webauthn,
        user_handle(&id)?,
        &login,
        &display,
        existing,
        app.attestation_roots.is_some(),
    )?;
    let handle = put_challenge(app, Some(id), "webauthn_register", to_json(&state)?).await?;
    Ok((handle, serde_json::to_value(options)?))
}

/// Registers the key; refused when the policy allows only listed models (AAGUID) and this is not one.
pub async fn finish_key_registration(
    app: &App,
    cur: &Current,
    handle: &str,
    answer: &RegisterPublicKeyCredential,
    name: &str,
    origin: &Origin,
) -> Result<(), SigninError> {
    let state: PasskeyRegistration =
        serde_json::from_str(&take_challenge(app, handle, "webauthn_register", Some(&cur.account.id)).await?)
            .map_err(|_| SigninError::Expired)?;
    let reg = wa::finish_registration(&app.webauthn, answer, &state, app.attestation_roots.as_ref().as_ref())
        .map_err(|_| SigninError::FactorRefused)?;
    let attested_aaguid = reg.aaguid.as_deref().filter(|_| reg.attested);
    let allowed = &app.policy.signin.allowed_aaguids;
    if !allowed.is_empty() && !attested_aaguid.is_some_and(|a| allowed.iter().any(|x| x.eq_ignore_ascii_case(a))) {
        super::record_failure(app, origin, Some(&cur.account.login_id), "webauthn_register", "model_not_allowed")
            .await?;
        return Err(SigninError::FactorRefused);
    }
    let now = app.clock.now_ms();
    let row = credentials::Webauthn {
        id: store::new_id(),
        account_id: cur.account.id.clone(),
        name: clean_name(name, "セキュリティキー"),
        credential_json: to_json(&reg.passkey)?,
        aaguid: reg.aaguid.clone(),
        created_at: now,
        last_used_at: Some(now),
        credential_id: Some(reg.credential_id.clone()),
        attested: reg.attested,
    };
    let kinds = kinds_for(Method::Webauthn, row.attested_aaguid(), &app.policy.signin.biometric_aaguids);
    let factor =
        ProvedFactor { method: Method::Webauthn, credential: Some(row.id.clone()), kinds: kinds.clone(), at: now };
    let ev = session::account_event(origin, &cur.account.login_id, "credential.added", &cur.account)
        .with_details(json!({ "type": "webauthn", "credential": row.id, "name": row.name, "aaguid": reg.aaguid, "attested": reg.attested, "kinds": kinds }));
    let cur2 = cur.clone();
    app.db(move |c| {
        store::write_tx(c, |c| -> Result<(), AppError> {
            if credentials::webauthn_by_credential_id(c, &reg.credential_id)?.is_some() {
                return Err(AppError::conflict(
                    "key_already_registered",
                    "このキーは既に登録されています",
                    "this key is already registered",
                ));
            }
            credentials::insert_webauthn(c, &row)?;
            session::add_factor(c, &cur2, factor, now)?;
            store::audit::append(c, now, vec![ev])?;
            Ok(())
        })
    })
    .await?;
    Ok(())
}

/// Options for a step-up with one of the person's keys.
pub async fn start_key_stepup(app: &App, cur: &Current) -> Result<(String, serde_json::Value), SigninError> {
    let id = cur.account.id.clone();
    let keys: Vec<Passkey> = {
        let id = id.clone();
        app.db(move |c| Ok(passkeys(c, &id)?.into_iter().map(|(_, p)| p).collect())).await?
    };
    if keys.is_empty() {
        return Err(SigninError::FactorRefused);
    }
    let (options, state) = wa::start_stepup(&app.webauthn, &keys)?;
    let handle = put_challenge(app, Some(id), "webauthn_stepup", to_json(&state)?).await?;
    Ok((handle, serde_json::to_value(options).map_err(AppError::from)?))
}

pub async fn finish_key_stepup(
    app: &App,
    cur: &Current,
    handle: &str,
    answer: &PublicKeyCredential,
    origin: &Origin,
) -> Result<(), SigninError> {
    let state: PasskeyAuthentication =
        serde_json::from_str(&take_challenge(app, handle, "webauthn_stepup", Some(&cur.account.id)).await?)
            .map_err(|_| SigninError::Expired)?;
    let result = match wa::finish_stepup(&app.webauthn, answer, &state) {
        Ok(r) if r.user_verified() => r,
        _ => {
            record_factor_failure(app, cur, origin, "webauthn").await?;
            return Err(SigninError::FactorRefused);
        }
    };
    let cred_id = wa::credential_id_text(result.cred_id());
    let (id, now, bio) = (cur.account.id.clone(), app.clock.now_ms(), app.policy.signin.biometric_aaguids.clone());
    let used = app
        .db(move |c| {
            let Some(row) = credentials::webauthn_by_credential_id(c, &cred_id)?.filter(|w| w.account_id == id) else {
                return Ok(None);
            };
            let mut key: Passkey = serde_json::from_str(&row.credential_json)?;
            key.update_credential(&result);
            credentials::webauthn_used(c, &row.id, &to_json(&key)?, now)?;
            Ok(Some(row))
        })
        .await?;
    let Some(row) = used else { return Err(SigninError::FactorRefused) };
    let kinds = kinds_for(Method::Webauthn, row.attested_aaguid(), &bio);
    let factor = ProvedFactor { method: Method::Webauthn, credential: Some(row.id.clone()), kinds, at: now };
    let ev = session::account_event(origin, &cur.account.login_id, "auth.step_up", &cur.account)
        .with_details(json!({ "method": "webauthn", "credential": row.id }));
    prove(app, cur, factor, ev).await?;
    Ok(())
}

async fn record_factor_failure(app: &App, cur: &Current, origin: &Origin, method: &str) -> Result<(), AppError> {
    app.audit
        .record(
            origin
                .event(cur.account.login_id.clone(), "auth.factor_failed", target(&cur.account.login_id))
                .with_outcome(tobira_domain::audit::Outcome::Failure)
                .with_details(json!({ "method": method })),
        )
        .await?;
    Ok(())
}
