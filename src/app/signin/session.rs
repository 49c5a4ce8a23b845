//! Sessions: created after a first factor, raised by step-ups, ended by sign-out, time-outs from
//! policy (R-AU-11, R-PR-07), officers, or a revoked credential (R-AU-12). Sign-in and sign-out
//! times are recorded on the account and in the audit log (R-AU-13).
//!
//! Invariant: a session is looked up by the digest of its cookie value; an expired session is
//! revoked (with its reason) the first time it is presented after it expired.

use super::{new_token, target, token_digest, Origin, SigninError};
use crate::app::{App, AppError};
use crate::store::{self, accounts::Account, schema::accounts, sessions::Session, DbConnection};
use diesel::prelude::*;
use serde_json::json;
use tobira_domain::audit::{AuditEvent, AuditRecord};
use tobira_domain::authn::{self, access, session as limits, FactorKind, ProvedFactor};
use tobira_domain::policy::Policy;
use tobira_domain::rbac::AccountStatus;

/// A live session with what the request needs to decide about it.
#[derive(Debug, Clone)]
pub struct Current {
    pub session: Session,
    pub account: Account,
    pub factors: Vec<ProvedFactor>,
    pub kinds: Vec<FactorKind>,
    /// The password is temporary (R-AU-06) or past its age (R-AU-07): only a change is allowed.
    pub password_due: bool,
    pub has_second_factor: bool,
    /// Roles the account holds now.
    pub roles: Vec<String>,
    /// The policy network the request came from, if any (R-ZN-09).
    pub network: Option<String>,
    /// The person holds a telework / remote-access grant in force (R-ZN-11).
    pub remote_access: bool,
    /// The account still owes its onboarding confirmation or training (R-LC-11): it reaches only
    /// the onboarding page.
    pub onboarding_due: bool,
}

impl Current {
    /// Where the request comes from, as access decisions need it.
    pub fn whence<'p>(&self, policy: &'p Policy) -> access::Whence<'p> {
        access::Whence {
            network: self.network.as_deref().and_then(|id| policy.networks.iter().find(|n| n.id.get_ref() == id)),
            remote_permitted: self.remote_access,
        }
    }
}

/// Whether the account may have a session now.
pub fn usable(account: &Account, now: i64) -> Result<(), SigninError> {
    match account.status() {
        Some(AccountStatus::Active) => {}
        Some(s) => return Err(SigninError::Unavailable(s.as_str().into())),
        None => return Err(SigninError::Unavailable("unknown status".into())),
    }
    if account.expires_at.is_some_and(|e| e <= now) {
        return Err(SigninError::Unavailable("expired".into()));
    }
    Ok(())
}

/// Creates a session proving `factors` for `account`, records the sign-in; call inside `write_tx`.
/// Returns the cookie value (shown once) and the audit records.
pub fn create(
    conn: &mut DbConnection,
    policy: &Policy,
    account: &Account,
    factors: Vec<ProvedFactor>,
    origin: &Origin,
    now: i64,
) -> Result<(String, Vec<AuditRecord>), AppError> {
    let (token, id) = new_token()?;
    let rule = limits::rule(&policy.session, account.is_privileged);
    let methods: Vec<&str> = factors.iter().map(|f| f.method.as_str()).collect();
    let kinds: Vec<&str> = authn::kinds_of(&factors).iter().map(|k| k.as_str()).collect();
    let s = Session {
        id,
        account_id: account.id.clone(),
        created_at: now,
        last_seen_at: now,
        // A session begun during an elevation ends with it (R-PR-07).
        expires_at: store::privileged::active_until(conn, &account.id, now)?
            .map_or(limits::absolute_end(rule, now), |u| u.min(limits::absolute_end(rule, now))),
        factors: serde_json::to_string(&factors)?,
        privileged: account.is_privileged,
        source_ip: origin.ip_text(),
        user_agent: origin.user_agent.clone().map(|u| u.chars().take(300).collect()),
        revoked_at: None,
        revoked_reason: None,
    };
    store::sessions::insert(conn, &s)?;
    diesel::update(accounts::table.find(&account.id)).set(accounts::last_login_at.eq(now)).execute(conn)?;
    let network = origin.ip.and_then(|ip| access::network_of(policy, ip)).map(|n| n.id.get_ref().clone());
    let event = origin.event(account.login_id.clone(), "auth.sign_in", target(&account.login_id)).with_details(json!({
        "methods": methods, "kinds": kinds, "session": &s.id[..16], "privileged": account.is_privileged,
        "network": network, "previous_sign_in": account.last_login_at,
    }));
    Ok((token, store::audit::append(conn, now, vec![event])?))
}

