//! Lockout and throttling state (R-AU-11, R-AU-19) and short-lived ceremony state. Locks are kept
//! per (account, scope): the policy network of the attempts, `-` outside every network, `*` everywhere.
//!
//! Invariant: callers read and write lockout rows inside one `write_tx`, so concurrent attempts on
//! one account are serialised (SQLite's write lock; PostgreSQL's row lock via `SELECT … FOR UPDATE`).

use super::schema::{account_lockouts, auth_challenges, source_throttles};
use super::{DbConnection, StoreError};
use diesel::prelude::*;
use tobira_domain::authn::lockout::{LockState, SourceState, GLOBAL_SCOPE};

type LockRow = (i32, i32, Option<i64>, Option<i64>, Option<i64>);

fn state_of((failures, pending, pending_at, locked_at, locked_until): LockRow) -> LockState {
    LockState { failures: failures.max(0) as u32, pending: pending.max(0) as u32, pending_at, locked_at, locked_until }
}

/// The account's lockout state in `scope`, locking its row for the rest of the transaction on
/// PostgreSQL. There the row is first made if missing: `FOR UPDATE` locks no row that does not
/// exist, and two first attempts at once would both read "none" and race to insert (one failing on
/// the key).
pub fn lock_state(conn: &mut DbConnection, account_id: &str, scope: &str) -> Result<LockState, StoreError> {
    let q = account_lockouts::table.find((account_id, scope)).select((
        account_lockouts::failures,
        account_lockouts::pending,
        account_lockouts::pending_at,
        account_lockouts::locked_at,
        account_lockouts::locked_until,
    ));
    let row: Option<LockRow> = match conn {
        DbConnection::Pg(c) => {
            // A concurrent insert of the same key waits for the first to commit, then does nothing.
            diesel::insert_into(account_lockouts::table)
                .values((
                    account_lockouts::account_id.eq(account_id),
                    account_lockouts::scope.eq(scope),
                    account_lockouts::failures.eq(0),
                    account_lockouts::updated_at.eq(0),
                ))
                .on_conflict_do_nothing()
                .execute(c)?;
            q.for_update().first(c).optional()?
        }
        DbConnection::Sqlite(c) => q.first(c).optional()?,
    };
    Ok(row.map_or_else(LockState::default, state_of))
}

/// The lock in force on the account from every network (the `*` scope), read without a row lock.
pub fn global_lock(
    conn: &mut DbConnection,
    account_id: &str,
    now: i64,
) -> Result<Option<tobira_domain::authn::lockout::Locked>, StoreError> {
    let row: Option<(Option<i64>, Option<i64>)> = account_lockouts::table
        .find((account_id, GLOBAL_SCOPE))
        .select((account_lockouts::locked_at, account_lockouts::locked_until))
        .first(conn)
        .optional()?;
    Ok(row
        .and_then(|(locked_at, locked_until)| LockState { locked_at, locked_until, ..Default::default() }.locked(now)))
}

/// Whether the account is locked in `scope` at `now` (read without a row lock).
pub fn locked_in(conn: &mut DbConnection, account_id: &str, scope: &str, now: i64) -> Result<bool, StoreError> {
    let row: Option<(Option<i64>, Option<i64>)> = account_lockouts::table
        .find((account_id, scope))
        .select((account_lockouts::locked_at, account_lockouts::locked_until))
        .first(conn)
        .optional()?;
    Ok(row.is_some_and(|(locked_at, locked_until)| {
        LockState { locked_at, locked_until, ..Default::default() }.locked(now).is_some()
    }))
}

