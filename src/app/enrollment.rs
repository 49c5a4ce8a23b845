//! Enrollment links (R-AU-06): a joiner whose account the HR sync created gets a single-use link by
//! mail with which they choose their own password; an officer can re-issue one (and hand it over
//! when the person has no address). Following the link sets an argon2 password under the password
//! rules and marks the link used.
//!
//! Invariants: the token is 32 random bytes (base64url) stored only as its SHA-256 (high entropy
//! needs no slow hash: 20,000 joiners cost milliseconds, not minutes) and, while its mail waits,
//! sealed with the master key under a purpose naming the link; notification bodies and audit
//! details never hold it; a link is used once, in the transaction that sets the password; an
//! unknown, used, revoked or expired token and an account that cannot sign in all get the same
//! refusal.

mod follow;

pub use follow::{complete, open, EnrollError, Opened};

use super::signin::{new_token, session, target};
use super::AppError;
use crate::crypto::master_key::MasterKey;
use crate::store::enrollment::EnrollmentLink;
use crate::store::privileged::Notification;
use crate::store::schema::{accounts, people};
use crate::store::{self, accounts::Account, DbConnection};
use diesel::prelude::*;
use serde_json::json;
use tobira_domain::audit::AuditEvent;
use tobira_domain::authn::enrollment::{self as rules, MailFacts};
use tobira_domain::policy::Policy;

/// The outbox kind of the mail that carries a link.
pub const KIND: &str = "enrollment_link";

/// The master key purpose of one link's token: a sealed token cannot be moved to another row.
pub fn purpose(link_id: &str) -> String {
    format!("enrollment-link:{link_id}")
}

/// An account the link is for, with what the mail needs of its person.
#[derive(Debug, Clone)]
pub struct Holder {
    pub account_id: String,
    pub login_id: String,
    pub employee_number: Option<String>,
    pub name: Option<String>,
    pub mail: Option<String>,
}

impl Holder {
    fn address(&self) -> Option<&str> {
        self.mail.as_deref().filter(|m| !m.trim().is_empty())
    }
}

type HolderRow = (String, String, Option<String>, Option<String>, Option<String>);

fn holder(row: HolderRow) -> Holder {
    let (account_id, login_id, employee_number, name, mail) = row;
    Holder { account_id, login_id, employee_number, name, mail }
}

/// The holders of the accounts with these login IDs (in chunks: a sync creates thousands).
fn holders(c: &mut DbConnection, logins: &[String]) -> Result<Vec<Holder>, AppError> {
    let mut out = Vec::with_capacity(logins.len());
    for chunk in logins.chunks(500) {
        let rows: Vec<HolderRow> = accounts::table
            .left_join(people::table.on(people::id.nullable().eq(accounts::person_id)))
            .filter(accounts::login_id.eq_any(chunk))
            .select((
                accounts::id,
                accounts::login_id,
                people::employee_number.nullable(),
                people::name_kanji.nullable(),
                people::mail.nullable(),
            ))
            .load(c)?;
        out.extend(rows.into_iter().map(holder));
    }
    Ok(out)
}

/// A new link row and its token. The token is sealed only when a mail will carry it.
fn new_link(
    master: &MasterKey,
    account_id: &str,
    issued_by: &str,
    hours: u32,
    mailed: bool,
    now: i64,
) -> Result<(EnrollmentLink, String), AppError> {
    let (token, token_hash) = new_token()?;
    let id = store::new_id();
    let token_sealed = if mailed { Some(master.seal(&purpose(&id), token.as_bytes())?) } else { None };
    let link = EnrollmentLink {
        id,
        account_id: account_id.into(),
        token_hash,
        token_sealed,
        created_at: now,
        expires_at: rules::expires_at(now, hours),
        used_at: None,
        revoked_at: None,
        issued_by: issued_by.into(),
    };
    Ok((link, token))
}

/// The outbox row for a link: the person's employee number as recipient, the link by placeholder.
fn notification(policy: &Policy, h: &Holder, recipient: &str, link: &EnrollmentLink, now: i64) -> Notification {
    let m = &policy.municipality;
    let en = if m.name_en.is_empty() { &m.name } else { &m.name_en };
    let (subject, body) = rules::mail(&MailFacts {
        municipality: &m.name,
        municipality_en: en,
        name: h.name.as_deref().unwrap_or(&h.login_id),
        login_id: &h.login_id,
        link_id: &link.id,
        expires_at: link.expires_at,
    });
    Notification {
        id: store::new_id(),
        recipient: recipient.into(),
        kind: KIND.into(),
        subject,
        body,
        created_at: now,
        sent_at: None,
    }
}

/// What issuing did for one holder.
struct Issued {
    link: EnrollmentLink,
    token: String,
    mailed: bool,
}

/// Issues one link per holder, queues the mails of those with an address, and returns the links
/// (with their tokens) in order. Call inside the caller's transaction.
fn issue(
    c: &mut DbConnection,
    master: &MasterKey,
    policy: &Policy,
    holders: &[Holder],
    issued_by: &str,
    now: i64,
) -> Result<Vec<Issued>, AppError> {
    let hours = policy.signin.enrollment_link_hours;
    let (mut links, mut mails, mut issued) =
        (Vec::with_capacity(holders.len()), Vec::new(), Vec::with_capacity(holders.len()));
    for h in holders {
        let recipient = h.employee_number.as_deref().filter(|_| h.address().is_some());
        let (link, token) = new_link(master, &h.account_id, issued_by, hours, recipient.is_some(), now)?;
        if let Some(r) = recipient {
            mails.push(notification(policy, h, r, &link, now));
        }
        issued.push(Issued { link: link.clone(), token, mailed: recipient.is_some() });
        links.push(link);
    }
    store::enrollment::insert(c, links)?;
    store::notifications::queue(c, mails)?;
    Ok(issued)
}

