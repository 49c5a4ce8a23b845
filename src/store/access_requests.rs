//! Access requests and the decision of each of their steps (R-LC-02, R-AC-02).
//!
//! Invariants: these functions change rows only, the caller wraps them with their audit events in one
//! `write_tx`; a request changes only from the state the caller read ([`advance`] and [`close`] match
//! the status and the steps done), and a step is decided once (a unique key on request and step).

use super::schema::{access_request_decisions as d, access_requests as r};
use super::{DbConnection, StoreError};
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = r)]
pub struct AccessRequest {
    pub id: String,
    pub account_id: String,
    /// The requester's person: employee number (or `account:<id>`).
    pub requester_key: String,
    pub role_id: String,
    pub system_id: String,
    pub reason: String,
    pub contract_id: Option<String>,
    pub valid_from: i64,
    pub valid_until: i64,
    /// The approvers in order (`head_of_section,system_owner`).
    pub steps: String,
    pub steps_done: i32,
    /// `asked`, `granted`, `refused`, `lapsed` or `withdrawn`.
    pub status: String,
    pub requested_at: i64,
    pub lapses_at: i64,
    pub closed_at: Option<i64>,
    pub grant_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = d)]
#[schema(as = RequestDecision)]
pub struct Decision {
    pub id: String,
    pub request_id: String,
    pub step: i32,
    /// The step's approver kind (`head_of_section` …).
    pub approver: String,
    /// The login of the account that decided.
    pub decided_by: String,
    /// The decider's person (employee number, or `account:<id>`).
    pub decider_key: String,
    pub approve: bool,
    pub note: String,
    pub decided_at: i64,
}

pub fn insert(c: &mut DbConnection, row: &AccessRequest) -> Result<(), StoreError> {
    diesel::insert_into(r::table).values(row).execute(c)?;
    Ok(())
}

pub fn by_id(c: &mut DbConnection, id: &str) -> Result<Option<AccessRequest>, StoreError> {
    Ok(r::table.find(id).select(AccessRequest::as_select()).first(c).optional()?)
}

/// The requests of an account, newest first, at most `limit`.
pub fn of_account(c: &mut DbConnection, account_id: &str, limit: i64) -> Result<Vec<AccessRequest>, StoreError> {
    Ok(r::table
        .filter(r::account_id.eq(account_id))
        .order(r::requested_at.desc())
        .limit(limit)
        .select(AccessRequest::as_select())
        .load(c)?)
}

/// Open requests of any of `accounts` (for the one-at-a-time and SoD checks).
pub fn open_of(c: &mut DbConnection, accounts: &[String]) -> Result<Vec<AccessRequest>, StoreError> {
    Ok(r::table
        .filter(r::account_id.eq_any(accounts))
        .filter(r::status.eq("asked"))
        .select(AccessRequest::as_select())
        .load(c)?)
}

/// Open requests, oldest first, at most `limit`.
pub fn open(c: &mut DbConnection, limit: i64) -> Result<Vec<AccessRequest>, StoreError> {
    Ok(r::table
        .filter(r::status.eq("asked"))
        .order(r::requested_at.asc())
        .limit(limit)
        .select(AccessRequest::as_select())
        .load(c)?)
}

/// Open requests whose lapse time has come.
pub fn due_to_lapse(c: &mut DbConnection, now: i64) -> Result<Vec<AccessRequest>, StoreError> {
    Ok(r::table
        .filter(r::status.eq("asked"))
        .filter(r::lapses_at.le(now))
        .select(AccessRequest::as_select())
        .load(c)?)
}

/// The decisions of a request, in step order.
pub fn decisions(c: &mut DbConnection, request_id: &str) -> Result<Vec<Decision>, StoreError> {
    Ok(d::table.filter(d::request_id.eq(request_id)).order(d::step.asc()).select(Decision::as_select()).load(c)?)
}

pub fn insert_decision(c: &mut DbConnection, row: &Decision) -> Result<(), StoreError> {
    diesel::insert_into(d::table).values(row).execute(c)?;
    Ok(())
}

/// One more step approved; false when the request moved meanwhile.
pub fn advance(c: &mut DbConnection, id: &str, from_steps: i32) -> Result<bool, StoreError> {
    let n = diesel::update(r::table.find(id).filter(r::status.eq("asked")).filter(r::steps_done.eq(from_steps)))
        .set(r::steps_done.eq(from_steps + 1))
        .execute(c)?;
    Ok(n == 1)
}

/// Closes an open request as `status` (with the grant it made); false when it was no longer open at
/// `from_steps`.
pub fn close(
    c: &mut DbConnection,
    id: &str,
    from_steps: i32,
    status: &str,
    grant_id: Option<&str>,
    now: i64,
) -> Result<bool, StoreError> {
    let n = diesel::update(r::table.find(id).filter(r::status.eq("asked")).filter(r::steps_done.eq(from_steps)))
        .set((
            r::status.eq(status),
            r::closed_at.eq(now),
            r::grant_id.eq(grant_id),
            r::steps_done.eq(if grant_id.is_some() { from_steps + 1 } else { from_steps }),
        ))
        .execute(c)?;
    Ok(n == 1)
}

/// The roles the accounts hold or will hold: grants not revoked and not ended at `now` (a requested
/// grant that starts later counts already, for separation of duties).
pub fn held_roles(c: &mut DbConnection, accounts: &[String], now: i64) -> Result<Vec<String>, StoreError> {
    use super::schema::grants as g;
    let mut roles: Vec<String> = g::table
        .filter(g::account_id.eq_any(accounts))
        .filter(g::revoked_at.is_null())
        .filter(g::valid_until.is_null().or(g::valid_until.gt(now)))
        .select(g::role_id)
        .load(c)?;
    roles.sort();
    roles.dedup();
    Ok(roles)
}

/// The employee numbers of the active heads of section (所属長) whose primary post is in one of
/// `departments`.
pub fn heads_of(c: &mut DbConnection, departments: &[String]) -> Result<Vec<String>, StoreError> {
    use super::schema::{people as p, person_departments as pd};
    Ok(pd::table
        .inner_join(p::table.on(p::id.eq(pd::person_id)))
        .filter(pd::department_code.eq_any(departments))
        .filter(pd::membership.eq(tobira_domain::org::Membership::Primary.as_str()))
        .filter(p::is_head_of_section.eq(true))
        .filter(p::status.eq("active"))
        .select(p::employee_number)
        .distinct()
        .load(c)?)
}

/// The ids of the active accounts of a person.
pub fn accounts_of_person(c: &mut DbConnection, person_id: &str) -> Result<Vec<String>, StoreError> {
    use super::schema::accounts as a;
    Ok(a::table.filter(a::person_id.eq(person_id)).filter(a::status.eq("active")).select(a::id).load(c)?)
}
