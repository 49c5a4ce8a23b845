//! Stored signing keys. Private keys are stored only encrypted under the master key.

use super::schema::signing_keys;
use super::{DbConnection, StoreError};
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_keys)]
pub struct KeyRow {
    pub kid: String,
    pub alg: String,
    pub private_key_encrypted: String,
    pub public_key: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

/// All keys, oldest first.
pub fn all(conn: &mut DbConnection) -> Result<Vec<KeyRow>, StoreError> {
    Ok(signing_keys::table
        .order((signing_keys::created_at.asc(), signing_keys::kid.asc()))
        .select(KeyRow::as_select())
        .load(conn)?)
}

pub fn insert(conn: &mut DbConnection, k: &KeyRow) -> Result<(), StoreError> {
    diesel::insert_into(signing_keys::table).values(k).execute(conn)?;
    Ok(())
}

/// Marks a key retired: it signs no more.
pub fn retire(conn: &mut DbConnection, kid: &str, now: i64) -> Result<(), StoreError> {
    diesel::update(signing_keys::table.find(kid).filter(signing_keys::retired_at.is_null()))
        .set(signing_keys::retired_at.eq(now))
        .execute(conn)?;
    Ok(())
}
