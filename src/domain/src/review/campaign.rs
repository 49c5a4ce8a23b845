//! Recertification campaigns (R-RV-05, R-LC-05, R-RV-08): a campaign turns the grants in its scope
//! into review items; each item is decided keep or remove by a reviewer the policy names
//! (`approvals.recertification`: the person's 所属長 and/or the system owner), never by the person
//! whose access it is (R-AC-02). At the deadline, undecided items are removed or escalated
//! (`review.deadline_action`); escalated items left undecided past their own deadline are removed.
//!
//! Invariants: an item is decided once; a decision names its reviewer; the entitlement is read at
//! the moment of the decision (a 所属長 who moved away no longer decides).

use super::DAY_MS;
use crate::approval::{self, ApproverFacts, Concerning};
use crate::policy::settings::{DeadlineAction, ReviewRules};
use crate::policy::{Approver, Policy};
use serde::{Deserialize, Serialize};

/// What a campaign covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "key", rename_all = "snake_case")]
pub enum Scope {
    /// Every grant of one system's roles.
    System(String),
    /// Every grant of the people of one department: its yearly self-inspection (自己点検, R-RV-08).
    Department(String),
    /// The grants of one person after a transfer, for the new 所属長 (R-LC-05).
    Transfer(String),
    /// Every grant in scope, city-wide.
    City,
}

impl Scope {
    pub fn kind(&self) -> &'static str {
        match self {
            Scope::System(_) => "system",
            Scope::Department(_) => "department",
            Scope::Transfer(_) => "transfer",
            Scope::City => "city",
        }
    }

    pub fn key(&self) -> &str {
        match self {
            Scope::System(k) | Scope::Department(k) | Scope::Transfer(k) => k,
            Scope::City => "",
        }
    }

    pub fn parse(kind: &str, key: &str) -> Option<Scope> {
        Some(match kind {
            "system" => Scope::System(key.into()),
            "department" => Scope::Department(key.into()),
            "transfer" => Scope::Transfer(key.into()),
            "city" => Scope::City,
            _ => return None,
        })
    }

    pub fn label_ja(&self) -> String {
        match self {
            Scope::System(s) => format!("システム {s} の権限棚卸し"),
            Scope::Department(d) => format!("{d} の自己点検"),
            Scope::Transfer(p) => format!("異動後の権限確認（職員番号 {p}）"),
            Scope::City => "全庁の権限棚卸し".into(),
        }
    }
}

/// One grant as a campaign sees it.
#[derive(Debug, Clone)]
pub struct GrantFacts<'a> {
    pub source: &'a str,
    pub system: &'a str,
    /// Whether the role is privileged (reviewed by the owner even when only the 所属長 is named).
    pub privileged: bool,
    /// The holder's employee number, if the account has a person.
    pub employee_number: Option<&'a str>,
}

/// Whether a grant of `source` belongs in a campaign (elevations are temporary and never reviewed).
pub fn in_scope(rules: &ReviewRules, source: &str) -> bool {
    source != "elevation" && rules.campaign_sources.iter().any(|s| s == source)
}

/// The reviewers an item is assigned to: the policy's recertification approvers that apply to it
/// (a 所属長 needs a person; a transfer review goes to the 所属長 only).
pub fn reviewers(policy: &Policy, scope: &Scope, g: &GrantFacts) -> Vec<Approver> {
    let mut out: Vec<Approver> = policy
        .approvals
        .recertification
        .iter()
        .map(|a| *a.get_ref())
        .filter(|a| match a {
            Approver::HeadOfSection => g.employee_number.is_some(),
            Approver::SystemOwner => !matches!(scope, Scope::Transfer(_)) || g.privileged,
            _ => !matches!(scope, Scope::Transfer(_)),
        })
        .collect();
    if out.is_empty() {
        // Nobody the policy names applies (a person-less account in a 所属長-only policy): escalate.
        out = policy.approvals.review_escalation.iter().map(|a| *a.get_ref()).collect();
    }
    out
}

/// The decision on an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Keep,
    Remove,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Keep => "keep",
            Decision::Remove => "remove",
        }
    }

    pub fn parse(s: &str) -> Option<Decision> {
        match s {
            "keep" => Some(Decision::Keep),
            "remove" => Some(Decision::Remove),
            _ => None,
        }
    }
}

/// Why a reviewer may not decide an item.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("nobody certifies their own access (R-AC-02)")]
    OwnAccess,
    #[error("this item is not assigned to you (reviewers: {0})")]
    NotReviewer(String),
    #[error("this item is already decided")]
    Decided,
    #[error("the campaign is closed")]
    Closed,
    #[error("a comment is required to remove a grant")]
    NoComment,
    #[error("the comment is longer than {0} characters")]
    CommentTooLong(usize),
}

/// The longest comment a decision keeps.
pub const MAX_COMMENT: usize = 1000;

impl Refusal {
    pub fn label_ja(&self) -> String {
        match self {
            Refusal::OwnAccess => "ご自身の権限は確認できません（R-AC-02）".into(),
            Refusal::NotReviewer(who) => format!("この項目の確認者ではありません（確認者: {who}）"),
            Refusal::Decided => "この項目は回答済みです".into(),
            Refusal::Closed => "この棚卸しは終了しています".into(),
            Refusal::NoComment => "削除にはコメント（理由）が必要です".into(),
            Refusal::CommentTooLong(n) => format!("コメントは {n} 文字以内にしてください"),
        }
    }
}

