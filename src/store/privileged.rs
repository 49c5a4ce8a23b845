//! Privileged IDs: eligibility, elevations, delegations and the notification outbox (R-PR-01…R-PR-09).
//! Rows are revoked or moved to a final status, never deleted, so the report can show every step.

use super::schema::{
    accounts, delegations as d, development_ids as dev, elevations as e, notifications as n, people,
    privileged_eligibility as pe,
};
use super::{DbConnection, StoreError};
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = pe)]
pub struct Eligibility {
    pub id: String,
    pub account_id: String,
    pub role_id: String,
    pub system_id: String,
    pub granted_by: String,
    pub reason: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<String>,
}

pub fn insert_eligibility(c: &mut DbConnection, r: &Eligibility) -> Result<(), StoreError> {
    diesel::insert_into(pe::table).values(r).execute(c)?;
    Ok(())
}

/// Whether the account is eligible for the role now.
pub fn is_eligible(c: &mut DbConnection, account_id: &str, role_id: &str) -> Result<bool, StoreError> {
    let n: i64 = pe::table
        .filter(pe::account_id.eq(account_id))
        .filter(pe::role_id.eq(role_id))
        .filter(pe::revoked_at.is_null())
        .count()
        .get_result(c)?;
    Ok(n > 0)
}

/// Distinct people (by person, else by account) eligible for a privileged role of the system,
/// counting active and suspended accounts (a suspended holder who is reinstated holds again); the
/// holder count the cap is about (R-PR-01).
pub fn holders(c: &mut DbConnection, system_id: &str) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String, Option<String>)> = pe::table
        .inner_join(accounts::table)
        .filter(pe::system_id.eq(system_id))
        .filter(pe::revoked_at.is_null())
        .filter(accounts::status.eq_any(["active", "suspended"]))
        .select((accounts::id, accounts::person_id))
        .load(c)?;
    let mut who: Vec<String> = rows.into_iter().map(|(a, p)| p.unwrap_or(a)).collect();
    who.sort();
    who.dedup();
    Ok(who)
}

/// Serialises changes to one system's holders until the transaction ends: two officers naming
/// holders at once cannot both pass the cap. SQLite's write transactions are serial already; on
/// PostgreSQL this takes a transaction-scoped advisory lock keyed by the system.
pub fn lock_holders(c: &mut DbConnection, system_id: &str) -> Result<(), StoreError> {
    if let DbConnection::Pg(_) = c {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext('tobira.privileged.' || $1))")
            .bind::<diesel::sql_types::Text, _>(system_id)
            .execute(c)?;
    }
    Ok(())
}

/// Serialises requests for one account's elevations of one role until the transaction ends, so "one
/// request or elevation of a role at a time" holds when two are asked at once (SQLite's write
/// transactions are serial already; on PostgreSQL an advisory lock keyed by account and role).
pub fn lock_elevations_of(c: &mut DbConnection, account_id: &str, role_id: &str) -> Result<(), StoreError> {
    if let DbConnection::Pg(_) = c {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext('tobira.elevation.' || $1 || '/' || $2))")
            .bind::<diesel::sql_types::Text, _>(account_id)
            .bind::<diesel::sql_types::Text, _>(role_id)
            .execute(c)?;
    }
    Ok(())
}

/// The account's eligibilities in force, oldest first.
pub fn eligibility_of(c: &mut DbConnection, account_id: &str) -> Result<Vec<Eligibility>, StoreError> {
    Ok(pe::table
        .filter(pe::account_id.eq(account_id))
        .filter(pe::revoked_at.is_null())
        .order(pe::created_at)
        .select(Eligibility::as_select())
        .load(c)?)
}

pub fn eligibility_by_id(c: &mut DbConnection, id: &str) -> Result<Option<Eligibility>, StoreError> {
    Ok(pe::table.find(id).select(Eligibility::as_select()).first(c).optional()?)
}

pub fn revoke_eligibility(c: &mut DbConnection, id: &str, by: &str, now: i64) -> Result<bool, StoreError> {
    Ok(diesel::update(pe::table.find(id).filter(pe::revoked_at.is_null()))
        .set((pe::revoked_at.eq(now), pe::revoked_by.eq(by)))
        .execute(c)?
        == 1)
}

