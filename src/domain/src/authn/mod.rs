//! Authentication rules: the three factor kinds the policies count (R-AU-02), password rules,
//! lockout and throttling, session limits and what a system requires of a session.
//!
//! Everything here is pure: time comes in as UTC milliseconds, nothing is read or written.

use serde::{Deserialize, Serialize};

/// A kind of authentication factor. Multi-factor means at least two different kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactorKind {
    /// 知識: something the person knows (password, PIN).
    Knowledge,
    /// 所持: something the person has (TOTP device, security key, IC card).
    Possession,
    /// 存在: something the person is (biometric user verification).
    Presence,
}

/// How many distinct kinds exist; a requirement above this can never be met.
pub const FACTOR_KIND_COUNT: u8 = 3;
