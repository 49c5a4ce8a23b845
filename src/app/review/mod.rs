//! Periodic review as the service runs it (R-RV-01…R-RV-09, R-LC-04, R-LC-05, R-AC-04, R-LG-03):
//! dormant IDs and the HR cross-check, recertification campaigns, the exceptions register, log
//! findings and the reports. The rules are `tobira_domain::review`'s; this module loads the facts,
//! writes the outcome with its audit records in one transaction, and records refusals too.

pub mod campaign;
pub mod dormant;
pub mod evidence;
pub mod exceptions;
pub mod findings;
pub mod job;
pub mod readers;
pub mod reports;
pub mod service;
pub mod table;

use super::AppError;
use crate::store::{self, schema, DbConnection};
use diesel::prelude::*;

/// Who acts in a review decision: their approver facts, the audit actor and where the request came
/// from.
pub struct Actor<'a> {
    pub facts: &'a tobira_domain::approval::ApproverFacts,
    pub login: &'a str,
    pub origin: &'a crate::app::signin::Origin,
}

/// The actor of the scheduled review runs.
pub const ACTOR: &str = "system:review";

/// The employee numbers of the 所属長 of a person's departments (not the person themself): people HR
/// flags head whose primary post is in one of those departments (a concurrent post heads nothing).
pub fn heads_of(c: &mut DbConnection, employee_number: &str) -> Result<Vec<String>, AppError> {
    use schema::{people, person_departments as pd};
    let Some(person) = store::org::person_by_employee_number(c, employee_number)? else { return Ok(Vec::new()) };
    let depts: Vec<String> = pd::table.filter(pd::person_id.eq(&person.id)).select(pd::department_code).load(c)?;
    let mut heads: Vec<String> = pd::table
        .inner_join(people::table)
        .filter(pd::department_code.eq_any(&depts))
        .filter(pd::membership.eq(tobira_domain::org::Membership::Primary.as_str()))
        .filter(people::is_head_of_section.eq(true))
        .filter(people::status.ne("left"))
        .filter(people::employee_number.ne(employee_number))
        .select(people::employee_number)
        .load(c)?;
    heads.sort();
    heads.dedup();
    Ok(heads)
}

/// The departments of the person with `employee_number` now.
pub fn departments_of(c: &mut DbConnection, employee_number: &str) -> Result<Vec<String>, AppError> {
    Ok(match store::org::person_by_employee_number(c, employee_number)? {
        Some(p) => store::org::memberships(c, &p.id)?.into_iter().map(|(code, _)| code).collect(),
        None => Vec::new(),
    })
}
