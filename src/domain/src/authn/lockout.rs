//! Lockout of an account after failed sign-ins (R-AU-11, R-PR-05) and throttling per source address
//! (R-AU-19).
//!
//! A lock counts and applies per (account, scope): the scope is the policy network the attempt came
//! from (or "outside every network"), so guesses from the internet side do not lock the account for
//! an office terminal; `lockout.scope = "global"` makes one scope of everything ([`scope_for`]).
//!
//! An attempt is *claimed* before the secret is checked and *settled* after. At most `max_failures`
//! attempts of one scope are in flight or failed at once: a claim beyond that waits (`Busy`) until
//! another settles, rather than being refused, so correct passwords tried at once (a shared ID at
//! several counters, R-AU-08) all get through, while however many wrong attempts run at once at most
//! `max_failures` checks happen before the lock. A lock lasts `lock_minutes`, or until a security
//! officer lifts it when that is 0. Claims never settled (a crashed node) stop counting after
//! [`PENDING_STALE_MS`].
//!
//! Throttling by source slows an address that fails often before anyone is locked out, so an
//! attacker cannot cheaply lock a whole department out from one machine.

use crate::policy::{LockScope, LockoutRule, Policy, SourceThrottle};
use serde::{Deserialize, Serialize};

const MINUTE_MS: i64 = 60_000;

/// Claims older than this that were never settled no longer hold a place.
pub const PENDING_STALE_MS: i64 = 60_000;

/// The scope of a lock that applies from every network: `lockout.scope = "global"`, and locks kept
/// from before locks had scopes.
pub const GLOBAL_SCOPE: &str = "*";
/// The scope of attempts from an address in no network of the policy (the internet side).
pub const OUTSIDE_SCOPE: &str = "-";

/// The scope an attempt from `network` (a policy network id, `None` outside all) counts in.
pub fn scope_for(policy: &Policy, network: Option<&str>) -> String {
    match (policy.lockout.scope, network) {
        (LockScope::Global, _) => GLOBAL_SCOPE.to_string(),
        (LockScope::Network, Some(n)) => n.to_string(),
        (LockScope::Network, None) => OUTSIDE_SCOPE.to_string(),
    }
}

/// The lockout state of one account in one scope.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockState {
    /// Failed attempts since the last success or unlock.
    pub failures: u32,
    /// Attempts claimed and not yet settled.
    pub pending: u32,
    /// When the latest pending claim was made.
    pub pending_at: Option<i64>,
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

