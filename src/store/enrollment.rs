//! Enrollment links (R-AU-06): stored by the SHA-256 of their token, with the token sealed under
//! the master key only while the mail that carries it waits to be sent.
//!
//! Invariants: a link is used at most once (the use is a conditional update that only an open,
//! unexpired link matches); using, revoking or expiring a link erases its sealed token; rows are
//! never deleted.

use super::schema::enrollment_links as l;
use super::{DbConnection, StoreError};
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = l)]
pub struct EnrollmentLink {
    pub id: String,
    pub account_id: String,
    /// Hex SHA-256 of the token.
    pub token_hash: String,
    /// The token sealed with the master key, until its mail is sent or given up.
    pub token_sealed: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// `system:hr-sync` or the officer's login ID.
    pub issued_by: String,
}

/// Writes new links, in chunks.
pub fn insert(conn: &mut DbConnection, rows: Vec<EnrollmentLink>) -> Result<(), StoreError> {
    super::insert_chunks!(conn, l::table, rows);
    Ok(())
}

pub fn by_token_hash(conn: &mut DbConnection, token_hash: &str) -> Result<Option<EnrollmentLink>, StoreError> {
    Ok(l::table.filter(l::token_hash.eq(token_hash)).select(EnrollmentLink::as_select()).first(conn).optional()?)
}

pub fn by_id(conn: &mut DbConnection, id: &str) -> Result<Option<EnrollmentLink>, StoreError> {
    Ok(l::table.find(id).select(EnrollmentLink::as_select()).first(conn).optional()?)
}

/// Revokes the account's links that are neither used nor revoked (expired ones included, so none
/// keeps a sealed token); how many.
pub fn revoke_open(conn: &mut DbConnection, account_id: &str, now: i64) -> Result<usize, StoreError> {
    Ok(diesel::update(
        l::table.filter(l::account_id.eq(account_id)).filter(l::used_at.is_null()).filter(l::revoked_at.is_null()),
    )
    .set((l::revoked_at.eq(now), l::token_sealed.eq(None::<String>)))
    .execute(conn)?)
}

/// Marks the link used if it is still open at `now`; false when it was used, revoked or expired
/// meanwhile (a second use).
pub fn mark_used(conn: &mut DbConnection, id: &str, now: i64) -> Result<bool, StoreError> {
    let n = diesel::update(
        l::table.find(id).filter(l::used_at.is_null()).filter(l::revoked_at.is_null()).filter(l::expires_at.gt(now)),
    )
    .set((l::used_at.eq(now), l::token_sealed.eq(None::<String>)))
    .execute(conn)?;
    Ok(n == 1)
}

/// Erases the sealed token of one link (its mail was sent or given up).
pub fn erase_sealed(conn: &mut DbConnection, id: &str) -> Result<(), StoreError> {
    diesel::update(l::table.find(id).filter(l::token_sealed.is_not_null()))
        .set(l::token_sealed.eq(None::<String>))
        .execute(conn)?;
    Ok(())
}

/// Erases the sealed tokens of links expired by `now` (their mail can no longer help); how many.
pub fn erase_expired(conn: &mut DbConnection, now: i64) -> Result<usize, StoreError> {
    Ok(diesel::update(l::table.filter(l::token_sealed.is_not_null()).filter(l::expires_at.le(now)))
        .set(l::token_sealed.eq(None::<String>))
        .execute(conn)?)
}
