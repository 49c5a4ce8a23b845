//! Four eyes for officer actions on powerful accounts, as the service runs them (R-AC-02): the gate
//! every such action passes (a request is recorded instead of the change when the target is an
//! officer, the CISO, an auditor or a privileged ID), and the decision of a second person named by
//! `approvals.officer_action`, which makes the action take effect. The target and the CISO are told
//! at both steps; the approvers are asked.
//!
//! Invariants: the domain's `four_eyes` rule decides; every request, refusal and decision is
//! audited in the transaction that records it; a temporary password or enrolment URL is shown only
//! to the approver who made it take effect, never to the requester.

use crate::app::officer;
use crate::app::signin::session::Current;
use crate::app::signin::{target, Origin};
use crate::app::{approvers, App, AppError};
use crate::store::officer_requests::{self as requests, OfficerRequest};
use crate::store::schema::{password_credentials as pc, password_history as ph};
use crate::store::{self, accounts::Account, DbConnection};
use diesel::prelude::*;
use serde_json::{json, Value};
use tobira_domain::audit::Outcome;
use tobira_domain::four_eyes::{self as rule, Kind, Open, Target};
use tobira_domain::policy::{OfficerFunction, Policy};

/// The account ever had a credential of its holder's: signed in, a second factor, a password of their
/// own (or one in the history), or a revoked credential on record.
pub(crate) fn ever_had_credential(c: &mut DbConnection, a: &Account) -> Result<bool, AppError> {
    if a.last_login_at.is_some() || store::credentials::has_second_factor(c, &a.id)? {
        return Ok(true);
    }
    let own: i64 =
        pc::table.filter(pc::account_id.eq(&a.id)).filter(pc::is_temporary.eq(false)).count().get_result(c)?;
    let history: i64 = ph::table.filter(ph::account_id.eq(&a.id)).count().get_result(c)?;
    Ok(own + history > 0
        || !store::audit::by_target(c, &target(&a.login_id), &["credential.revoked"], 0, 1)?.is_empty())
}

/// The target's facts across all the person's accounts: an officer's staff account is theirs too.
pub(crate) fn person_wide(
    c: &mut DbConnection,
    policy: &Policy,
    a: &Account,
    now: i64,
) -> Result<tobira_domain::approval::ApproverFacts, AppError> {
    match store::privileged::employee_number_of(c, &a.id)? {
        Some(n) => approvers::of_person(c, policy, &n, now),
        None => approvers::of_account(c, policy, a, now),
    }
}

fn who_to_tell(
    c: &mut DbConnection,
    policy: &Policy,
    target_key: &str,
    extra: &[OfficerFunction],
    now: i64,
) -> Result<Vec<String>, AppError> {
    let mut to = approvers::holders_of(c, policy, &[OfficerFunction::Ciso], now)?;
    to.extend(approvers::holders_of(c, policy, extra, now)?);
    to.push(target_key.to_string());
    to.sort();
    to.dedup();
    Ok(to)
}

