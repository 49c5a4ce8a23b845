//! Provisioning links and the outbox (R-LC-01, R-LC-03, R-LC-08): what tobira last queued for an
//! account at a business system, and the changes waiting to be pushed.
//!
//! Invariant: these functions change rows only; the caller writes them with the change that caused
//! them and its audit events in one `write_tx`.

use super::schema::{accounts, grants, people, provisioning_links as pl, provisioning_outbox as po};
use super::{DbConnection, StoreError};
use diesel::prelude::*;
use tobira_domain::provisioning::{Change, Event, Holder, Link, LinkState, Resource};
use tobira_domain::rbac::AccountStatus;

mod reconcile;
mod report;

pub use reconcile::{expected, known_accounts, open_accounts, queue};
pub use report::{open_items, recent, stats, QueueStats};

pub const PENDING: &str = "pending";
pub const DONE: &str = "done";
pub const STOPPED: &str = "stopped";

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = po)]
pub struct Item {
    pub id: String,
    pub system_id: String,
    pub account_id: String,
    pub seq: i64,
    pub event: String,
    pub why: String,
    pub resource_json: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub done_at: Option<i64>,
}

/// What tobira holds of `account_id` for a system whose roles are `roles`; `None` when the account
/// does not exist.
pub fn holder(
    conn: &mut DbConnection,
    account_id: &str,
    roles: &[String],
    now: i64,
) -> Result<Option<Holder>, StoreError> {
    let Some(s) = super::oidc::subject(conn, account_id)? else { return Ok(None) };
    let (status, person): (String, Option<String>) =
        accounts::table.find(account_id).select((accounts::status, accounts::person_id)).first(conn)?;
    let title = match &person {
        Some(p) => people::table.find(p).select(people::post_title).first::<Option<String>>(conn).optional()?.flatten(),
        None => None,
    };
    let mut held: Vec<String> = super::accounts::grants_in_force(conn, account_id, now)?
        .into_iter()
        .map(|g| g.role_id)
        .filter(|r| roles.contains(r))
        .collect();
    held.sort();
    held.dedup();
    Ok(Some(Holder {
        account_id: s.account_id,
        login_id: s.login_id,
        status: AccountStatus::parse(&status),
        roles: held,
        employee_number: s.employee_number,
        name_kanji: s.name_kanji,
        name_kana: s.name_kana,
        department_code: s.department_code,
        department_name: s.department_name,
        title,
        mail: s.mail,
    }))
}

/// The link of an account at a system, with the SCIM resource id when known and the last sequence number.
pub fn link(
    conn: &mut DbConnection,
    system: &str,
    account_id: &str,
) -> Result<Option<(Link, Option<String>, i64)>, StoreError> {
    type Row = (String, String, Option<i64>, Option<String>, i64);
    let row: Option<Row> = pl::table
        .find((system, account_id))
        .select((pl::state, pl::sent_json, pl::removable_since, pl::remote_id, pl::last_seq))
        .first(conn)
        .optional()?;
    let Some((state, sent, since, remote, seq)) = row else { return Ok(None) };
    let state = LinkState::parse(&state)
        .ok_or_else(|| StoreError::Integrity(format!("provisioning link {system}/{account_id} has state `{state}`")))?;
    let sent: Resource = serde_json::from_str(&sent)
        .map_err(|e| StoreError::Integrity(format!("provisioning link {system}/{account_id}: {e}")))?;
    Ok(Some((Link { state, sent, removable_since: since }, remote, seq)))
}

/// Keeps `change`'s link and queues its event, if any, after the account's previous items.
/// Returns the queued item.
pub fn record(
    conn: &mut DbConnection,
    system: &str,
    account_id: &str,
    change: &Change,
    now: i64,
) -> Result<Option<Item>, StoreError> {
    let sent = serde_json::to_string(&change.link.sent).map_err(|e| StoreError::Integrity(e.to_string()))?;
    let last: Option<i64> = pl::table.find((system, account_id)).select(pl::last_seq).first(conn).optional()?;
    let seq = last.unwrap_or(0) + i64::from(change.event.is_some());
    let values = (
        pl::state.eq(change.link.state.as_str()),
        pl::sent_json.eq(&sent),
        pl::removable_since.eq(change.link.removable_since),
        pl::last_seq.eq(seq),
        pl::updated_at.eq(now),
    );
    if last.is_some() {
        diesel::update(pl::table.find((system, account_id))).set(values).execute(conn)?;
    } else {
        diesel::insert_into(pl::table)
            .values((
                pl::system_id.eq(system),
                pl::account_id.eq(account_id),
                values.0,
                values.1,
                values.2,
                values.3,
                values.4,
            ))
            .execute(conn)?;
    }
    let Some(event) = change.event else { return Ok(None) };
    let item = new_item(system, account_id, seq, event, change.why.as_str(), sent, now);
    diesel::insert_into(po::table).values(&item).execute(conn)?;
    Ok(Some(item))
}

