//! What a person hands back when HR says they moved on (R-LC-15, R-AU-12, R-AU-08): the physical
//! authenticators registered on their accounts, listed for return with the other information
//! assets, and the shared IDs they used, whose passwords fall due.
//!
//! Invariants:
//! - only what can be handed over is listed: a security key or card, or a key whose kind was not
//!   recorded (listed rather than missed); a platform authenticator (built into a PC), a phone and a
//!   synced passkey (backup-eligible: its key is not sealed in one device) are not;
//! - a return moves `due` → `returned` | `destroyed` | `lost`, and a returned one may later be
//!   `destroyed` (R-AU-12's collection, then destruction); nothing else, and nothing twice.

use serde::{Deserialize, Serialize};

/// What kind of authenticator a WebAuthn credential is, as far as its registration tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthenticatorKind {
    /// A roaming authenticator over USB, NFC or Bluetooth: a security key or an NFC IC card (the
    /// registration does not tell the two apart).
    SecurityKey,
    /// The authenticator named no transport: listed for return, to be safe.
    Unrecorded,
    /// Built into the device (Windows Hello, Touch ID): stays with the PC.
    Platform,
    /// A phone over the hybrid transport.
    Phone,
    /// Backup-eligible: a passkey synced through a cloud account, not one device.
    SyncedPasskey,
}

impl AuthenticatorKind {
    /// From the transports the authenticator named at registration and its backup-eligible flag.
    pub fn classify(transports: &[String], backup_eligible: bool) -> AuthenticatorKind {
        let has = |t: &str| transports.iter().any(|x| x.eq_ignore_ascii_case(t));
        if backup_eligible {
            AuthenticatorKind::SyncedPasskey
        } else if has("usb") || has("nfc") || has("ble") || has("smart-card") {
            AuthenticatorKind::SecurityKey
        } else if has("internal") {
            AuthenticatorKind::Platform
        } else if has("hybrid") {
            AuthenticatorKind::Phone
        } else {
            AuthenticatorKind::Unrecorded
        }
    }

    /// Whether it is a thing a person can hand over, and so is listed for return.
    pub fn is_returnable(self) -> bool {
        matches!(self, AuthenticatorKind::SecurityKey | AuthenticatorKind::Unrecorded)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AuthenticatorKind::SecurityKey => "security_key",
            AuthenticatorKind::Unrecorded => "unrecorded",
            AuthenticatorKind::Platform => "platform",
            AuthenticatorKind::Phone => "phone",
            AuthenticatorKind::SyncedPasskey => "synced_passkey",
        }
    }

    pub fn parse(s: &str) -> Option<AuthenticatorKind> {
        use AuthenticatorKind::*;
        [SecurityKey, Unrecorded, Platform, Phone, SyncedPasskey].into_iter().find(|k| k.as_str() == s)
    }

    pub fn en(self) -> &'static str {
        match self {
            AuthenticatorKind::SecurityKey => "security key or IC card",
            AuthenticatorKind::Unrecorded => "authenticator (kind not recorded)",
            AuthenticatorKind::Platform => "built-in authenticator",
            AuthenticatorKind::Phone => "phone",
            AuthenticatorKind::SyncedPasskey => "synced passkey",
        }
    }

    pub fn ja(self) -> &'static str {
        match self {
            AuthenticatorKind::SecurityKey => "セキュリティキー・ICカード",
            AuthenticatorKind::Unrecorded => "認証器（種別不明）",
            AuthenticatorKind::Platform => "端末内蔵の認証器",
            AuthenticatorKind::Phone => "スマートフォン",
            AuthenticatorKind::SyncedPasskey => "同期パスキー",
        }
    }
}

/// One WebAuthn credential on one of the person's accounts, as the planner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatorView {
    /// The credential's row id.
    pub credential_id: String,
    pub account_id: String,
    pub login_id: String,
    pub kind: AuthenticatorKind,
    pub label: String,
    /// Already listed for return and not yet recorded.
    pub listed: bool,
}

/// A shared ID the person is a registered user of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedUse {
    pub account_id: String,
    pub login_id: String,
    /// Employee number of who permitted the use (the 情報システム管理者).
    pub permitted_by: String,
}

