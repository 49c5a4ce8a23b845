//! Session limits: idle and absolute time-outs from policy, shorter for privileged sessions
//! (R-AU-11 アクセスタイムアウト, R-AU-18, R-PR-07).
//!
//! Invariant: a session is live only while both limits hold; the privileged limits apply to any
//! session of a privileged account.

use crate::policy::{SessionRule, SessionRules};

const MINUTE_MS: i64 = 60_000;

/// Why a session ended by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// No activity for `idle_minutes`.
    Idle,
    /// `absolute_minutes` after sign-in.
    Absolute,
}

impl Expiry {
    pub fn as_str(self) -> &'static str {
        match self {
            Expiry::Idle => "idle_timeout",
            Expiry::Absolute => "absolute_timeout",
        }
    }
}

/// The rule for a session of a privileged or an ordinary account.
pub fn rule(rules: &SessionRules, privileged: bool) -> &SessionRule {
    if privileged {
        &rules.privileged
    } else {
        &rules.staff
    }
}

/// When a session signed in at `created_at` ends regardless of activity.
pub fn absolute_end(rule: &SessionRule, created_at: i64) -> i64 {
    created_at + i64::from(*rule.absolute_minutes.get_ref()) * MINUTE_MS
}

/// Whether a session is still live at `now`.
pub fn check(rule: &SessionRule, created_at: i64, last_seen_at: i64, now: i64) -> Result<(), Expiry> {
    if now >= absolute_end(rule, created_at) {
        Err(Expiry::Absolute)
    } else if now - last_seen_at >= i64::from(*rule.idle_minutes.get_ref()) * MINUTE_MS {
        Err(Expiry::Idle)
    } else {
        Ok(())
    }
}

/// Whether a request at `now` should record activity. Writing on every request would make each
/// page view a database write; recording at most every twentieth of the idle limit (and at least
/// once a minute) keeps the idle time-out accurate to within 5 %.
pub fn should_touch(rule: &SessionRule, last_seen_at: i64, now: i64) -> bool {
    let step = (i64::from(*rule.idle_minutes.get_ref()) * MINUTE_MS / 20).min(MINUTE_MS);
    now - last_seen_at >= step
}

#[cfg(test)]
mod tests {
    use super::*;
    use toml::Spanned;

    fn rules() -> SessionRules {
        SessionRules {
            staff: SessionRule { idle_minutes: Spanned::new(0..0, 30), absolute_minutes: Spanned::new(0..0, 600) },
            privileged: SessionRule { idle_minutes: Spanned::new(0..0, 10), absolute_minutes: Spanned::new(0..0, 60) },
        }
    }

    #[test]
    fn r_au_11_idle_timeout_with_a_fixed_clock() {
        let r = rules();
        let staff = rule(&r, false);
        let t0 = 1_700_000_000_000;
        assert_eq!(check(staff, t0, t0, t0 + 29 * MINUTE_MS), Ok(()));
        assert_eq!(check(staff, t0, t0, t0 + 30 * MINUTE_MS), Err(Expiry::Idle));
        // Activity keeps it alive ...
        assert_eq!(check(staff, t0, t0 + 25 * MINUTE_MS, t0 + 50 * MINUTE_MS), Ok(()));
        // ... until the absolute limit.
        assert_eq!(check(staff, t0, t0 + 599 * MINUTE_MS, t0 + 600 * MINUTE_MS), Err(Expiry::Absolute));
    }

    #[test]
    fn r_pr_07_privileged_sessions_end_sooner() {
        let r = rules();
        let t0 = 0;
        assert_eq!(check(rule(&r, false), t0, t0, t0 + 15 * MINUTE_MS), Ok(()));
        assert_eq!(check(rule(&r, true), t0, t0, t0 + 15 * MINUTE_MS), Err(Expiry::Idle));
        assert_eq!(check(rule(&r, true), t0, t0 + 59 * MINUTE_MS, t0 + 60 * MINUTE_MS), Err(Expiry::Absolute));
    }

    #[test]
    fn activity_is_recorded_at_a_bounded_rate() {
        let r = rules();
        let staff = rule(&r, false);
        assert!(!should_touch(staff, 0, 59_999));
        assert!(should_touch(staff, 0, 60_000));
        // 10 idle minutes → every 30 seconds.
        assert!(should_touch(rule(&r, true), 0, 30_000));
    }
}
