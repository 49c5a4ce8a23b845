//! Delegates (代行者, R-PR-03): the holder of an officer function or a system's owner nominates a
//! delegate for a period; the CISO (as `[approvals] delegate` says) approves; on approval every
//! officer and system owner is notified; the delegate acts with the principal's authority until the
//! period ends, checked at each use (`approvers::of_person` reads delegations in force at `now`).

use super::refused;
use crate::app::signin::{session::Current, Origin};
use crate::app::{approvers, App, AppError};
use crate::store::{self, privileged::Delegation};
use serde_json::json;
use tobira_domain::policy::OfficerFunction;
use tobira_domain::privileged::delegation::{self as rules, Nomination};
use tobira_domain::time_util::jst_display;

/// A nomination as asked for.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Nominate {
    /// `officer:<function>` or `system_owner:<system id>`.
    pub principal: String,
    pub delegate: String,
    /// UTC milliseconds.
    pub from: i64,
    pub until: i64,
    pub reason: String,
}

fn target(d: &Delegation) -> String {
    format!("delegation:{}", d.principal)
}

pub async fn nominate(app: &App, cur: &Current, n: Nominate, origin: &Origin) -> Result<Delegation, AppError> {
    let (policy, cur, origin, now) = (app.policy.clone(), cur.clone(), origin.clone(), app.clock.now_ms());
    app.db(move |c| {
        let principal = approvers::parse_principal(&policy, &n.principal)
            .ok_or_else(|| AppError::invalid("unknown_principal", format!("代行される権限 `{}` は不明です", n.principal), format!("unknown principal `{}`", n.principal)))?;
        let me = approvers::of_account(c, &policy, &cur.account, now)?;
        let delegate = approvers::of_person(c, &policy, n.delegate.trim(), now)?;
        let nom = Nomination { principal: &principal, delegate_employee_number: &delegate.employee_number, delegate_is_vendor: delegate.is_vendor, from: n.from, until: n.until, reason: &n.reason };
        if let Err(e) = rules::nominate(&policy, &me, &nom, now) {
            return Err(refused(c, &cur, ("privileged.delegation_refused", &format!("delegation:{}", n.principal)), e, json!({ "delegate": delegate.employee_number }), &origin, now));
        }
        let d = Delegation {
            id: store::new_id(),
            principal: approvers::principal_key(&principal),
            delegate_employee_number: delegate.employee_number.clone(),
            nominated_by: me.employee_number.clone(),
            reason: n.reason.trim().into(),
            valid_from: n.from,
            valid_until: n.until,
            status: "nominated".into(),
            decided_by: None,
            decided_at: None,
            created_at: now,
        };
        store::write_tx(c, |c| {
            store::privileged::insert_delegation(c, &d)?;
            let e = origin
                .event(cur.account.login_id.clone(), "privileged.delegate_nominated", target(&d))
                .with_details(json!({ "delegation": d.id, "delegate": d.delegate_employee_number, "from": d.valid_from, "until": d.valid_until, "reason": d.reason }));
            store::audit::append(c, now, vec![e])?;
            Ok(d)
        })
    })
    .await
}