/// Lets the action through (`Ok`) when one officer may do it alone; otherwise records a request,
/// tells the approvers, the target and the CISO, and answers [`AppError::AwaitingApproval`].
pub async fn gate(
    app: &App,
    officer: &Current,
    login_id: &str,
    kind: Kind,
    details: Value,
    origin: &Origin,
) -> Result<(), AppError> {
    let (policy, requester, login, o, now) =
        (app.policy.clone(), officer.account.clone(), login_id.to_string(), origin.clone(), app.clock.now_ms());
    app.db(move |c| {
        let a = store::accounts::by_login_id(c, &login)?.ok_or_else(|| AppError::no_account(&login))?;
        let facts = person_wide(c, &policy, &a, now)?;
        let ever = ever_had_credential(c, &a)?;
        let t = Target { is_privileged: a.is_privileged, functions: &facts.functions, person_key: &facts.employee_number, ever_had_credential: ever };
        if !rule::needs_second_person(&t) {
            return Ok(());
        }
        if let Err(r) = rule::may_request(kind, &t) {
            let ev = o
                .event(requester.login_id.clone(), "officer.action_refused", target(&a.login_id))
                .with_outcome(Outcome::Denied)
                .with_details(json!({ "kind": kind.as_str(), "refused": r.to_string() }));
            crate::app::audit_log::record_alone(c, now, ev)?;
            return Err(r.into());
        }
        let requester_key = approvers::of_account(c, &policy, &requester, now)?.employee_number;
        let id = store::write_tx(c, |c| {
            let id = store::new_id();
            let row = OfficerRequest {
                id: id.clone(),
                kind: kind.as_str().into(),
                account_id: a.id.clone(),
                details: details.to_string(),
                requested_by: requester.login_id.clone(),
                requester_key: requester_key.clone(),
                requested_at: now,
                status: "requested".into(),
                decided_by: None,
                decided_at: None,
            };
            requests::insert(c, &row)?;
            let deciders: Vec<OfficerFunction> = policy.approvals.officer_action.iter().filter_map(|x| x.get_ref().officer()).collect();
            let to: Vec<String> = who_to_tell(c, &policy, &facts.employee_number, &deciders, now)?.into_iter().filter(|k| *k != requester_key).collect();
            let subject = format!("【二者承認】{} への操作の承認依頼 / an officer action awaits a second person", a.login_id);
            let body = format!(
                "操作 / action: {}\n対象 / account: {}\n申請者 / requested by: {}\n申請番号 / request: {id}\n承認は別の担当者が行います / another person approves.",
                kind.as_str(),
                a.login_id,
                requester.login_id
            );
            approvers::notify(c, &to, "officer.action_requested", &subject, &body, now)?;
            let ev = o.event(requester.login_id.clone(), "officer.action_requested", target(&a.login_id)).with_details(json!({ "kind": kind.as_str(), "request": id, "notified": to.len() }));
            store::audit::append(c, now, vec![ev])?;
            Ok::<_, AppError>(id)
        })?;
        Err(AppError::AwaitingApproval(id))
    })
    .await
}

/// A request decided: `done` (approved; the action took effect, its result beside) or `refused`.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = OfficerRequestDecided)]
pub struct Decided {
    pub request: String,
    pub status: DecidedStatus,
    /// What the approved action did; absent when refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<ActionResult>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DecidedStatus {
    Done,
    Refused,
}

/// The result of the action that took effect: the fields of its kind only (`was_locked` for an
/// unlock, `status` for a reinstatement, the temporary password for a reset, the link for an
/// enrollment link, `sessions_ended` for a revoked credential).
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct ActionResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub was_locked: Option<bool>,
    /// `active`, after a reinstatement.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub status: Option<&'static str>,
    /// Shown once, to the approver.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temporary_password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub must_change_password: Option<bool>,
    /// The enrollment URL, shown once, to the approver.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// UTC milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sessions_ended: Option<usize>,
}

/// The open requests, for the approvers.
pub async fn open(app: &App) -> Result<Vec<Value>, AppError> {
    app.db(|c| {
        let mut out = Vec::new();
        for r in requests::open(c)? {
            let login = store::accounts::by_id(c, &r.account_id)?.map(|a| a.login_id).unwrap_or_default();
            out.push(json!({ "id": r.id, "kind": r.kind, "login_id": login, "requested_by": r.requested_by, "requested_at": r.requested_at }));
        }
        Ok(out)
    })
    .await
}

/// The second person approves (the action takes effect, with them as its actor) or refuses.
pub async fn decide(
    app: &App,
    approver: &Current,
    id: &str,
    approve: bool,
    origin: &Origin,
) -> Result<Decided, AppError> {
    decide_noting(app, approver, id, approve, "", origin).await
}

