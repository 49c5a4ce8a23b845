//! Deciding a step of an access request (R-LC-02, R-AC-02): the approver of the next step approves
//! or refuses it with a note; the last approval makes the grant (source `request`, the request's
//! validity, `requested_by` the requester's account, `approved_by` the last approver's), after
//! checking again that the requester's account is active and that no separation-of-duties rule
//! broke meanwhile. A refused decision (the requester, a second step by the same person, a stale
//! decision on a closed request) is audited and changes nothing.

use super::{notify_step, requester};
use crate::app::privileged::{refused, role_target};
use crate::app::signin::{session::Current, Origin};
use crate::app::{approvers, App, AppError};
use crate::store::{
    self,
    access_requests::{AccessRequest, Decision},
    accounts::Grant,
    DbConnection,
};
use serde_json::json;
use tobira_domain::access_request::{self as rules, status, Open};
use tobira_domain::approval::ApproverFacts;
use tobira_domain::policy::{Approver, Policy};
use tobira_domain::rbac::{AccountStatus, GrantSource};

/// The domain's view of `req`, with the requester's departments and the earlier deciders.
pub(crate) struct Loaded {
    pub req: AccessRequest,
    pub departments: Vec<String>,
    pub deciders: Vec<String>,
    pub steps: Vec<Approver>,
}

impl Loaded {
    pub fn open(&self) -> Open<'_> {
        Open {
            status: &self.req.status,
            system: &self.req.system_id,
            requester: &self.req.requester_key,
            requester_departments: &self.departments,
            steps: &self.steps,
            steps_done: self.req.steps_done as usize,
            deciders: &self.deciders,
            lapses_at: self.req.lapses_at,
        }
    }
}

pub(crate) fn load(c: &mut DbConnection, req: AccessRequest, now: i64) -> Result<Loaded, AppError> {
    let departments = requester(c, &req.account_id, now)?.map(|r| r.departments).unwrap_or_default();
    let deciders = store::access_requests::decisions(c, &req.id)?.into_iter().map(|d| d.decider_key).collect();
    let steps = rules::parse_steps(&req.steps);
    Ok(Loaded { req, departments, deciders, steps })
}

/// Whether `me` may decide the next step of `l` now.
pub(crate) fn may_decide(policy: &Policy, l: &Loaded, me: &ApproverFacts, now: i64) -> bool {
    rules::decide(policy, &l.open(), me, now).is_ok()
}

