//! Passwords: sign-in with one (R-AU-01), changing it against the policy's rules and history
//! (R-AU-05, R-AU-07), and the forced change of temporary or expired ones (R-AU-06).
//!
//! Invariant: argon2 runs on blocking threads; an unknown login ID, a locked account and one that
//! may not sign in cost one verify and are answered like a wrong password, so neither the answer
//! nor its timing tells who exists or is locked (R-AU-19).

use super::attempts;
use super::session::{self, Current};
use super::{target, Origin, SigninError};
use crate::app::{App, AppError};
use crate::crypto::password as pw;
use crate::store::{self, accounts::Account, schema::people, DbConnection};
use diesel::prelude::*;
use serde_json::json;
use std::sync::OnceLock;
use tobira_domain::authn::password::{self as rules, PasswordProblem, PersonalData};
use tobira_domain::authn::{kinds_for, Method, ProvedFactor};
use tobira_domain::policy::Policy;

/// A hash with the policy's cost that no password matches, verified when the login ID is unknown.
fn dummy_hash(policy: &Policy) -> Result<&'static str, AppError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(h) = DUMMY.get() {
        return Ok(h);
    }
    let h = pw::hash("tobira-dummy-password-for-timing", &policy.password.hashing)?;
    Ok(DUMMY.get_or_init(|| h))
}

/// Runs argon2 work on the hashing pool (`app::hashing`).
pub(crate) async fn argon2<T: Send + 'static>(
    app: &App,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    app.argon2.run(f).await
}

async fn verify(app: &App, phc: String, candidate: String) -> Result<bool, AppError> {
    argon2(app, move || pw::verify(&candidate, &phc)).await
}

/// [`verify`] for a sign-in (no session yet): through the bounded queue, so a flood is answered
/// `503` instead of piling up (`signin.hashing_queue_max`, R-AU-19).
async fn verify_signin(app: &App, phc: String, candidate: String) -> Result<bool, AppError> {
    let max = app.policy.signin.hashing_queue_max as usize;
    app.argon2.run_bounded(max, move || pw::verify(&candidate, &phc)).await
}

/// Signs in with login ID and password. Returns the session cookie value.
pub async fn sign_in(app: &App, login_id: &str, password: &str, origin: &Origin) -> Result<String, SigninError> {
    let login = login_id.trim().to_string();
    // One read for the source's throttle delay and the account (a sign-in is a handful of database
    // round trips around one argon2 verify; each one counts at 2 cores).
    let (delay, found) = {
        let (login, ip, rule, now) =
            (login.clone(), origin.ip_text(), app.policy.lockout.per_source.clone(), app.clock.now_ms());
        app.db(move |c| {
            let source = match &ip {
                Some(ip) => store::throttle::source_state(c, ip)?,
                None => Default::default(),
            };
            // An address past its cap of failures is refused outright until its window ends.
            if let Some(retry_after) = source.capped(&rule, now) {
                return Err(AppError::TooMany { retry_after });
            }
            let delay = source.delay_ms(&rule, now);
            let Some(a) = store::accounts::by_login_id(c, &login)? else { return Ok((delay, None)) };
            let hash = store::accounts::password(c, &a.id)?.map(|(h, _)| h);
            Ok((delay, Some((a, hash))))
        })
        .await?
    };
    attempts::wait(delay).await;
    let Some((account, Some(hash))) = found else {
        verify_signin(app, dummy_hash(&app.policy)?.to_string(), password.to_string()).await?;
        attempts::source_failed(app, origin).await?;
        super::record_failure(app, origin, None, "password", "wrong").await?;
        return Err(SigninError::Invalid);
    };
    // A locked, suspended or disabled account is answered exactly as a wrong password, after the
    // same argon2 work: the page is no oracle of which IDs exist or are locked (R-AU-19); the audit
    // log records the truth ("locked", "account_unavailable").
    let claim = match attempts::claim(app, &account, origin, "password").await {
        Ok(c) => c,
        Err(SigninError::Locked { .. }) => {
            verify_signin(app, dummy_hash(&app.policy)?.to_string(), password.to_string()).await?;
            return Err(SigninError::Invalid);
        }
        Err(e) => return Err(e),
    };
    let ok = match verify_signin(app, hash, password.to_string()).await {
        Ok(ok) => ok,
        Err(e) => {
            // Not checked (the queue was full): the attempt gives its place back and counts nothing.
            attempts::release(app, &account, claim).await?;
            return Err(e.into());
        }
    };
    let now = app.clock.now_ms();
    let usable = session::usable(&account, now);
    if !ok || usable.is_err() {
        attempts::settle(app, &account, origin, "password", claim.clone(), ok).await?;
    }
    if !ok {
        return Err(SigninError::Invalid);
    }
    if usable.is_err() {
        super::record_failure(app, origin, Some(&account.login_id), "password", "account_unavailable").await?;
        return Err(SigninError::Invalid);
    }
    let factor = ProvedFactor {
        method: Method::Password,
        credential: None,
        kinds: kinds_for(Method::Password, None, &[]),
        at: now,
    };
    let (policy, origin) = (app.policy.clone(), origin.clone());
    // The success settles the claim in the session's own transaction: one write fewer per sign-in.
    let (token, _) = app
        .db(move |c| {
            store::write_tx(c, |c| {
                attempts::settle_success_in(c, &account.id, &claim, now)?;
                session::create(c, &policy, &account, vec![factor], &origin, now)
            })
        })
        .await?;
    Ok(token)
}

