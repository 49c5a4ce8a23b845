//! The audit log table: appending sealed records and reading them back in order.
//!
//! Invariant: [`append`] must run inside [`super::write_tx`]. It takes the chain lock first (the
//! write lock on SQLite from `BEGIN IMMEDIATE`; a transaction-scoped advisory lock on PostgreSQL, so
//! several nodes never fork the chain), then reads the head, seals and inserts. The events therefore
//! commit or roll back with the change they describe.

use super::schema::audit_events::dsl as a;
use super::{DbConnection, StoreError};
use diesel::prelude::*;
use tobira_domain::audit::{seal, AuditEvent, AuditRecord, ChainBreak, ChainHead, ChainVerifier, Outcome};

/// Key of the PostgreSQL advisory lock that serialises appends ("tobira audit").
pub(super) const AUDIT_LOCK_KEY: i64 = 0x746f_6269_7261_4155;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = super::schema::audit_events)]
pub(super) struct Row {
    seq: i64,
    occurred_at: i64,
    actor: String,
    action: String,
    target: String,
    outcome: String,
    source_ip: Option<String>,
    request_id: Option<String>,
    details: String,
    prev_hash: String,
    hash: String,
}

impl Row {
    fn from_record(r: &AuditRecord) -> Row {
        Row {
            seq: r.seq,
            occurred_at: r.occurred_at,
            actor: r.event.actor.clone(),
            action: r.event.action.clone(),
            target: r.event.target.clone(),
            outcome: r.event.outcome.as_str().into(),
            source_ip: r.event.source_ip.clone(),
            request_id: r.event.request_id.clone(),
            details: r.event.details.to_string(),
            prev_hash: r.prev_hash.clone(),
            hash: r.hash.clone(),
        }
    }

    /// A stored row as a record. Unparseable stored text is kept as a string value so that the
    /// verifier reports the record as modified instead of failing to read it.
    pub(super) fn into_record(self) -> AuditRecord {
        let details = serde_json::from_str(&self.details).unwrap_or(serde_json::Value::String(self.details));
        // An outcome that is not one of ours cannot hash to the stored value: mark it modified by
        // mapping it to a value and a detail that differ from anything sealed.
        let (outcome, details) = match Outcome::parse(&self.outcome) {
            Some(o) => (o, details),
            None => (Outcome::Failure, serde_json::json!({ "unreadable_outcome": self.outcome, "details": details })),
        };
        AuditRecord {
            seq: self.seq,
            occurred_at: self.occurred_at,
            event: AuditEvent {
                actor: self.actor,
                action: self.action,
                target: self.target,
                outcome,
                source_ip: self.source_ip,
                request_id: self.request_id,
                details,
            },
            prev_hash: self.prev_hash,
            hash: self.hash,
        }
    }
}

fn lock_chain(conn: &mut DbConnection) -> Result<(), StoreError> {
    if let DbConnection::Pg(_) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({AUDIT_LOCK_KEY})")).execute(conn)?;
    }
    Ok(())
}

/// The newest record's position; when there is none, the newest anchor's (a pruning deleted every
/// record: the chain goes on from where it was cut), or genesis for a log never written.
pub fn head(conn: &mut DbConnection) -> Result<ChainHead, StoreError> {
    let last: Option<(i64, String)> =
        a::audit_events.select((a::seq, a::hash)).order(a::seq.desc()).first(conn).optional()?;
    match last {
        Some((seq, hash)) => Ok(ChainHead { seq, hash }),
        None => Ok(super::audit_holds::latest_anchor(conn)?.map_or_else(ChainHead::genesis, |a| a.head())),
    }
}

/// Seals and inserts `events` after the current head. Call inside `write_tx`.
pub fn append(
    conn: &mut DbConnection,
    occurred_at: i64,
    events: Vec<AuditEvent>,
) -> Result<Vec<AuditRecord>, StoreError> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    lock_chain(conn)?;
    let head = head(conn)?;
    insert_after(conn, &head, occurred_at, events)
}

/// Seals `events` after `head` and inserts them; the chain lock is the caller's.
pub(super) fn insert_after(
    conn: &mut DbConnection,
    head: &ChainHead,
    occurred_at: i64,
    events: Vec<AuditEvent>,
) -> Result<Vec<AuditRecord>, StoreError> {
    let (records, _) = seal(head, occurred_at, events);
    let rows: Vec<Row> = records.iter().map(Row::from_record).collect();
    super::insert_chunks!(conn, a::audit_events, rows);
    Ok(records)
}

