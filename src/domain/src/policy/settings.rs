//! The numeric rules: passwords, lockout, sessions, privileged IDs, review and audit retention.
//!
//! The source policies fix none of these numbers, so each is a setting. When a municipality's files
//! leave one out, the value here applies: these are tobira's safe defaults, the only place in the
//! code where such numbers appear, and each is documented with the reason for it.

use serde::{Deserialize, Serialize};
use toml::Spanned;

mod review;
pub use review::{
    AuditFailureAction, AuditRules, DeadlineAction, DormantAction, DormantDays, FindingRules, ReviewRules,
};

/// Which password regime applies (R-AU-07).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordProfile {
    /// The municipal rules: periodic change (`max_age_days` > 0).
    Municipal,
    /// NIST SP 800-63B: no periodic change, change only on suspected compromise.
    Nist,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordRule {
    pub profile: PasswordProfile,
    pub min_length: Spanned<u32>,
    pub max_length: Spanned<u32>,
    /// How many previous passwords may not be reused.
    pub history: u32,
    /// Days until a password must be changed; 0 means never (the NIST profile).
    pub max_age_days: Spanned<u32>,
}

/// argon2id cost (R-AU-09). Defaults: OWASP's recommended m=19 MiB, t=2, p=1.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HashingRule {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for HashingRule {
    fn default() -> Self {
        HashingRule { memory_kib: 19_456, iterations: 2, parallelism: 1 }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordRules {
    pub staff: PasswordRule,
    pub privileged: PasswordRule,
    pub hashing: HashingRule,
    /// Extra refused passwords beyond the list shipped with tobira (e.g. the city's name).
    pub blocklist: Vec<String>,
}

impl PasswordRules {
    /// The rule for an account: privileged IDs have their own (R-PR-05).
    pub fn for_account(&self, privileged: bool) -> &PasswordRule {
        if privileged {
            &self.privileged
        } else {
            &self.staff
        }
    }
}

impl Default for PasswordRules {
    fn default() -> Self {
        // 12 characters resist offline guessing far better than 8; 128 leaves room for passphrases
        // (the sign-in issue requires a maximum of at least 64). Municipal profile, because the
        // policies ask for periodic change (R-AU-07); privileged IDs change twice as often (R-PR-05).
        PasswordRules {
            staff: PasswordRule {
                profile: PasswordProfile::Municipal,
                min_length: Spanned::new(0..0, 12),
                max_length: Spanned::new(0..0, 128),
                history: 5,
                max_age_days: Spanned::new(0..0, 180),
            },
            privileged: PasswordRule {
                profile: PasswordProfile::Municipal,
                min_length: Spanned::new(0..0, 16),
                max_length: Spanned::new(0..0, 128),
                history: 10,
                max_age_days: Spanned::new(0..0, 90),
            },
            hashing: HashingRule::default(),
            blocklist: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockoutRule {
    /// Consecutive failures that lock the account.
    pub max_failures: Spanned<u32>,
    /// How long a lock lasts; 0 means until a security officer unlocks it.
    pub lock_minutes: u32,
}

/// Throttling per source address, so lockout cannot be used to lock people out at will (R-AU-19).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceThrottle {
    /// Failures from one address within the window before its attempts are delayed.
    pub max_failures: u32,
    pub window_seconds: u32,
    /// Delay added to each further attempt from that address.
    pub delay_ms: u32,
    /// Failures from one address within the window after which its sign-in attempts are refused
    /// outright (429 with `Retry-After`) until the window ends; 0 = no cap.
    #[serde(default = "default_cap_failures")]
    pub cap_failures: u32,
}

fn default_cap_failures() -> u32 {
    100
}

/// Where a lock applies (R-AU-11, R-AU-19).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LockScope {
    /// Failures count and lock per policy network (and "outside every network"): guessing from the
    /// internet side does not lock the account for the office.
    Network,
    /// One lock for the account from everywhere.
    Global,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LockoutRules {
    pub staff: LockoutRule,
    pub privileged: LockoutRule,
    pub per_source: SourceThrottle,
    pub scope: LockScope,
    /// A WebAuthn sign-in with user verification is not refused by a password lock: a phishing-
    /// resistant factor is not what was guessed.
    pub webauthn_ignores_password_lock: bool,
}

impl Default for LockoutRules {
    fn default() -> Self {
        // Ten tries tolerate typing mistakes; privileged IDs get five and stay locked until an
        // officer looks (R-PR-05), in the network they were guessed from.
        LockoutRules {
            staff: LockoutRule { max_failures: Spanned::new(0..0, 10), lock_minutes: 15 },
            privileged: LockoutRule { max_failures: Spanned::new(0..0, 5), lock_minutes: 0 },
            // Slowed after 20 failures in 5 minutes, refused after 100 (a city's NAT shares addresses).
            per_source: SourceThrottle { max_failures: 20, window_seconds: 300, delay_ms: 1_000, cap_failures: 100 },
            // Per network, so a flood from outside cannot lock the office out (R-AU-19).
            scope: LockScope::Network,
            webauthn_ignores_password_lock: true,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionRule {
    /// アクセスタイムアウト: minutes without activity before the session ends (R-AU-11, R-AU-18).
    pub idle_minutes: Spanned<u32>,
    /// Minutes after sign-in when the session ends regardless of activity.
    pub absolute_minutes: Spanned<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionRules {
    pub staff: SessionRule,
    pub privileged: SessionRule,
}

impl Default for SessionRules {
    fn default() -> Self {
        // A working day for staff; privileged sessions are short (R-PR-07).
        SessionRules {
            staff: SessionRule { idle_minutes: Spanned::new(0..0, 30), absolute_minutes: Spanned::new(0..0, 600) },
            privileged: SessionRule { idle_minutes: Spanned::new(0..0, 10), absolute_minutes: Spanned::new(0..0, 60) },
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrivilegedRules {
    /// Default cap on holders of a system's privileged roles (R-PR-01).
    pub max_holders_per_system: u32,
    /// Longest elevation that may be requested, in minutes (R-PR-07).
    pub max_elevation_minutes: u32,
    /// Prefix of the separate privileged account linked to a person, e.g. `p-`.
    pub account_prefix: String,
    /// Login IDs that are defaults or generic and may never be used (R-PR-06); compared case-insensitively.
    pub forbidden_names: Vec<String>,
    /// Whether vendors may change privileged IDs under supervision with a staff approver (R-PR-04).
    pub vendors_may_change_under_supervision: bool,
    /// An elevation is asked for in a session that proved two factor kinds within this many minutes.
    pub elevation_reauth_minutes: u32,
    /// A request nobody decided on lapses after this many minutes.
    pub request_lapse_minutes: u32,
    /// Whether a ticket number (change or incident record) is required with each request.
    pub require_ticket: bool,
    /// Whether break-glass activation (no approver, always reported) is possible at all.
    pub break_glass: bool,
    /// Longest break-glass activation, in minutes.
    pub break_glass_max_minutes: u32,
    /// Longest period of a delegate (代行者) nomination, in days (R-PR-03).
    pub max_delegation_days: u32,
    /// Longest life of a development ID, in days (R-LC-06).
    pub max_development_days: u32,
}

impl Default for PrivilegedRules {
    fn default() -> Self {
        PrivilegedRules {
            max_holders_per_system: 3,
            max_elevation_minutes: 120,
            account_prefix: "p-".into(),
            forbidden_names: [
                "admin",
                "administrator",
                "root",
                "sa",
                "system",
                "sysadmin",
                "superuser",
                "guest",
                "test",
                "user",
                "operator",
                "manager",
                "support",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
            vendors_may_change_under_supervision: false,
            elevation_reauth_minutes: 10,
            request_lapse_minutes: 240,
            require_ticket: true,
            break_glass: true,
            break_glass_max_minutes: 60,
            max_delegation_days: 31,
            max_development_days: 183,
        }
    }
}

impl PrivilegedRules {
    /// Whether `login_id` is a default or generic name (R-PR-06).
    pub fn is_forbidden_name(&self, login_id: &str) -> bool {
        let l = login_id.trim().to_lowercase();
        let bare = l.strip_prefix(&self.account_prefix.to_lowercase()).unwrap_or(&l);
        self.forbidden_names.iter().any(|n| {
            let n = n.to_lowercase();
            l == n || bare == n
        })
    }
}

/// The sign-in screens and second factors (R-AU-02, R-AU-11, R-AU-12).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SigninRules {
    /// The message every sign-in page shows (R-AU-11), Japanese and English.
    pub banner: String,
    pub banner_en: String,
    /// TOTP codes of this many 30-second steps before and after now are accepted (clock drift).
    pub totp_skew_steps: u8,
    /// Authenticator models (AAGUID) allowed to register; empty allows any.
    pub allowed_aaguids: Vec<String>,
    /// Models whose user verification is biometric: they prove 存在 (presence); others prove a PIN (知識).
    /// Only a key whose attestation verified against `attestation_roots` is taken at its model's word.
    pub biometric_aaguids: Vec<String>,
    /// PEM file of the attestation root certificates the city trusts (a file in the policy directory,
    /// read locally, R-ZN-04); "" = none: no key's model is verified, so none proves 存在 and
    /// `allowed_aaguids` admits none.
    pub attestation_roots: String,
    /// Seconds a WebAuthn ceremony or a half-finished sign-in stays valid.
    pub challenge_seconds: u32,
    /// Whether a person with no second factor yet may enrol one from a password-only session
    /// (their first sign-in); otherwise an officer must issue it.
    pub first_factor_self_enrollment: bool,
    /// How many recent sign-ins the account page lists.
    pub recent_sign_ins_shown: u32,
    /// Enrolling or removing a factor needs a factor proved within this many minutes
    /// (re-authentication, R-AU-12): a session left open cannot be used to swap the person's keys.
    pub reauth_minutes: u32,
    /// The longest a telework / remote-access grant may run (R-ZN-11), in days.
    pub remote_access_max_days: u32,
    /// How long a joiner's enrollment link (choose your first password, R-AU-06) stays usable, in hours.
    pub enrollment_link_hours: u32,
    /// Sign-ins without a session that may wait for the argon2 workers at once; more are answered
    /// `503` with `Retry-After` (R-AU-19: a flood costs memory and time only up to this bound).
    pub hashing_queue_max: u32,
}

impl Default for SigninRules {
    fn default() -> Self {
        // ±1 step is RFC 6238's recommended tolerance; five minutes is enough to touch a key.
        SigninRules {
            banner: "このシステムは許可された職員のみが利用できます。利用は記録され、監査の対象となります。".into(),
            banner_en: "Authorised staff only. Use of this system is recorded and audited.".into(),
            totp_skew_steps: 1,
            allowed_aaguids: Vec::new(),
            biometric_aaguids: Vec::new(),
            attestation_roots: String::new(),
            challenge_seconds: 300,
            first_factor_self_enrollment: true,
            recent_sign_ins_shown: 10,
            reauth_minutes: 5,
            // Half a year: long enough for a childcare arrangement, short enough to be looked at again.
            remote_access_max_days: 183,
            // Three days: a joiner who starts on a Friday can still use Monday's mail.
            enrollment_link_hours: 72,
            // A few seconds of argon2 work at 2 cores: beyond it a client is better told to come back.
            hashing_queue_max: 64,
        }
    }
}
