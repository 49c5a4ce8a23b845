//! Authenticators listed for return (R-LC-15) and the record of their collection, destruction or
//! loss (R-AU-12).
//!
//! Invariant: a record moves a return only from the state it was read in ([`record`] is one
//! conditional UPDATE), so two officers recording at once cannot both succeed.

use super::schema::{accounts, authenticator_returns as r, people};
use super::{DbConnection, StoreError};
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = r)]
pub struct AuthenticatorReturn {
    pub id: String,
    pub account_id: String,
    pub employee_number: String,
    /// The WebAuthn credential's row id; it no longer exists once the return is recorded.
    pub credential_id: Option<String>,
    pub kind: String,
    pub label: String,
    pub listed_at: i64,
    pub listed_reason: String,
    pub sync_run_id: String,
    pub status: String,
    pub recorded_by: Option<String>,
    pub recorded_at: Option<i64>,
    pub note: Option<String>,
}

pub fn insert(c: &mut DbConnection, row: &AuthenticatorReturn) -> Result<(), StoreError> {
    diesel::insert_into(r::table).values(row).execute(c)?;
    Ok(())
}

/// Whether `credential_id` is listed and not yet recorded.
pub fn is_due(c: &mut DbConnection, credential_id: &str) -> Result<bool, StoreError> {
    let n: i64 =
        r::table.filter(r::credential_id.eq(credential_id)).filter(r::status.eq("due")).count().get_result(c)?;
    Ok(n > 0)
}

/// Every credential id that is listed and not yet recorded.
pub fn due_credentials(c: &mut DbConnection) -> Result<Vec<String>, StoreError> {
    Ok(r::table
        .filter(r::status.eq("due"))
        .filter(r::credential_id.is_not_null())
        .select(r::credential_id.assume_not_null())
        .load(c)?)
}

pub fn by_id(c: &mut DbConnection, id: &str) -> Result<Option<AuthenticatorReturn>, StoreError> {
    Ok(r::table.find(id).select(AuthenticatorReturn::as_select()).first(c).optional()?)
}

/// Returns in `status` (all when `None`), oldest first.
pub fn list(c: &mut DbConnection, status: Option<&str>) -> Result<Vec<AuthenticatorReturn>, StoreError> {
    let mut q = r::table.select(AuthenticatorReturn::as_select()).order((r::listed_at.asc(), r::id.asc())).into_boxed();
    if let Some(s) = status {
        q = q.filter(r::status.eq(s.to_string()));
    }
    Ok(q.load(c)?)
}

/// A return with its account's login ID and its holder's name.
pub type Held = (AuthenticatorReturn, Option<String>, Option<String>);

/// Returns in any of `statuses`, oldest listed first, each with its account's login ID and the
/// holder's name (either may be gone: a leaver's account is deleted in time).
pub fn list_with_holder(c: &mut DbConnection, statuses: &[&str]) -> Result<Vec<Held>, StoreError> {
    Ok(r::table
        .left_join(accounts::table)
        .left_join(people::table.on(people::employee_number.eq(r::employee_number)))
        .filter(r::status.eq_any(statuses))
        .order((r::listed_at.asc(), r::id.asc()))
        .select((AuthenticatorReturn::as_select(), accounts::login_id.nullable(), people::name_kanji.nullable()))
        .load(c)?)
}

/// Moves return `id` from `from` to `to`; false when it was no longer in `from`.
pub fn record(
    c: &mut DbConnection,
    id: &str,
    from: &str,
    to: &str,
    by: &str,
    note: Option<&str>,
    now: i64,
) -> Result<bool, StoreError> {
    let n = diesel::update(r::table.find(id).filter(r::status.eq(from)))
        .set((r::status.eq(to), r::recorded_by.eq(by), r::recorded_at.eq(now), r::note.eq(note)))
        .execute(c)?;
    Ok(n == 1)
}
