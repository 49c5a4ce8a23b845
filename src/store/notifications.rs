//! The notification outbox's delivery state (mail). Notifications are queued by
//! [`super::privileged::notify`]; this module says which are due and records each try.
//!
//! Invariants: a notification ends either sent (`sent_at`) or given up (`undeliverable_at`), never
//! both, and neither is ever undone; until then each failed try adds one to `attempts`, keeps the
//! reason in `last_error` (the server's reply or the connection failure, never a secret) and sets
//! `next_attempt_at`. Rows are never deleted.

use super::schema::{notifications as n, people};
use super::{DbConnection, StoreError};
use diesel::prelude::*;

/// A notification with its delivery state.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = n)]
pub struct Outgoing {
    pub id: String,
    /// An employee number, or `account:<login>` for an account with no person (no address).
    pub recipient: String,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<i64>,
    pub undeliverable_at: Option<i64>,
}

/// Queues many notifications at once, in chunks (the HR sync's joiners: thousands in one run).
pub fn queue(c: &mut DbConnection, rows: Vec<super::privileged::Notification>) -> Result<(), StoreError> {
    super::insert_chunks!(c, n::table, rows);
    Ok(())
}

/// Unsent notifications due for a try at `now`, oldest first, at most `limit`.
pub fn due(c: &mut DbConnection, now: i64, limit: i64) -> Result<Vec<Outgoing>, StoreError> {
    Ok(n::table
        .filter(n::sent_at.is_null())
        .filter(n::undeliverable_at.is_null())
        .filter(n::next_attempt_at.is_null().or(n::next_attempt_at.le(now)))
        .order((n::created_at, n::id))
        .limit(limit)
        .select(Outgoing::as_select())
        .load(c)?)
}

pub fn by_id(c: &mut DbConnection, id: &str) -> Result<Option<Outgoing>, StoreError> {
    Ok(n::table.find(id).select(Outgoing::as_select()).first(c).optional()?)
}

/// The mail address of a recipient: the person's `mail` for an employee number; none for an
/// `account:` recipient, an unknown number or a person without one.
pub fn address_of(c: &mut DbConnection, recipient: &str) -> Result<Option<String>, StoreError> {
    if recipient.starts_with("account:") {
        return Ok(None);
    }
    let mail: Option<Option<String>> =
        people::table.filter(people::employee_number.eq(recipient)).select(people::mail).first(c).optional()?;
    Ok(mail.flatten().filter(|m| !m.trim().is_empty()))
}

/// Records a successful send; false when it was already recorded as sent or given up.
pub fn mark_sent(c: &mut DbConnection, id: &str, now: i64) -> Result<bool, StoreError> {
    let changed = diesel::update(n::table.find(id).filter(n::sent_at.is_null()).filter(n::undeliverable_at.is_null()))
        .set((n::sent_at.eq(now), n::attempts.eq(n::attempts + 1), n::next_attempt_at.eq(None::<i64>)))
        .execute(c)?;
    Ok(changed == 1)
}

/// Records a failed try: one more attempt, the reason, and either the next try's time or, with
/// `next_attempt_at` `None`, the notification given up at `now`.
pub fn record_failure(
    c: &mut DbConnection,
    id: &str,
    reason: &str,
    now: i64,
    next_attempt_at: Option<i64>,
) -> Result<(), StoreError> {
    let target = n::table.find(id).filter(n::sent_at.is_null()).filter(n::undeliverable_at.is_null());
    let undeliverable_at = next_attempt_at.is_none().then_some(now);
    diesel::update(target)
        .set((
            n::attempts.eq(n::attempts + 1),
            n::last_error.eq(reason),
            n::next_attempt_at.eq(next_attempt_at),
            n::undeliverable_at.eq(undeliverable_at),
        ))
        .execute(c)?;
    Ok(())
}

/// Gives a notification up without a try (no address to send it to).
pub fn mark_undeliverable(c: &mut DbConnection, id: &str, reason: &str, now: i64) -> Result<(), StoreError> {
    diesel::update(n::table.find(id).filter(n::sent_at.is_null()).filter(n::undeliverable_at.is_null()))
        .set((n::last_error.eq(reason), n::next_attempt_at.eq(None::<i64>), n::undeliverable_at.eq(now)))
        .execute(c)?;
    Ok(())
}