pub fn all_eligibility(c: &mut DbConnection) -> Result<Vec<Eligibility>, StoreError> {
    Ok(pe::table.order((pe::system_id, pe::created_at)).select(Eligibility::as_select()).load(c)?)
}

/// The status of an elevation.
pub mod status {
    pub const PENDING: &str = "pending";
    pub const ACTIVE: &str = "active";
    pub const DENIED: &str = "denied";
    pub const LAPSED: &str = "lapsed";
    /// Ran to its end time.
    pub const EXPIRED: &str = "expired";
    /// Ended early by the holder or an officer.
    pub const ENDED: &str = "ended";
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = e)]
pub struct Elevation {
    pub id: String,
    pub account_id: String,
    pub role_id: String,
    pub system_id: String,
    pub minutes: i32,
    pub reason: String,
    pub ticket: String,
    pub break_glass: bool,
    pub review_required: bool,
    pub status: String,
    pub requested_at: i64,
    pub lapses_at: i64,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub decision_note: Option<String>,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub grant_id: Option<String>,
    pub ended_reason: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<i64>,
}

pub fn insert_elevation(c: &mut DbConnection, r: &Elevation) -> Result<(), StoreError> {
    diesel::insert_into(e::table).values(r).execute(c)?;
    Ok(())
}

pub fn elevation(c: &mut DbConnection, id: &str) -> Result<Option<Elevation>, StoreError> {
    Ok(e::table.find(id).select(Elevation::as_select()).first(c).optional()?)
}

/// Writes back a changed elevation, only if it still has status `from` (no lost race).
pub fn update_elevation(c: &mut DbConnection, r: &Elevation, from: &str) -> Result<bool, StoreError> {
    let n = diesel::update(e::table.find(&r.id).filter(e::status.eq(from)))
        .set((
            e::status.eq(&r.status),
            e::decided_by.eq(&r.decided_by),
            e::decided_at.eq(r.decided_at),
            e::decision_note.eq(&r.decision_note),
            e::starts_at.eq(r.starts_at),
            e::ends_at.eq(r.ends_at),
            e::grant_id.eq(&r.grant_id),
            e::ended_reason.eq(&r.ended_reason),
            e::reviewed_by.eq(&r.reviewed_by),
            e::reviewed_at.eq(r.reviewed_at),
        ))
        .execute(c)?;
    Ok(n == 1)
}

/// The ids of the elevations behind these grants.
pub fn elevations_of_grants(c: &mut DbConnection, grants: &[String]) -> Result<Vec<String>, StoreError> {
    Ok(e::table.filter(e::grant_id.eq_any(grants)).select(e::id).load(c)?)
}

/// Elevations with `status`, oldest first.
pub fn elevations_with(c: &mut DbConnection, status: &str) -> Result<Vec<Elevation>, StoreError> {
    Ok(e::table.filter(e::status.eq(status)).order(e::requested_at).select(Elevation::as_select()).load(c)?)
}

/// The earliest end among the account's active elevations, if any.
pub fn active_until(c: &mut DbConnection, account_id: &str, now: i64) -> Result<Option<i64>, StoreError> {
    let ends: Vec<Option<i64>> = e::table
        .filter(e::account_id.eq(account_id))
        .filter(e::status.eq(status::ACTIVE))
        .filter(e::ends_at.gt(now))
        .select(e::ends_at)
        .load(c)?;
    Ok(ends.into_iter().flatten().min())
}

pub fn elevations_of(c: &mut DbConnection, account_id: &str) -> Result<Vec<Elevation>, StoreError> {
    Ok(e::table
        .filter(e::account_id.eq(account_id))
        .order(e::requested_at.desc())
        .select(Elevation::as_select())
        .load(c)?)
}

/// Elevations that need a review after the fact (self-review, break-glass) and have none yet, oldest first.
pub fn unreviewed_elevations(c: &mut DbConnection) -> Result<Vec<Elevation>, StoreError> {
    Ok(e::table
        .filter(e::review_required.eq(true))
        .filter(e::reviewed_at.is_null())
        .order(e::requested_at)
        .select(Elevation::as_select())
        .load(c)?)
}