/// Approves (`approve`) or refuses the next step of request `id`, with a note (required to refuse).
pub async fn decide(
    app: &App,
    cur: &Current,
    id: &str,
    approve: bool,
    note: &str,
    origin: &Origin,
) -> Result<AccessRequest, AppError> {
    let (policy, id, note, cur, origin, now) =
        (app.policy.clone(), id.to_string(), note.trim().to_string(), cur.clone(), origin.clone(), app.clock.now_ms());
    app.db(move |c| {
        let req = store::access_requests::by_id(c, &id)?.ok_or_else(|| AppError::not_found("request_not_found", format!("申請 {id} が見つかりません"), format!("request {id} not found")))?;
        let l = load(c, req, now)?;
        let me = approvers::of_account(c, &policy, &cur.account, now)?;
        let details = json!({ "request": id, "approve": approve, "step": l.req.steps_done });
        let (step, last) = match rules::decide(&policy, &l.open(), &me, now) {
            Ok(s) => s,
            Err(e) => return Err(refused(c, &cur, ("access.decision_refused", &role_target(&l.req.role_id)), e, details, &origin, now)),
        };
        if !approve && note.is_empty() {
            return Err(AppError::invalid("no_reason", "却下の理由を入力してください", "a refusal needs a reason"));
        }
        let Loaded { mut req, departments, .. } = l;
        store::write_tx(c, |c| {
            let decision = Decision {
                id: store::new_id(),
                request_id: req.id.clone(),
                step: req.steps_done,
                approver: step.as_str().into(),
                decided_by: cur.account.login_id.clone(),
                decider_key: me.employee_number.clone(),
                approve,
                note: note.clone(),
                decided_at: now,
            };
            store::access_requests::insert_decision(c, &decision)?;
            let from = req.steps_done;
            let mut events = vec![origin
                .event(cur.account.login_id.clone(), if approve { "access.step_approved" } else { "access.request_refused_by_approver" }, role_target(&req.role_id))
                .with_details(json!({ "request": req.id, "step": from, "approver": step.as_str(), "note": note }))];
            let moved = if !approve {
                req.status = status::REFUSED.into();
                store::access_requests::close(c, &req.id, from, status::REFUSED, None, now)?
            } else if last {
                let grant = grant(c, &policy, &req, &cur.account.id, now)?;
                events.push(origin.event(cur.account.login_id.clone(), "access.granted", role_target(&req.role_id)).with_details(json!({
                    "request": req.id, "grant": grant.id, "account": req.account_id, "valid_from": grant.valid_from, "valid_until": grant.valid_until,
                })));
                // The business systems that keep their own accounts hear of it in this transaction (#22).
                events.extend(crate::app::provisioning::track(c, &policy, std::slice::from_ref(&req.account_id), &cur.account.login_id, now)?);
                req.status = status::GRANTED.into();
                req.grant_id = Some(grant.id.clone());
                store::access_requests::close(c, &req.id, from, status::GRANTED, Some(&grant.id), now)?
            } else {
                let next = rules::parse_steps(&req.steps)[(from + 1) as usize];
                let requester_login = store::accounts::by_id(c, &req.account_id)?.map(|a| a.login_id).unwrap_or_default();
                let notified = notify_step(c, &policy, &req, &departments, next, &requester_login, now)?;
                events[0] = events[0].clone().with_details(json!({ "request": req.id, "step": from, "approver": step.as_str(), "note": note, "next": next.as_str(), "notified": notified }));
                store::access_requests::advance(c, &req.id, from)?
            };
            if !moved {
                return Err(AppError::request_decided_meanwhile());
            }
            req.closed_at = (req.status != status::ASKED).then_some(now);
            req.steps_done = if approve { from + 1 } else { from };
            store::audit::append(c, now, events)?;
            Ok(req)
        })
    })
    .await
}

/// The grant of an approved request, after the last checks: the account is active, and the roles
/// the person holds now still allow it (separation of duties).
fn grant(
    c: &mut DbConnection,
    policy: &Policy,
    req: &AccessRequest,
    approver: &str,
    now: i64,
) -> Result<Grant, AppError> {
    let account = store::accounts::by_id(c, &req.account_id)?.ok_or_else(|| {
        AppError::not_found("account_not_found", "申請者のアカウントが見つかりません", "requesting account not found")
    })?;
    if account.status() != Some(AccountStatus::Active) {
        return Err(AppError::conflict(
            "requester_not_active",
            format!(
                "申請者のアカウントは利用できません（状態：{}）",
                tobira_domain::rbac::AccountStatus::ja_of(&account.status)
            ),
            format!("the requester's account is {}", account.status),
        ));
    }
    let accounts =
        requester(c, &req.account_id, now)?.map(|r| r.accounts).unwrap_or_else(|| vec![req.account_id.clone()]);
    let holds = store::access_requests::held_roles(c, &accounts, now)?;
    if let Some(rule) = rules::sod_conflicts(policy, &holds, &req.role_id).first() {
        return Err(AppError::refused(
            "separation_of_duties",
            format!("職務の分離により付与できません：{}（{}）", rule.reason, rule.id.get_ref()),
            format!("separation of duties forbids it ({})", rule.id.get_ref()),
        ));
    }
    let mut g = Grant::new(&req.account_id, &req.role_id, GrantSource::Request, now);
    g.valid_from = req.valid_from;
    g.valid_until = Some(req.valid_until);
    g.requested_by = Some(req.account_id.clone());
    g.approved_by = Some(approver.to_string());
    g.reason = Some(req.reason.clone());
    store::accounts::insert_grant(c, &g)?;
    Ok(g)
}