/// Where a listed authenticator stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnStatus {
    Due,
    Returned,
    Destroyed,
    Lost,
}

impl ReturnStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReturnStatus::Due => "due",
            ReturnStatus::Returned => "returned",
            ReturnStatus::Destroyed => "destroyed",
            ReturnStatus::Lost => "lost",
        }
    }

    pub fn parse(s: &str) -> Option<ReturnStatus> {
        [ReturnStatus::Due, ReturnStatus::Returned, ReturnStatus::Destroyed, ReturnStatus::Lost]
            .into_iter()
            .find(|r| r.as_str() == s)
    }

    pub fn ja(self) -> &'static str {
        match self {
            ReturnStatus::Due => "返却待ち",
            ReturnStatus::Returned => "返却済み",
            ReturnStatus::Destroyed => "廃棄済み",
            ReturnStatus::Lost => "紛失",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            ReturnStatus::Due => "due",
            ReturnStatus::Returned => "returned",
            ReturnStatus::Destroyed => "destroyed",
            ReturnStatus::Lost => "lost",
        }
    }

    /// Whether a return in this state may be recorded as `to`; the refusal says why not, in Japanese
    /// and in English.
    pub fn may_become(self, to: ReturnStatus) -> Result<(), (String, String)> {
        match (self, to) {
            (_, ReturnStatus::Due) => {
                Err(("返却待ちには戻せません".into(), "a return cannot be recorded as due again".into()))
            }
            (ReturnStatus::Due, _) | (ReturnStatus::Returned, ReturnStatus::Destroyed) => Ok(()),
            (from, to) => Err((
                format!("既に{}として記録されているため、{}としては記録できません", from.ja(), to.ja()),
                format!("already recorded as {}; it cannot also be recorded as {}", from.as_str(), to.as_str()),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn r_lc_15_only_roaming_authenticators_are_listed_for_return() {
        assert_eq!(AuthenticatorKind::classify(&t(&["usb"]), false), AuthenticatorKind::SecurityKey);
        assert_eq!(AuthenticatorKind::classify(&t(&["nfc", "usb"]), false), AuthenticatorKind::SecurityKey);
        assert_eq!(AuthenticatorKind::classify(&t(&["internal"]), false), AuthenticatorKind::Platform);
        assert_eq!(AuthenticatorKind::classify(&t(&["hybrid", "internal"]), true), AuthenticatorKind::SyncedPasskey);
        assert_eq!(AuthenticatorKind::classify(&t(&["hybrid"]), false), AuthenticatorKind::Phone);
        assert_eq!(AuthenticatorKind::classify(&[], false), AuthenticatorKind::Unrecorded);
        let listed: Vec<bool> = [
            AuthenticatorKind::SecurityKey,
            AuthenticatorKind::Unrecorded,
            AuthenticatorKind::Platform,
            AuthenticatorKind::Phone,
            AuthenticatorKind::SyncedPasskey,
        ]
        .iter()
        .map(|k| k.is_returnable())
        .collect();
        assert_eq!(listed, [true, true, false, false, false]);
        for k in [
            AuthenticatorKind::SecurityKey,
            AuthenticatorKind::Unrecorded,
            AuthenticatorKind::Platform,
            AuthenticatorKind::Phone,
            AuthenticatorKind::SyncedPasskey,
        ] {
            assert_eq!(AuthenticatorKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(AuthenticatorKind::parse("yubikey"), None);
    }

    #[test]
    fn r_au_12_a_return_is_recorded_once_and_a_returned_card_may_then_be_destroyed() {
        use ReturnStatus::*;
        for to in [Returned, Destroyed, Lost] {
            assert!(Due.may_become(to).is_ok());
        }
        assert!(Returned.may_become(Destroyed).is_ok());
        let (ja, en) = Returned.may_become(Returned).unwrap_err();
        assert!(ja.starts_with("既に") && en.contains("already recorded as returned"), "{ja} / {en}");
        assert!(Destroyed.may_become(Lost).is_err());
        assert!(Lost.may_become(Returned).is_err());
        assert!(Due.may_become(Due).is_err());
        assert_eq!(ReturnStatus::parse("lost"), Some(Lost));
    }
}
