//! Held HR-sync runs: the ones waiting, renewing one in place when a re-run plans the same hold
//! again, and moving one out of `held` (approved, discarded, expired).
//!
//! Invariant: a run leaves `held` only through [`leave_held`], a conditional update, so two
//! deciders cannot both decide it.

use super::schema::sync_runs;
use super::sync_runs::SyncRun;
use super::{DbConnection, StoreError};
use diesel::prelude::*;

/// Every run still held, newest first.
pub fn held(conn: &mut DbConnection) -> Result<Vec<SyncRun>, StoreError> {
    Ok(sync_runs::table
        .filter(sync_runs::status.eq("held"))
        .order(sync_runs::created_at.desc())
        .select(SyncRun::as_select())
        .load(conn)?)
}

/// Re-plans a held run in place: its plan, its reason and when it was planned (`created_at`);
/// false when it is no longer held.
pub fn renew(conn: &mut DbConnection, id: &str, reason: &str, plan_json: &str, now: i64) -> Result<bool, StoreError> {
    let n = diesel::update(sync_runs::table.find(id).filter(sync_runs::status.eq("held")))
        .set((sync_runs::hold_reason.eq(reason), sync_runs::plan_json.eq(plan_json), sync_runs::created_at.eq(now)))
        .execute(conn)?;
    Ok(n == 1)
}

/// Moves a held run to `status`, recording who and when; false when it is no longer held.
pub fn leave_held(conn: &mut DbConnection, id: &str, status: &str, by: &str, now: i64) -> Result<bool, StoreError> {
    super::sync_runs::decide_run(conn, id, status, by, now)
}
