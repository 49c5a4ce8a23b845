//! Onboarding records (R-LC-11): a person's confirmations of the rules and the trainings officers
//! recorded. Rows are only inserted; the newest of a kind decides.

use super::schema::onboarding_records::dsl as o;
use super::{DbConnection, StoreError};
use diesel::prelude::*;
use serde::Serialize;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = super::schema::onboarding_records)]
pub struct Record {
    pub id: String,
    pub account_id: String,
    /// `rules` or `training`.
    pub kind: String,
    pub rules_version: Option<String>,
    pub text_sha256: Option<String>,
    pub recorded_at: i64,
    pub recorded_by: String,
    pub note: Option<String>,
}

pub const RULES: &str = "rules";
pub const TRAINING: &str = "training";

pub fn insert(c: &mut DbConnection, r: &Record) -> Result<(), StoreError> {
    diesel::insert_into(o::onboarding_records).values(r).execute(c)?;
    Ok(())
}

/// Every record of the account, newest first.
pub fn of_account(c: &mut DbConnection, account_id: &str) -> Result<Vec<Record>, StoreError> {
    Ok(o::onboarding_records
        .filter(o::account_id.eq(account_id))
        .order((o::recorded_at.desc(), o::id.desc()))
        .select(Record::as_select())
        .load(c)?)
}

/// Whether the account confirmed rules `version` with the text of digest `sha256`.
pub fn confirmed(c: &mut DbConnection, account_id: &str, version: &str, sha256: &str) -> Result<bool, StoreError> {
    let n: i64 = o::onboarding_records
        .filter(o::account_id.eq(account_id))
        .filter(o::kind.eq(RULES))
        .filter(o::rules_version.eq(version))
        .filter(o::text_sha256.eq(sha256))
        .count()
        .get_result(c)?;
    Ok(n > 0)
}

/// Whether a training is on record for the account.
pub fn trained(c: &mut DbConnection, account_id: &str) -> Result<bool, StoreError> {
    let n: i64 = o::onboarding_records
        .filter(o::account_id.eq(account_id))
        .filter(o::kind.eq(TRAINING))
        .count()
        .get_result(c)?;
    Ok(n > 0)
}
