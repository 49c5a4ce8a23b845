//! Passwords that break the rules or are overdue (R-AU-16): what the service can see of a stored
//! password. The rules themselves are checked when a password is set (it is never stored in the
//! clear); afterwards it can be past its age, still the temporary one an officer or the bootstrap
//! issued, or stored at a lower hashing cost than the policy now asks.

use crate::policy::HashingRule;

/// What is wrong with one stored password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordIssue {
    /// Past its maximum age since `since` (R-AU-07).
    Expired { since: i64 },
    /// Still the temporary password set at `since` (R-AU-06).
    Temporary { since: i64 },
    /// Hashed with `found` where the policy asks at least its `[password.hashing]` cost (R-AU-09).
    BelowCost { found: String },
}

impl PasswordIssue {
    pub fn code(&self) -> &'static str {
        match self {
            PasswordIssue::Expired { .. } => "expired",
            PasswordIssue::Temporary { .. } => "temporary",
            PasswordIssue::BelowCost { .. } => "below_cost",
        }
    }

    /// For people: Japanese, then English.
    pub fn label(&self) -> &'static str {
        match self {
            PasswordIssue::Expired { .. } => "有効期限切れ / expired",
            PasswordIssue::Temporary { .. } => "仮パスワードのまま / still temporary",
            PasswordIssue::BelowCost { .. } => "保存強度が現行設定未満 / stored below the current cost",
        }
    }
}

/// A stored password as the report sees it.
#[derive(Debug, Clone, Copy)]
pub struct Stored<'a> {
    /// The PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`).
    pub hash: &'a str,
    pub is_temporary: bool,
    pub set_at: i64,
    pub expires_at: Option<i64>,
}

/// The algorithm and argon2 cost of a PHC string, if it is one.
fn cost(phc: &str) -> Option<(&str, u32, u32, u32)> {
    let mut parts = phc.split('$').skip(1);
    let alg = parts.next()?;
    let params = parts.find(|p| p.contains("m="))?;
    let get = |k: &str| params.split(',').find_map(|kv| kv.strip_prefix(k)?.strip_prefix('=')?.parse().ok());
    Some((alg, get("m")?, get("t")?, get("p")?))
}

/// Every issue of `p` at `now` under the policy's hashing cost.
pub fn issues(p: &Stored, hashing: &HashingRule, now: i64) -> Vec<PasswordIssue> {
    let mut out = Vec::new();
    if let Some(at) = p.expires_at.filter(|at| *at <= now) {
        out.push(PasswordIssue::Expired { since: at });
    }
    if p.is_temporary {
        out.push(PasswordIssue::Temporary { since: p.set_at });
    }
    match cost(p.hash) {
        Some(("argon2id", m, t, par))
            if m >= hashing.memory_kib && t >= hashing.iterations && par >= hashing.parallelism => {}
        Some((alg, m, t, par)) => out.push(PasswordIssue::BelowCost { found: format!("{alg} m={m} t={t} p={par}") }),
        None => out.push(PasswordIssue::BelowCost { found: "not an argon2 hash".into() }),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;
    const CURRENT: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";

    fn stored(hash: &str, temporary: bool, expires_at: Option<i64>) -> Stored<'_> {
        Stored { hash, is_temporary: temporary, set_at: NOW - 10, expires_at }
    }

    #[test]
    fn r_au_16_expired_temporary_and_weakly_stored_passwords_are_named() {
        let rule = HashingRule::default();
        assert!(issues(&stored(CURRENT, false, Some(NOW + 1)), &rule, NOW).is_empty(), "in date, chosen, current cost");
        assert!(issues(&stored(CURRENT, false, None), &rule, NOW).is_empty(), "no maximum age");
        assert_eq!(
            issues(&stored(CURRENT, false, Some(NOW)), &rule, NOW),
            vec![PasswordIssue::Expired { since: NOW }],
            "expires at its hour"
        );
        assert_eq!(
            issues(&stored(CURRENT, true, None), &rule, NOW),
            vec![PasswordIssue::Temporary { since: NOW - 10 }]
        );
        let weak = "$argon2id$v=19$m=4096,t=1,p=1$c2FsdA$aGFzaA";
        assert_eq!(
            issues(&stored(weak, false, None), &rule, NOW),
            vec![PasswordIssue::BelowCost { found: "argon2id m=4096 t=1 p=1".into() }]
        );
        let other = "$argon2i$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA";
        assert_eq!(
            issues(&stored(other, false, None), &rule, NOW)[0].code(),
            "below_cost",
            "argon2i is not the argon2id the policy asks"
        );
        assert_eq!(
            issues(&stored("plain", false, None), &rule, NOW),
            vec![PasswordIssue::BelowCost { found: "not an argon2 hash".into() }]
        );
        let stronger = HashingRule { memory_kib: 65_536, iterations: 3, parallelism: 1 };
        assert_eq!(
            issues(&stored(CURRENT, false, None), &stronger, NOW).len(),
            1,
            "a raised policy cost makes old hashes below it"
        );
    }
}
