//! Accounts, their passwords and their grants.
//!
//! Invariant: these functions change rows only; the caller wraps them with their audit events in one
//! `write_tx`.

use super::schema::{accounts, grants, password_credentials, password_history, roles};
use super::{DbConnection, StoreError};
use diesel::prelude::*;
use tobira_domain::rbac::{AccountStatus, GrantSource};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = accounts)]
pub struct Account {
    pub id: String,
    pub login_id: String,
    pub person_id: Option<String>,
    pub status: String,
    pub status_reason: Option<String>,
    pub status_since: i64,
    pub is_privileged: bool,
    pub is_shared: bool,
    pub is_vendor: bool,
    pub is_development: bool,
    pub expires_at: Option<i64>,
    pub must_change_password: bool,
    pub last_login_at: Option<i64>,
    pub last_logout_at: Option<i64>,
    pub created_at: i64,
    pub deletion_due_at: Option<i64>,
}

impl Account {
    /// A new active account with no flags.
    pub fn new(id: String, login_id: String, person_id: Option<String>, now: i64) -> Account {
        Account {
            id,
            login_id,
            person_id,
            status: AccountStatus::Active.as_str().into(),
            status_reason: None,
            status_since: now,
            is_privileged: false,
            is_shared: false,
            is_vendor: false,
            is_development: false,
            expires_at: None,
            must_change_password: false,
            last_login_at: None,
            last_logout_at: None,
            created_at: now,
            deletion_due_at: None,
        }
    }

    pub fn status(&self) -> Option<AccountStatus> {
        AccountStatus::parse(&self.status)
    }
}

pub fn insert(conn: &mut DbConnection, a: &Account) -> Result<(), StoreError> {
    diesel::insert_into(accounts::table).values(a).execute(conn)?;
    Ok(())
}

pub fn by_login_id(conn: &mut DbConnection, login_id: &str) -> Result<Option<Account>, StoreError> {
    Ok(accounts::table.filter(accounts::login_id.eq(login_id)).select(Account::as_select()).first(conn).optional()?)
}

pub fn by_id(conn: &mut DbConnection, id: &str) -> Result<Option<Account>, StoreError> {
    Ok(accounts::table.find(id).select(Account::as_select()).first(conn).optional()?)
}

/// Sets the status with its reason and time.
pub fn set_status(
    conn: &mut DbConnection,
    id: &str,
    status: AccountStatus,
    reason: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let n = diesel::update(accounts::table.find(id))
        .set((accounts::status.eq(status.as_str()), accounts::status_reason.eq(reason), accounts::status_since.eq(now)))
        .execute(conn)?;
    Ok(n == 1)
}

