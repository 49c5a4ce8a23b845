//! Access vocabulary: account status and why a grant exists.
//!
//! Invariant: a grant always records its source, so a review can tell birthright access (from HR
//! rules) from access someone requested or an elevation.

use serde::{Deserialize, Serialize};

/// The state of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    /// Temporarily stopped (leave, an officer's suspension, a contract suspended); restorable.
    Suspended,
    /// Stopped for good (leaver); kept until the retention period ends.
    Disabled,
    /// Removed after retention; the row stays as a tombstone for the audit trail.
    Deleted,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Suspended => "suspended",
            AccountStatus::Disabled => "disabled",
            AccountStatus::Deleted => "deleted",
        }
    }

    /// In Japanese, as screens and refusals name it.
    pub fn label_ja(self) -> &'static str {
        match self {
            AccountStatus::Active => "有効",
            AccountStatus::Suspended => "利用停止",
            AccountStatus::Disabled => "無効",
            AccountStatus::Deleted => "削除済み",
        }
    }

    /// A stored status in Japanese; an unknown one as it is stored.
    pub fn ja_of(stored: &str) -> &str {
        AccountStatus::parse(stored).map_or(stored, |s| s.label_ja())
    }

    pub fn parse(s: &str) -> Option<Self> {
        [AccountStatus::Active, AccountStatus::Suspended, AccountStatus::Disabled, AccountStatus::Deleted]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

/// Why an account holds a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantSource {
    /// From the policy's birthright rules (department, post, employment type).
    Birthright,
    /// Requested and approved.
    Request,
    /// A time-limited activation of a privileged role.
    Elevation,
    /// A delegate's (代行者) rights for a period.
    Delegate,
    /// Set up by `tobira admin bootstrap` before anyone else existed.
    Bootstrap,
}

impl GrantSource {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantSource::Birthright => "birthright",
            GrantSource::Request => "request",
            GrantSource::Elevation => "elevation",
            GrantSource::Delegate => "delegate",
            GrantSource::Bootstrap => "bootstrap",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_status_reads_in_japanese_and_an_unknown_one_as_stored() {
        assert_eq!((AccountStatus::ja_of("suspended"), AccountStatus::ja_of("deleted")), ("利用停止", "削除済み"));
        assert_eq!(AccountStatus::ja_of("archived"), "archived");
    }

    #[test]
    fn status_round_trips() {
        for s in [AccountStatus::Active, AccountStatus::Suspended, AccountStatus::Disabled, AccountStatus::Deleted] {
            assert_eq!(AccountStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(AccountStatus::parse("Active"), None);
    }
}