pub fn all_elevations(c: &mut DbConnection) -> Result<Vec<Elevation>, StoreError> {
    Ok(e::table.order(e::requested_at).select(Elevation::as_select()).load(c)?)
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = d)]
pub struct Delegation {
    pub id: String,
    /// `officer:<function>` or `system_owner:<system id>`.
    pub principal: String,
    pub delegate_employee_number: String,
    pub nominated_by: String,
    pub reason: String,
    pub valid_from: i64,
    pub valid_until: i64,
    /// `nominated`, `approved`, `refused` or `revoked`.
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub created_at: i64,
}

pub fn insert_delegation(c: &mut DbConnection, r: &Delegation) -> Result<(), StoreError> {
    diesel::insert_into(d::table).values(r).execute(c)?;
    Ok(())
}

pub fn delegation(c: &mut DbConnection, id: &str) -> Result<Option<Delegation>, StoreError> {
    Ok(d::table.find(id).select(Delegation::as_select()).first(c).optional()?)
}

/// Records the decision on a nomination still `nominated`.
pub fn decide_delegation(c: &mut DbConnection, id: &str, status: &str, by: &str, now: i64) -> Result<bool, StoreError> {
    Ok(diesel::update(d::table.find(id).filter(d::status.eq("nominated")))
        .set((d::status.eq(status), d::decided_by.eq(by), d::decided_at.eq(now)))
        .execute(c)?
        == 1)
}

/// Ends an approved delegation early: its period now ends at `now`; false when it was not approved.
pub fn end_delegation(c: &mut DbConnection, id: &str, now: i64) -> Result<bool, StoreError> {
    Ok(diesel::update(d::table.find(id).filter(d::status.eq("approved")))
        .set((d::status.eq("ended"), d::valid_until.eq(now)))
        .execute(c)?
        == 1)
}

/// Approved delegations of a person in force at `now`.
pub fn delegations_in_force(
    c: &mut DbConnection,
    employee_number: &str,
    now: i64,
) -> Result<Vec<Delegation>, StoreError> {
    Ok(d::table
        .filter(d::delegate_employee_number.eq(employee_number))
        .filter(d::status.eq("approved"))
        .filter(d::valid_from.le(now))
        .filter(d::valid_until.gt(now))
        .select(Delegation::as_select())
        .load(c)?)
}

pub fn all_delegations(c: &mut DbConnection) -> Result<Vec<Delegation>, StoreError> {
    Ok(d::table.order(d::created_at).select(Delegation::as_select()).load(c)?)
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = n)]
pub struct Notification {
    pub id: String,
    /// Employee number of the person to tell.
    pub recipient: String,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

pub fn notifications_to(c: &mut DbConnection, recipient: &str) -> Result<Vec<Notification>, StoreError> {
    Ok(n::table.filter(n::recipient.eq(recipient)).order(n::created_at).select(Notification::as_select()).load(c)?)
}

/// The employee number behind an account, if it is linked to a person.
pub fn employee_number_of(c: &mut DbConnection, account_id: &str) -> Result<Option<String>, StoreError> {
    Ok(accounts::table
        .inner_join(people::table)
        .filter(accounts::id.eq(account_id))
        .select(people::employee_number)
        .first(c)
        .optional()?)
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = dev)]
pub struct DevelopmentId {
    pub account_id: String,
    /// Employee number of the responsible staff member (開発責任者).
    pub responsible: String,
    /// The worker's name and organisation.
    pub worker: String,
    pub reason: String,
    pub created_by: String,
    pub created_at: i64,
}

pub fn insert_development_id(c: &mut DbConnection, r: &DevelopmentId) -> Result<(), StoreError> {
    diesel::insert_into(dev::table).values(r).execute(c)?;
    Ok(())
}

/// Active development accounts whose end has come.
pub fn development_ids_due(c: &mut DbConnection, now: i64) -> Result<Vec<super::accounts::Account>, StoreError> {
    Ok(accounts::table
        .filter(accounts::is_development.eq(true))
        .filter(accounts::status.eq("active"))
        .filter(accounts::expires_at.le(now))
        .select(super::accounts::Account::as_select())
        .load(c)?)
}
