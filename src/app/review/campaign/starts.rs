//! The campaigns the review run starts by itself: a micro-review after a transfer (R-LC-05), the
//! scheduled recertification of each system (R-RV-05) and each department's yearly self-inspection
//! (R-RV-08).

use super::create;
use crate::app::review::ACTOR;
use crate::app::AppError;
use crate::store::{self, schema, DbConnection};
use diesel::prelude::*;
use std::collections::HashMap;
use tobira_domain::policy::Policy;
use tobira_domain::review::campaign::{self as rules, Scope};

/// Micro-reviews after transfers (R-LC-05): a `transfer` campaign for each person with grants the
/// HR sync flagged for review and no open campaign of theirs.
pub fn transfer_reviews(c: &mut DbConnection, policy: &Policy, now: i64) -> Result<usize, AppError> {
    use schema::{accounts, grants, people};
    if !policy.review.transfer_review {
        return Ok(0);
    }
    let mut numbers: Vec<String> = grants::table
        .inner_join(accounts::table.on(accounts::id.eq(grants::account_id)))
        .inner_join(people::table.on(people::id.nullable().eq(accounts::person_id)))
        .filter(grants::review_flag.is_not_null())
        .filter(grants::revoked_at.is_null())
        .select(people::employee_number)
        .load(c)?;
    numbers.sort();
    numbers.dedup();
    let mut made = 0;
    for en in numbers {
        let scope = Scope::Transfer(en);
        if !store::review::open_of_scope(c, scope.kind(), scope.key())?
            && create(c, policy, &scope, ACTOR, None, now)?.items > 0
        {
            made += 1;
        }
    }
    Ok(made)
}

/// The scheduled campaigns due now (R-RV-05): one per system on `recertification_months`.
pub fn scheduled(c: &mut DbConnection, policy: &Policy, now: i64) -> Result<usize, AppError> {
    let mut last = HashMap::new();
    for s in &policy.systems {
        let id = s.id.get_ref().to_string();
        last.insert(id.clone(), store::review::last_started(c, "system", &id)?);
    }
    let due: Vec<String> =
        rules::systems_due(policy, |s| last.get(s).copied().flatten(), now).into_iter().map(String::from).collect();
    let mut made = 0;
    for s in due {
        let scope = Scope::System(s);
        if !store::review::open_of_scope(c, scope.kind(), scope.key())? {
            create(c, policy, &scope, ACTOR, None, now)?;
            made += 1;
        }
    }
    Ok(made)
}

/// Each department's self-inspection for the fiscal year, when it has not begun (R-RV-08): one
/// `department` campaign per department with people.
pub fn self_inspections(c: &mut DbConnection, policy: &Policy, now: i64) -> Result<usize, AppError> {
    use schema::person_departments as pd;
    let mut departments: Vec<String> = pd::table.select(pd::department_code).distinct().load(c)?;
    departments.sort();
    let mut last = HashMap::new();
    for d in &departments {
        last.insert(d.clone(), store::review::last_started(c, "department", d)?);
    }
    let due: Vec<String> =
        rules::departments_due(&policy.review, &departments, |d| last.get(d).copied().flatten(), now)
            .into_iter()
            .map(String::from)
            .collect();
    let mut made = 0;
    for d in due {
        let scope = Scope::Department(d);
        if !store::review::open_of_scope(c, scope.kind(), scope.key())? {
            create(c, policy, &scope, ACTOR, None, now)?;
            made += 1;
        }
    }
    Ok(made)
}
