//! Telework / remote-access grants (R-ZN-11): who may work from a remote network, approved by whom,
//! until when. Grants are revoked, never deleted.

use super::schema::remote_access_grants as g;
use super::{DbConnection, StoreError};
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = g)]
pub struct RemoteAccessGrant {
    pub id: String,
    pub account_id: String,
    pub approved_by: String,
    pub recorded_by: String,
    pub reason: String,
    pub valid_from: i64,
    pub valid_until: i64,
    pub revoked_at: Option<i64>,
}

pub fn insert(conn: &mut DbConnection, r: &RemoteAccessGrant) -> Result<(), StoreError> {
    diesel::insert_into(g::table).values(r).execute(conn)?;
    Ok(())
}

/// Whether the account holds a grant in force at `now`.
pub fn in_force(conn: &mut DbConnection, account_id: &str, now: i64) -> Result<bool, StoreError> {
    let n: i64 = g::table
        .filter(g::account_id.eq(account_id))
        .filter(g::revoked_at.is_null())
        .filter(g::valid_from.le(now))
        .filter(g::valid_until.gt(now))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Revokes every grant of the account still in force; how many.
pub fn revoke_all(conn: &mut DbConnection, account_id: &str, now: i64) -> Result<usize, StoreError> {
    Ok(diesel::update(
        g::table.filter(g::account_id.eq(account_id)).filter(g::revoked_at.is_null()).filter(g::valid_until.gt(now)),
    )
    .set(g::revoked_at.eq(now))
    .execute(conn)?)
}
