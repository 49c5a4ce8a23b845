//! Recording telework / remote-access grants (R-ZN-11): a security officer records the approval of
//! the person the policy names (the head of the person's section by default), with a reason and an
//! end date; the domain checks who may approve (`tobira_domain::remote_access`). A grant in force
//! lets the person's sessions reach, from a remote network, the systems whose zone and
//! classification allow remote work; nothing else.

use super::act;
use crate::app::signin::session::Current;
use crate::app::signin::Origin;
use crate::app::{App, AppError};
use crate::store::{self, accounts::Account, remote_access::RemoteAccessGrant, DbConnection};
use serde_json::json;
use tobira_domain::remote_access::{self as rules, Request};

fn departments(c: &mut DbConnection, person_id: &str) -> Result<Vec<String>, AppError> {
    Ok(store::org::memberships(c, person_id)?.into_iter().map(|(code, _)| code).collect())
}

/// Records a grant approved by `approved_by` (an employee number) until `valid_until` (UTC ms).
pub async fn grant(
    app: &App,
    officer: &Current,
    login_id: &str,
    approved_by: &str,
    valid_until: i64,
    reason: &str,
    origin: &Origin,
) -> Result<String, AppError> {
    let (policy, approved_by, reason, recorder) = (
        app.policy.clone(),
        approved_by.trim().to_string(),
        reason.trim().to_string(),
        officer.account.login_id.clone(),
    );
    act(app, officer, login_id, "remote_access.granted", origin, move |c, a: &Account, now| {
        let (number, depts) = match &a.person_id {
            Some(pid) => (store::org::person_by_id(c, pid)?.map(|p| p.employee_number), departments(c, pid)?),
            None => (None, Vec::new()),
        };
        let approver = crate::app::approvers::of_person(c, &policy, &approved_by, now)?;
        let req = Request {
            person_employee_number: number.as_deref(),
            person_departments: &depts,
            approver: &approver,
            valid_until,
            reason: &reason,
        };
        rules::check(&policy, &req, now)?;
        let row = RemoteAccessGrant {
            id: store::new_id(),
            account_id: a.id.clone(),
            approved_by: approved_by.clone(),
            recorded_by: recorder,
            reason: reason.clone(),
            valid_from: now,
            valid_until,
            revoked_at: None,
        };
        store::remote_access::insert(c, &row)?;
        Ok((
            row.id.clone(),
            json!({ "grant": row.id, "approved_by": approved_by, "valid_until": valid_until, "reason": reason }),
        ))
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