/// Accounts a system may have to hear about: those holding one of `roles` now, and those it was
/// told about and has not deleted.
pub fn accounts_to_track(
    conn: &mut DbConnection,
    system: &str,
    roles: &[String],
    now: i64,
) -> Result<Vec<String>, StoreError> {
    let mut ids: Vec<String> = grants::table
        .filter(grants::role_id.eq_any(roles))
        .filter(grants::revoked_at.is_null())
        .filter(grants::valid_from.le(now))
        .filter(grants::valid_until.is_null().or(grants::valid_until.gt(now)))
        .select(grants::account_id)
        .distinct()
        .load(conn)?;
    ids.extend(
        pl::table
            .filter(pl::system_id.eq(system))
            .filter(pl::state.ne(LinkState::Deleted.as_str()))
            .select(pl::account_id)
            .load::<String>(conn)?,
    );
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// Accounts whose standing at a system changed only because time passed: a grant of one of
/// `roles` that began or ended in `(since, now]`, and a link not yet deleted whose account became
/// removable at or before `removable_by` (its retention has ended).
pub fn accounts_due(
    conn: &mut DbConnection,
    system: &str,
    roles: &[String],
    since: i64,
    now: i64,
    removable_by: i64,
) -> Result<Vec<String>, StoreError> {
    let began = grants::valid_from.gt(since).and(grants::valid_from.le(now));
    let ended = grants::valid_until.gt(since).and(grants::valid_until.le(now));
    let mut ids: Vec<String> = grants::table
        .filter(grants::role_id.eq_any(roles))
        .filter(began.nullable().or(ended))
        .select(grants::account_id)
        .distinct()
        .load(conn)?;
    ids.extend(
        pl::table
            .filter(pl::system_id.eq(system))
            .filter(pl::state.ne(LinkState::Deleted.as_str()))
            .filter(pl::removable_since.le(removable_by))
            .select(pl::account_id)
            .load::<String>(conn)?,
    );
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// Pending items of a system in delivery order (per account by sequence), at most `limit`.
pub fn pending(conn: &mut DbConnection, system: &str, limit: i64) -> Result<Vec<Item>, StoreError> {
    Ok(po::table
        .filter(po::system_id.eq(system))
        .filter(po::status.eq(PENDING))
        .order((po::created_at.asc(), po::account_id.asc(), po::seq.asc()))
        .limit(limit)
        .select(Item::as_select())
        .load(conn)?)
}

/// Whether an earlier item of the same account is still pending or stopped (order is kept).
pub fn blocked(conn: &mut DbConnection, item: &Item) -> Result<bool, StoreError> {
    let n: i64 = po::table
        .filter(po::system_id.eq(&item.system_id))
        .filter(po::account_id.eq(&item.account_id))
        .filter(po::seq.lt(item.seq))
        .filter(po::status.ne(DONE))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn done(conn: &mut DbConnection, id: &str, now: i64) -> Result<(), StoreError> {
    diesel::update(po::table.find(id))
        .set((po::status.eq(DONE), po::done_at.eq(now), po::last_error.eq(None::<String>)))
        .execute(conn)?;
    Ok(())
}

pub fn retry_later(conn: &mut DbConnection, id: &str, attempts: i64, next: i64, error: &str) -> Result<(), StoreError> {
    diesel::update(po::table.find(id))
        .set((po::attempts.eq(attempts), po::next_attempt_at.eq(next), po::last_error.eq(error)))
        .execute(conn)?;
    Ok(())
}

pub fn stop(conn: &mut DbConnection, id: &str, attempts: i64, error: &str, now: i64) -> Result<(), StoreError> {
    diesel::update(po::table.find(id))
        .set((po::status.eq(STOPPED), po::attempts.eq(attempts), po::last_error.eq(error), po::done_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

/// Puts a system's stopped items back in the queue, due at once (from their creation, so a node
/// whose clock is behind the operator's does not wait); returns how many.
pub fn retry_stopped(conn: &mut DbConnection, system: &str) -> Result<usize, StoreError> {
    Ok(diesel::update(po::table.filter(po::system_id.eq(system)).filter(po::status.eq(STOPPED)))
        .set((po::status.eq(PENDING), po::next_attempt_at.eq(po::created_at), po::done_at.eq(None::<i64>)))
        .execute(conn)?)
}

pub fn set_remote_id(
    conn: &mut DbConnection,
    system: &str,
    account_id: &str,
    remote: Option<&str>,
) -> Result<(), StoreError> {
    diesel::update(pl::table.find((system, account_id))).set(pl::remote_id.eq(remote)).execute(conn)?;
    Ok(())
}

/// The accounts of the people with these employee numbers.
pub fn accounts_of_people(conn: &mut DbConnection, employee_numbers: &[String]) -> Result<Vec<String>, StoreError> {
    let mut ids = Vec::new();
    for chunk in employee_numbers.chunks(500) {
        ids.extend(
            accounts::table
                .inner_join(people::table)
                .filter(people::employee_number.eq_any(chunk))
                .select(accounts::id)
                .load::<String>(conn)?,
        );
    }
    Ok(ids)
}

/// A new outbox item, waiting to be sent now.
fn new_item(
    system: &str,
    account_id: &str,
    seq: i64,
    event: Event,
    why: &str,
    resource_json: String,
    now: i64,
) -> Item {
    Item {
        id: super::new_id(),
        system_id: system.into(),
        account_id: account_id.into(),
        seq,
        event: event.as_str().into(),
        why: why.into(),
        resource_json,
        status: PENDING.into(),
        attempts: 0,
        next_attempt_at: now,
        last_error: None,
        created_at: now,
        done_at: None,
    }
}
