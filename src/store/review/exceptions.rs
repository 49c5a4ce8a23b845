//! The exceptions register's rows (R-AC-04): an exception as asked for, its decision (written only while
//! it is still in the state the decider saw), its review and its recorded expiry.

use crate::store::schema::exceptions as ex;
use crate::store::{DbConnection, StoreError};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = ex)]
pub struct Exception {
    pub id: String,
    pub rule: String,
    /// JSON array of `person:…`, `account:…`, `system:…`.
    pub subjects: String,
    pub reason: String,
    pub valid_until: i64,
    pub status: String,
    pub emergency: bool,
    pub requested_by: String,
    pub requester_number: Option<String>,
    pub requested_at: i64,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub decision_note: Option<String>,
    pub reviewed_at: Option<i64>,
    pub expired_noted_at: Option<i64>,
}

pub fn insert_exception(c: &mut DbConnection, e: &Exception) -> Result<(), StoreError> {
    diesel::insert_into(ex::table).values(e).execute(c)?;
    Ok(())
}

pub fn exception(c: &mut DbConnection, id: &str) -> Result<Option<Exception>, StoreError> {
    Ok(ex::table.find(id).select(Exception::as_select()).first(c).optional()?)
}

pub fn exceptions(c: &mut DbConnection) -> Result<Vec<Exception>, StoreError> {
    Ok(ex::table.select(Exception::as_select()).order(ex::requested_at.desc()).load(c)?)
}

/// Moves an exception from `from` to `to` with its decider; false when it was not in `from`.
pub fn decide_exception(
    c: &mut DbConnection,
    id: &str,
    from: &[&str],
    to: &str,
    by: &str,
    note: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let n = diesel::update(ex::table.find(id).filter(ex::status.eq_any(from)))
        .set((ex::status.eq(to), ex::decided_by.eq(by), ex::decided_at.eq(now), ex::decision_note.eq(note)))
        .execute(c)?;
    Ok(n == 1)
}

pub fn exception_reviewed(c: &mut DbConnection, id: &str, now: i64) -> Result<(), StoreError> {
    diesel::update(ex::table.find(id)).set(ex::reviewed_at.eq(now)).execute(c)?;
    Ok(())
}

/// Marks an exception's expiry as recorded; false when it already was.
pub fn note_expired(c: &mut DbConnection, id: &str, now: i64) -> Result<bool, StoreError> {
    Ok(diesel::update(ex::table.find(id).filter(ex::expired_noted_at.is_null()))
        .set(ex::expired_noted_at.eq(now))
        .execute(c)?
        == 1)
}
