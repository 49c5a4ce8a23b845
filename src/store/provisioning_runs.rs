//! The last reconciliation of each provisioned system (R-LC-04) and the SCIM Groups tobira made for
//! a system's roles. Rows only; the caller writes them in its transaction.

use super::schema::{provisioning_groups as pg, provisioning_reconciliations as pr};
use super::{DbConnection, StoreError};
use diesel::prelude::*;
use serde::Serialize;

/// One system's last reconciliation: when, by whom, what it found and queued, or why it failed.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = pr, treat_none_as_null = true)]
pub struct LastRun {
    pub system_id: String,
    pub ran_at: i64,
    pub actor: String,
    pub repair: bool,
    pub listed: i64,
    pub foreign_users: i64,
    pub orphans: i64,
    pub missing: i64,
    pub wrong: i64,
    /// The removal limits the deactivations exceeded, comma-separated ("" when none).
    pub held: String,
    pub queued: i64,
    /// Set when the run could not list the system's Users (then the counts are 0).
    pub error: Option<String>,
}

/// Records `run` as its system's last reconciliation.
pub fn save(conn: &mut DbConnection, run: &LastRun) -> Result<(), StoreError> {
    let n = diesel::update(pr::table.find(&run.system_id)).set(run).execute(conn)?;
    if n == 0 {
        diesel::insert_into(pr::table).values(run).execute(conn)?;
    }
    Ok(())
}

pub fn last(conn: &mut DbConnection, system: &str) -> Result<Option<LastRun>, StoreError> {
    Ok(pr::table.find(system).select(LastRun::as_select()).first(conn).optional()?)
}

/// The id of the system's Group for `role`, when tobira made or found it.
pub fn group(conn: &mut DbConnection, system: &str, role: &str) -> Result<Option<String>, StoreError> {
    Ok(pg::table.find((system, role)).select(pg::remote_id).first(conn).optional()?)
}

pub fn set_group(
    conn: &mut DbConnection,
    system: &str,
    role: &str,
    remote_id: &str,
    now: i64,
) -> Result<(), StoreError> {
    diesel::delete(pg::table.find((system, role))).execute(conn)?;
    diesel::insert_into(pg::table)
        .values((pg::system_id.eq(system), pg::role_id.eq(role), pg::remote_id.eq(remote_id), pg::created_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

/// The system's Groups tobira knows: (role, Group id).
pub fn groups_of(conn: &mut DbConnection, system: &str) -> Result<Vec<(String, String)>, StoreError> {
    Ok(pg::table.filter(pg::system_id.eq(system)).select((pg::role_id, pg::remote_id)).load(conn)?)
}
