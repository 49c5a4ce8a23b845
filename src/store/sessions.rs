//! Server-side sessions (R-AU-11, R-AU-13): the row id is the SHA-256 of the cookie value, so a
//! copy of the database cannot be replayed as cookies; factors proved are kept per session (JSON)
//! so a revoked credential can end the sessions that used it (R-AU-12).
//!
//! Invariant: a revoked session is never live again; revocation only sets `revoked_at` once.

use super::accounts::Account;
use super::schema::sessions;
use super::{DbConnection, StoreError};
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub id: String,
    pub account_id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    /// JSON array of `authn::ProvedFactor`.
    pub factors: String,
    pub privileged: bool,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub revoked_at: Option<i64>,
    pub revoked_reason: Option<String>,
}

pub fn insert(conn: &mut DbConnection, s: &Session) -> Result<(), StoreError> {
    diesel::insert_into(sessions::table).values(s).execute(conn)?;
    Ok(())
}

pub fn by_id(conn: &mut DbConnection, id: &str) -> Result<Option<Session>, StoreError> {
    Ok(sessions::table.find(id).select(Session::as_select()).first(conn).optional()?)
}

/// A session with its account and the account's password expiry (when it has one), in one round
/// trip: what every request that carries a cookie reads first.
pub fn with_account(conn: &mut DbConnection, id: &str) -> Result<Option<(Session, Account, Option<i64>)>, StoreError> {
    use super::schema::{accounts, password_credentials};
    Ok(sessions::table
        .inner_join(accounts::table.left_join(password_credentials::table))
        .filter(sessions::id.eq(id))
        .select((Session::as_select(), Account::as_select(), password_credentials::expires_at.nullable()))
        .first(conn)
        .optional()?)
}

/// Records activity at `now`.
pub fn touch(conn: &mut DbConnection, id: &str, now: i64) -> Result<(), StoreError> {
    diesel::update(sessions::table.find(id)).set(sessions::last_seen_at.eq(now)).execute(conn)?;
    Ok(())
}

/// Replaces the factors a live session has proved (after a step-up).
pub fn set_factors(conn: &mut DbConnection, id: &str, factors: &str, now: i64) -> Result<bool, StoreError> {
    let n = diesel::update(sessions::table.find(id).filter(sessions::revoked_at.is_null()))
        .set((sessions::factors.eq(factors), sessions::last_seen_at.eq(now)))
        .execute(conn)?;
    Ok(n == 1)
}

/// Ends one session; false when it had already ended.
pub fn revoke(conn: &mut DbConnection, id: &str, reason: &str, now: i64) -> Result<bool, StoreError> {
    let n = diesel::update(sessions::table.find(id).filter(sessions::revoked_at.is_null()))
        .set((sessions::revoked_at.eq(now), sessions::revoked_reason.eq(reason)))
        .execute(conn)?;
    Ok(n == 1)
}

/// The sessions of an account not yet revoked and not past their absolute end, newest first.
pub fn open_of_account(conn: &mut DbConnection, account_id: &str, now: i64) -> Result<Vec<Session>, StoreError> {
    Ok(sessions::table
        .filter(sessions::account_id.eq(account_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .order(sessions::created_at.desc())
        .select(Session::as_select())
        .load(conn)?)
}

/// Open sessions of one kind (privileged or not) whose last activity is at or before `cutoff` (past
/// their idle limit), oldest first.
pub fn idle_since(
    conn: &mut DbConnection,
    privileged: bool,
    cutoff: i64,
    now: i64,
    limit: i64,
) -> Result<Vec<Session>, StoreError> {
    Ok(sessions::table
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .filter(sessions::privileged.eq(privileged))
        .filter(sessions::last_seen_at.le(cutoff))
        .order(sessions::last_seen_at.asc())
        .limit(limit)
        .select(Session::as_select())
        .load(conn)?)
}

/// Ends every open session of an account; returns their ids.
pub fn revoke_all_of_account(
    conn: &mut DbConnection,
    account_id: &str,
    reason: &str,
    now: i64,
) -> Result<Vec<String>, StoreError> {
    let ids: Vec<String> = open_of_account(conn, account_id, now)?.into_iter().map(|s| s.id).collect();
    for id in &ids {
        revoke(conn, id, reason, now)?;
    }
    Ok(ids)
}

/// Makes the account's unrevoked sessions end no later than `until` (an elevation's end, R-PR-07).
pub fn clip(conn: &mut DbConnection, account_id: &str, until: i64) -> Result<usize, StoreError> {
    Ok(diesel::update(
        sessions::table
            .filter(sessions::account_id.eq(account_id))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::expires_at.gt(until)),
    )
    .set(sessions::expires_at.eq(until))
    .execute(conn)?)
}

/// Sessions of the account that overlapped `[from, to]`, oldest first: the record of a privileged
/// working period (R-PR-08).
pub fn overlapping(conn: &mut DbConnection, account_id: &str, from: i64, to: i64) -> Result<Vec<Session>, StoreError> {
    Ok(sessions::table
        .filter(sessions::account_id.eq(account_id))
        .filter(sessions::created_at.le(to))
        .filter(sessions::expires_at.ge(from))
        .filter(sessions::revoked_at.is_null().or(sessions::revoked_at.ge(from)))
        .order(sessions::created_at)
        .select(Session::as_select())
        .load(conn)?)
}