/// An item as a decision needs it.
#[derive(Debug, Clone)]
pub struct Item<'a> {
    pub reviewers: &'a [Approver],
    pub escalated: bool,
    pub decided: bool,
    pub campaign_open: bool,
    pub employee_number: Option<&'a str>,
    /// The holder's current departments (for the 所属長).
    pub departments: &'a [String],
    pub system: &'a str,
}

/// Whether `facts` may decide `item` now.
pub fn may_decide(
    policy: &Policy,
    item: &Item,
    facts: &ApproverFacts,
    decision: Decision,
    comment: &str,
) -> Result<(), Refusal> {
    if !item.campaign_open {
        return Err(Refusal::Closed);
    }
    if item.decided {
        return Err(Refusal::Decided);
    }
    if item.employee_number.is_some_and(|e| e == facts.employee_number) {
        return Err(Refusal::OwnAccess);
    }
    if decision == Decision::Remove && comment.trim().is_empty() {
        return Err(Refusal::NoComment);
    }
    if comment.chars().count() > MAX_COMMENT {
        return Err(Refusal::CommentTooLong(MAX_COMMENT));
    }
    let about = Concerning { departments: item.departments, system: Some(item.system) };
    let allowed: Vec<Approver> = if item.escalated {
        policy.approvals.review_escalation.iter().map(|a| *a.get_ref()).collect()
    } else {
        item.reviewers.to_vec()
    };
    if allowed.iter().any(|a| approval::entitled(policy, *a, facts, about)) {
        Ok(())
    } else {
        Err(Refusal::NotReviewer(allowed.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ")))
    }
}

/// The deadline of a campaign created at `now`.
pub fn deadline(rules: &ReviewRules, now: i64) -> i64 {
    now + i64::from(rules.campaign_days) * DAY_MS
}

/// What becomes of an undecided item at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtDeadline {
    Wait,
    /// Send a reminder to its reviewers (once).
    Remind,
    Remove,
    Escalate {
        until: i64,
    },
}

pub fn at_deadline(
    rules: &ReviewRules,
    deadline: i64,
    escalated_until: Option<i64>,
    reminded: bool,
    now: i64,
) -> AtDeadline {
    if let Some(until) = escalated_until {
        return if now >= until { AtDeadline::Remove } else { AtDeadline::Wait };
    }
    if now >= deadline {
        return match rules.deadline_action {
            DeadlineAction::Remove => AtDeadline::Remove,
            DeadlineAction::Escalate => AtDeadline::Escalate { until: now + i64::from(rules.escalation_days) * DAY_MS },
        };
    }
    if !reminded && now >= deadline - i64::from(rules.reminder_days) * DAY_MS {
        return AtDeadline::Remind;
    }
    AtDeadline::Wait
}

/// The systems whose scheduled campaign is due: none for `recertification_months = 0`; otherwise
/// each system whose last campaign began that many months (of 30 days) ago, or never.
pub fn systems_due(policy: &Policy, last_started: impl Fn(&str) -> Option<i64>, now: i64) -> Vec<&str> {
    let months = policy.review.recertification_months;
    if months == 0 {
        return Vec::new();
    }
    let every = i64::from(months) * 30 * DAY_MS;
    policy
        .systems
        .iter()
        .map(|s| s.id.get_ref().as_str())
        .filter(|s| last_started(s).is_none_or(|t| now - t >= every))
        .collect()
}

/// When the fiscal year (年度) containing `now` began, in JST, for a year beginning in `month`.
pub fn fiscal_year_start(month: u8, now: i64) -> i64 {
    let local = crate::time_util::from_millis(now).to_offset(time::macros::offset!(+9));
    let month = time::Month::January.nth_next(month.clamp(1, 12) - 1);
    let year = if u8::from(local.month()) >= u8::from(month) { local.year() } else { local.year() - 1 };
    // The first of a month exists in every representable year; a year before the range (the day
    // before Date::MIN's year) starts at Date::MIN, the earliest instant there is.
    let first = time::Date::from_calendar_date(year, month, 1).unwrap_or(time::Date::MIN);
    first.midnight().assume_offset(time::macros::offset!(+9)).unix_timestamp() * 1000
}

/// The departments whose self-inspection for the current fiscal year has not begun (R-RV-08): none
/// for `self_inspection_month = 0`; otherwise each department whose last self-inspection campaign
/// began before this fiscal year did.
pub fn departments_due<'a>(
    rules: &ReviewRules,
    departments: &'a [String],
    last_started: impl Fn(&str) -> Option<i64>,
    now: i64,
) -> Vec<&'a str> {
    if rules.self_inspection_month == 0 {
        return Vec::new();
    }
    let start = fiscal_year_start(rules.self_inspection_month, now);
    departments.iter().map(String::as_str).filter(|d| last_started(d).is_none_or(|t| t < start)).collect()
}

#[cfg(test)]
mod tests;
