//! What a reconciliation reads and repairs: what tobira says a system should hold, which accounts are
//! tobira's, which still have items open, and a repair queued after an account's earlier items.

use super::{new_item, Item, DONE};
use crate::store::schema::{accounts, provisioning_links as pl, provisioning_outbox as po};
use crate::store::{DbConnection, StoreError};
use diesel::prelude::*;
use tobira_domain::provisioning::{Event, LinkState, Resource};

/// What tobira says a system should hold: the links not deleted, (account id, what was sent).
pub fn expected(conn: &mut DbConnection, system: &str) -> Result<Vec<(String, Resource)>, StoreError> {
    let rows: Vec<(String, String)> = pl::table
        .filter(pl::system_id.eq(system))
        .filter(pl::state.ne(LinkState::Deleted.as_str()))
        .select((pl::account_id, pl::sent_json))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, sent)| {
            serde_json::from_str(&sent)
                .map(|r| (id.clone(), r))
                .map_err(|e| StoreError::Integrity(format!("provisioning link {system}/{id}: {e}")))
        })
        .collect()
}

/// Which of `ids` are tobira's account ids.
pub fn known_accounts(conn: &mut DbConnection, ids: &[String]) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(accounts::table.filter(accounts::id.eq_any(chunk)).select(accounts::id).load::<String>(conn)?);
    }
    Ok(out)
}

/// Queues `event` for `account_id` after its earlier items (a reconciliation's repair); the link's
/// sequence follows when there is one.
pub fn queue(
    conn: &mut DbConnection,
    system: &str,
    account_id: &str,
    event: Event,
    why: &str,
    resource: &Resource,
    now: i64,
) -> Result<Item, StoreError> {
    let last: Option<i64> = po::table
        .filter(po::system_id.eq(system))
        .filter(po::account_id.eq(account_id))
        .select(diesel::dsl::max(po::seq))
        .first(conn)?;
    let linked: Option<i64> = pl::table.find((system, account_id)).select(pl::last_seq).first(conn).optional()?;
    let seq = last.unwrap_or(0).max(linked.unwrap_or(0)) + 1;
    if linked.is_some() {
        diesel::update(pl::table.find((system, account_id)))
            .set((pl::last_seq.eq(seq), pl::updated_at.eq(now)))
            .execute(conn)?;
    }
    let resource_json = serde_json::to_string(resource).map_err(|e| StoreError::Integrity(e.to_string()))?;
    let item = new_item(system, account_id, seq, event, why, resource_json, now);
    diesel::insert_into(po::table).values(&item).execute(conn)?;
    Ok(item)
}

/// The accounts of a system with items not yet done (pending or stopped): their queue will bring them
/// to what tobira holds, so a reconciliation does not queue for them again.
pub fn open_accounts(conn: &mut DbConnection, system: &str) -> Result<Vec<String>, StoreError> {
    Ok(po::table
        .filter(po::system_id.eq(system))
        .filter(po::status.ne(DONE))
        .select(po::account_id)
        .distinct()
        .load(conn)?)
}