/// Up to `limit` records with `seq > after`, in order.
pub fn page(conn: &mut DbConnection, after: i64, limit: i64) -> Result<Vec<AuditRecord>, StoreError> {
    let rows: Vec<Row> = a::audit_events
        .filter(a::seq.gt(after))
        .order(a::seq.asc())
        .limit(limit)
        .select(Row::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(Row::into_record).collect())
}

/// Up to `limit` records with `seq > after` that occurred in `[from, until)`, in order.
pub fn page_where(
    conn: &mut DbConnection,
    after: i64,
    limit: i64,
    from: i64,
    until: i64,
) -> Result<Vec<AuditRecord>, StoreError> {
    let rows: Vec<Row> = a::audit_events
        .filter(a::seq.gt(after))
        .filter(a::occurred_at.ge(from))
        .filter(a::occurred_at.lt(until))
        .order(a::seq.asc())
        .limit(limit)
        .select(Row::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(Row::into_record).collect())
}

/// The stored hash of each of `seqs` that exists.
pub fn hashes_at(conn: &mut DbConnection, seqs: &[i64]) -> Result<std::collections::HashMap<i64, String>, StoreError> {
    let mut out = std::collections::HashMap::new();
    for chunk in seqs.chunks(500) {
        let rows: Vec<(i64, String)> =
            a::audit_events.filter(a::seq.eq_any(chunk)).select((a::seq, a::hash)).load(conn)?;
        out.extend(rows);
    }
    Ok(out)
}

/// The newest record of `action`, if any.
pub fn last_of_action(conn: &mut DbConnection, action: &str) -> Result<Option<AuditRecord>, StoreError> {
    let row: Option<Row> = a::audit_events
        .filter(a::action.eq(action))
        .order(a::seq.desc())
        .select(Row::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(Row::into_record))
}

/// The records of one action, newest first.
pub fn by_action(conn: &mut DbConnection, action: &str, limit: i64) -> Result<Vec<AuditRecord>, StoreError> {
    let rows: Vec<Row> = a::audit_events
        .filter(a::action.eq(action))
        .order(a::seq.desc())
        .limit(limit)
        .select(Row::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(Row::into_record).collect())
}

/// The records about `target` of the given actions, newest first, with `seq > after`.
pub fn by_target(
    conn: &mut DbConnection,
    target: &str,
    actions: &[&str],
    after: i64,
    limit: i64,
) -> Result<Vec<AuditRecord>, StoreError> {
    let rows: Vec<Row> = a::audit_events
        .filter(a::target.eq(target))
        .filter(a::action.eq_any(actions))
        .filter(a::seq.gt(after))
        .order(a::seq.desc())
        .limit(limit)
        .select(Row::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(Row::into_record).collect())
}

/// The result of walking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub checked: u64,
    pub head: ChainHead,
    pub first_break: Option<ChainBreak>,
}

/// Walks every record in pages and stops at the first break. After a pruning (R-LG-01) the walk
/// starts at the latest anchor: the records that remain must link on from its hash.
pub fn verify(conn: &mut DbConnection, page_size: i64) -> Result<Verification, StoreError> {
    let anchor = super::audit_holds::latest_anchor(conn)?.map(|a| a.head());
    verify_from(conn, anchor, page_size, i64::MAX)
}

/// Walks the records after `anchor` (from genesis when none) up to `through`, stopping at the first break.
pub fn verify_from(
    conn: &mut DbConnection,
    anchor: Option<ChainHead>,
    page_size: i64,
    through: i64,
) -> Result<Verification, StoreError> {
    let mut v = anchor.map_or_else(ChainVerifier::new, ChainVerifier::resume);
    let mut after = v.head().seq;
    loop {
        let records = page(conn, after, page_size)?;
        let Some(last) = records.last() else { break };
        after = last.seq;
        for r in records.iter().take_while(|r| r.seq <= through) {
            if let Err(b) = v.check(r) {
                return Ok(Verification { checked: v.checked(), head: v.head().clone(), first_break: Some(b) });
            }
        }
        if after >= through {
            break;
        }
    }
    Ok(Verification { checked: v.checked(), head: v.head().clone(), first_break: None })
}

/// A person's usage: records whose actor is the login or whose target is the account, in
/// `[from, to)`, newest first (R-LG-11; the caller checks who may search and audits the search).
pub fn usage_of(
    conn: &mut DbConnection,
    login: &str,
    from: i64,
    to: i64,
    limit: i64,
) -> Result<Vec<AuditRecord>, StoreError> {
    let target = format!("account:{login}");
    let rows: Vec<Row> = a::audit_events
        .filter(a::actor.eq(login).or(a::target.eq(&target)))
        .filter(a::occurred_at.ge(from))
        .filter(a::occurred_at.lt(to))
        .order(a::seq.desc())
        .limit(limit)
        .select(Row::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(Row::into_record).collect())
}
