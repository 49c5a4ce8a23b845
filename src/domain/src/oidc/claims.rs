//! What tokens say about a person: ID token, access token (RFC 9068) and userinfo claims.
//!
//! Invariants: a system sees only roles of its own that its client may see; a privileged role is among
//! the roles held only while an elevation is in force (the store's grants say so), and a token that
//! carries one ends no later than that elevation; a claim appears only under the scope that asks for
//! it.

use crate::authn::{self, ProvedFactor};
use crate::policy::{Client, Policy};
use serde_json::{json, Map, Value};

/// The person behind an account, as tokens describe them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Subject {
    /// The account's stable id: the `sub`.
    pub account_id: String,
    pub login_id: String,
    pub employee_number: Option<String>,
    pub name_kanji: Option<String>,
    pub name_kana: Option<String>,
    pub department_code: Option<String>,
    pub department_name: Option<String>,
    pub mail: Option<String>,
}

/// The roles that count for tokens among grants in force, given as (role, grant source): a
/// privileged role counts only through an elevation (R-PR-02), so a standing grant of one, however
/// it got into the store, never reaches a business system.
pub fn token_roles(policy: &Policy, grants: &[(&str, &str)]) -> Vec<String> {
    grants
        .iter()
        .filter(|(role, source)| {
            policy.role(role).is_some_and(|r| !r.privileged || *source == crate::rbac::GrantSource::Elevation.as_str())
        })
        .map(|(role, _)| role.to_string())
        .collect()
}

/// The roles of `held` that `client`'s system may see.
pub fn visible_roles(policy: &Policy, client: &Client, held: &[String]) -> Vec<String> {
    let mut out: Vec<String> = held
        .iter()
        .filter(|id| {
            policy.role(id).is_some_and(|r| {
                r.system.get_ref() == client.system.get_ref()
                    && (client.roles.is_empty() || client.roles.iter().any(|c| c.get_ref() == *id))
            })
        })
        .cloned()
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Claims about the person under `scope`: profile (names, employee number, department), email,
/// roles.
pub fn person_claims(subject: &Subject, scope: &[String], roles: &[String]) -> Map<String, Value> {
    let has = |s: &str| scope.iter().any(|x| x == s);
    let mut m = Map::new();
    m.insert("sub".into(), json!(subject.account_id));
    if has("profile") {
        m.insert("preferred_username".into(), json!(subject.login_id));
        if let Some(n) = &subject.name_kanji {
            m.insert("name".into(), json!(n));
            m.insert("name#ja-Hani-JP".into(), json!(n));
        }
        if let Some(n) = &subject.name_kana {
            m.insert("name#ja-Kana-JP".into(), json!(n));
        }
        if let Some(e) = &subject.employee_number {
            m.insert("employee_number".into(), json!(e));
        }
        if let Some(code) = &subject.department_code {
            m.insert("department".into(), json!({ "code": code, "name": subject.department_name }));
        }
    }
    if has("email") {
        if let Some(mail) = &subject.mail {
            m.insert("email".into(), json!(mail));
            // The address comes from the HR directory, which the city vouches for.
            m.insert("email_verified".into(), json!(true));
        }
    }
    if has("roles") {
        m.insert("roles".into(), json!(roles));
    }
    m
}

/// What a token records about how the person signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authentication {
    pub auth_time_ms: i64,
    pub acr: String,
    pub amr: Vec<String>,
}

impl Authentication {
    pub fn of(factors: &[ProvedFactor], auth_time_ms: i64) -> Authentication {
        Authentication {
            auth_time_ms,
            acr: super::acr(authn::kinds_of(factors).len()),
            amr: authn::amr(factors).into_iter().map(String::from).collect(),
        }
    }
}

/// The fixed part of every JWT tobira signs.
#[derive(Debug, Clone, Copy)]
pub struct Stamp<'a> {
    pub issuer: &'a str,
    pub now_s: i64,
    pub lifetime_s: i64,
    pub jti: &'a str,
}

fn base(stamp: Stamp, aud: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("iss".into(), json!(stamp.issuer));
    m.insert("aud".into(), json!(aud));
    m.insert("iat".into(), json!(stamp.now_s));
    m.insert("exp".into(), json!(stamp.now_s + stamp.lifetime_s));
    m.insert("jti".into(), json!(stamp.jti));
    m
}

