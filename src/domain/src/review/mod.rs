//! Periodic review (点検): dormant IDs, recertification campaigns, exceptions (例外措置) and log
//! findings. The rules only: callers load facts, ask these functions with `now`, and store what
//! they return (R-RV-03, R-RV-05, R-AC-04, R-LG-03).

pub mod campaign;
pub mod dormant;
pub mod exception;
pub mod findings;
pub mod passwords;

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;