/// The live session behind a cookie value, or `None` (unknown, revoked, timed out, or the account
/// can no longer sign in).
pub async fn current(app: &App, token: &str, origin: &Origin) -> Result<Option<Current>, AppError> {
    let id = token_digest(token);
    let (policy, now) = (app.policy.clone(), app.clock.now_ms());
    let network = origin.ip.and_then(|ip| access::network_of(&policy, ip)).map(|n| n.id.get_ref().clone());
    let origin = origin.clone();
    app.db(move |c| {
        let Some((s, account, password_expires)) = store::sessions::with_account(c, &id)? else { return Ok(None) };
        if s.revoked_at.is_some() {
            return Ok(None);
        }
        let rule = limits::rule(&policy.session, s.privileged);
        // A session clipped to an elevation's end (R-PR-07) ends then, whatever its own limits say.
        let clipped = (s.expires_at <= now && s.expires_at < limits::absolute_end(rule, s.created_at))
            .then_some("elevation_ended");
        let ended = clipped
            .or_else(|| limits::check(rule, s.created_at, s.last_seen_at, now).err().map(|e| e.as_str()))
            .or_else(|| usable(&account, now).err().map(|_| "account_unavailable"));
        if let Some(reason) = ended {
            store::write_tx(c, |c| -> Result<(), AppError> {
                if store::sessions::revoke(c, &s.id, reason, now)? {
                    let e = origin
                        .event("system", "auth.session_ended", target(&account.login_id))
                        .with_details(json!({ "session": &s.id[..16], "reason": reason }));
                    store::audit::append(c, now, vec![e])?;
                }
                Ok(())
            })?;
            return Ok(None);
        }
        if limits::should_touch(rule, s.last_seen_at, now) {
            store::sessions::touch(c, &s.id, now)?;
        }
        let factors: Vec<ProvedFactor> = serde_json::from_str(&s.factors).unwrap_or_default();
        let kinds = authn::kinds_of(&factors);
        let password_due = account.must_change_password || password_expires.is_some_and(|e| e <= now);
        let has_second_factor = store::credentials::has_second_factor(c, &account.id)?;
        let roles = store::accounts::grants_in_force(c, &account.id, now)?.into_iter().map(|g| g.role_id).collect();
        // Only a remote network asks for the telework grant: no query for office requests.
        let remote = network
            .as_deref()
            .and_then(|id| policy.networks.iter().find(|n| n.id.get_ref() == id))
            .is_some_and(|n| n.kind == tobira_domain::zone::NetworkKind::Remote);
        let remote_access = remote && store::remote_access::in_force(c, &account.id, now)?;
        let onboarding_due = crate::app::onboarding::owed::owed(c, &policy, &account)?.any();
        Ok(Some(Current {
            session: s,
            account,
            factors,
            kinds,
            password_due,
            has_second_factor,
            roles,
            network,
            remote_access,
            onboarding_due,
        }))
    })
    .await
}

/// Adds a proved factor to a live session (a step-up or an enrolment ceremony).
pub fn add_factor(c: &mut DbConnection, cur: &Current, factor: ProvedFactor, now: i64) -> Result<(), AppError> {
    let mut factors = cur.factors.clone();
    factors.push(factor);
    let json = serde_json::to_string(&factors)?;
    if !store::sessions::set_factors(c, &cur.session.id, &json, now)? {
        return Err(AppError::conflict("session_ended", "セッションは既に終了しています", "the session has ended"));
    }
    Ok(())
}

