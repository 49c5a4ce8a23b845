//! Suspending an account for a reason (R-AC-03), with its sessions ended and the CISO and the person's
//! 所属長 told, and lifting an officer's suspension (after a second person's approval when required).

use super::{act, act_as, four_eyes};
use crate::app::signin::session::{self, Current};
use crate::app::signin::{target, Origin};
use crate::app::{App, AppError};
use crate::store;
use serde_json::json;
use tobira_domain::audit::Outcome;
use tobira_domain::four_eyes::Kind;
use tobira_domain::rbac::AccountStatus;

/// Suspends an account for a reason (R-AC-03): sessions end at once, and a notification event goes
/// to the CISO and the person's 情報セキュリティ管理者.
pub async fn suspend(
    app: &App,
    officer: &Current,
    login_id: &str,
    reason: &str,
    origin: &Origin,
) -> Result<usize, AppError> {
    let reason = reason.trim().to_string();
    if reason.is_empty() {
        return Err(AppError::invalid(
            "no_reason",
            "利用停止の理由を入力してください（R-AC-03）",
            "a suspension states its reason (R-AC-03)",
        ));
    }
    let (actor, o, policy) = (officer.account.login_id.clone(), origin.clone(), app.policy.clone());
    act(app, officer, login_id, "account.suspended", origin, move |c, a, now| {
        if a.status() != Some(AccountStatus::Active) {
            return Err(AppError::conflict(
                "account_not_active",
                format!(
                    "アカウント {} は有効ではありません（状態：{}）",
                    a.login_id,
                    tobira_domain::rbac::AccountStatus::ja_of(&a.status)
                ),
                format!("account {} is {}, not active", a.login_id, a.status),
            ));
        }
        store::accounts::set_status(c, &a.id, AccountStatus::Suspended, &format!("officer: {reason}"), now)?;
        // The business systems deactivate the account in the same transaction (R-LC-03).
        let queued = crate::app::provisioning::track(c, &policy, std::slice::from_ref(&a.id), &actor, now)?;
        store::audit::append(c, now, queued)?;
        let ended = session::end_sessions(c, a, &actor, "account_suspended", None, &o, now)?;
        let notify = o
            .event(actor.clone(), "notification.account_suspended", target(&a.login_id))
            .with_outcome(Outcome::Success)
            .with_details(json!({ "to": ["ciso", "security_manager_of_section"], "reason": reason, "by": actor }));
        store::audit::append(c, now, vec![notify])?;
        // The CISO and the person's 所属長 are told (by mail when [smtp] is set).
        let mut to =
            crate::app::approvers::holders_of(c, &policy, &[tobira_domain::policy::OfficerFunction::Ciso], now)?;
        if let Some(en) = store::privileged::employee_number_of(c, &a.id)? {
            to.extend(crate::app::review::heads_of(c, &en)?);
        }
        let subject = format!("【利用停止】{} の利用を停止しました / account suspended", a.login_id);
        let body = format!(
            "ID: {}
理由 / reason: {reason}
実施者 / by: {actor}",
            a.login_id
        );
        crate::app::approvers::notify(c, &to, "account.suspended", &subject, &body, now)?;
        Ok((ended, json!({ "reason": reason, "sessions_ended": ended, "notified": to.len() })))
    })
    .await
}

/// Lifts an officer's suspension (not one from HR or a contract: those are the sync's).
pub async fn reinstate(
    app: &App,
    officer: &Current,
    login_id: &str,
    reason: &str,
    origin: &Origin,
) -> Result<(), AppError> {
    four_eyes::gate(app, officer, login_id, Kind::Reinstate, json!({ "reason": reason }), origin).await?;
    reinstate_now(app, &officer.account.login_id, login_id, reason, origin).await
}

pub(in crate::app) async fn reinstate_now(
    app: &App,
    actor: &str,
    login_id: &str,
    reason: &str,
    origin: &Origin,
) -> Result<(), AppError> {
    let (policy, by, reason) = (app.policy.clone(), actor.to_string(), reason.to_string());
    act_as(app, actor, login_id, "account.reinstated", origin, move |c, a, now| {
        if a.status() != Some(AccountStatus::Suspended)
            || !a.status_reason.as_deref().is_some_and(|r| r.starts_with("officer: "))
        {
            return Err(AppError::conflict(
                "not_suspended_by_officer",
                format!("アカウント {} はセキュリティ担当による利用停止中ではありません", a.login_id),
                format!("account {} is not suspended by an officer", a.login_id),
            ));
        }
        store::accounts::set_status(c, &a.id, AccountStatus::Active, "officer: reinstated", now)?;
        let queued = crate::app::provisioning::track(c, &policy, std::slice::from_ref(&a.id), &by, now)?;
        store::audit::append(c, now, queued)?;
        Ok(((), json!({ "previous_reason": a.status_reason, "reason": reason })))
    })
    .await
}
