//! Dormant IDs as the service runs them (R-RV-03, R-LC-04): the sweep notices dormant accounts to
//! their holder and 所属長 and suspends them when the notice runs out (or only reports them, per
//! `review.dormant_action`); a suspension for dormancy is lifted by `approvals.dormant_restore`,
//! which starts a fresh notice period so the holder has time to sign in.

use super::{heads_of, ACTOR};
use crate::app::approvers;
use crate::app::signin::{target, Origin};
use crate::app::AppError;
use crate::store::{self, review::DormantNotice, DbConnection};
use serde_json::json;
use std::collections::HashMap;
use tobira_domain::approval::{self, ApproverFacts, Concerning};
use tobira_domain::audit::{AuditEvent, Outcome};
use tobira_domain::policy::Policy;
use tobira_domain::rbac::AccountStatus;
use tobira_domain::review::dormant::{self, AccountKind, Notice, Step, Use};
use tobira_domain::time_util::jst_display;

/// The status reason of a suspension for dormancy.
pub const REASON: &str = "review.dormant";

pub fn use_of(a: &store::review::AccountUse) -> Use {
    Use {
        kind: AccountKind::of(a.is_development, a.is_privileged, a.is_shared, a.is_vendor),
        created_at: a.created_at,
        last_sign_in: a.last_login_at,
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = DormantSweep)]
pub struct Sweep {
    pub noticed: usize,
    pub suspended: usize,
    pub cancelled: usize,
    pub reported: usize,
}

/// One pass over the active accounts, in one transaction.
pub fn sweep(c: &mut DbConnection, policy: &Policy, now: i64) -> Result<Sweep, AppError> {
    store::write_tx(c, |c| {
        let notices: HashMap<String, DormantNotice> =
            store::review::notices(c)?.into_iter().map(|n| (n.account_id.clone(), n)).collect();
        let mut out = Sweep::default();
        let mut events = Vec::new();
        for a in store::review::active_accounts(c)? {
            let u = use_of(&a);
            let open = notices
                .get(&a.id)
                .filter(|n| n.settled_at.is_none())
                .map(|n| Notice { noticed_at: n.noticed_at, suspend_at: n.suspend_at });
            let tgt = target(&a.login_id);
            match dormant::step(&policy.review, u, open, now) {
                Step::Nothing => {}
                Step::Report => out.reported += 1,
                Step::Notify { suspend_at } => {
                    let idle = dormant::assess(&policy.review, u, now).map_or(0, |d| d.idle_days);
                    store::review::clear_notice(c, &a.id)?;
                    store::review::insert_notice(
                        c,
                        &DormantNotice {
                            account_id: a.id.clone(),
                            noticed_at: now,
                            suspend_at,
                            idle_days: idle,
                            settled_at: None,
                            outcome: None,
                        },
                    )?;
                    let mut to: Vec<String> = Vec::new();
                    if let Some(en) = store::privileged::employee_number_of(c, &a.id)? {
                        to.extend(heads_of(c, &en)?);
                        to.push(en);
                    }
                    let subject = format!("【休眠ID】{} は {} 日使われていません / dormant account", a.login_id, idle);
                    let body = format!(
                        "ID {} は {} 日間サインインがありません（{}）。{} までにサインインがなければ利用を停止します。\nThe account {} has not signed in for {} days and will be suspended at {} unless it is used.",
                        a.login_id, idle, u.kind.label_ja(), jst_display(suspend_at), a.login_id, idle, jst_display(suspend_at)
                    );
                    approvers::notify(c, &to, "review.dormant_notice", &subject, &body, now)?;
                    events.push(
                        AuditEvent::new(ACTOR, "review.dormant_noticed", tgt).with_details(json!({ "kind": u.kind.as_str(), "idle_days": idle, "suspend_at": suspend_at, "notified": to.len() })),
                    );
                    out.noticed += 1;
                }
                Step::Suspend => {
                    store::accounts::set_status(c, &a.id, AccountStatus::Suspended, REASON, now)?;
                    store::review::settle_notice(c, &a.id, "suspended", now)?;
                    let ended = store::sessions::revoke_all_of_account(c, &a.id, REASON, now)?;
                    events.push(AuditEvent::new(ACTOR, "account.suspended", tgt).with_details(
                        json!({ "reason": REASON, "sessions_ended": ended.len(), "kind": u.kind.as_str() }),
                    ));
                    events.extend(crate::app::provisioning::track(c, policy, std::slice::from_ref(&a.id), ACTOR, now)?);
                    out.suspended += 1;
                }
                Step::Cancel => {
                    store::review::clear_notice(c, &a.id)?;
                    events.push(
                        AuditEvent::new(ACTOR, "review.dormant_notice_settled", tgt)
                            .with_details(json!({ "signed_in_at": a.last_login_at })),
                    );
                    out.cancelled += 1;
                }
            }
        }
        if !events.is_empty() {
            store::audit::append(c, now, events)?;
        }
        Ok(out)
    })
}

