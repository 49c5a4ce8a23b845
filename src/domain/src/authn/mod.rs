//! Authentication rules: the three factor kinds the policies count (R-AU-02), password rules,
//! lockout and throttling, session limits and what a system requires of a session.
//!
//! Everything here is pure: time comes in as UTC milliseconds, nothing is read or written.

pub mod access;
pub mod enrollment;
pub mod lockout;
pub mod password;
pub mod romaji;
pub mod session;

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

impl FactorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FactorKind::Knowledge => "knowledge",
            FactorKind::Possession => "possession",
            FactorKind::Presence => "presence",
        }
    }

    /// The policies' word for the kind.
    pub fn ja(self) -> &'static str {
        match self {
            FactorKind::Knowledge => "知識",
            FactorKind::Possession => "所持",
            FactorKind::Presence => "存在（生体）",
        }
    }
}

/// How a factor was proved; also the `amr` value (RFC 8176) a token will carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// A password (`pwd`).
    Password,
    /// A TOTP code (`otp`).
    Totp,
    /// A WebAuthn security key or passkey with user verification (`hwk` + `pin` or `hwk` + `fpt`).
    Webauthn,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Password => "password",
            Method::Totp => "totp",
            Method::Webauthn => "webauthn",
        }
    }
}

/// One factor a session proved: by what method, with which credential (for revocation, R-AU-12),
/// which kinds it counts for, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvedFactor {
    pub method: Method,
    /// The credential's id in tobira (absent for the password, which has one per account).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
    pub kinds: Vec<FactorKind>,
    /// UTC milliseconds.
    pub at: i64,
}

/// The distinct kinds a set of proved factors covers.
pub fn kinds_of(factors: &[ProvedFactor]) -> Vec<FactorKind> {
    let mut k: Vec<FactorKind> = factors.iter().flat_map(|f| f.kinds.iter().copied()).collect();
    k.sort();
    k.dedup();
    k
}

/// The kinds one factor proves. A password is knowledge; a TOTP code is possession; a WebAuthn
/// credential is possession and, because user verification is required, a second kind: presence
/// when the policy lists the authenticator model as biometric, knowledge (its PIN) otherwise. The
/// model counts only as `attested_aaguid`: the AAGUID of an attestation verified against the city's
/// roots at registration; an unattested key names a model nobody vouched for, so it stays 所持 + 知識.
pub fn kinds_for(method: Method, attested_aaguid: Option<&str>, biometric_aaguids: &[String]) -> Vec<FactorKind> {
    match method {
        Method::Password => vec![FactorKind::Knowledge],
        Method::Totp => vec![FactorKind::Possession],
        Method::Webauthn => {
            let biometric =
                attested_aaguid.is_some_and(|a| biometric_aaguids.iter().any(|b| b.eq_ignore_ascii_case(a)));
            vec![FactorKind::Possession, if biometric { FactorKind::Presence } else { FactorKind::Knowledge }]
        }
    }
}

/// The `amr` values (RFC 8176) of a set of factors, for tokens: `pwd`, `otp`, `hwk`, `pin`, `fpt`, `mfa`.
pub fn amr(factors: &[ProvedFactor]) -> Vec<&'static str> {
    let mut out = Vec::new();
    for f in factors {
        match f.method {
            Method::Password => out.push("pwd"),
            Method::Totp => out.push("otp"),
            Method::Webauthn => {
                out.push("hwk");
                out.push(if f.kinds.contains(&FactorKind::Presence) { "fpt" } else { "pin" });
            }
        }
    }
    if kinds_of(factors).len() >= 2 {
        out.push("mfa");
    }
    out.sort();
    out.dedup();
    out
}

/// Whether `s` is written as an AAGUID: 8-4-4-4-12 hexadecimal digits.
pub fn is_aaguid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts.iter().zip([8, 4, 4, 4, 12]).all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(method: Method, kinds: Vec<FactorKind>) -> ProvedFactor {
        ProvedFactor { method, credential: None, kinds, at: 0 }
    }

    #[test]
    fn r_au_02_factor_kinds_per_method() {
        let bio = vec!["01020304-0506-0708-0102-030405060708".to_string()];
        assert_eq!(kinds_for(Method::Password, None, &bio), vec![FactorKind::Knowledge]);
        assert_eq!(kinds_for(Method::Totp, None, &bio), vec![FactorKind::Possession]);
        assert_eq!(
            kinds_for(Method::Webauthn, Some("01020304-0506-0708-0102-030405060708"), &bio),
            vec![FactorKind::Possession, FactorKind::Presence]
        );
        assert_eq!(
            kinds_for(Method::Webauthn, Some("00000000-0000-0000-0000-000000000000"), &bio),
            vec![FactorKind::Possession, FactorKind::Knowledge]
        );
        assert_eq!(kinds_for(Method::Webauthn, None, &bio), vec![FactorKind::Possession, FactorKind::Knowledge]);
    }

    #[test]
    fn r_au_02_password_alone_is_one_kind_password_and_totp_two() {
        let pwd = f(Method::Password, vec![FactorKind::Knowledge]);
        let otp = f(Method::Totp, vec![FactorKind::Possession]);
        assert_eq!(kinds_of(std::slice::from_ref(&pwd)).len(), 1);
        assert_eq!(kinds_of(&[pwd.clone(), otp.clone()]).len(), 2);
        assert_eq!(amr(std::slice::from_ref(&pwd)), vec!["pwd"]);
        assert_eq!(amr(&[pwd, otp]), vec!["mfa", "otp", "pwd"]);
        let key = f(Method::Webauthn, vec![FactorKind::Possession, FactorKind::Presence]);
        assert_eq!(amr(&[key]), vec!["fpt", "hwk", "mfa"]);
    }

    #[test]
    fn aaguid_syntax() {
        assert!(is_aaguid("01020304-0506-0708-0102-030405060708"));
        assert!(!is_aaguid("01020304050607080102030405060708"));
        assert!(!is_aaguid("0102030g-0506-0708-0102-030405060708"));
    }
}
