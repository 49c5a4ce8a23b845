//! What introspection and the token endpoint read of a token's standing: its family, account, lock and
//! session in one query (or one per batch), and which access tokens are revoked.

use crate::store::schema::{account_lockouts, accounts, revoked_tokens, sessions, token_families};
use crate::store::{DbConnection, StoreError};
use diesel::prelude::*;
use tobira_domain::authn::lockout::LockState;

/// What introspection needs about a person's token, in one query: the family's revocation, the
/// account's status and expiry, and the session's end.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Standing {
    pub family_revoked: Option<i64>,
    pub family_expires_at: i64,
    pub account_status: String,
    pub account_expires_at: Option<i64>,
    pub session_revoked: Option<i64>,
    pub session_expires_at: i64,
    /// The session's sign-in, last activity and kind, for its idle time-out (R-AU-11, R-PR-07).
    pub session_created_at: i64,
    pub session_last_seen_at: i64,
    pub session_privileged: bool,
    pub locked_at: Option<i64>,
    pub locked_until: Option<i64>,
}

impl Standing {
    /// Whether the account is locked at `now` (R-AU-11): a locked account gets no tokens.
    pub fn locked(&self, now: i64) -> bool {
        LockState { locked_at: self.locked_at, locked_until: self.locked_until, ..Default::default() }
            .locked(now)
            .is_some()
    }
}

/// Whether the account is locked from every network at `now` (read without taking the row lock).
/// A lock of one network's guesses does not stop tokens: what was guessed there is not what the
/// live session proved.
pub fn locked_now(conn: &mut DbConnection, account_id: &str, now: i64) -> Result<bool, StoreError> {
    Ok(crate::store::throttle::global_lock(conn, account_id, now)?.is_some())
}

/// The accounts joined with their lock from every network (the `*` scope), if any.
#[diesel::dsl::auto_type]
fn accounts_with_global_lock() -> _ {
    let global: &'static str = tobira_domain::authn::lockout::GLOBAL_SCOPE;
    accounts::table.left_join(
        account_lockouts::table
            .on(account_lockouts::account_id.eq(accounts::id).and(account_lockouts::scope.eq(global))),
    )
}

/// The columns of a [`Standing`].
#[diesel::dsl::auto_type]
fn standing_columns() -> _ {
    (
        token_families::revoked_at,
        token_families::expires_at,
        accounts::status,
        accounts::expires_at,
        sessions::revoked_at,
        sessions::expires_at,
        sessions::created_at,
        sessions::last_seen_at,
        sessions::privileged,
        account_lockouts::locked_at.nullable(),
        account_lockouts::locked_until.nullable(),
    )
}

/// Which of `jtis` are revoked (one query for a batch of introspections).
pub fn revoked_among(
    conn: &mut DbConnection,
    jtis: &[String],
) -> Result<std::collections::HashSet<String>, StoreError> {
    if jtis.is_empty() {
        return Ok(Default::default());
    }
    Ok(revoked_tokens::table
        .filter(revoked_tokens::jti.eq_any(jtis))
        .select(revoked_tokens::jti)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

/// [`standing`] for a batch of families, by family id.
pub fn standings(
    conn: &mut DbConnection,
    families: &[String],
) -> Result<std::collections::HashMap<String, Standing>, StoreError> {
    if families.is_empty() {
        return Ok(Default::default());
    }
    let rows: Vec<(String, Standing)> = token_families::table
        .inner_join(accounts_with_global_lock())
        .inner_join(sessions::table)
        .filter(token_families::id.eq_any(families))
        .select((token_families::id, standing_columns()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// The [`Standing`] of a sign-in session before any family exists (the code exchange): the family
/// fields say "not revoked, no end".
pub fn session_standing(conn: &mut DbConnection, session_id: &str) -> Result<Option<Standing>, StoreError> {
    type Row = (Option<i64>, i64, i64, i64, bool, String, Option<i64>, Option<i64>, Option<i64>);
    let row: Option<Row> = sessions::table
        .inner_join(accounts_with_global_lock())
        .filter(sessions::id.eq(session_id))
        .select((
            sessions::revoked_at,
            sessions::expires_at,
            sessions::created_at,
            sessions::last_seen_at,
            sessions::privileged,
            accounts::status,
            accounts::expires_at,
            account_lockouts::locked_at.nullable(),
            account_lockouts::locked_until.nullable(),
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(
        |(
            session_revoked,
            session_expires_at,
            session_created_at,
            session_last_seen_at,
            session_privileged,
            account_status,
            account_expires_at,
            locked_at,
            locked_until,
        )| Standing {
            family_revoked: None,
            family_expires_at: i64::MAX,
            account_status,
            account_expires_at,
            session_revoked,
            session_expires_at,
            session_created_at,
            session_last_seen_at,
            session_privileged,
            locked_at,
            locked_until,
        },
    ))
}

pub fn standing(conn: &mut DbConnection, family_id: &str) -> Result<Option<Standing>, StoreError> {
    Ok(standings(conn, &[family_id.to_string()])?.remove(family_id))
}