/// Signs out: ends the session and records the time (R-AU-13).
pub async fn sign_out(app: &App, cur: &Current, origin: &Origin) -> Result<(), AppError> {
    // A shared privileged ID's password changes after each use (R-PR-05): to one nobody has seen,
    // so the next use starts with an officer's reset.
    let rotated = if cur.account.is_shared && cur.account.is_privileged {
        let fresh = crate::crypto::password::temporary(crate::app::bootstrap::TEMP_PASSWORD_LEN)?;
        let cost = app.policy.password.hashing.clone();
        Some(app.argon2.run(move || crate::crypto::password::hash(&fresh, &cost)).await??)
    } else {
        None
    };
    let (cur, origin, now) = (cur.clone(), origin.clone(), app.clock.now_ms());
    app.db(move |c| {
        store::write_tx(c, |c| -> Result<(), AppError> {
            if store::sessions::revoke(c, &cur.session.id, "sign_out", now)? {
                diesel::update(accounts::table.find(&cur.account.id))
                    .set(accounts::last_logout_at.eq(now))
                    .execute(c)?;
                let mut events = vec![origin
                    .event(cur.account.login_id.clone(), "auth.sign_out", target(&cur.account.login_id))
                    .with_details(json!({ "session": &cur.session.id[..16] }))];
                if let Some(hash) = &rotated {
                    store::accounts::set_password(c, &cur.account.id, hash, true, now, Some(now))?;
                    events.push(
                        origin
                            .event("system", "password.rotated_after_use", target(&cur.account.login_id))
                            .with_details(json!({ "shared": true, "privileged": true })),
                    );
                }
                store::audit::append(c, now, events)?;
            }
            Ok(())
        })
    })
    .await
}

/// Ends sessions of one account (all, or those whose id digest starts with `only`) for `reason`,
/// with one audit event naming who did it. Call inside `write_tx`.
pub fn end_sessions(
    c: &mut DbConnection,
    account: &Account,
    actor: &str,
    reason: &str,
    only: Option<&str>,
    origin: &Origin,
    now: i64,
) -> Result<usize, AppError> {
    let open = store::sessions::open_of_account(c, &account.id, now)?;
    let mut ended = Vec::new();
    for s in open.iter().filter(|s| only.is_none_or(|p| s.id.starts_with(p))) {
        if store::sessions::revoke(c, &s.id, reason, now)? {
            ended.push(s.id[..16].to_string());
        }
    }
    if !ended.is_empty() {
        let e = origin
            .event(actor, "auth.sessions_ended", target(&account.login_id))
            .with_details(json!({ "sessions": ended, "reason": reason }));
        store::audit::append(c, now, vec![e])?;
    }
    Ok(ended.len())
}

/// What the account page shows about past sign-ins (R-AU-11): the previous sign-in and sign-out,
/// failed attempts since the previous sign-in, and the latest sign-ins.
#[derive(Debug, Clone, serde::Serialize)]
pub struct History {
    pub previous_sign_in: Option<i64>,
    pub last_sign_out: Option<i64>,
    pub failures_since: Vec<AuditRecord>,
    pub recent: Vec<AuditRecord>,
    pub sessions: Vec<Session>,
}

/// The signed-in person ends one of their own other sessions (`prefix`: the start of its id).
pub async fn end_own(app: &App, cur: &Current, prefix: String, origin: Origin) -> Result<usize, AppError> {
    let (account, now) = (cur.account.clone(), app.clock.now_ms());
    app.db(move |c| {
        store::write_tx(c, |c| {
            end_sessions(c, &account, &account.login_id, "ended_by_owner", Some(&prefix), &origin, now)
        })
    })
    .await
}

pub async fn history(app: &App, cur: &Current) -> Result<History, AppError> {
    let (cur, now) = (cur.clone(), app.clock.now_ms());
    let shown = i64::from(app.policy.signin.recent_sign_ins_shown.max(1));
    app.db(move |c| {
        let t = target(&cur.account.login_id);
        let recent = store::audit::by_target(c, &t, &["auth.sign_in"], 0, shown + 1)?;
        // This session's own sign-in names it; the one before it is "last time".
        let own = &cur.session.id[..16];
        let previous =
            match recent.iter().position(|r| r.event.details.get("session").and_then(|v| v.as_str()) == Some(own)) {
                Some(i) => recent.get(i + 1),
                None => recent.iter().find(|r| r.occurred_at < cur.session.created_at),
            };
        let after = previous.map_or(0, |p| p.seq);
        let failures_since =
            store::audit::by_target(c, &t, &["auth.sign_in_failed", "auth.factor_failed"], after, 100)?;
        Ok(History {
            previous_sign_in: previous.map(|p| p.occurred_at),
            last_sign_out: cur.account.last_logout_at,
            failures_since,
            recent: recent.into_iter().take(shown as usize).collect(),
            sessions: store::sessions::open_of_account(c, &cur.account.id, now)?,
        })
    })
    .await
}

/// An event for `account` by `actor` (helpers for the other use cases).
pub fn account_event(origin: &Origin, actor: &str, action: &str, account: &Account) -> AuditEvent {
    origin.event(actor, action, target(&account.login_id))
}
