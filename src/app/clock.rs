//! Time as an input: the service reads the system clock through [`Clock`]; tests fix it.

use std::sync::{Mutex, PoisonError};
use time::OffsetDateTime;
use tobira_domain::time_util::to_millis;

pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;

    /// UTC milliseconds since the epoch.
    fn now_ms(&self) -> i64 {
        to_millis(self.now())
    }
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods, reason = "the one place that reads the operating system's clock")]
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that moves only when told to.
#[derive(Debug)]
pub struct FixedClock(Mutex<OffsetDateTime>);

impl FixedClock {
    pub fn new(at: OffsetDateTime) -> Self {
        FixedClock(Mutex::new(at))
    }

    pub fn advance(&self, by: time::Duration) {
        // A poisoned lock still holds a whole instant (one Copy value, written in one step).
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
