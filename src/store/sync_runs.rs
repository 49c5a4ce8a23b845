//! The HR sync's runs (a held plan waits here for its approval) and its job values (the high-water
//! mark, the content-sync cookie, when the last full read was).

use super::schema::{sync_runs, sync_state};
use super::{DbConnection, StoreError};
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = sync_runs)]
pub struct SyncRun {
    pub id: String,
    pub created_at: i64,
    pub source: String,
    pub status: String,
    pub hold_reason: Option<String>,
    pub requested_by: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub plan_json: String,
}

pub fn insert_run(conn: &mut DbConnection, r: &SyncRun) -> Result<(), StoreError> {
    diesel::insert_into(sync_runs::table).values(r).execute(conn)?;
    Ok(())
}

pub fn run(conn: &mut DbConnection, id: &str) -> Result<Option<SyncRun>, StoreError> {
    Ok(sync_runs::table.find(id).select(SyncRun::as_select()).first(conn).optional()?)
}

/// Moves a held run to `status`; false when it is no longer held.
pub fn decide_run(conn: &mut DbConnection, id: &str, status: &str, by: &str, now: i64) -> Result<bool, StoreError> {
    let n = diesel::update(sync_runs::table.find(id).filter(sync_runs::status.eq("held")))
        .set((sync_runs::status.eq(status), sync_runs::decided_by.eq(by), sync_runs::decided_at.eq(now)))
        .execute(conn)?;
    Ok(n == 1)
}

/// A stored job value (e.g. the high-water mark), if any.
pub fn state(conn: &mut DbConnection, name: &str) -> Result<Option<String>, StoreError> {
    Ok(sync_state::table.find(name).select(sync_state::value).first(conn).optional()?)
}

/// Stores a job value.
pub fn set_state(conn: &mut DbConnection, name: &str, value: &str, now: i64) -> Result<(), StoreError> {
    let n = diesel::update(sync_state::table.find(name))
        .set((sync_state::value.eq(value), sync_state::updated_at.eq(now)))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(sync_state::table)
            .values((sync_state::name.eq(name), sync_state::value.eq(value), sync_state::updated_at.eq(now)))
            .execute(conn)?;
    }
    Ok(())
}
