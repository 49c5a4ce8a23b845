//! Officer actions awaiting a second person (R-AC-02), as the console's approvals page shows them:
//! who asked, what, on which account (and whose), the reason and when; whether the reader may decide
//! each one (the domain's `four_eyes::may_decide`, the same rule the decision applies); and the
//! decision itself, which is the officer API's [`four_eyes::decide_noting`].
//!
//! Invariants: the list is for security officers and those named in `[approvals] officer_action`
//! (anyone else is refused, and the refusal audited); a request the reader may not decide (their own,
//! or on their own account) is listed without buttons, and a forged decision is refused by the
//! decision's own check and audited there; reading the list is audited (`console.approvals_viewed`).

use super::Reader;
use crate::app::officer::four_eyes;
use crate::app::signin::session::Current;
use crate::app::signin::Origin;
use crate::app::{App, AppError};
use crate::store::{self, officer_requests};
use serde_json::{json, Value};
use tobira_domain::approval::{self, Concerning};
use tobira_domain::audit::Outcome;
use tobira_domain::four_eyes::{self as rule, Open};

/// One open request.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Waiting {
    pub id: String,
    /// `password_reset`, `enrollment_link`, `credential_revoke`, `unlock` or `reinstate`.
    pub kind: String,
    pub login_id: String,
    /// The target's person: (employee number, name), when the account has one.
    pub person: Option<(String, String)>,
    pub requested_by: String,
    pub reason: String,
    pub requested_at: i64,
    /// The reader may approve or refuse it.
    pub may_decide: bool,
    /// Why not, when they may not.
    pub why_not: Option<String>,
}

/// Whether `reader` may see the approvals page at all.
fn admitted(app: &App, reader: &Reader) -> bool {
    reader.acts
        || approval::check(&app.policy, &app.policy.approvals.officer_action, &reader.facts, Concerning::default())
            .is_ok()
}

/// The open requests, oldest first, as `reader` may act on them.
pub async fn pending(app: &App, reader: &Reader, origin: &Origin) -> Result<Vec<Waiting>, AppError> {
    let ok = admitted(app, reader);
    let ev = origin.event(reader.login.clone(), "console.approvals_viewed", "officer_requests");
    if !ok {
        app.audit
            .record(
                ev.with_outcome(Outcome::Denied)
                    .with_details(json!({ "refused": "not named in [approvals] officer_action" })),
            )
            .await?;
        return Err(AppError::refused(
            "approvals_not_permitted",
            "二者承認の一覧を利用できるのはセキュリティ担当と [approvals] officer_action の承認者です",
            "the approvals page is for security officers and those named in [approvals] officer_action",
        ));
    }
    let (policy, facts, now, n) =
        (app.policy.clone(), reader.facts.clone(), app.clock.now_ms(), app.policy.console.approvals_list_size as usize);
    let list = app
        .db(move |c| {
            let mut out = Vec::new();
            for r in officer_requests::open(c)?.into_iter().take(n) {
                let Some(a) = store::accounts::by_id(c, &r.account_id)? else { continue };
                let target = four_eyes::person_wide(c, &policy, &a, now)?;
                let person = match a.person_id.as_deref() {
                    Some(pid) => store::org::person_by_id(c, pid)?.map(|p| (p.employee_number, p.name_kanji)),
                    None => None,
                };
                let verdict = rule::may_decide(
                    &policy,
                    &facts,
                    Open { status: &r.status, requester_key: &r.requester_key, target_key: &target.employee_number },
                );
                let details: Value = serde_json::from_str(&r.details).unwrap_or_default();
                out.push(Waiting {
                    reason: details["reason"].as_str().unwrap_or_default().to_string(),
                    may_decide: verdict.is_ok(),
                    why_not: verdict.err().map(|e| e.to_string()),
                    id: r.id,
                    kind: r.kind,
                    login_id: a.login_id,
                    person,
                    requested_by: r.requested_by,
                    requested_at: r.requested_at,
                });
            }
            Ok(out)
        })
        .await?;
    app.audit.record(ev.with_details(json!({ "open": list.len() }))).await?;
    Ok(list)
}

/// Approves or refuses request `id` with the approver's reason: the officer API's decision, so the
/// requester, the target and anyone not named in `[approvals] officer_action` are refused there
/// (R-AC-02, audited) whatever the form said.
pub async fn decide(
    app: &App,
    cur: &Current,
    id: &str,
    approve: bool,
    reason: &str,
    origin: &Origin,
) -> Result<four_eyes::Decided, AppError> {
    if reason.trim().is_empty() {
        return Err(AppError::invalid(
            "no_reason",
            "承認・却下の理由を入力してください",
            "state the reason for the decision",
        ));
    }
    four_eyes::decide_noting(app, cur, id, approve, reason.trim(), origin).await
}
