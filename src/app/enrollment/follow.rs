//! Following an enrollment link: the page for an open link, and setting the person's own password
//! with the link used in the same transaction; every closed link gets the same refusal.

use crate::app::signin::password::checked_new;
use crate::app::signin::{session, target, token_digest, Origin};
use crate::app::{App, AppError};
use crate::store::enrollment::EnrollmentLink;
use crate::store::{self, accounts::Account, DbConnection};
use serde_json::json;
use tobira_domain::audit::Outcome;
use tobira_domain::authn::enrollment as rules;
use tobira_domain::authn::password::{self as pw_rules, PasswordProblem};

/// Why following a link did not set a password.
#[derive(Debug, thiserror::Error)]
pub enum EnrollError {
    /// Unknown, used, revoked or expired, or the account cannot sign in: one answer for all.
    #[error("the enrollment link cannot be used")]
    Closed,
    #[error("the two new passwords differ")]
    Mismatch,
    #[error("the new password breaks the rules")]
    Rules(Vec<PasswordProblem>),
    #[error(transparent)]
    App(#[from] AppError),
}

/// Why a found link was refused (for the audit log), or why there is no link.
enum Lookup {
    Open(EnrollmentLink, Account),
    Refused(Option<(EnrollmentLink, Account, &'static str)>),
}

fn lookup(c: &mut DbConnection, token: &str, now: i64) -> Result<Lookup, AppError> {
    let Some(link) = store::enrollment::by_token_hash(c, &token_digest(token))? else {
        return Ok(Lookup::Refused(None));
    };
    let Some(account) = store::accounts::by_id(c, &link.account_id)? else { return Ok(Lookup::Refused(None)) };
    if let Err(closed) = rules::standing(link.expires_at, link.used_at, link.revoked_at, now) {
        return Ok(Lookup::Refused(Some((link, account, closed.code()))));
    }
    if session::usable(&account, now).is_err() {
        return Ok(Lookup::Refused(Some((link, account, "account_unavailable"))));
    }
    Ok(Lookup::Open(link, account))
}

/// What the page shows for an open link.
#[derive(Debug, Clone)]
pub struct Opened {
    pub login_id: String,
    pub expires_at: i64,
    pub min_length: u32,
    pub max_length: u32,
}

/// The account an open link is for (the GET of the page); [`EnrollError::Closed`] otherwise.
pub async fn open(app: &App, token: &str) -> Result<Opened, EnrollError> {
    let (token, now, policy) = (token.to_string(), app.clock.now_ms(), app.policy.clone());
    match app.db(move |c| lookup(c, &token, now)).await? {
        Lookup::Open(link, account) => {
            let rule = policy.password.for_account(account.is_privileged);
            Ok(Opened {
                login_id: account.login_id,
                expires_at: link.expires_at,
                min_length: *rule.min_length.get_ref(),
                max_length: *rule.max_length.get_ref(),
            })
        }
        Lookup::Refused(_) => Err(EnrollError::Closed),
    }
}

async fn refused(
    app: &App,
    origin: &Origin,
    link: &EnrollmentLink,
    account: &Account,
    why: &str,
) -> Result<(), AppError> {
    let e = origin
        .event(account.login_id.clone(), "enrollment.refused", target(&account.login_id))
        .with_outcome(Outcome::Denied)
        .with_details(json!({ "link": link.id, "reason": why }));
    app.audit.record(e).await.map(|_| ())
}

/// Follows a link: the new password twice, the rules (with the personal-data checks of a change,
/// R-AU-05) and the history; then, in one transaction, the link is used, the password set (chosen
/// by the person, so not temporary), other open links revoked, any sessions ended, the lock
/// cleared, and `enrollment.completed` written. A weak password leaves the link usable.
pub async fn complete(app: &App, token: &str, new: &str, repeat: &str, origin: &Origin) -> Result<String, EnrollError> {
    let (tok, now) = (token.to_string(), app.clock.now_ms());
    let (link, account) = match app.db(move |c| lookup(c, &tok, now)).await? {
        Lookup::Open(l, a) => (l, a),
        Lookup::Refused(found) => {
            if let Some((link, account, why)) = found {
                refused(app, origin, &link, &account, why).await?;
            }
            return Err(EnrollError::Closed);
        }
    };
    if new != repeat {
        return Err(EnrollError::Mismatch);
    }
    let hash = checked_new(app, &account, new).await?.map_err(EnrollError::Rules)?;
    let policy = app.policy.clone();
    let (origin, now) = (origin.clone(), app.clock.now_ms());
    let login = account.login_id.clone();
    app.db_with(move |c| {
        store::write_tx(c, |c| -> Result<(), EnrollError> {
            // Re-read inside the transaction: a suspension or a second use meanwhile wins.
            let account = store::accounts::by_id(c, &account.id)?.ok_or(EnrollError::Closed)?;
            if session::usable(&account, now).is_err() || !store::enrollment::mark_used(c, &link.id, now)? {
                return Err(EnrollError::Closed);
            }
            let expires = pw_rules::expires_at(policy.password.for_account(account.is_privileged), now);
            store::accounts::set_password(c, &account.id, &hash, false, now, expires)?;
            let revoked = store::enrollment::revoke_open(c, &account.id, now)?;
            let ended = session::end_sessions(c, &account, &account.login_id, "password_changed", None, &origin, now)?;
            store::throttle::clear_locks(c, &account.id, now)?;
            let e = origin
                .event(account.login_id.clone(), "enrollment.completed", target(&account.login_id))
                .with_details(json!({ "link": link.id, "issued_by": link.issued_by, "password_expires_at": expires, "other_links_revoked": revoked, "sessions_ended": ended }));
            store::audit::append(c, now, vec![e])?;
            Ok(())
        })
    })
    .await?;
    Ok(login)
}

impl From<diesel::result::Error> for EnrollError {
    fn from(e: diesel::result::Error) -> Self {
        EnrollError::App(e.into())
    }
}

impl From<store::StoreError> for EnrollError {
    fn from(e: store::StoreError) -> Self {
        EnrollError::App(e.into())
    }
}
