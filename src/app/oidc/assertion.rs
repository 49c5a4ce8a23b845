//! `private_key_jwt` client authentication (RFC 7523 §2.2, OIDC Core §9): the client signs a short
//! JWT with its own key, whose public half the policy holds (`jwks`); tobira keeps no secret for it.
//! The assertion names the client as `iss` and `sub`, tobira's token endpoint or issuer as `aud`,
//! expires within minutes, and its `jti` is good once.

use super::issuer;
use crate::app::App;
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use tobira_domain::policy::Client;

pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The longest-lived assertion accepted: ten minutes from now.
const MAX_LIFETIME_MS: i64 = 600_000;

#[derive(Deserialize)]
struct Claims {
    sub: String,
    exp: i64,
    jti: Option<String>,
}

/// The client an assertion says it comes from (read unverified, only to find the keys).
pub fn claimed_client(assertion: &str) -> Option<String> {
    let payload = assertion.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get("iss")?.as_str().map(str::to_string)
}

/// Checks an assertion from `client`; its `jti` and expiry (UTC ms) for the replay check.
pub fn verify(app: &App, client: &Client, assertion: &str, now: i64) -> Result<(String, i64), &'static str> {
    let header = decode_header(assertion).map_err(|_| "the assertion is not a JWT")?;
    if !matches!(header.alg, Algorithm::ES256 | Algorithm::EdDSA | Algorithm::RS256 | Algorithm::PS256) {
        return Err("the assertion's algorithm is not accepted");
    }
    let set: JwkSet =
        client.jwks.clone().and_then(|j| serde_json::from_value(j).ok()).ok_or("the client's jwks cannot be read")?;
    let jwk = match &header.kid {
        Some(kid) => set.find(kid),
        None if set.keys.len() == 1 => set.keys.first(),
        None => None,
    }
    .ok_or("no key of the client matches the assertion")?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| "the client's key cannot be used")?;
    let mut v = Validation::new(header.alg);
    // Expiry is checked against tobira's clock below, not the system clock.
    v.validate_exp = false;
    v.required_spec_claims = ["exp", "iss", "sub", "aud"].into_iter().map(String::from).collect();
    let iss = issuer(app);
    v.set_audience(&[format!("{iss}/oauth/token"), iss]);
    v.set_issuer(&[client.id.get_ref()]);
    let data =
        decode::<Claims>(assertion, &key, &v).map_err(|_| "the assertion does not verify (signature, iss or aud)")?;
    let c = data.claims;
    if c.sub != *client.id.get_ref() {
        return Err("the assertion's sub is not the client");
    }
    let exp = c.exp.saturating_mul(1000);
    if exp <= now {
        return Err("the assertion has expired");
    }
    if exp > now + MAX_LIFETIME_MS {
        return Err("the assertion lives longer than ten minutes");
    }
    let jti = c.jti.filter(|j| !j.is_empty() && j.len() <= 256).ok_or("the assertion has no jti")?;
    Ok((jti, exp))
}
