//! Which accounts a delivery round re-evaluates for a provisioned system (R-LC-03, R-LC-08).
//!
//! Every change made by a person or a job is queued by the transaction that makes it; what is left
//! for the delivery round are the changes that happen because time passes: a grant that begins or
//! runs out, a link whose retention ends. Those are found by their dates since the last round
//! ([`Sweep::Since`]). Everyone is re-evaluated ([`Sweep::Everyone`]) when the system has not been
//! evaluated under this policy (the first round, a changed attribute mapping, a system retired in
//! the register) or not fully for [`FULL_EVERY_MS`], which also heals anything a bug let slip.
//!
//! Invariant: a round never re-evaluates less than the time-bound changes since the previous
//! round's mark; the mark only moves forward when the round's queueing is committed.

use crate::provisioning::DAY_MS;

/// How long a system goes at most without everyone being re-evaluated.
pub const FULL_EVERY_MS: i64 = DAY_MS;

/// Up to when a system was evaluated, under which policy digest, and when last fully.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub digest: String,
    pub full_at: i64,
    pub until: i64,
}

impl Mark {
    /// The stored form, `digest full_at until`; `None` for anything else (then everyone is due).
    pub fn parse(s: &str) -> Option<Mark> {
        let mut it = s.split(' ');
        let (digest, full_at, until) = (it.next()?, it.next()?.parse().ok()?, it.next()?.parse().ok()?);
        (it.next().is_none() && !digest.is_empty()).then(|| Mark { digest: digest.to_string(), full_at, until })
    }

    pub fn encode(&self) -> String {
        format!("{} {} {}", self.digest, self.full_at, self.until)
    }
}

/// What a round re-evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sweep {
    Everyone,
    /// Grants that began or ended in `(since, now]` and links whose retention has ended.
    Since(i64),
}

/// The sweep of a round at `now` under the policy `digest`, after the stored `mark`; and the mark
/// to store once the round's queueing is committed.
pub fn sweep(mark: Option<&Mark>, digest: &str, now: i64) -> (Sweep, Mark) {
    match mark {
        Some(m) if m.digest == digest && now - m.full_at < FULL_EVERY_MS && m.until <= now => {
            (Sweep::Since(m.until), Mark { until: now, ..m.clone() })
        }
        _ => (Sweep::Everyone, Mark { digest: digest.to_string(), full_at: now, until: now }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_796_000_000_000;

    fn mark(digest: &str, full_at: i64, until: i64) -> Mark {
        Mark { digest: digest.into(), full_at, until }
    }

    #[test]
    fn r_lc_03_first_round_evaluates_everyone_then_only_what_time_changed() {
        let (s, m) = sweep(None, "d1", T0);
        assert_eq!(s, Sweep::Everyone);
        assert_eq!(m, mark("d1", T0, T0));
        let (s, m2) = sweep(Some(&m), "d1", T0 + 1_000);
        assert_eq!(s, Sweep::Since(T0));
        assert_eq!(m2, mark("d1", T0, T0 + 1_000));
        let (s, _) = sweep(Some(&m2), "d1", T0 + 2_000);
        assert_eq!(s, Sweep::Since(T0 + 1_000), "each round starts where the last one ended");
    }

    #[test]
    fn r_lc_08_a_changed_policy_or_a_day_without_a_full_round_evaluates_everyone() {
        let m = mark("d1", T0, T0 + 5_000);
        assert_eq!(
            sweep(Some(&m), "d2", T0 + 6_000).0,
            Sweep::Everyone,
            "a retired system or a new mapping is a new policy digest"
        );
        assert_eq!(sweep(Some(&m), "d1", T0 + FULL_EVERY_MS - 1).0, Sweep::Since(T0 + 5_000));
        let (s, next) = sweep(Some(&m), "d1", T0 + FULL_EVERY_MS);
        assert_eq!(s, Sweep::Everyone);
        assert_eq!(next.full_at, T0 + FULL_EVERY_MS);
    }

    #[test]
    fn r_lc_03_a_clock_set_back_below_the_mark_evaluates_everyone() {
        let m = mark("d1", T0, T0 + 5_000);
        assert_eq!(sweep(Some(&m), "d1", T0 + 4_000).0, Sweep::Everyone);
    }

    #[test]
    fn a_mark_round_trips_and_garbage_is_no_mark() {
        let m = mark("ab12", T0, T0 + 7);
        assert_eq!(Mark::parse(&m.encode()), Some(m));
        for bad in ["", "ab12", "ab12 1", "ab12 x 2", "ab12 1 2 3", " 1 2"] {
            assert_eq!(Mark::parse(bad), None, "{bad:?}");
        }
    }
}