/// Why a new password was refused.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("the current password is wrong")]
    WrongCurrent,
    #[error("the two new passwords differ")]
    Mismatch,
    #[error("the new password breaks the rules")]
    Rules(Vec<PasswordProblem>),
    #[error(transparent)]
    Signin(#[from] SigninError),
}

impl From<AppError> for ChangeError {
    fn from(e: AppError) -> Self {
        ChangeError::Signin(SigninError::App(e))
    }
}

/// What tobira knows about the account's person, for refusing passwords built from it (R-AU-05).
pub fn personal_data(c: &mut DbConnection, account: &Account) -> Result<PersonalData, AppError> {
    let mut data = PersonalData { login_id: account.login_id.clone(), ..Default::default() };
    if let Some(pid) = &account.person_id {
        type Row = (String, String, String, Option<String>, Option<String>, Option<String>);
        let row: Option<Row> = people::table
            .find(pid)
            .select((
                people::employee_number,
                people::name_kanji,
                people::name_kana,
                people::name_romaji,
                people::birth_date,
                people::phone,
            ))
            .first(c)
            .optional()?;
        if let Some((number, kanji, kana, romaji, birth, phone)) = row {
            data.employee_number = Some(number);
            data.names = [Some(kanji), Some(kana), romaji].into_iter().flatten().collect();
            data.birth_date = birth.and_then(|b| tobira_domain::time_util::parse_iso_date(&b));
            data.phones = phone
                .map(|p| p.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
                .unwrap_or_default();
        }
    }
    Ok(data)
}

/// Checks `new` against the rules and the stored hashes of the current and previous passwords
/// (R-AU-05, R-AU-07); hashes it when it passes. Slow (argon2): run it on a blocking thread, not
/// while holding a database connection.
/// `new` checked against the rules, the person's own data and the password history (the current
/// password included), then hashed; or the problems found.
pub(crate) async fn checked_new(
    app: &App,
    account: &Account,
    new: &str,
) -> Result<Result<String, Vec<PasswordProblem>>, AppError> {
    let policy = app.policy.clone();
    let (personal, previous) = {
        let (account, depth) = (account.clone(), i64::from(policy.password.for_account(account.is_privileged).history));
        app.db(move |c| {
            let mut previous = store::accounts::password_history(c, &account.id, depth)?;
            previous.extend(store::accounts::password(c, &account.id)?.map(|(h, _)| h));
            Ok((personal_data(c, &account)?, previous))
        })
        .await?
    };
    let (account, new) = (account.clone(), new.to_string());
    argon2(app, move || checked_hash(&policy, &account, &personal, &previous, &new)).await?
}

pub(crate) fn checked_hash(
    policy: &Policy,
    account: &Account,
    personal: &PersonalData,
    previous: &[String],
    new: &str,
) -> Result<Result<String, Vec<PasswordProblem>>, AppError> {
    let mut problems =
        rules::check(new, policy.password.for_account(account.is_privileged), &policy.password.blocklist, personal);
    if problems.is_empty() && previous.iter().any(|h| pw::verify(new, h)) {
        problems.push(PasswordProblem::Reused);
    }
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    Ok(Ok(pw::hash(new, &policy.password.hashing)?))
}

/// Changes the signed-in person's password: the current one (counted against lockout), the new one
/// twice, the rules and the history. Clears a forced change.
pub async fn change(
    app: &App,
    cur: &Current,
    current: &str,
    new: &str,
    repeat: &str,
    origin: &Origin,
) -> Result<(), ChangeError> {
    if new != repeat {
        return Err(ChangeError::Mismatch);
    }
    let account = cur.account.clone();
    // A vendor's own privileged ID too: its password is a staff member's to set (R-PR-04).
    crate::app::privileged::accounts::vendor_guard(app, cur, &account, "password.change", None, origin).await?;
    let hash = {
        let id = account.id.clone();
        app.db(move |c| Ok(store::accounts::password(c, &id)?.map(|(h, _)| h))).await?
    };
    let claim = attempts::claim(app, &account, origin, "password_change").await?;
    let ok = match hash {
        Some(h) => verify(app, h, current.to_string()).await?,
        None => false,
    };
    attempts::settle(app, &account, origin, "password_change", claim, ok).await?;
    if !ok {
        return Err(ChangeError::WrongCurrent);
    }
    let (policy, now, new, origin, session_id) =
        (app.policy.clone(), app.clock.now_ms(), new.to_string(), origin.clone(), cur.session.id.clone());
    let hash = match checked_new(app, &account, &new).await? {
        Ok(h) => h,
        Err(problems) => return Err(ChangeError::Rules(problems)),
    };
    app.db(move |c| {
        let expires = rules::expires_at(policy.password.for_account(account.is_privileged), now);
        store::write_tx(c, |c| -> Result<(), AppError> {
            store::accounts::set_password(c, &account.id, &hash, false, now, expires)?;
            // Other sessions may have been opened with the old password: they end (R-AU-07).
            let others: Vec<String> = store::sessions::open_of_account(c, &account.id, now)?
                .into_iter()
                .map(|s| s.id)
                .filter(|id| *id != session_id)
                .collect();
            for id in &others {
                store::sessions::revoke(c, id, "password_changed", now)?;
            }
            let e = origin
                .event(account.login_id.clone(), "password.changed", target(&account.login_id))
                .with_details(json!({ "expires_at": expires, "other_sessions_ended": others.len() }));
            store::audit::append(c, now, vec![e])?;
            Ok(())
        })
    })
    .await?;
    Ok(())
}
