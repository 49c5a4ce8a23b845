//! The stored register of business systems and their roles, kept in step with the policy.
//!
//! The policy files are the source; rows exist so grants can reference roles and so the register
//! (R-ZN-07) can be reported with its history. A system or role removed from the policy is kept with
//! `in_policy = false`, never deleted: grants and audit records still point at it.

use super::schema::{roles, systems};
use super::{DbConnection, StoreError};
use diesel::prelude::*;
use tobira_domain::policy::{ApprovalStatus, Policy};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = systems)]
pub struct SystemRow {
    pub id: String,
    pub name: String,
    pub owner_employee_number: String,
    pub owner_title: String,
    pub zone: String,
    pub classification: String,
    pub important: bool,
    pub cloud: bool,
    pub approval_status: String,
    pub approved_by: Option<String>,
    pub approved_on: Option<String>,
    pub client_secret_digest: Option<String>,
    pub redirect_uris: String,
    pub in_policy: bool,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = roles)]
pub struct RoleRow {
    pub id: String,
    pub system_id: String,
    pub name: String,
    pub privileged: bool,
    pub in_policy: bool,
    pub updated_at: i64,
}

fn approval_str(s: ApprovalStatus) -> &'static str {
    match s {
        ApprovalStatus::Approved => "approved",
        ApprovalStatus::Pending => "pending",
        ApprovalStatus::Rejected => "rejected",
    }
}

/// The register rows the policy describes (client registration columns are left to the caller).
pub fn rows_from_policy(p: &Policy, now: i64) -> (Vec<SystemRow>, Vec<RoleRow>) {
    let systems = p
        .systems
        .iter()
        .map(|s| SystemRow {
            id: s.id.get_ref().clone(),
            name: s.name.clone(),
            owner_employee_number: s.owner.employee_number.clone(),
            owner_title: s.owner.title.clone(),
            zone: s.zone.get_ref().clone(),
            classification: s.classification.get_ref().clone(),
            important: s.important,
            cloud: s.cloud,
            approval_status: approval_str(s.approval.status).into(),
            approved_by: Some(s.approval.approved_by.clone()).filter(|a| !a.is_empty()),
            approved_on: s.approval.approved_on.as_ref().map(|d| d.get_ref().clone()),
            client_secret_digest: None,
            redirect_uris: "[]".into(),
            in_policy: true,
            updated_at: now,
        })
        .collect();
    let roles = p
        .roles
        .iter()
        .map(|r| RoleRow {
            id: r.id.get_ref().clone(),
            system_id: r.system.get_ref().clone(),
            name: r.name.clone(),
            privileged: r.privileged,
            in_policy: true,
            updated_at: now,
        })
        .collect();
    (systems, roles)
}

pub fn systems(conn: &mut DbConnection) -> Result<Vec<SystemRow>, StoreError> {
    Ok(systems::table.order(systems::id).select(SystemRow::as_select()).load(conn)?)
}

pub fn roles(conn: &mut DbConnection) -> Result<Vec<RoleRow>, StoreError> {
    Ok(roles::table.order(roles::id).select(RoleRow::as_select()).load(conn)?)
}

pub fn insert_system(conn: &mut DbConnection, s: &SystemRow) -> Result<(), StoreError> {
    diesel::insert_into(systems::table).values(s).execute(conn)?;
    Ok(())
}

pub fn update_system(conn: &mut DbConnection, s: &SystemRow) -> Result<(), StoreError> {
    diesel::update(systems::table.find(&s.id)).set(s).execute(conn)?;
    Ok(())
}

pub fn insert_role(conn: &mut DbConnection, r: &RoleRow) -> Result<(), StoreError> {
    diesel::insert_into(roles::table).values(r).execute(conn)?;
    Ok(())
}

pub fn update_role(conn: &mut DbConnection, r: &RoleRow) -> Result<(), StoreError> {
    diesel::update(roles::table.find(&r.id)).set(r).execute(conn)?;
    Ok(())
}
