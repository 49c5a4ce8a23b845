//! The exceptions register as the service runs it (R-AC-04): requests, emergency records reported to
//! the approvers at once, approval or refusal by `approvals.exception` (never the requester,
//! R-AC-02), ending, periodic review, and the expiry the review run records.

use super::ACTOR;
use crate::app::approvers;
use crate::app::signin::Origin;
use crate::app::AppError;
use crate::store::review::Exception;
use crate::store::{self, DbConnection};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tobira_domain::approval::{self, ApproverFacts, Concerning};
use tobira_domain::audit::{AuditEvent, Outcome};
use tobira_domain::policy::{OfficerFunction, Policy};
use tobira_domain::review::exception::{self as rules, Request, Standing, State};

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewException {
    pub rule: String,
    pub subjects: Vec<String>,
    pub reason: String,
    /// The last day, end of the JST day in ms.
    #[serde(skip)]
    pub valid_until: i64,
    #[serde(default)]
    pub emergency: bool,
}

fn approver_people(c: &mut DbConnection, policy: &Policy, now: i64) -> Result<Vec<String>, AppError> {
    let fs: Vec<OfficerFunction> = policy.approvals.exception.iter().filter_map(|a| a.get_ref().officer()).collect();
    approvers::holders_of(c, policy, &fs, now)
}

fn standing_of(e: &Exception, now: i64) -> Standing {
    rules::standing(State { status: &e.status, valid_until: e.valid_until }, now)
}

/// Records a request (or an emergency exception, in force at once) and tells the approvers. An
/// emergency is declared only by `approvals.exception_emergency`; anyone else's try is refused and
/// recorded.
pub fn request(
    c: &mut DbConnection,
    policy: &Policy,
    facts: &ApproverFacts,
    actor: &str,
    r: &NewException,
    origin: &Origin,
    now: i64,
) -> Result<String, AppError> {
    let req = Request {
        rule: &r.rule,
        subjects: &r.subjects,
        reason: &r.reason,
        valid_until: r.valid_until,
        emergency: r.emergency,
    };
    rules::check(&policy.review, &req, |id| tobira_domain::catalogue::find(id).is_some(), now)?;
    if r.emergency
        && approval::check(policy, &policy.approvals.exception_emergency, facts, Concerning::default()).is_err()
    {
        let ja = "緊急の例外措置を宣言できるのは [approvals] exception_emergency の承認者（CISOまたはその代行者）だけです。承認を申請してください";
        let why = "an emergency exception is declared only by the approvers of [approvals] exception_emergency (the CISO or their deputy); ask for approval instead";
        let ev = origin
            .event(actor, "review.exception_emergency", format!("rule:{}", r.rule.trim()))
            .with_outcome(Outcome::Denied)
            .with_details(json!({ "refused": why, "subjects": r.subjects }));
        crate::app::audit_log::record_alone(c, now, ev)?;
        return Err(AppError::refused("exception_not_permitted", ja, why));
    }
    store::write_tx(c, |c| {
        let id = store::new_id();
        let status = if r.emergency { "emergency" } else { "requested" };
        let e = Exception {
            id: id.clone(),
            rule: r.rule.trim().into(),
            subjects: serde_json::to_string(&r.subjects).unwrap_or_default(),
            reason: r.reason.trim().into(),
            valid_until: r.valid_until,
            status: status.into(),
            emergency: r.emergency,
            requested_by: actor.into(),
            requester_number: Some(facts.employee_number.clone()),
            requested_at: now,
            decided_by: None,
            decided_at: None,
            decision_note: None,
            reviewed_at: None,
            expired_noted_at: None,
        };
        store::review::insert_exception(c, &e)?;
        let to = approver_people(c, policy, now)?;
        let (subject, kind) = if r.emergency {
            ("【例外措置・緊急】事後の承認が必要です / emergency exception recorded", "review.exception_emergency")
        } else {
            ("【例外措置】承認の依頼 / exception request", "review.exception_requested")
        };
        let body = format!(
            "規則 / rule: {}\n対象 / subjects: {}\n理由 / reason: {}\n期限 / until: {}\n申請者 / by: {}",
            e.rule,
            r.subjects.join(", "),
            e.reason,
            tobira_domain::time_util::jst_display(e.valid_until),
            actor
        );
        approvers::notify(c, &to, kind, subject, &body, now)?;
        let declared_by = r.emergency.then(|| facts.employee_number.clone());
        let ev = origin
            .event(actor, kind, format!("exception:{id}"))
            .with_details(json!({ "rule": e.rule, "subjects": r.subjects, "valid_until": e.valid_until, "emergency": r.emergency, "declared_by": declared_by, "notified": to.len() }));
        store::audit::append(c, now, vec![ev])?;
        Ok(id)
    })
}

/// What an approver does with an exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approve,
    Refuse,
    End,
    /// The periodic review: it stays as it is, reviewed now.
    Reviewed,
}

impl Verdict {
    /// The name the API and the audit log use.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Approve => "approve",
            Verdict::Refuse => "refuse",
            Verdict::End => "end",
            Verdict::Reviewed => "reviewed",
        }
    }

    /// What the exception would become, in words.
    fn done(self) -> &'static str {
        match self {
            Verdict::Approve => "approved",
            Verdict::Refuse => "refused",
            Verdict::End => "ended",
            Verdict::Reviewed => "marked reviewed",
        }
    }

    /// The same, in Japanese: what precedes 「できません」.
    fn done_ja(self) -> &'static str {
        match self {
            Verdict::Approve => "承認",
            Verdict::Refuse => "却下",
            Verdict::End => "終了",
            Verdict::Reviewed => "確認済みに",
        }
    }
}

