//! What the console and `tobira provisioning status` show of a system's queue: its counts, the latest
//! items, and the items still open, a page at a time.

use super::{Item, DONE, PENDING, STOPPED};
use crate::store::schema::{accounts, provisioning_outbox as po};
use crate::store::{DbConnection, StoreError};
use diesel::prelude::*;

/// A system's queue: items pending, items stopped, the creation time of the oldest pending one.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct QueueStats {
    pub pending: i64,
    /// Written to a file batch, waiting for its receipt (file systems only).
    pub sent: i64,
    pub stopped: i64,
    pub oldest_pending_at: Option<i64>,
    pub done: i64,
}

pub fn stats(conn: &mut DbConnection, system: &str) -> Result<QueueStats, StoreError> {
    let of = |conn: &mut DbConnection, s: &str| -> Result<i64, StoreError> {
        Ok(po::table.filter(po::system_id.eq(system)).filter(po::status.eq(s)).count().get_result(conn)?)
    };
    let oldest = po::table
        .filter(po::system_id.eq(system))
        .filter(po::status.eq(PENDING))
        .select(diesel::dsl::min(po::created_at))
        .first::<Option<i64>>(conn)?;
    Ok(QueueStats {
        pending: of(conn, PENDING)?,
        sent: of(conn, crate::store::provisioning_files::SENT)?,
        stopped: of(conn, STOPPED)?,
        oldest_pending_at: oldest,
        done: of(conn, DONE)?,
    })
}

/// The items of a system, newest first, at most `limit` (for `tobira provisioning status`).
pub fn recent(conn: &mut DbConnection, system: &str, limit: i64) -> Result<Vec<Item>, StoreError> {
    Ok(po::table
        .filter(po::system_id.eq(system))
        .order((po::created_at.desc(), po::seq.desc()))
        .limit(limit)
        .select(Item::as_select())
        .load(conn)?)
}

/// One page of a system's items still waiting or stopped, oldest first, with the account's login
/// (none when the account is gone): at most `limit` rows from `offset` (the console's system page).
pub fn open_items(
    conn: &mut DbConnection,
    system: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<(Item, Option<String>)>, StoreError> {
    let items: Vec<Item> = po::table
        .filter(po::system_id.eq(system))
        .filter(po::status.eq_any([PENDING, STOPPED]))
        .order((po::created_at.asc(), po::seq.asc(), po::id.asc()))
        .limit(limit)
        .offset(offset)
        .select(Item::as_select())
        .load(conn)?;
    let ids: Vec<&str> = items.iter().map(|i| i.account_id.as_str()).collect();
    let logins: std::collections::HashMap<String, String> = accounts::table
        .filter(accounts::id.eq_any(&ids))
        .select((accounts::id, accounts::login_id))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    Ok(items
        .into_iter()
        .map(|i| {
            let login = logins.get(&i.account_id).cloned();
            (i, login)
        })
        .collect())
}
