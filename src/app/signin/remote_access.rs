//! Recording telework / remote-access grants (R-ZN-11): a security officer records the approval of
//! the person the policy names (the head of the person's section by default), with a reason and an
//! end date; the domain checks who may approve (`tobira_domain::remote_access`). A grant in force
//! lets the person's sessions reach, from a remote network, the systems whose zone and
//! classification allow remote work; nothing else.

use super::officer::act;
use super::session::Current;
use super::Origin;
use crate::app::{App, AppError};
use crate::store::{self, accounts::Account, remote_access::RemoteAccessGrant, DbConnection};
use diesel::prelude::*;
use serde_json::json;
use tobira_domain::policy::Policy;
use tobira_domain::remote_access::{self as rules, ApproverFacts, Request};

fn departments(c: &mut DbConnection, person_id: &str) -> Result<Vec<String>, AppError> {
    Ok(store::org::memberships(c, person_id)?.into_iter().map(|(code, _)| code).collect())
}

/// What is known of the approver with `employee_number`: head of section where, and the officer
/// functions their accounts hold now.
fn approver_facts(c: &mut DbConnection, policy: &Policy, employee_number: &str, now: i64) -> Result<ApproverFacts, AppError> {
    use crate::store::schema::accounts;
    let Some(person) = store::org::person_by_employee_number(c, employee_number)? else {
        return Err(AppError::Invalid(format!("no person with employee number {employee_number}")));
    };
    let account_ids: Vec<String> = accounts::table.filter(accounts::person_id.eq(&person.id)).select(accounts::id).load(c)?;
    let mut functions = Vec::new();
    for id in account_ids {
        for g in store::accounts::grants_in_force(c, &id, now)? {
            functions.extend(policy.officers.iter().filter(|(_, o)| *o.role.get_ref() == g.role_id).map(|(f, _)| *f));
        }
    }
    Ok(ApproverFacts { employee_number: person.employee_number.clone(), is_head_of_section: person.is_head_of_section, departments: departments(c, &person.id)?, functions })
}

/// Records a grant approved by `approved_by` (an employee number) until `valid_until` (UTC ms).
pub async fn grant(app: &App, officer: &Current, login_id: &str, approved_by: &str, valid_until: i64, reason: &str, origin: &Origin) -> Result<String, AppError> {
    let (policy, approved_by, reason, recorder) = (app.policy.clone(), approved_by.trim().to_string(), reason.trim().to_string(), officer.account.login_id.clone());
    act(app, officer, login_id, "remote_access.granted", origin, move |c, a: &Account, now| {
        let (number, depts) = match &a.person_id {
            Some(pid) => (store::org::person_by_id(c, pid)?.map(|p| p.employee_number), departments(c, pid)?),
            None => (None, Vec::new()),
        };
        let approver = approver_facts(c, &policy, &approved_by, now)?;
        let req = Request { person_employee_number: number.as_deref(), person_departments: &depts, approver: &approver, valid_until, reason: &reason };
        rules::check(&policy, &req, now).map_err(|e| AppError::Invalid(e.to_string()))?;
        let row = RemoteAccessGrant { id: store::new_id(), account_id: a.id.clone(), approved_by: approved_by.clone(), recorded_by: recorder, reason: reason.clone(), valid_from: now, valid_until, revoked_at: None };
        store::remote_access::insert(c, &row)?;
        Ok((row.id.clone(), json!({ "grant": row.id, "approved_by": approved_by, "valid_until": valid_until, "reason": reason })))
    })
    .await
}

/// Ends every remote-access grant of the account now.
pub async fn revoke(app: &App, officer: &Current, login_id: &str, origin: &Origin) -> Result<usize, AppError> {
    act(app, officer, login_id, "remote_access.revoked", origin, |c, a, now| {
        let n = store::remote_access::revoke_all(c, &a.id, now)?;
        Ok((n, json!({ "grants_revoked": n })))
    })
    .await
}
