//! Departments as the HR sync stores them: the whole list of a read, parents first, and one department
//! a person's step names that is not stored yet.

use super::ApplyCache;
use crate::store::org::{self, Department};
use crate::store::{DbConnection, StoreError};
use std::collections::BTreeSet;
use tobira_domain::audit::AuditEvent;
use tobira_domain::hr::HrDepartment;
use tobira_domain::lifecycle::applied;

/// Stores departments that are new or changed; one event each.
pub fn save_departments(
    conn: &mut DbConnection,
    depts: &[HrDepartment],
    now: i64,
    actor: &str,
) -> Result<Vec<AuditEvent>, StoreError> {
    let mut events = Vec::new();
    // Parents first, so the foreign key to the parent holds.
    let known: BTreeSet<&str> = depts.iter().map(|d| d.code.as_str()).collect();
    let mut pending: Vec<&HrDepartment> = depts.iter().collect();
    let mut done: BTreeSet<String> = BTreeSet::new();
    while !pending.is_empty() {
        let before = pending.len();
        let mut rest = Vec::new();
        for d in pending {
            let parent = d.parent_code.clone().filter(|p| known.contains(p.as_str()) && p != &d.code);
            if parent.as_ref().is_some_and(|p| !done.contains(p)) {
                rest.push(d);
                continue;
            }
            let row = Department {
                code: d.code.clone(),
                name: d.name.clone(),
                name_kana: None,
                parent_code: parent,
                body: None,
                updated_at: now,
            };
            let old = org::department(conn, &d.code)?;
            if old.as_ref().is_none_or(|o| {
                (o.name.as_str(), o.parent_code.as_deref()) != (row.name.as_str(), row.parent_code.as_deref())
            }) {
                org::upsert_department(conn, &row)?;
                events.push(applied::department_event(actor, d, row.parent_code.as_deref(), old.is_none()));
            }
            done.insert(d.code.clone());
        }
        if rest.len() == before {
            // A cycle of parents: store the rest without parents rather than loop.
            for d in &rest {
                org::upsert_department(
                    conn,
                    &Department {
                        code: d.code.clone(),
                        name: d.name.clone(),
                        name_kana: None,
                        parent_code: None,
                        body: None,
                        updated_at: now,
                    },
                )?;
            }
            break;
        }
        pending = rest;
    }
    Ok(events)
}

pub(super) fn ensure_department(
    conn: &mut DbConnection,
    cache: &mut ApplyCache,
    code: &str,
    name: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    if cache.departments.contains(code) {
        return Ok(());
    }
    if org::department(conn, code)?.is_none() {
        org::upsert_department(
            conn,
            &Department {
                code: code.into(),
                name: name.unwrap_or(code).into(),
                name_kana: None,
                parent_code: None,
                body: None,
                updated_at: now,
            },
        )?;
    }
    cache.departments.insert(code.into());
    Ok(())
}