/// [`decide`], with the approver's reason kept in the decision's audit record (the console's
/// approvals page asks for one).
pub async fn decide_noting(
    app: &App,
    approver: &Current,
    id: &str,
    approve: bool,
    note: &str,
    origin: &Origin,
) -> Result<Decided, AppError> {
    let (policy, who, rid, o, now, note) = (
        app.policy.clone(),
        approver.account.clone(),
        id.to_string(),
        origin.clone(),
        app.clock.now_ms(),
        note.to_string(),
    );
    let (r, login, target_key) = app
        .db(move |c| {
            let r = requests::by_id(c, &rid)?.ok_or_else(|| {
                AppError::not_found(
                    "request_not_found",
                    format!("申請 {rid} が見つかりません"),
                    format!("request {rid} not found"),
                )
            })?;
            let a = store::accounts::by_id(c, &r.account_id)?.ok_or_else(|| AppError::no_account(&r.account_id))?;
            let target_key = person_wide(c, &policy, &a, now)?.employee_number;
            let facts = approvers::of_account(c, &policy, &who, now)?;
            let action = if approve { "officer.action_approved" } else { "officer.action_refused" };
            if let Err(why) = rule::may_decide(
                &policy,
                &facts,
                Open { status: &r.status, requester_key: &r.requester_key, target_key: &target_key },
            ) {
                let ev = o
                    .event(who.login_id.clone(), action, target(&a.login_id))
                    .with_outcome(Outcome::Denied)
                    .with_details(json!({ "request": r.id, "refused": why.to_string(), "decision_reason": note }));
                crate::app::audit_log::record_alone(c, now, ev)?;
                return Err(why.into());
            }
            store::write_tx(c, |c| {
                if !requests::decide(c, &r.id, if approve { "done" } else { "refused" }, &who.login_id, now)? {
                    return Err(AppError::conflict(
                        "decided_meanwhile",
                        format!("申請 {} は既に決着しました", r.id),
                        format!("request {} was decided meanwhile", r.id),
                    ));
                }
                let ev = o.event(who.login_id.clone(), action, target(&a.login_id)).with_details(
                    json!({ "request": r.id, "kind": r.kind, "requested_by": r.requested_by, "decision_reason": note }),
                );
                store::audit::append(c, now, vec![ev])?;
                Ok(())
            })?;
            Ok((r, a.login_id, target_key))
        })
        .await?;
    if !approve {
        return Ok(Decided { request: r.id, status: DecidedStatus::Refused, result: None });
    }
    let details: Value = serde_json::from_str(&r.details).unwrap_or_default();
    let text = |k: &str| details[k].as_str().map(String::from);
    let actor = approver.account.login_id.as_str();
    // The requester's reason stays with the action that takes effect.
    let reason = text("reason").unwrap_or_default();
    let result = match Kind::parse(&r.kind).ok_or_else(|| {
        AppError::invalid(
            "unknown_request_kind",
            format!("申請の種類 {} は不明です", r.kind),
            format!("unknown request kind {}", r.kind),
        )
    })? {
        Kind::Unlock => ActionResult {
            was_locked: Some(officer::unlock_now(app, actor, &login, &reason, origin).await?),
            ..Default::default()
        },
        Kind::Reinstate => officer::reinstate_now(app, actor, &login, &reason, origin)
            .await
            .map(|_| ActionResult { status: Some("active"), ..Default::default() })?,
        Kind::PasswordReset => {
            let temporary = officer::reset_now(app, actor, &login, text("supervised_by"), &reason, origin).await?;
            ActionResult { temporary_password: Some(temporary), must_change_password: Some(true), ..Default::default() }
        }
        Kind::EnrollmentLink => {
            let l = officer::enrollment_link_now(app, actor, &login, &reason, origin).await?;
            ActionResult {
                url: Some(l.url),
                expires_at: Some(l.expires_at),
                mailed: Some(l.mailed),
                ..Default::default()
            }
        }
        Kind::CredentialRevoke => {
            let (cred, reason) =
                (text("credential").unwrap_or_default(), text("reason").unwrap_or_else(|| "reported_lost".into()));
            ActionResult {
                sessions_ended: Some(officer::revoke_now(app, actor, &login, &cred, &reason, origin).await?),
                ..Default::default()
            }
        }
    };
    let (policy, kind, by, requested_by) =
        (app.policy.clone(), r.kind.clone(), actor.to_string(), r.requested_by.clone());
    app.db(move |c| {
        let to = who_to_tell(c, &policy, &target_key, &[], now)?;
        let body = format!("操作 / action: {kind}\n対象 / account: {login}\n申請者 / requested by: {requested_by}\n承認者 / approved by: {by}");
        store::write_tx(c, |c| approvers::notify(c, &to, "officer.action_effective", "【二者承認】操作が実行されました / an officer action took effect", &body, now))
    })
    .await?;
    Ok(Decided { request: r.id, status: DecidedStatus::Done, result: Some(result) })
}
