//! Dormant IDs (R-RV-03, R-LC-04): an account nobody signed in with for the policy's days of its
//! kind, or never used within `never_used` days of its creation, and what follows: a report only,
//! or a notice to the holder and their 所属長 and, if the account stays unused through the notice
//! period, a suspension that only `approvals.dormant_restore` may lift.
//!
//! Invariant: a sign-in after the notice cancels it; nothing is suspended without a notice first.

use super::DAY_MS;
use crate::policy::settings::{DormantAction, ReviewRules};
use serde::Serialize;

/// The kinds that have their own threshold; an account is of the first that applies, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    Development,
    Privileged,
    Shared,
    Vendor,
    Staff,
}

impl AccountKind {
    pub fn of(development: bool, privileged: bool, shared: bool, vendor: bool) -> AccountKind {
        match (development, privileged, shared, vendor) {
            (true, ..) => AccountKind::Development,
            (_, true, ..) => AccountKind::Privileged,
            (_, _, true, _) => AccountKind::Shared,
            (_, _, _, true) => AccountKind::Vendor,
            _ => AccountKind::Staff,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Development => "development",
            AccountKind::Privileged => "privileged",
            AccountKind::Shared => "shared",
            AccountKind::Vendor => "vendor",
            AccountKind::Staff => "staff",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            AccountKind::Development => "開発用ID",
            AccountKind::Privileged => "特権ID",
            AccountKind::Shared => "共用ID",
            AccountKind::Vendor => "委託事業者",
            AccountKind::Staff => "職員",
        }
    }
}

/// An account's use, as the assessment needs it.
#[derive(Debug, Clone, Copy)]
pub struct Use {
    pub kind: AccountKind,
    pub created_at: i64,
    pub last_sign_in: Option<i64>,
}

/// Why an account is dormant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Dormant {
    /// Whole days since the last sign-in (or since creation when never used).
    pub idle_days: i64,
    /// The threshold that applied.
    pub threshold_days: u32,
    pub never_used: bool,
}

/// The threshold for `kind`.
pub fn threshold(rules: &ReviewRules, kind: AccountKind) -> u32 {
    let d = &rules.dormant_days;
    match kind {
        AccountKind::Development => d.development,
        AccountKind::Privileged => d.privileged,
        AccountKind::Shared => d.shared,
        AccountKind::Vendor => d.vendor,
        AccountKind::Staff => d.staff,
    }
}

/// Whether the account is dormant at `now`. An account past its threshold exactly is dormant.
pub fn assess(rules: &ReviewRules, u: Use, now: i64) -> Option<Dormant> {
    let (since, limit, never_used) = match u.last_sign_in {
        Some(t) => (t, threshold(rules, u.kind), false),
        None => (u.created_at, rules.dormant_days.never_used.min(threshold(rules, u.kind)), true),
    };
    let idle_days = (now - since).max(0) / DAY_MS;
    (idle_days >= i64::from(limit)).then_some(Dormant { idle_days, threshold_days: limit, never_used })
}

/// A notice given earlier and not yet settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notice {
    pub noticed_at: i64,
    pub suspend_at: i64,
}

/// What the review does about one account now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Nothing (in use, or waiting out a notice).
    Nothing,
    /// Listed in the report; the policy asks nothing more.
    Report,
    /// Tell the holder and their 所属長; suspend at `suspend_at` unless they sign in.
    Notify { suspend_at: i64 },
    /// The notice ran out with no sign-in: suspend.
    Suspend,
    /// A sign-in after the notice: the notice is settled.
    Cancel,
}