/// Why a claim was not granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Locked(Locked),
    /// `max_failures` attempts are in flight or failed: wait for one to settle and claim again.
    Busy,
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

    fn pending_now(&self, now: i64) -> u32 {
        if self.pending_at.is_some_and(|at| now - at < PENDING_STALE_MS) {
            self.pending
        } else {
            0
        }
    }

    /// Claims one attempt at `now`: refused while locked; `Busy` while the failures and the attempts
    /// in flight fill the limit; otherwise one more attempt in flight.
    pub fn claim(self, rule: &LockoutRule, now: i64) -> Result<LockState, Refusal> {
        if let Some(l) = self.locked(now) {
            return Err(Refusal::Locked(l));
        }
        // A lock that ran out starts a fresh count.
        let failures = if self.locked_at.is_some() { 0 } else { self.failures };
        let pending = self.pending_now(now);
        if failures + pending >= *rule.max_failures.get_ref() {
            return Err(Refusal::Busy);
        }
        Ok(LockState { failures, pending: pending + 1, pending_at: Some(now), locked_at: None, locked_until: None })
    }

    /// Settles a claimed attempt: a success clears the count; a failure adds one, and the failure that
    /// reaches the limit locks the account.
    pub fn settle(self, rule: &LockoutRule, success: bool, now: i64) -> LockState {
        let pending = self.pending_now(now).saturating_sub(1);
        let pending_at = (pending > 0).then_some(self.pending_at).flatten();
        if success {
            return LockState { failures: 0, pending, pending_at, locked_at: None, locked_until: None };
        }
        if self.locked(now).is_some() {
            return LockState { pending, pending_at, ..self };
        }
        let failures = self.failures + 1;
        let mut next = LockState { failures, pending, pending_at, locked_at: None, locked_until: None };
        if failures >= *rule.max_failures.get_ref() {
            next.locked_at = Some(now);
            next.locked_until = (rule.lock_minutes > 0).then(|| now + i64::from(rule.lock_minutes) * MINUTE_MS);
        }
        next
    }

    /// Gives a claimed attempt's place back without a verdict (nothing was checked: the server was
    /// too busy to check it).
    pub fn release(self, now: i64) -> LockState {
        let pending = self.pending_now(now).saturating_sub(1);
        LockState { pending, pending_at: (pending > 0).then_some(self.pending_at).flatten(), ..self }
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

    /// Whether this source has failed `cap_failures` times in the current window: its attempts are
    /// refused until the window ends; the seconds until then.
    pub fn capped(&self, rule: &SourceThrottle, now: i64) -> Option<u64> {
        (rule.cap_failures > 0 && self.in_window(rule, now) && self.failures >= rule.cap_failures).then(|| {
            let end = self.window_start + i64::from(rule.window_seconds) * 1_000;
            u64::try_from((end - now + 999) / 1_000).unwrap_or(1).max(1)
        })
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

    fn fail(s: LockState, r: &LockoutRule, now: i64) -> LockState {
        s.claim(r, now).unwrap().settle(r, false, now)
    }

    #[test]
    fn r_au_11_locks_after_the_policys_failures_for_its_minutes() {
        let r = rule(3, 15);
        let mut s = LockState::default();
        for i in 0..3 {
            s = fail(s, &r, 1_000 + i);
        }
        assert_eq!(s.locked(1_003), Some(Locked { until: Some(1_002 + 15 * MINUTE_MS) }));
        assert!(s.claim(&r, 1_002 + 15 * MINUTE_MS - 1).is_err());
        // The lock runs out and the count starts again.
        let after = s.claim(&r, 1_002 + 15 * MINUTE_MS).unwrap();
        assert_eq!((after.failures, after.pending), (0, 1));
        assert_eq!(after.locked(1_002 + 15 * MINUTE_MS), None);
    }

    #[test]
    fn r_au_11_success_resets_the_count() {
        let r = rule(3, 15);
        let s = fail(fail(LockState::default(), &r, 1), &r, 2);
        assert_eq!(s.failures, 2);
        let s = s.claim(&r, 3).unwrap().settle(&r, true, 3);
        assert_eq!(s, LockState::default());
    }

    #[test]
    fn r_au_11_the_last_allowed_attempt_can_still_succeed() {
        let r = rule(2, 15);
        let s = fail(LockState::default(), &r, 1);
        let claimed = s.claim(&r, 2).unwrap();
        // While the limit-reaching attempt is checked, the next one waits ...
        assert_eq!(claimed.claim(&r, 2), Err(Refusal::Busy));
        // ... and if it was the right password, the account is open again.
        assert_eq!(claimed.settle(&r, true, 3).locked(3), None);
        assert!(claimed.settle(&r, false, 3).locked(3).is_some());
    }

    #[test]
    fn r_pr_05_lock_minutes_zero_waits_for_an_officer() {
        let r = rule(1, 0);
        let s = fail(LockState::default(), &r, 5);
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
        // All ten fail: locked, and the waiting ones then find the lock.
        for _ in 0..10 {
            s = s.settle(&r, false, 8);
        }
        assert_eq!(s.claim(&r, 9), Err(Refusal::Locked(Locked { until: Some(8 + 15 * MINUTE_MS) })));
    }

    #[test]
    fn r_au_19_correct_passwords_at_once_wait_instead_of_being_refused() {
        // Eight people at eight counters with a shared ID's right password, a limit of five: the
        // sixth to eighth wait for a place; as the first ones succeed, they all get through.
        let r = rule(5, 0);
        let mut s = LockState::default();
        let mut waiting = 0;
        for _ in 0..8 {
            match s.claim(&r, 1) {
                Ok(n) => s = n,
                Err(Refusal::Busy) => waiting += 1,
                Err(e) => panic!("refused: {e:?}"),
            }
        }
        assert_eq!((s.pending, waiting), (5, 3));
        for _ in 0..5 {
            s = s.settle(&r, true, 2);
        }
        for _ in 0..waiting {
            s = s.claim(&r, 3).expect("a place is free again");
        }
        assert_eq!((s.pending, s.failures, s.locked(3)), (3, 0, None));
    }

    #[test]
    fn r_au_19_a_released_claim_frees_its_place_and_counts_nothing() {
        let r = rule(1, 15);
        let s = LockState::default().claim(&r, 0).unwrap();
        assert_eq!(s.claim(&r, 0), Err(Refusal::Busy));
        let s = s.release(1);
        assert_eq!((s.failures, s.pending, s.locked(1)), (0, 0, None));
        assert!(s.claim(&r, 1).is_ok());
    }

    #[test]
    fn r_au_19_claims_never_settled_stop_holding_places() {
        let r = rule(2, 15);
        let s = LockState::default().claim(&r, 0).unwrap().claim(&r, 0).unwrap();
        assert_eq!(s.claim(&r, 1), Err(Refusal::Busy));
        assert!(s.claim(&r, PENDING_STALE_MS).is_ok());
    }

    #[test]
    fn r_au_19_source_is_slowed_after_its_failures_within_the_window() {
        let t = SourceThrottle { max_failures: 3, window_seconds: 60, delay_ms: 500, cap_failures: 5 };
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

    #[test]
    fn r_au_19_source_is_refused_after_its_cap_until_the_window_ends() {
        let t = SourceThrottle { max_failures: 3, window_seconds: 60, delay_ms: 500, cap_failures: 5 };
        let mut s = SourceState::default();
        for i in 0..5 {
            assert_eq!(s.capped(&t, 100_000 + i), None);
            s = s.fail(&t, 100_000 + i);
        }
        assert_eq!(s.capped(&t, 130_000), Some(30));
        assert_eq!(s.capped(&t, 160_000), None, "a new window");
        assert_eq!(s.capped(&SourceThrottle { cap_failures: 0, ..t }, 130_000), None, "0 = no cap");
    }
}
