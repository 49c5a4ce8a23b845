//! The console's person search: people by part of a name in any spelling (the normalised search
//! key), by employee number, by login ID of any of their accounts, by department and by account
//! status, in pages; and what a person's page lists about their accounts.
//!
//! Invariant: every query is bounded by its caller's limit; `LIKE` patterns are built from terms
//! that hold no wildcard (the domain's normaliser strips them, [`plain`] strips them from IDs).

use super::accounts::{Account, Grant};
use super::org::Person;
use super::schema::{accounts, grants, people, person_departments as pd, remote_access_grants as rag};
use super::{DbConnection, StoreError};
use diesel::prelude::*;

/// What the helpdesk asked for. Every part given must hold.
#[derive(Debug, Clone, Default)]
pub struct PeopleFilter {
    /// The normalised name term (compared with the search key), if the query had one.
    pub name: Option<String>,
    /// The query as typed, lowercased, without wildcards: a login ID or employee number (part).
    pub id: Option<String>,
    /// One department code.
    pub department: Option<String>,
    /// Only people with an account in this status.
    pub account_status: Option<String>,
    /// The reader sees only these departments' people (a 所属長); `None`: everyone.
    pub within: Option<Vec<String>>,
}

/// `s` lowercased and trimmed, with `LIKE` wildcards and the escape character removed.
pub fn plain(s: &str) -> String {
    s.trim().to_lowercase().chars().filter(|c| !matches!(c, '%' | '_' | '\\')).collect()
}

/// One page of people matching `f`, by employee number; `limit` + 1 are read so the caller knows
/// whether a next page exists.
pub fn search(c: &mut DbConnection, f: &PeopleFilter, offset: i64, limit: i64) -> Result<Vec<Person>, StoreError> {
    let mut q = people::table.select(Person::as_select()).order(people::employee_number.asc()).into_boxed();
    match (&f.name, &f.id) {
        (Some(name), Some(id)) => {
            let logins = accounts::table.filter(accounts::login_id.like(format!("%{id}%"))).select(accounts::person_id);
            q = q.filter(
                people::search_key
                    .like(format!("%{name}%"))
                    .or(people::employee_number.like(format!("{id}%")))
                    .or(people::id.nullable().eq_any(logins)),
            );
        }
        (Some(name), None) => q = q.filter(people::search_key.like(format!("%{name}%"))),
        (None, Some(id)) => {
            let logins = accounts::table.filter(accounts::login_id.like(format!("%{id}%"))).select(accounts::person_id);
            q = q.filter(people::employee_number.like(format!("{id}%")).or(people::id.nullable().eq_any(logins)));
        }
        (None, None) => {}
    }
    if let Some(d) = &f.department {
        q = q.filter(people::id.eq_any(pd::table.filter(pd::department_code.eq(d.clone())).select(pd::person_id)));
    }
    if let Some(within) = &f.within {
        q = q.filter(
            people::id.eq_any(pd::table.filter(pd::department_code.eq_any(within.clone())).select(pd::person_id)),
        );
    }
    if let Some(s) = &f.account_status {
        q = q.filter(
            people::id
                .nullable()
                .eq_any(accounts::table.filter(accounts::status.eq(s.clone())).select(accounts::person_id)),
        );
    }
    Ok(q.offset(offset).limit(limit + 1).load(c)?)
}

/// The accounts of these people, by login ID.
pub fn accounts_of(c: &mut DbConnection, person_ids: &[String]) -> Result<Vec<Account>, StoreError> {
    Ok(accounts::table
        .filter(accounts::person_id.eq_any(person_ids))
        .order(accounts::login_id.asc())
        .select(Account::as_select())
        .load(c)?)
}

/// The department codes of these people, as (person id, code, membership).
pub fn departments_of(
    c: &mut DbConnection,
    person_ids: &[String],
) -> Result<Vec<(String, String, String)>, StoreError> {
    Ok(pd::table
        .filter(pd::person_id.eq_any(person_ids))
        .select((pd::person_id, pd::department_code, pd::membership))
        .load(c)?)
}

/// Every grant of the account (in force, ended and revoked), newest first, at most `limit`.
pub fn grants_of(c: &mut DbConnection, account_id: &str, limit: i64) -> Result<Vec<Grant>, StoreError> {
    Ok(grants::table
        .filter(grants::account_id.eq(account_id))
        .order(grants::created_at.desc())
        .limit(limit)
        .select(Grant::as_select())
        .load(c)?)
}

/// A remote-access grant: (id, valid from, valid until, approved by, reason, revoked at).
pub type RemoteAccessRow = (String, i64, i64, String, String, Option<i64>);

/// The remote-access grants of the account, latest end first.
pub fn remote_access_of(
    c: &mut DbConnection,
    account_id: &str,
    limit: i64,
) -> Result<Vec<RemoteAccessRow>, StoreError> {
    Ok(rag::table
        .filter(rag::account_id.eq(account_id))
        .order(rag::valid_until.desc())
        .limit(limit)
        .select((rag::id, rag::valid_from, rag::valid_until, rag::approved_by, rag::reason, rag::revoked_at))
        .load(c)?)
}

/// The locks in force on the account at `now`: (scope, locked until; `None` until an officer unlocks).
pub fn locks_of(c: &mut DbConnection, account_id: &str, now: i64) -> Result<Vec<(String, Option<i64>)>, StoreError> {
    use super::schema::account_lockouts as l;
    Ok(l::table
        .filter(l::account_id.eq(account_id))
        .filter(l::locked_at.is_not_null())
        .filter(l::locked_until.is_null().or(l::locked_until.gt(now)))
        .select((l::scope, l::locked_until))
        .load(c)?)
}