pub fn step(rules: &ReviewRules, u: Use, notice: Option<Notice>, now: i64) -> Step {
    if let Some(n) = notice {
        if u.last_sign_in.is_some_and(|t| t > n.noticed_at) {
            return Step::Cancel;
        }
        return if now >= n.suspend_at { Step::Suspend } else { Step::Nothing };
    }
    match (assess(rules, u, now), rules.dormant_action) {
        (None, _) => Step::Nothing,
        (Some(_), DormantAction::Report) => Step::Report,
        (Some(_), DormantAction::Suspend) => {
            Step::Notify { suspend_at: now + i64::from(rules.dormant_notice_days) * DAY_MS }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    fn used(kind: AccountKind, days_ago: i64) -> Use {
        Use { kind, created_at: NOW - 1000 * DAY_MS, last_sign_in: Some(NOW - days_ago * DAY_MS) }
    }

    #[test]
    fn r_rv_03_each_kind_has_its_own_dormant_threshold() {
        let rules = ReviewRules::default();
        for (kind, limit) in [
            (AccountKind::Staff, 90),
            (AccountKind::Privileged, 30),
            (AccountKind::Vendor, 30),
            (AccountKind::Shared, 60),
            (AccountKind::Development, 30),
        ] {
            assert_eq!(assess(&rules, used(kind, limit - 1), NOW), None, "{kind:?} one day short");
            let d = assess(&rules, used(kind, limit), NOW).unwrap_or_else(|| panic!("{kind:?} at its threshold"));
            assert_eq!((d.idle_days, d.threshold_days, d.never_used), (limit, limit as u32, false));
        }
    }

    #[test]
    fn r_rv_03_thresholds_come_from_the_policy() {
        let mut rules = ReviewRules::default();
        rules.dormant_days.staff = 10;
        assert!(assess(&rules, used(AccountKind::Staff, 10), NOW).is_some());
        assert!(assess(&ReviewRules::default(), used(AccountKind::Staff, 10), NOW).is_none());
    }

    #[test]
    fn r_lc_04_an_account_never_used_is_dormant_after_never_used_days() {
        let rules = ReviewRules::default();
        let fresh = |days: i64| Use { kind: AccountKind::Staff, created_at: NOW - days * DAY_MS, last_sign_in: None };
        assert_eq!(assess(&rules, fresh(29), NOW), None);
        assert_eq!(
            assess(&rules, fresh(30), NOW),
            Some(Dormant { idle_days: 30, threshold_days: 30, never_used: true })
        );
    }

    #[test]
    fn a_kind_is_read_in_order_of_strictness() {
        assert_eq!(AccountKind::of(true, true, false, true), AccountKind::Development);
        assert_eq!(AccountKind::of(false, true, true, true), AccountKind::Privileged);
        assert_eq!(AccountKind::of(false, false, true, true), AccountKind::Shared);
        assert_eq!(AccountKind::of(false, false, false, true), AccountKind::Vendor);
        assert_eq!(AccountKind::of(false, false, false, false), AccountKind::Staff);
    }

    #[test]
    fn r_rv_03_notice_then_suspension_unless_the_holder_signs_in() {
        let rules = ReviewRules::default();
        let u = used(AccountKind::Staff, 100);
        let Step::Notify { suspend_at } = step(&rules, u, None, NOW) else { panic!("dormant → notice") };
        assert_eq!(suspend_at, NOW + 14 * DAY_MS);
        let notice = Some(Notice { noticed_at: NOW, suspend_at });
        assert_eq!(step(&rules, u, notice, suspend_at - 1), Step::Nothing, "waiting out the notice");
        assert_eq!(step(&rules, u, notice, suspend_at), Step::Suspend);
        let back = Use { last_sign_in: Some(NOW + DAY_MS), ..u };
        assert_eq!(step(&rules, back, notice, suspend_at), Step::Cancel, "a sign-in after the notice settles it");
    }

    #[test]
    fn r_rv_03_report_only_never_suspends() {
        let rules = ReviewRules { dormant_action: DormantAction::Report, ..ReviewRules::default() };
        assert_eq!(step(&rules, used(AccountKind::Privileged, 400), None, NOW), Step::Report);
        assert_eq!(step(&rules, used(AccountKind::Privileged, 1), None, NOW), Step::Nothing);
    }
}