/// `at_hash` (OIDC Core §3.1.3.6): the left half of the access token's hash under the hash of the ID
/// token's algorithm (SHA-256 for ES256 and RS256, SHA-512 for EdDSA with Ed25519), base64url.
pub fn at_hash(id_token_alg: crate::policy::SigningAlg, access_token: &str) -> String {
    use base64::Engine;
    use sha2::{Digest, Sha256, Sha512};
    let digest = match id_token_alg {
        crate::policy::SigningAlg::EdDSA => Sha512::digest(access_token.as_bytes()).to_vec(),
        crate::policy::SigningAlg::ES256 | crate::policy::SigningAlg::RS256 => {
            Sha256::digest(access_token.as_bytes()).to_vec()
        }
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

/// An ID token's claims (OIDC Core §2): the person's claims plus `auth_time`, `acr`, `amr`, `nonce`,
/// `sid`, and `at_hash` when it comes with an access token, with `aud` the client.
pub fn id_token(
    stamp: Stamp,
    client_id: &str,
    person: Map<String, Value>,
    auth: &Authentication,
    nonce: Option<&str>,
    sid: &str,
    at_hash: Option<&str>,
) -> Value {
    let mut m = base(stamp, client_id);
    m.extend(person);
    m.insert("auth_time".into(), json!(auth.auth_time_ms / 1000));
    m.insert("acr".into(), json!(auth.acr));
    m.insert("amr".into(), json!(auth.amr));
    m.insert("azp".into(), json!(client_id));
    m.insert("sid".into(), json!(sid));
    if let Some(n) = nonce {
        m.insert("nonce".into(), json!(n));
    }
    if let Some(h) = at_hash {
        m.insert("at_hash".into(), json!(h));
    }
    Value::Object(m)
}

/// An access token's claims (RFC 9068): `aud` is the one system, `client_id` the client, `fam` the
/// token family so introspection can answer for revocation.
pub struct AccessFor<'a> {
    pub system: &'a str,
    pub client_id: &'a str,
    pub scope: &'a [String],
    /// For a person's token: the account id, roles, sign-in facts and family.
    pub person: Option<(&'a str, &'a [String], &'a Authentication, &'a str)>,
}

pub fn access_token(stamp: Stamp, a: AccessFor) -> Value {
    let mut m = base(stamp, a.system);
    m.insert("client_id".into(), json!(a.client_id));
    m.insert("scope".into(), json!(a.scope.join(" ")));
    match a.person {
        Some((sub, roles, auth, family)) => {
            m.insert("sub".into(), json!(sub));
            m.insert("auth_time".into(), json!(auth.auth_time_ms / 1000));
            m.insert("acr".into(), json!(auth.acr));
            m.insert("amr".into(), json!(auth.amr));
            m.insert("roles".into(), json!(roles));
            m.insert("fam".into(), json!(family));
        }
        None => {
            m.insert("sub".into(), json!(format!("client:{}", a.client_id)));
        }
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authn::{FactorKind, Method};
    use crate::test_support::example_policy;

    fn subject() -> Subject {
        Subject {
            account_id: "acc-1".into(),
            login_id: "s-100234".into(),
            employee_number: Some("100234".into()),
            name_kanji: Some("山田 花子".into()),
            name_kana: Some("ヤマダ ハナコ".into()),
            department_code: Some("shimin".into()),
            department_name: Some("市民課".into()),
            mail: Some("hanako@city.example".into()),
        }
    }

    #[test]
    fn r_ac_01_a_system_sees_only_its_own_roles_and_those_its_client_may_see() {
        let p = example_policy();
        // juki.admin is held here because an elevation is in force (the store's grants decide that).
        let held: Vec<String> =
            ["juki.clerk", "juki.admin", "bunsho.user", "zeimu.clerk", "zeimu.admin"].map(String::from).to_vec();
        let juki = juki_client(&p);
        assert_eq!(visible_roles(&p, &juki, &held), vec!["juki.admin", "juki.clerk"], "not other systems' roles");
        let mut narrowed = juki.clone();
        narrowed.roles = vec![toml::Spanned::new(0..0, "juki.clerk".into())];
        assert_eq!(visible_roles(&p, &narrowed, &held), vec!["juki.clerk"]);
    }

    #[test]
    fn r_pr_02_privileged_roles_count_for_tokens_only_through_an_elevation() {
        let p = example_policy();
        let grants = [
            ("juki.clerk", "birthright"),
            ("juki.admin", "request"),
            ("zeimu.admin", "elevation"),
            ("nonexistent", "birthright"),
        ];
        assert_eq!(token_roles(&p, &grants), vec!["juki.clerk", "zeimu.admin"]);
    }

    fn juki_client(p: &Policy) -> Client {
        let mut c = p.clients.first().cloned().expect("the example policy has clients");
        c.system = toml::Spanned::new(0..0, "juki".into());
        c.roles.clear();
        c
    }

    #[test]
    fn claims_follow_the_scope() {
        let s = subject();
        let none = person_claims(&s, &["openid".into()], &[]);
        assert_eq!(none.len(), 1, "only sub: {none:?}");
        let all = person_claims(
            &s,
            &["openid".into(), "profile".into(), "email".into(), "roles".into()],
            &["juki.clerk".into()],
        );
        assert_eq!(all["name"], "山田 花子");
        assert_eq!(all["name#ja-Kana-JP"], "ヤマダ ハナコ");
        assert_eq!(all["employee_number"], "100234");
        assert_eq!(all["department"]["name"], "市民課");
        assert_eq!(all["roles"], json!(["juki.clerk"]));
        assert_eq!(all["email"], "hanako@city.example");
    }

    #[test]
    fn r_au_02_tokens_carry_acr_and_amr_of_the_session() {
        let f = |method, kinds| ProvedFactor { method, credential: None, kinds, at: 0 };
        let auth = Authentication::of(
            &[f(Method::Password, vec![FactorKind::Knowledge]), f(Method::Totp, vec![FactorKind::Possession])],
            1_700_000_000_000,
        );
        assert_eq!(auth.acr, "urn:tobira:acr:kinds:2");
        assert_eq!(auth.amr, vec!["mfa", "otp", "pwd"]);
        let stamp = Stamp { issuer: "https://id.example", now_s: 1_700_000_100, lifetime_s: 600, jti: "j1" };
        let id = id_token(
            stamp,
            "juki-web",
            person_claims(&subject(), &["openid".into()], &[]),
            &auth,
            Some("n-0"),
            "sid-1",
            Some("h"),
        );
        assert_eq!(
            (id["aud"].as_str(), id["auth_time"].as_i64(), id["exp"].as_i64()),
            (Some("juki-web"), Some(1_700_000_000), Some(1_700_000_700))
        );
        assert_eq!(id["nonce"], "n-0");
        let roles = vec!["juki.clerk".to_string()];
        let at = access_token(
            stamp,
            AccessFor {
                system: "juki",
                client_id: "juki-web",
                scope: &["openid".into()],
                person: Some(("acc-1", &roles, &auth, "fam-1")),
            },
        );
        assert_eq!(
            (at["aud"].as_str(), at["client_id"].as_str(), at["sub"].as_str()),
            (Some("juki"), Some("juki-web"), Some("acc-1"))
        );
        let cc = access_token(stamp, AccessFor { system: "zeimu", client_id: "batch", scope: &[], person: None });
        assert_eq!(cc["sub"], "client:batch");
        assert!(cc.get("roles").is_none());
    }

    #[test]
    fn r_au_02_at_hash_follows_the_id_token_algorithm() {
        use crate::policy::SigningAlg;
        // OIDC Core §3.1.3.6 with the access token of RFC 7515's example: the left 128 bits of
        // SHA-256, base64url (the value computed independently with Python's hashlib).
        assert_eq!(at_hash(SigningAlg::ES256, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"), "77QmUPtjPfzWtF2AnpK9RQ");
        assert_eq!(at_hash(SigningAlg::RS256, "a"), at_hash(SigningAlg::ES256, "a"));
        assert_eq!(
            at_hash(SigningAlg::EdDSA, "a"),
            "H0D8ktokFpR1CXnubPWC8tXX0o4YM13gWrxU0FYOD1M",
            "half of SHA-512 for EdDSA"
        );
    }
}
