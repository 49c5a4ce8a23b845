//! Who may use each shared ID (共用ID) and who permitted it (R-AU-08).
//!
//! Invariant: a person is at most once a current user of one shared ID; removal keeps the row
//! (`removed_at`) so the history of who could use it stays.

use super::schema::{accounts, people, shared_id_users as u};
use super::{DbConnection, StoreError};
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = u)]
pub struct SharedIdUser {
    pub id: String,
    pub shared_account_id: String,
    pub person_id: String,
    pub permitted_by: String,
    pub added_by: String,
    pub added_at: i64,
    pub removed_at: Option<i64>,
    pub removed_by: Option<String>,
    pub removed_reason: Option<String>,
}

/// A current user as listed: the row and the person's employee number and name.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = SharedIdUserListed)]
pub struct Listed {
    pub employee_number: String,
    pub name: String,
    pub permitted_by: String,
    pub added_by: String,
    pub added_at: i64,
}

pub fn insert(c: &mut DbConnection, row: &SharedIdUser) -> Result<(), StoreError> {
    diesel::insert_into(u::table).values(row).execute(c)?;
    Ok(())
}

/// Whether `person_id` is a current user of `account_id`.
pub fn is_user(c: &mut DbConnection, account_id: &str, person_id: &str) -> Result<bool, StoreError> {
    let n: i64 = u::table
        .filter(u::shared_account_id.eq(account_id))
        .filter(u::person_id.eq(person_id))
        .filter(u::removed_at.is_null())
        .count()
        .get_result(c)?;
    Ok(n > 0)
}

/// The current users of `account_id`, by employee number.
pub fn users_of(c: &mut DbConnection, account_id: &str) -> Result<Vec<Listed>, StoreError> {
    let rows: Vec<(String, String, String, String, i64)> = u::table
        .inner_join(people::table.on(people::id.eq(u::person_id)))
        .filter(u::shared_account_id.eq(account_id))
        .filter(u::removed_at.is_null())
        .order(people::employee_number.asc())
        .select((people::employee_number, people::name_kanji, u::permitted_by, u::added_by, u::added_at))
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|(employee_number, name, permitted_by, added_by, added_at)| Listed {
            employee_number,
            name,
            permitted_by,
            added_by,
            added_at,
        })
        .collect())
}

/// Every shared ID (an account with `is_shared`): (account id, login ID), by login ID.
pub fn shared_accounts(c: &mut DbConnection) -> Result<Vec<(String, String)>, StoreError> {
    Ok(accounts::table
        .filter(accounts::is_shared.eq(true))
        .order(accounts::login_id.asc())
        .select((accounts::id, accounts::login_id))
        .load(c)?)
}

/// Every current use of a shared ID: (person id, shared account id, its login ID, permitted by).
pub fn current_uses(c: &mut DbConnection) -> Result<Vec<(String, String, String, String)>, StoreError> {
    Ok(u::table
        .inner_join(accounts::table.on(accounts::id.eq(u::shared_account_id)))
        .filter(u::removed_at.is_null())
        .order((u::person_id.asc(), accounts::login_id.asc()))
        .select((u::person_id, u::shared_account_id, accounts::login_id, u::permitted_by))
        .load(c)?)
}

/// Ends `person_id`'s use of `account_id`; returns who had permitted it, or `None` when they were
/// not a current user.
pub fn remove(
    c: &mut DbConnection,
    account_id: &str,
    person_id: &str,
    by: &str,
    reason: &str,
    now: i64,
) -> Result<Option<String>, StoreError> {
    let open = u::table
        .filter(u::shared_account_id.eq(account_id))
        .filter(u::person_id.eq(person_id))
        .filter(u::removed_at.is_null());
    let Some(permitted_by) = open.select(u::permitted_by).first::<String>(c).optional()? else { return Ok(None) };
    diesel::update(open).set((u::removed_at.eq(now), u::removed_by.eq(by), u::removed_reason.eq(reason))).execute(c)?;
    Ok(Some(permitted_by))
}
