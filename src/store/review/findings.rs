//! Log findings as stored (R-LG-03): each stored once by its key, read back since a time, counted.

use crate::store::schema::findings as fi;
use crate::store::{DbConnection, StoreError};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = fi)]
pub struct FindingRow {
    pub key: String,
    pub kind: String,
    pub subject: String,
    pub at: i64,
    pub events: i64,
    pub evidence: String,
    pub detail: String,
    pub found_at: i64,
}

/// Stores the findings not stored before; returns those that were new.
pub fn insert_findings(c: &mut DbConnection, rows: Vec<FindingRow>) -> Result<Vec<FindingRow>, StoreError> {
    let mut fresh = Vec::new();
    for chunk in rows.chunks(500) {
        let keys: Vec<&str> = chunk.iter().map(|r| r.key.as_str()).collect();
        let known: Vec<String> = fi::table.filter(fi::key.eq_any(&keys)).select(fi::key).load(c)?;
        fresh.extend(chunk.iter().filter(|r| !known.contains(&r.key)).cloned());
    }
    fresh.sort_by(|a, b| a.key.cmp(&b.key));
    fresh.dedup_by(|a, b| a.key == b.key);
    insert_chunks!(c, fi::table, &fresh);
    Ok(fresh)
}

pub fn findings(c: &mut DbConnection, since: i64) -> Result<Vec<FindingRow>, StoreError> {
    Ok(fi::table.filter(fi::at.ge(since)).select(FindingRow::as_select()).order(fi::at.desc()).load(c)?)
}

pub fn count_findings(c: &mut DbConnection) -> Result<i64, StoreError> {
    Ok(fi::table.count().get_result(c)?)
}
