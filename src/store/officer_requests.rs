//! Officer actions waiting for a second person (R-AC-02): the request, its details and its decision.
//!
//! Invariant: a request is decided once ([`decide`] changes only a `requested` row).

use super::schema::officer_requests as r;
use super::{DbConnection, StoreError};
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = r)]
pub struct OfficerRequest {
    pub id: String,
    /// `password_reset`, `enrollment_link`, `credential_revoke`, `unlock` or `reinstate`.
    pub kind: String,
    pub account_id: String,
    /// JSON: what the action needs (a credential id, a reason, a supervisor).
    pub details: String,
    pub requested_by: String,
    /// The requester's person (employee number, or `account:<id>`).
    pub requester_key: String,
    pub requested_at: i64,
    /// `requested`, `done` or `refused`.
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
}

pub fn insert(c: &mut DbConnection, row: &OfficerRequest) -> Result<(), StoreError> {
    diesel::insert_into(r::table).values(row).execute(c)?;
    Ok(())
}

pub fn by_id(c: &mut DbConnection, id: &str) -> Result<Option<OfficerRequest>, StoreError> {
    Ok(r::table.find(id).select(OfficerRequest::as_select()).first(c).optional()?)
}

/// The open requests, oldest first.
pub fn open(c: &mut DbConnection) -> Result<Vec<OfficerRequest>, StoreError> {
    Ok(r::table
        .filter(r::status.eq("requested"))
        .order(r::requested_at.asc())
        .select(OfficerRequest::as_select())
        .load(c)?)
}

/// Decides a `requested` request; false when it was no longer open.
pub fn decide(c: &mut DbConnection, id: &str, status: &str, by: &str, now: i64) -> Result<bool, StoreError> {
    let n = diesel::update(r::table.find(id).filter(r::status.eq("requested")))
        .set((r::status.eq(status), r::decided_by.eq(by), r::decided_at.eq(now)))
        .execute(c)?;
    Ok(n == 1)
}
