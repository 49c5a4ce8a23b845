//! The HR sync use case, in layers: [`mod@read`] the directory, [`mod@check`] every entry, plan against what
//! tobira holds and [`apply`] the plan, or [`hold`] it for a second person's [`approval`]; [`mod@run`]
//! composes them (R-LC-01, R-LC-03, R-LC-14, R-AC-02). Each file uses only those listed before it.
//!
//! Invariants: a failed or cut-short read changes nothing; a held plan changes nothing until approved
//! by someone other than who ran it; batches are separate transactions, and a crash between them
//! leaves a state from which the next run converges, because the plan is a diff.

pub mod apply;
pub mod approval;
pub mod check;
pub mod hold;
pub mod read;
pub mod run;

pub use apply::{plan_full, Keys, RunContent, RunStatus, SyncOutcome, ACTOR};
pub use check::{check, Checked};
pub use read::{mode_for, read, ReadMode, CONTRACTS_DIGEST, COOKIE, HIGH_WATER, LAST_FULL};
pub use run::{by_hand, run, Reading, SyncRequest, LAST_SKIPPED};