/// Replaces the account's password; the previous hash moves to the history.
pub fn set_password(
    conn: &mut DbConnection,
    account_id: &str,
    hash: &str,
    temporary: bool,
    now: i64,
    expires_at: Option<i64>,
) -> Result<(), StoreError> {
    let previous: Option<(String, i64)> = password_credentials::table
        .find(account_id)
        .select((password_credentials::hash, password_credentials::set_at))
        .first(conn)
        .optional()?;
    if let Some((old, set_at)) = previous {
        diesel::insert_into(password_history::table)
            .values((
                password_history::id.eq(super::new_id()),
                password_history::account_id.eq(account_id),
                password_history::hash.eq(old),
                password_history::set_at.eq(set_at),
            ))
            .execute(conn)?;
        diesel::delete(password_credentials::table.find(account_id)).execute(conn)?;
    }
    diesel::insert_into(password_credentials::table)
        .values((
            password_credentials::account_id.eq(account_id),
            password_credentials::hash.eq(hash),
            password_credentials::is_temporary.eq(temporary),
            password_credentials::set_at.eq(now),
            password_credentials::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    diesel::update(accounts::table.find(account_id)).set(accounts::must_change_password.eq(temporary)).execute(conn)?;
    Ok(())
}

/// Ends the account's password now, as R-AU-07's expiry does: the next sign-in must change it
/// first. Whether it was in force until now (an expired or missing password is left as it is).
pub fn expire_password(conn: &mut DbConnection, account_id: &str, now: i64) -> Result<bool, StoreError> {
    let in_force = password_credentials::expires_at.is_null().or(password_credentials::expires_at.gt(now));
    Ok(diesel::update(password_credentials::table.find(account_id).filter(in_force))
        .set(password_credentials::expires_at.eq(Some(now)))
        .execute(conn)?
        == 1)
}

/// The current password hash and whether it is temporary.
pub fn password(conn: &mut DbConnection, account_id: &str) -> Result<Option<(String, bool)>, StoreError> {
    Ok(password_credentials::table
        .find(account_id)
        .select((password_credentials::hash, password_credentials::is_temporary))
        .first(conn)
        .optional()?)
}

/// Previous password hashes, newest first.
pub fn password_history(conn: &mut DbConnection, account_id: &str, limit: i64) -> Result<Vec<String>, StoreError> {
    Ok(password_history::table
        .filter(password_history::account_id.eq(account_id))
        .order(password_history::set_at.desc())
        .limit(limit)
        .select(password_history::hash)
        .load(conn)?)
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = grants)]
pub struct Grant {
    pub id: String,
    pub account_id: String,
    pub role_id: String,
    pub source: String,
    pub valid_from: i64,
    pub valid_until: Option<i64>,
    pub requested_by: Option<String>,
    pub approved_by: Option<String>,
    pub reason: Option<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub revoked_reason: Option<String>,
    pub review_flag: Option<String>,
}

impl Grant {
    pub fn new(account_id: &str, role_id: &str, source: GrantSource, now: i64) -> Grant {
        Grant {
            id: super::new_id(),
            account_id: account_id.into(),
            role_id: role_id.into(),
            source: source.as_str().into(),
            valid_from: now,
            valid_until: None,
            requested_by: None,
            approved_by: None,
            reason: None,
            created_at: now,
            revoked_at: None,
            revoked_reason: None,
            review_flag: None,
        }
    }
}

pub fn insert_grant(conn: &mut DbConnection, g: &Grant) -> Result<(), StoreError> {
    diesel::insert_into(grants::table).values(g).execute(conn)?;
    Ok(())
}

/// Grants in force at `now`: not revoked, started, not yet ended.
#[diesel::dsl::auto_type]
fn in_force(now: i64) -> _ {
    grants::revoked_at
        .is_null()
        .and(grants::valid_from.le(now))
        .and(grants::valid_until.is_null().or(grants::valid_until.gt(now)))
}

/// The grants of an account in force at `now`.
pub fn grants_in_force(conn: &mut DbConnection, account_id: &str, now: i64) -> Result<Vec<Grant>, StoreError> {
    Ok(grants::table
        .filter(grants::account_id.eq(account_id))
        .filter(in_force(now))
        .select(Grant::as_select())
        .load(conn)?)
}

/// How many accounts hold `role_id` at `now`.
pub fn holders_of_role(conn: &mut DbConnection, role_id: &str, now: i64) -> Result<usize, StoreError> {
    let holders: Vec<String> = grants::table
        .inner_join(accounts::table.on(accounts::id.eq(grants::account_id)))
        .filter(grants::role_id.eq(role_id))
        .filter(in_force(now))
        .filter(accounts::status.eq(AccountStatus::Active.as_str()))
        .select(grants::account_id)
        .distinct()
        .load(conn)?;
    Ok(holders.len())
}

/// Revokes a grant; false when it was already revoked or does not exist.
pub fn revoke_grant(conn: &mut DbConnection, grant_id: &str, reason: &str, now: i64) -> Result<bool, StoreError> {
    let n = diesel::update(grants::table.find(grant_id).filter(grants::revoked_at.is_null()))
        .set((grants::revoked_at.eq(now), grants::revoked_reason.eq(reason)))
        .execute(conn)?;
    Ok(n == 1)
}

/// Whether a role exists in the stored register.
pub fn role_exists(conn: &mut DbConnection, role_id: &str) -> Result<bool, StoreError> {
    Ok(roles::table.find(role_id).count().get_result::<i64>(conn)? == 1)
}
