//! Legal holds on audit records and the anchors of pruned prefixes (R-LG-06, R-LG-01).
//!
//! Invariants: [`prune_through`] deletes only a prefix of the chain (every record with
//! `seq <= through`) and must run inside [`super::write_tx`] together with the anchor it leaves and
//! the `audit.pruned` record; holds are never deleted, only released.

use super::schema::audit_anchors::dsl as an;
use super::schema::audit_events::dsl as a;
use super::schema::audit_holds::dsl as h;
use super::{DbConnection, StoreError};
use diesel::prelude::*;
use serde::Serialize;
use tobira_domain::audit::ChainHead;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = super::schema::audit_holds)]
pub struct Hold {
    pub id: String,
    pub case_number: String,
    pub reason: String,
    pub from_at: i64,
    pub until_at: i64,
    /// JSON array of login IDs and system IDs; empty: everyone.
    pub subjects: String,
    pub created_by: String,
    pub created_at: i64,
    pub released_by: Option<String>,
    pub released_at: Option<i64>,
    pub release_reason: Option<String>,
}

impl Hold {
    pub fn subject_list(&self) -> Vec<String> {
        serde_json::from_str(&self.subjects).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = super::schema::audit_anchors)]
pub struct Anchor {
    pub seq: i64,
    pub hash: String,
    pub pruned_at: i64,
    /// How many records that pruning deleted.
    pub pruned: i64,
    pub pruned_by: String,
}

impl Anchor {
    pub fn head(&self) -> ChainHead {
        ChainHead { seq: self.seq, hash: self.hash.clone() }
    }
}

pub fn insert(c: &mut DbConnection, hold: &Hold) -> Result<(), StoreError> {
    diesel::insert_into(h::audit_holds).values(hold).execute(c)?;
    Ok(())
}

pub fn by_id(c: &mut DbConnection, id: &str) -> Result<Option<Hold>, StoreError> {
    Ok(h::audit_holds.find(id).select(Hold::as_select()).first(c).optional()?)
}

/// Every hold, newest first (active and released).
pub fn all(c: &mut DbConnection, limit: i64) -> Result<Vec<Hold>, StoreError> {
    Ok(h::audit_holds.order((h::created_at.desc(), h::id.desc())).limit(limit).select(Hold::as_select()).load(c)?)
}

/// The holds not released.
pub fn active(c: &mut DbConnection) -> Result<Vec<Hold>, StoreError> {
    Ok(h::audit_holds.filter(h::released_at.is_null()).order(h::from_at.asc()).select(Hold::as_select()).load(c)?)
}

/// Marks a hold released; false when it was already released (or does not exist).
pub fn release(c: &mut DbConnection, id: &str, by: &str, reason: &str, now: i64) -> Result<bool, StoreError> {
    let n = diesel::update(h::audit_holds.filter(h::id.eq(id)).filter(h::released_at.is_null()))
        .set((h::released_by.eq(by), h::released_at.eq(now), h::release_reason.eq(reason)))
        .execute(c)?;
    Ok(n == 1)
}

/// The newest anchor (the end of the last pruned prefix), if the chain was ever pruned.
pub fn latest_anchor(c: &mut DbConnection) -> Result<Option<Anchor>, StoreError> {
    Ok(an::audit_anchors.order(an::seq.desc()).select(Anchor::as_select()).first(c).optional()?)
}

/// The sequence number of the last record that occurred before `at` and of every earlier one,
/// i.e. one less than the first record at or after `at` (the head when there is none).
pub fn last_seq_before(c: &mut DbConnection, at: i64) -> Result<i64, StoreError> {
    let first_at: Option<i64> =
        a::audit_events.filter(a::occurred_at.ge(at)).select(diesel::dsl::min(a::seq)).first(c)?;
    match first_at {
        Some(s) => Ok(s - 1),
        None => Ok(a::audit_events.select(diesel::dsl::max(a::seq)).first::<Option<i64>>(c)?.unwrap_or(0)),
    }
}

/// The stored hash of record `seq`.
pub fn hash_of(c: &mut DbConnection, seq: i64) -> Result<Option<String>, StoreError> {
    Ok(a::audit_events.filter(a::seq.eq(seq)).select(a::hash).first(c).optional()?)
}

/// Leaves the anchor and deletes every record with `seq <= anchor.seq`; the number deleted. The
/// database refuses any other deletion: its trigger lets through only records at or before the
/// newest anchor, so the anchor goes in first.
pub fn prune_through(c: &mut DbConnection, anchor: &Anchor) -> Result<usize, StoreError> {
    diesel::insert_into(an::audit_anchors).values(anchor).execute(c)?;
    let n = diesel::delete(a::audit_events.filter(a::seq.le(anchor.seq))).execute(c)?;
    diesel::update(an::audit_anchors.filter(an::seq.eq(anchor.seq)))
        .set(an::pruned.eq(i64::try_from(n).unwrap_or(i64::MAX)))
        .execute(c)?;
    Ok(n)
}