/// Restores an account suspended for dormancy; the restorer must be entitled by
/// `approvals.dormant_restore` for the holder (their 所属長, or a security officer) and is never the
/// holder (R-AC-02).
pub fn restore(
    c: &mut DbConnection,
    policy: &Policy,
    facts: &ApproverFacts,
    actor: &str,
    login: &str,
    origin: &Origin,
    now: i64,
) -> Result<(), AppError> {
    let a = store::accounts::by_login_id(c, login)?.ok_or_else(|| AppError::no_account(login))?;
    if a.status != AccountStatus::Suspended.as_str() || a.status_reason.as_deref() != Some(REASON) {
        return Err(AppError::conflict(
            "not_suspended_for_dormancy",
            format!("{login} は休眠による停止中ではありません"),
            format!("{login} is not suspended for dormancy"),
        ));
    }
    let number = store::privileged::employee_number_of(c, &a.id)?;
    let departments = match &number {
        Some(en) => super::departments_of(c, en)?,
        None => Vec::new(),
    };
    let own = number.as_deref() == Some(facts.employee_number.as_str());
    let entitled = approval::check(
        policy,
        &policy.approvals.dormant_restore,
        facts,
        Concerning { departments: &departments, system: None },
    )
    .is_ok();
    if own || !entitled {
        let (ja, why) = if own {
            ("自分のアカウントの利用は再開できません（R-AC-02）", "nobody restores their own account (R-AC-02)")
        } else {
            (
                "休眠により停止したアカウントの利用を再開できるのは所属長またはセキュリティ担当です",
                "restoring a dormant account needs its 所属長 or a security officer",
            )
        };
        let e = origin
            .event(actor, "review.dormant_restored", target(login))
            .with_outcome(Outcome::Denied)
            .with_details(json!({ "refused": why }));
        crate::app::audit_log::record_alone(c, now, e)?;
        return Err(AppError::refused("dormant_restore_not_permitted", ja, why));
    }
    store::write_tx(c, |c| {
        store::accounts::set_status(c, &a.id, AccountStatus::Active, "review.dormant_restored", now)?;
        store::review::clear_notice(c, &a.id)?;
        let suspend_at = now + i64::from(policy.review.dormant_notice_days) * tobira_domain::review::DAY_MS;
        store::review::insert_notice(
            c,
            &DormantNotice {
                account_id: a.id.clone(),
                noticed_at: now,
                suspend_at,
                idle_days: 0,
                settled_at: None,
                outcome: None,
            },
        )?;
        let e = origin
            .event(actor, "review.dormant_restored", target(login))
            .with_details(json!({ "suspend_again_at": suspend_at }));
        let mut events = vec![e];
        events.extend(crate::app::provisioning::track(c, policy, std::slice::from_ref(&a.id), actor, now)?);
        store::audit::append(c, now, events)?;
        Ok::<_, AppError>(())
    })
}
