//! The group commit's appends: a batch of events that belongs to no larger change, sealed and
//! committed in a transaction of its own, where every round trip to the database is time every
//! waiting caller waits.
//!
//! On PostgreSQL the appender remembers the head its last batch left. The batch goes as **one
//! autocommitted call** of the function `tobira_audit_append` (migrations 30 and 31): it takes the
//! chain lock, then reads the head by a statement of its own (so it sees every append committed
//! before the lock was granted) and inserts the sealed rows (`unnest` of one array per column) only
//! if no record follows the remembered head; the commit ends the call. One round trip instead of
//! four, and the function's statements are planned once per connection, not once per batch.
//!
//! When the head has moved (a change appended in its own transaction, another node), nothing is
//! inserted and the call answers the head it found: the batch is sealed again after it and sent
//! once more ([`RESEALS`] times at most, for another writer may append in between), then sealed
//! after the head read under the lock ([`append_locked`], four round trips holding the lock).
use super::audit::{append, head, insert_after, AUDIT_LOCK_KEY};
use super::{DbConnection, StoreError};
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text};
use tobira_domain::audit::{seal, AuditEvent, AuditRecord, ChainHead};

/// Which way a batch was committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// Sealed after the remembered head, in one call.
    OneStatement,
    /// Sealed again after the head an earlier call found moved, in one more call.
    Resealed,
    /// Sealed after the head read under the lock (SQLite: under `BEGIN IMMEDIATE`).
    HeadRead,
}

/// How many times a batch is sealed again after a head that moved before it takes the locked path.
pub const RESEALS: usize = 3;

/// Seals and commits `events` after the head; `known` is the head the caller's last batch left,
/// if it remembers one. Returns the records, the last of which is the new head, and the way taken.
pub fn append_alone(
    conn: &mut DbConnection,
    occurred_at: i64,
    events: Vec<AuditEvent>,
    known: Option<&ChainHead>,
) -> Result<(Vec<AuditRecord>, Way), StoreError> {
    let DbConnection::Pg(pg) = conn else {
        return Ok((super::write_tx(conn, |c| append(c, occurred_at, events))?, Way::HeadRead));
    };
    let (Some(known), false) = (known, events.is_empty()) else {
        return Ok((append_locked(conn, occurred_at, events)?, Way::HeadRead));
    };
    let (mut after, mut events) = (known.clone(), events);
    for (attempt, way) in std::iter::once(Way::OneStatement).chain([Way::Resealed; RESEALS]).enumerate() {
        match append_after(pg, &after, occurred_at, events)? {
            Ok(records) => return Ok((records, way)),
            Err((found, back)) if attempt < RESEALS => (after, events) = (found, back),
            Err((_, back)) => events = back,
        }
    }
    Ok((append_locked(conn, occurred_at, events)?, Way::HeadRead))
}

/// The locked path: `BEGIN; SELECT pg_advisory_xact_lock(…)` in one round trip, then the head (the
/// statement's snapshot sees every append committed before the lock was granted), the insert and
/// `COMMIT`. Whatever fails, the connection is left with no transaction open.
fn append_locked(
    conn: &mut DbConnection,
    occurred_at: i64,
    events: Vec<AuditEvent>,
) -> Result<Vec<AuditRecord>, StoreError> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let begun =
        conn.batch_execute(&format!("BEGIN; SELECT pg_advisory_xact_lock({AUDIT_LOCK_KEY})")).map_err(StoreError::from);
    let sealed = begun.and_then(|()| head(conn)).and_then(|head| insert_after(conn, &head, occurred_at, events));
    match sealed.and_then(|records| Ok(conn.batch_execute("COMMIT").map(|()| records)?)) {
        Ok(records) => Ok(records),
        Err(e) => {
            // After a failed COMMIT the transaction has ended already and ROLLBACK only warns.
            let _ = conn.batch_execute("ROLLBACK");
            Err(e)
        }
    }
}

/// One call, committed on its own, of the function `tobira_audit_append` (migration 31): the chain
/// lock, then the rows, unless a record follows `$3`, the remembered head, when the lock is granted;
/// the head after the call.
const APPEND_AFTER: &str =
    "SELECT n, head_seq, head_hash FROM tobira_audit_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";

#[derive(QueryableByName)]
struct Called {
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    head_seq: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    head_hash: Option<String>,
}

/// The head a call found moved, and the batch's events, not written.
type Moved = (ChainHead, Vec<AuditEvent>);

/// The one-call append after `known`: `Ok(records)` when committed, `Err((head, events))` (nothing
/// written) when the head had moved to `head`.
fn append_after(
    pg: &mut PgConnection,
    known: &ChainHead,
    occurred_at: i64,
    events: Vec<AuditEvent>,
) -> Result<Result<Vec<AuditRecord>, Moved>, StoreError> {
    let (records, _) = seal(known, occurred_at, events);
    let column = |f: fn(&AuditRecord) -> String| records.iter().map(f).collect::<Vec<String>>();
    let optional = |f: fn(&AuditRecord) -> Option<String>| records.iter().map(f).collect::<Vec<Option<String>>>();
    let called = diesel::sql_query(APPEND_AFTER)
        .bind::<BigInt, _>(AUDIT_LOCK_KEY)
        .bind::<BigInt, _>(occurred_at)
        .bind::<BigInt, _>(known.seq)
        .bind::<Array<BigInt>, _>(records.iter().map(|r| r.seq).collect::<Vec<i64>>())
        .bind::<Array<Text>, _>(column(|r| r.event.actor.clone()))
        .bind::<Array<Text>, _>(column(|r| r.event.action.clone()))
        .bind::<Array<Text>, _>(column(|r| r.event.target.clone()))
        .bind::<Array<Text>, _>(column(|r| r.event.outcome.as_str().into()))
        .bind::<Array<Nullable<Text>>, _>(optional(|r| r.event.source_ip.clone()))
        .bind::<Array<Nullable<Text>>, _>(optional(|r| r.event.request_id.clone()))
        .bind::<Array<Text>, _>(column(|r| r.event.details.to_string()))
        .bind::<Array<Text>, _>(column(|r| r.prev_hash.clone()))
        .bind::<Array<Text>, _>(column(|r| r.hash.clone()))
        .get_result::<Called>(pg)?;
    match (usize::try_from(called.n), called.head_seq, called.head_hash) {
        (Ok(0), Some(seq), Some(hash)) if seq > known.seq => {
            Ok(Err((ChainHead { seq, hash }, records.into_iter().map(|r| r.event).collect())))
        }
        (Ok(n), _, _) if n == records.len() => Ok(Ok(records)),
        _ => Err(StoreError::Integrity(format!("the audit append wrote {} of {} records", called.n, records.len()))),
    }
}