fn issued_event(actor: &str, login_id: &str, i: &Issued, extra: serde_json::Value) -> AuditEvent {
    let mut details = json!({ "link": i.link.id, "expires_at": i.link.expires_at, "mailed": i.mailed });
    if let (Some(d), serde_json::Value::Object(e)) = (details.as_object_mut(), extra) {
        d.extend(e);
    }
    AuditEvent::new(actor, "enrollment.issued", target(login_id)).with_details(details)
}

/// Issues links to the joiners the sync just created (`logins`), in the sync's transaction: a
/// SHA-256 and a seal each, rows written in chunks. Returns their audit events.
pub fn issue_for_joiners(
    c: &mut DbConnection,
    master: &MasterKey,
    policy: &Policy,
    logins: &[String],
    actor: &str,
    now: i64,
) -> Result<Vec<AuditEvent>, AppError> {
    if logins.is_empty() {
        return Ok(Vec::new());
    }
    let holders = holders(c, logins)?;
    let issued = issue(c, master, policy, &holders, actor, now)?;
    Ok(holders
        .iter()
        .zip(&issued)
        .map(|(h, i)| issued_event(actor, &h.login_id, i, json!({ "reason": "joiner" })))
        .collect())
}

/// A link an officer issued: the URL (shown once, for hand-over) and whether a mail carries it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Reissued {
    pub url: String,
    pub expires_at: i64,
    pub mailed: bool,
    pub revoked_previous: usize,
}

/// Revokes the account's open links and issues a new one (mailed when the person has an address);
/// inside the officer's transaction. Refused for an account that cannot sign in, and for a
/// vendor's privileged ID, whose password staff set (R-PR-04).
pub fn reissue_in(
    c: &mut DbConnection,
    master: &MasterKey,
    policy: &Policy,
    public_url: &str,
    account: &Account,
    officer: &str,
    now: i64,
) -> Result<(Reissued, serde_json::Value), AppError> {
    if session::usable(account, now).is_err() {
        return Err(AppError::conflict("account_not_active",
            format!(
                "アカウント {} は{}のため登録用リンクを発行できません。登録用リンクはサインインできるアカウントにだけ発行します",
                account.login_id,
                tobira_domain::rbac::AccountStatus::ja_of(&account.status)
            ),
            format!("account {} is {}: an enrollment link is only issued to an account that may sign in", account.login_id, account.status),
        ));
    }
    if account.is_privileged && account.is_vendor {
        return Err(AppError::conflict(
            "vendor_privileged_id",
            format!("{} は委託事業者の特権IDです。パスワードは職員が設定します（R-PR-04）", account.login_id),
            format!("{} is a vendor's privileged ID: staff set its password (R-PR-04)", account.login_id),
        ));
    }
    let revoked_previous = store::enrollment::revoke_open(c, &account.id, now)?;
    store::enrollment::erase_expired(c, now)?;
    let holder = holders(c, std::slice::from_ref(&account.login_id))?
        .pop()
        .ok_or_else(|| AppError::no_account(&account.login_id))?;
    let issued = issue(c, master, policy, std::slice::from_ref(&holder), officer, now)?.pop().ok_or_else(|| {
        AppError::conflict(
            "no_enrollment_link",
            format!("{} の登録用リンクは発行されませんでした", account.login_id),
            format!("no enrollment link was issued for {}", account.login_id),
        )
    })?;
    let out = Reissued {
        url: rules::url(public_url, &issued.token),
        expires_at: issued.link.expires_at,
        mailed: issued.mailed,
        revoked_previous,
    };
    let details = json!({ "link": issued.link.id, "expires_at": issued.link.expires_at, "mailed": issued.mailed, "revoked_previous": revoked_previous, "reason": "officer" });
    Ok((out, details))
}

/// The sealed token of the link a queued mail names, opened for sending; `Err` with the reason
/// when the link is no longer open or its token is gone (the mail is then given up).
pub fn token_for_mail(
    c: &mut DbConnection,
    master: &MasterKey,
    link_id: &str,
    now: i64,
) -> Result<Result<String, String>, AppError> {
    let Some(link) = store::enrollment::by_id(c, link_id)? else {
        return Ok(Err("the enrollment link does not exist".into()));
    };
    if let Err(closed) = rules::standing(link.expires_at, link.used_at, link.revoked_at, now) {
        return Ok(Err(format!("the enrollment link is {}; nothing to send", closed.code())));
    }
    let Some(sealed) = link.token_sealed else {
        return Ok(Err("the enrollment link's token was already erased".into()));
    };
    match master.open(&purpose(&link.id), &sealed).map(String::from_utf8) {
        Ok(Ok(token)) => Ok(Ok(token)),
        _ => Ok(Err("the enrollment link's sealed token cannot be opened with this master key".into())),
    }
}
