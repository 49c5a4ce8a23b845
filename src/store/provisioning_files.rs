//! The numbered batches of a file system (R-ZN-04): what each batch holds (its outbox items) and
//! whether the zone side's receipt for it came back.
//!
//! Invariant: numbers of a system start at 1 and follow on without a gap (the primary key and
//! [`next_seq`] under the system's delivery lease); these functions change rows only, the caller
//! writes them with their audit events in one `write_tx`.

use super::schema::{provisioning_file_batches as fb, provisioning_outbox as po};
use super::{DbConnection, StoreError};
use diesel::prelude::*;

/// Items written to a batch, waiting for the batch's receipt.
pub const SENT: &str = "sent";

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = fb)]
pub struct Batch {
    pub system_id: String,
    pub seq: i64,
    /// The outbox item ids in the batch, in file order (JSON array).
    pub items_json: String,
    pub jsonl_sha256: String,
    pub csv_sha256: String,
    pub written_at: i64,
    pub receipt_at: Option<i64>,
    pub applied: i64,
    pub failed: i64,
    /// When the missing receipt gave a finding.
    pub overdue_at: Option<i64>,
    /// The files (name → base64 content) until they are published in `out_dir`.
    #[serde(skip)]
    pub unpublished_json: Option<String>,
}

impl Batch {
    pub fn items(&self) -> Result<Vec<String>, StoreError> {
        serde_json::from_str(&self.items_json)
            .map_err(|e| StoreError::Integrity(format!("file batch {}/{}: {e}", self.system_id, self.seq)))
    }
}

/// The number the next batch of `system` gets.
pub fn next_seq(conn: &mut DbConnection, system: &str) -> Result<i64, StoreError> {
    let last: Option<i64> = fb::table.filter(fb::system_id.eq(system)).select(diesel::dsl::max(fb::seq)).first(conn)?;
    Ok(last.unwrap_or(0) + 1)
}

/// Records a written batch and marks its items sent.
pub fn insert(conn: &mut DbConnection, batch: &Batch, items: &[String]) -> Result<(), StoreError> {
    diesel::insert_into(fb::table).values(batch).execute(conn)?;
    for chunk in items.chunks(500) {
        diesel::update(po::table.filter(po::id.eq_any(chunk)))
            .set((po::status.eq(SENT), po::attempts.eq(po::attempts + 1)))
            .execute(conn)?;
    }
    Ok(())
}

pub fn get(conn: &mut DbConnection, system: &str, seq: i64) -> Result<Option<Batch>, StoreError> {
    Ok(fb::table.find((system, seq)).select(Batch::as_select()).first(conn).optional()?)
}

/// Batches still waiting for their receipt, lowest number first.
pub fn awaiting(conn: &mut DbConnection, system: &str) -> Result<Vec<Batch>, StoreError> {
    Ok(fb::table
        .filter(fb::system_id.eq(system))
        .filter(fb::receipt_at.is_null())
        .order(fb::seq.asc())
        .select(Batch::as_select())
        .load(conn)?)
}

/// The batch with the highest number whose receipt came back.
pub fn last_receipted(conn: &mut DbConnection, system: &str) -> Result<Option<Batch>, StoreError> {
    Ok(fb::table
        .filter(fb::system_id.eq(system))
        .filter(fb::receipt_at.is_not_null())
        .order(fb::seq.desc())
        .select(Batch::as_select())
        .first(conn)
        .optional()?)
}

pub fn set_receipt(
    conn: &mut DbConnection,
    system: &str,
    seq: i64,
    applied: i64,
    failed: i64,
    now: i64,
) -> Result<(), StoreError> {
    diesel::update(fb::table.find((system, seq)))
        .set((fb::receipt_at.eq(now), fb::applied.eq(applied), fb::failed.eq(failed)))
        .execute(conn)?;
    Ok(())
}

pub fn set_overdue(conn: &mut DbConnection, system: &str, seq: i64, now: i64) -> Result<(), StoreError> {
    diesel::update(fb::table.find((system, seq))).set(fb::overdue_at.eq(now)).execute(conn)?;
    Ok(())
}

/// Batches whose files are not yet published, lowest number first.
pub fn unpublished(conn: &mut DbConnection, system: &str) -> Result<Vec<Batch>, StoreError> {
    Ok(fb::table
        .filter(fb::system_id.eq(system))
        .filter(fb::unpublished_json.is_not_null())
        .order(fb::seq.asc())
        .select(Batch::as_select())
        .load(conn)?)
}

pub fn set_published(conn: &mut DbConnection, system: &str, seq: i64) -> Result<(), StoreError> {
    diesel::update(fb::table.find((system, seq))).set(fb::unpublished_json.eq(None::<String>)).execute(conn)?;
    Ok(())
}

/// The outbox items with these ids.
pub fn items(conn: &mut DbConnection, ids: &[String]) -> Result<Vec<super::provisioning::Item>, StoreError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(po::table.filter(po::id.eq_any(chunk)).select(super::provisioning::Item::as_select()).load(conn)?);
    }
    Ok(out)
}
