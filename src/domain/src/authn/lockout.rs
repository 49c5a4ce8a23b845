//! Lockout of an account after failed sign-ins (R-AU-11, R-PR-05) and throttling per source address
//! (R-AU-19).
//!
//! An attempt is *claimed* before the password is checked and counts as a failure until it is
//! *settled* as a success. So however many attempts run at once, at most `max_failures` password
//! checks happen before the account is locked: the claim that reaches the limit is the last one let
//! through. A lock lasts `lock_minutes`, or until a security officer lifts it when that is 0.
//!
//! Throttling by source slows an address that fails often before anyone is locked out, so an
//! attacker cannot cheaply lock a whole department out from one machine.

use crate::policy::{LockoutRule, SourceThrottle};
use serde::{Deserialize, Serialize};

const MINUTE_MS: i64 = 60_000;

/// The lockout state of one account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockState {
    /// Failed (or not yet settled) attempts since the last success or unlock.
    pub failures: u32,
    /// When the account was locked, if it is.
    pub locked_at: Option<i64>,
    /// When the lock ends by itself; `None` while locked means until an officer unlocks.
    pub locked_until: Option<i64>,
}

/// Why an attempt is not let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locked {
    /// `None`: until a security officer unlocks the account.
    pub until: Option<i64>,
}

impl LockState {
    /// Whether the account is locked at `now`.
    pub fn locked(&self, now: i64) -> Option<Locked> {
        self.locked_at?;
        match self.locked_until {
            Some(until) if now >= until => None,
            until => Some(Locked { until }),
        }
    }

    /// Claims one attempt at `now`: refused while locked; otherwise counted as a failure in advance.
    /// The claim that reaches the limit locks the account, so no later claim gets through while it
    /// is being checked; [`LockState::settle`] lifts that lock again if it succeeds.
    pub fn claim(self, rule: &LockoutRule, now: i64) -> Result<LockState, Locked> {
        if let Some(l) = self.locked(now) {
            return Err(l);
        }
        // A lock that ran out starts a fresh count.
        let failures = if self.locked_at.is_some() { 1 } else { self.failures + 1 };
        let mut next = LockState { failures, locked_at: None, locked_until: None };
        if failures >= *rule.max_failures.get_ref() {
            next.locked_at = Some(now);
            next.locked_until = (rule.lock_minutes > 0).then(|| now + i64::from(rule.lock_minutes) * MINUTE_MS);
        }
        Ok(next)
    }

    /// Settles a claimed attempt: a success clears the count (and the lock its claim set); a failure
    /// keeps it as claimed.
    pub fn settle(self, success: bool) -> LockState {
        if success {
            LockState::default()
        } else {
            self
        }
    }

    /// Whether settling this failure is the one that locked the account (for the audit event).
    pub fn just_locked(&self, now: i64) -> bool {
        self.locked_at == Some(now)
    }
}

/// Failures seen from one source address in the current window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceState {
    pub window_start: i64,
    pub failures: u32,
}

impl SourceState {
    /// The delay in milliseconds to impose on the next attempt from this source (0 = none).
    pub fn delay_ms(&self, rule: &SourceThrottle, now: i64) -> u32 {
        if self.in_window(rule, now) && self.failures >= rule.max_failures {
            rule.delay_ms
        } else {
            0
        }
    }

    /// The state after one more failure at `now`.
    pub fn fail(self, rule: &SourceThrottle, now: i64) -> SourceState {
        if self.in_window(rule, now) {
            SourceState { window_start: self.window_start, failures: self.failures + 1 }
        } else {
            SourceState { window_start: now, failures: 1 }
        }
    }

    fn in_window(&self, rule: &SourceThrottle, now: i64) -> bool {
        now - self.window_start < i64::from(rule.window_seconds) * 1_000
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use toml::Spanned;

    fn rule(max: u32, minutes: u32) -> LockoutRule {
        LockoutRule { max_failures: Spanned::new(0..0, max), lock_minutes: minutes }
    }

    #[test]
    fn r_au_11_locks_after_the_policys_failures_for_its_minutes() {
        let r = rule(3, 15);
        let mut s = LockState::default();
        for i in 0..3 {
            s = s.claim(&r, 1_000 + i).unwrap().settle(false);
        }
        assert_eq!(s.locked(1_003), Some(Locked { until: Some(1_002 + 15 * MINUTE_MS) }));
        assert!(s.claim(&r, 1_002 + 15 * MINUTE_MS - 1).is_err());
        // The lock runs out and the count starts again.
        let after = s.claim(&r, 1_002 + 15 * MINUTE_MS).unwrap();
        assert_eq!(after.failures, 1);
        assert_eq!(after.locked(1_002 + 15 * MINUTE_MS), None);
    }

    #[test]
    fn r_au_11_success_resets_the_count() {
        let r = rule(3, 15);
        let s = LockState::default().claim(&r, 1).unwrap().settle(false).claim(&r, 2).unwrap().settle(false);
        assert_eq!(s.failures, 2);
        let s = s.claim(&r, 3).unwrap().settle(true);
        assert_eq!(s, LockState::default());
    }

    #[test]
    fn r_au_11_the_last_allowed_attempt_can_still_succeed() {
        let r = rule(2, 15);
        let s = LockState::default().claim(&r, 1).unwrap().settle(false);
        let claimed = s.claim(&r, 2).unwrap();
        // While the limit-reaching attempt is checked, nobody else gets through ...
        assert!(claimed.claim(&r, 2).is_err());
        // ... and if it was the right password, the account is open again.
        assert_eq!(claimed.settle(true).locked(3), None);
        assert!(claimed.settle(false).locked(3).is_some());
    }

    #[test]
    fn r_pr_05_lock_minutes_zero_waits_for_an_officer() {
        let r = rule(1, 0);
        let s = LockState::default().claim(&r, 5).unwrap().settle(false);
        assert_eq!(s.locked(i64::MAX - 1), Some(Locked { until: None }));
        assert!(s.just_locked(5));
    }

    #[test]
    fn concurrent_claims_never_exceed_the_limit() {
        // Claims applied one after another (as the store serialises them) before any settles.
        let r = rule(10, 15);
        let mut s = LockState::default();
        let mut let_through = 0;
        for _ in 0..100 {
            if let Ok(next) = s.claim(&r, 7) {
                s = next;
                let_through += 1;
            }
        }
        assert_eq!(let_through, 10);
    }

    #[test]
    fn r_au_19_source_is_slowed_after_its_failures_within_the_window() {
        let t = SourceThrottle { max_failures: 3, window_seconds: 60, delay_ms: 500 };
        let mut s = SourceState::default();
        for i in 0..3 {
            assert_eq!(s.delay_ms(&t, 1_000 + i), 0);
            s = s.fail(&t, 1_000 + i);
        }
        assert_eq!(s.delay_ms(&t, 1_010), 500);
        // A new window forgets the old failures.
        assert_eq!(s.delay_ms(&t, 1_000 + 60_000), 0);
        assert_eq!(s.fail(&t, 1_000 + 60_000).failures, 1);
    }
}