/// Approves or refuses a nomination; an approval notifies every officer and system owner.
pub async fn decide(
    app: &App,
    cur: &Current,
    id: &str,
    approve: bool,
    origin: &Origin,
) -> Result<Delegation, AppError> {
    let (policy, id, cur, origin, now) =
        (app.policy.clone(), id.to_string(), cur.clone(), origin.clone(), app.clock.now_ms());
    app.db(move |c| {
        let mut d = store::privileged::delegation(c, &id)?.filter(|d| d.status == "nominated").ok_or_else(|| {
            AppError::not_found(
                "nomination_not_found",
                format!("代行者の指名 {id} が見つかりません"),
                format!("nomination {id} not found"),
            )
        })?;
        let principal = approvers::parse_principal(&policy, &d.principal).ok_or_else(|| {
            AppError::invalid(
                "principal_left_policy",
                "指名で代行される権限はもうポリシーにありません",
                "the nomination's principal is no longer in the policy",
            )
        })?;
        let me = approvers::of_account(c, &policy, &cur.account, now)?;
        // The delegate as they are now: one who has become a vendor since the nomination is refused (R-PR-04).
        let delegate_is_vendor = approvers::of_person(c, &policy, &d.delegate_employee_number, now)?.is_vendor;
        let nom = Nomination {
            principal: &principal,
            delegate_employee_number: &d.delegate_employee_number,
            delegate_is_vendor,
            from: d.valid_from,
            until: d.valid_until,
            reason: &d.reason,
        };
        // The nominator must still hold what they delegate, and the period must not be over.
        let still = approvers::of_key(c, &policy, &d.nominated_by, now)
            .map(|nominator| rules::nominate(&policy, &nominator, &nom, now))
            .unwrap_or(Err(rules::Refusal::NotPrincipal));
        if let Err(e) = still.and_then(|_| rules::approve(&policy, &nom, &d.nominated_by, &me)) {
            return Err(refused(
                c,
                &cur,
                ("privileged.delegation_decision_refused", &target(&d)),
                e,
                json!({ "delegation": id }),
                &origin,
                now,
            ));
        }
        store::write_tx(c, |c| {
            let to = if approve { "approved" } else { "refused" };
            if !store::privileged::decide_delegation(c, &id, to, &cur.account.login_id, now)? {
                return Err(AppError::conflict(
                    "decided_meanwhile",
                    "指名は既に判断されました",
                    "the nomination was decided meanwhile",
                ));
            }
            d.status = to.into();
            d.decided_by = Some(cur.account.login_id.clone());
            d.decided_at = Some(now);
            let mut notified = Vec::new();
            if approve {
                let all = [
                    OfficerFunction::Ciso,
                    OfficerFunction::DeputyCiso,
                    OfficerFunction::ChiefSecurityOfficer,
                    OfficerFunction::SecurityOfficer,
                ];
                notified = approvers::holders_of(c, &policy, &all, now)?;
                notified.extend(policy.systems.iter().map(|s| s.owner.employee_number.clone()));
                notified.sort();
                notified.dedup();
                let subject = format!("代行者の承認: {}", d.principal);
                let body = format!(
                    "{} の代行者として職員番号 {} が承認されました（{} から {} まで）。理由: {}",
                    d.principal,
                    d.delegate_employee_number,
                    jst_display(d.valid_from),
                    jst_display(d.valid_until),
                    d.reason
                );
                approvers::notify(c, &notified, "privileged.delegate_approved", &subject, &body, now)?;
            }
            let e = origin
                .event(
                    cur.account.login_id.clone(),
                    if approve { "privileged.delegate_approved" } else { "privileged.delegate_refused" },
                    target(&d),
                )
                .with_details(
                    json!({ "delegation": d.id, "delegate": d.delegate_employee_number, "notified": notified }),
                );
            store::audit::append(c, now, vec![e])?;
            Ok(d)
        })
    })
    .await
}

/// Ends an approved delegation before its last day: by its approvers (`approvals.delegate`, the
/// CISO) or by the nominator; the delegate's authority ends at once, since it is read at each use.
pub async fn end(app: &App, cur: &Current, id: &str, origin: &Origin) -> Result<Delegation, AppError> {
    let (policy, id, cur, origin, now) =
        (app.policy.clone(), id.to_string(), cur.clone(), origin.clone(), app.clock.now_ms());
    app.db(move |c| {
        let d = store::privileged::delegation(c, &id)?.filter(|d| d.status == "approved").ok_or_else(|| {
            AppError::not_found(
                "delegation_not_found",
                format!("承認済みの代行 {id} が見つかりません"),
                format!("approved delegation {id} not found"),
            )
        })?;
        let me = approvers::of_account(c, &policy, &cur.account, now)?;
        let approver =
            tobira_domain::approval::check(&policy, &policy.approvals.delegate, &me, Default::default()).is_ok();
        if !(approver || me.employee_number == d.nominated_by) {
            let why = AppError::refused(
                "delegation_end_not_permitted",
                "代行を終了できるのは承認者（CISO）か代行者を指名した人です",
                "a delegation is ended by its approvers (the CISO) or by whoever nominated the delegate",
            );
            return Err(refused(
                c,
                &cur,
                ("privileged.delegation_end_refused", &target(&d)),
                why,
                json!({ "delegation": id }),
                &origin,
                now,
            ));
        }
        store::write_tx(c, |c| {
            if !store::privileged::end_delegation(c, &id, now)? {
                return Err(AppError::conflict(
                    "changed_meanwhile",
                    "代行は既に変更されています",
                    "the delegation changed meanwhile",
                ));
            }
            let e = origin.event(cur.account.login_id.clone(), "privileged.delegate_ended", target(&d)).with_details(
                json!({ "delegation": d.id, "delegate": d.delegate_employee_number, "planned_until": d.valid_until }),
            );
            store::audit::append(c, now, vec![e])?;
            store::privileged::delegation(c, &id)?.ok_or_else(|| {
                AppError::not_found(
                    "delegation_not_found",
                    format!("代行 {id} が見つかりません"),
                    format!("delegation {id} not found"),
                )
            })
        })
    })
    .await
}