pub fn decide(
    c: &mut DbConnection,
    policy: &Policy,
    who: &super::Actor,
    id: &str,
    verdict: Verdict,
    note: &str,
    now: i64,
) -> Result<Standing, AppError> {
    let (facts, actor, origin) = (who.facts, who.login, who.origin);
    let e = store::review::exception(c, id)?.ok_or_else(|| {
        AppError::not_found(
            "exception_not_found",
            format!("例外措置 {id} が見つかりません"),
            format!("exception {id} not found"),
        )
    })?;
    let entitled = approval::check(policy, &policy.approvals.exception, facts, Concerning::default()).is_ok();
    let own = e.requester_number.as_deref() == Some(facts.employee_number.as_str());
    let action = "review.exception_decided";
    if !entitled || own {
        let (ja, why) = if own {
            ("自分が申請した例外措置は判断できません（R-AC-02）", "nobody decides their own exception (R-AC-02)")
        } else {
            (
                "例外措置を判断できるのは [approvals] exception の承認者（CISO）だけです",
                "exceptions are decided by the approvers of [approvals] exception (the CISO)",
            )
        };
        let ev = origin
            .event(actor, action, format!("exception:{id}"))
            .with_outcome(Outcome::Denied)
            .with_details(json!({ "refused": why }));
        crate::app::audit_log::record_alone(c, now, ev)?;
        return Err(AppError::refused("exception_not_permitted", ja, why));
    }
    store::write_tx(c, |c| {
        let changed = match verdict {
            Verdict::Approve => {
                store::review::decide_exception(c, id, &["requested", "emergency"], "approved", actor, note, now)?
            }
            Verdict::Refuse => {
                store::review::decide_exception(c, id, &["requested", "emergency"], "refused", actor, note, now)?
            }
            Verdict::End => {
                store::review::decide_exception(c, id, &["approved", "emergency"], "ended", actor, note, now)?
            }
            Verdict::Reviewed => {
                store::review::exception_reviewed(c, id, now)?;
                true
            }
        };
        if !changed {
            return Err(AppError::conflict(
                "exception_state",
                format!("例外措置 {id} は {} のため、今は{}できません", e.status, verdict.done_ja()),
                format!("exception {id} is {}; it cannot be {} now", e.status, verdict.done()),
            ));
        }
        let ev = origin
            .event(actor, action, format!("exception:{id}"))
            .with_details(json!({ "verdict": verdict.as_str(), "note": note }));
        store::audit::append(c, now, vec![ev])?;
        let after = store::review::exception(c, id)?.ok_or_else(|| {
            AppError::not_found(
                "exception_not_found",
                format!("例外措置 {id} が見つかりません"),
                format!("exception {id} not found"),
            )
        })?;
        Ok(standing_of(&after, now))
    })
}

/// One exception as reports show it.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    #[serde(flatten)]
    pub exception: Exception,
    pub subjects_list: Vec<String>,
    pub standing: Standing,
    pub review_due: Option<i64>,
}

pub fn rows(c: &mut DbConnection, policy: &Policy, now: i64) -> Result<Vec<Row>, AppError> {
    Ok(store::review::exceptions(c)?
        .into_iter()
        .map(|e| {
            let standing = standing_of(&e, now);
            let since = e.reviewed_at.or(e.decided_at).unwrap_or(e.requested_at);
            let review_due = standing.in_force().then(|| rules::review_due(&policy.review, since));
            Row {
                subjects_list: serde_json::from_str(&e.subjects).unwrap_or_default(),
                standing,
                review_due,
                exception: e,
            }
        })
        .collect())
}

fn in_force_naming<'a>(rows: &'a [Row], subjects: &'a [String]) -> impl Iterator<Item = &'a Row> {
    rows.iter().filter(|r| r.standing.in_force() && r.subjects_list.iter().any(|s| subjects.contains(s)))
}

/// The exceptions in force that name any of `subjects` (for the reports they affect).
pub fn in_force_for(rows: &[Row], subjects: &[String]) -> Vec<String> {
    in_force_naming(rows, subjects).map(|r| format!("{} ({})", r.exception.rule, r.exception.id)).collect()
}

/// Whether an exception in force to `rule` names `subject`.
pub fn permits(rows: &[Row], rule: &str, subject: &str) -> bool {
    in_force_naming(rows, &[subject.to_string()]).any(|r| r.exception.rule == rule)
}

/// Records the expiry of exceptions whose end passed (once each) and tells the approvers.
pub fn expire(c: &mut DbConnection, policy: &Policy, now: i64) -> Result<usize, AppError> {
    store::write_tx(c, |c| {
        let mut n = 0;
        let mut events = Vec::new();
        for e in store::review::exceptions(c)? {
            if standing_of(&e, now) == Standing::Expired && store::review::note_expired(c, &e.id, now)? {
                events.push(
                    AuditEvent::new(ACTOR, "review.exception_expired", format!("exception:{}", e.id))
                        .with_details(json!({ "rule": e.rule, "valid_until": e.valid_until })),
                );
                let to = approver_people(c, policy, now)?;
                approvers::notify(
                    c,
                    &to,
                    "review.exception_expired",
                    "【例外措置】期限切れ / exception expired",
                    &format!("{} ({})", e.rule, e.id),
                    now,
                )?;
                n += 1;
            }
        }
        store::audit::append(c, now, events)?;
        Ok(n)
    })
}
