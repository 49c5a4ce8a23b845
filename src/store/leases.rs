//! Job leases: a scheduled job runs on one node at a time. A node holds a lease until it expires or
//! the node renews it; an expired lease can be taken over by any node.

use super::schema::job_leases as l;
use super::{DbConnection, StoreError};
use diesel::prelude::*;

/// Takes or renews the lease `name` for `holder` until `now + ttl_ms`; false when another node holds
/// an unexpired lease. Call inside `write_tx`.
pub fn try_acquire(
    conn: &mut DbConnection,
    name: &str,
    holder: &str,
    now: i64,
    ttl_ms: i64,
) -> Result<bool, StoreError> {
    let taken = diesel::update(l::table.find(name).filter(l::holder.eq(holder).or(l::expires_at.le(now))))
        .set((l::holder.eq(holder), l::expires_at.eq(now + ttl_ms)))
        .execute(conn)?;
    if taken == 1 {
        return Ok(true);
    }
    let exists: i64 = l::table.find(name).count().get_result(conn)?;
    if exists == 1 {
        return Ok(false);
    }
    diesel::insert_into(l::table)
        .values((l::name.eq(name), l::holder.eq(holder), l::expires_at.eq(now + ttl_ms)))
        .execute(conn)?;
    Ok(true)
}

/// Gives the lease up if `holder` has it.
pub fn release(conn: &mut DbConnection, name: &str, holder: &str) -> Result<(), StoreError> {
    diesel::delete(l::table.find(name).filter(l::holder.eq(holder))).execute(conn)?;
    Ok(())
}