pub fn put_lock_state(
    conn: &mut DbConnection,
    account_id: &str,
    scope: &str,
    s: &LockState,
    now: i64,
) -> Result<(), StoreError> {
    let failures = i32::try_from(s.failures).unwrap_or(i32::MAX);
    let pending = i32::try_from(s.pending).unwrap_or(i32::MAX);
    let n = diesel::update(account_lockouts::table.find((account_id, scope)))
        .set((
            account_lockouts::failures.eq(failures),
            account_lockouts::pending.eq(pending),
            account_lockouts::pending_at.eq(s.pending_at),
            account_lockouts::locked_at.eq(s.locked_at),
            account_lockouts::locked_until.eq(s.locked_until),
            account_lockouts::updated_at.eq(now),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(account_lockouts::table)
            .values((
                account_lockouts::account_id.eq(account_id),
                account_lockouts::scope.eq(scope),
                account_lockouts::failures.eq(failures),
                account_lockouts::pending.eq(pending),
                account_lockouts::pending_at.eq(s.pending_at),
                account_lockouts::locked_at.eq(s.locked_at),
                account_lockouts::locked_until.eq(s.locked_until),
                account_lockouts::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Lifts every lock and count of the account, in every scope (an unlock, a reset, a new password
/// through an enrolment link); returns the scopes that were locked at `now`.
pub fn clear_locks(conn: &mut DbConnection, account_id: &str, now: i64) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String, Option<i64>, Option<i64>)> = account_lockouts::table
        .filter(account_lockouts::account_id.eq(account_id))
        .select((account_lockouts::scope, account_lockouts::locked_at, account_lockouts::locked_until))
        .load(conn)?;
    diesel::delete(account_lockouts::table.filter(account_lockouts::account_id.eq(account_id))).execute(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(_, a, u)| LockState { locked_at: *a, locked_until: *u, ..Default::default() }.locked(now).is_some())
        .map(|(s, _, _)| s)
        .collect())
}

/// Locks in force at `now`: (account id, scope, state).
pub fn locked_accounts(conn: &mut DbConnection, now: i64) -> Result<Vec<(String, String, LockState)>, StoreError> {
    type Row = (String, String, i32, i32, Option<i64>, Option<i64>, Option<i64>);
    let rows: Vec<Row> = account_lockouts::table
        .filter(account_lockouts::locked_at.is_not_null())
        .filter(account_lockouts::locked_until.is_null().or(account_lockouts::locked_until.gt(now)))
        .select((
            account_lockouts::account_id,
            account_lockouts::scope,
            account_lockouts::failures,
            account_lockouts::pending,
            account_lockouts::pending_at,
            account_lockouts::locked_at,
            account_lockouts::locked_until,
        ))
        .load(conn)?;
    Ok(rows.into_iter().map(|(id, scope, f, p, pa, a, u)| (id, scope, state_of((f, p, pa, a, u)))).collect())
}

/// A source address's failures, to read its delay.
pub fn source_state(conn: &mut DbConnection, source: &str) -> Result<SourceState, StoreError> {
    let row: Option<(i64, i32)> = source_throttles::table
        .find(source)
        .select((source_throttles::window_start, source_throttles::failures))
        .first(conn)
        .optional()?;
    Ok(row.map_or_else(SourceState::default, |(w, f)| SourceState { window_start: w, failures: f.max(0) as u32 }))
}

/// A source address's failures, to count one more inside a write transaction: on PostgreSQL its row
/// is made if missing and locked, as [`lock_state`] does, so failures at once are all counted.
pub fn lock_source_state(conn: &mut DbConnection, source: &str) -> Result<SourceState, StoreError> {
    let q = source_throttles::table.find(source).select((source_throttles::window_start, source_throttles::failures));
    let row: Option<(i64, i32)> = match conn {
        DbConnection::Pg(c) => {
            diesel::insert_into(source_throttles::table)
                .values((
                    source_throttles::source.eq(source),
                    source_throttles::window_start.eq(0),
                    source_throttles::failures.eq(0),
                ))
                .on_conflict_do_nothing()
                .execute(c)?;
            q.for_update().first(c).optional()?
        }
        DbConnection::Sqlite(c) => q.first(c).optional()?,
    };
    Ok(row.map_or_else(SourceState::default, |(w, f)| SourceState { window_start: w, failures: f.max(0) as u32 }))
}

pub fn put_source_state(conn: &mut DbConnection, source: &str, s: &SourceState) -> Result<(), StoreError> {
    let failures = i32::try_from(s.failures).unwrap_or(i32::MAX);
    let n = diesel::update(source_throttles::table.find(source))
        .set((source_throttles::window_start.eq(s.window_start), source_throttles::failures.eq(failures)))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(source_throttles::table)
            .values((
                source_throttles::source.eq(source),
                source_throttles::window_start.eq(s.window_start),
                source_throttles::failures.eq(failures),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Stores ceremony state under `id` (a digest of the browser's handle).
pub fn put_challenge(
    conn: &mut DbConnection,
    id: &str,
    account_id: Option<&str>,
    kind: &str,
    state: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    diesel::delete(auth_challenges::table.filter(auth_challenges::expires_at.le(now))).execute(conn)?;
    diesel::insert_into(auth_challenges::table)
        .values((
            auth_challenges::id.eq(id),
            auth_challenges::account_id.eq(account_id),
            auth_challenges::kind.eq(kind),
            auth_challenges::state.eq(state),
            auth_challenges::created_at.eq(now),
            auth_challenges::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Takes (reads and deletes) live ceremony state of `kind`: each challenge answers once.
pub fn take_challenge(
    conn: &mut DbConnection,
    id: &str,
    kind: &str,
    now: i64,
) -> Result<Option<(Option<String>, String)>, StoreError> {
    let row: Option<(Option<String>, String, i64)> = auth_challenges::table
        .find(id)
        .filter(auth_challenges::kind.eq(kind))
        .select((auth_challenges::account_id, auth_challenges::state, auth_challenges::expires_at))
        .first(conn)
        .optional()?;
    let n = diesel::delete(auth_challenges::table.find(id)).execute(conn)?;
    Ok(row.filter(|(_, _, exp)| *exp > now && n == 1).map(|(a, s, _)| (a, s)))
}
