//! OpenID Connect and OAuth 2.0 rules: the errors the specifications name, `acr` values, scopes,
//! PKCE, validation of authorization requests, the decision at the door (zone, classification,
//! network, freshness), the claims a token carries, and refresh-token rotation.
//!
//! Invariants: nothing here reads a clock or a database; a system sees only its own roles, and
//! privileged roles never appear in a token (they arrive with time-limited elevation).

pub mod authorize;
pub mod claims;
pub mod pkce;
pub mod refresh;

use serde::Serialize;

/// The error codes of RFC 6749 §4.1.2.1 / §5.2, OIDC Core §3.1.2.6 and RFC 7009.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    UnsupportedTokenType,
    InvalidScope,
    AccessDenied,
    LoginRequired,
    InteractionRequired,
    /// The person cannot reach the level the system or the `acr_values` demand.
    UnmetAuthenticationRequirements,
    InvalidToken,
    ServerError,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::UnsupportedTokenType => "unsupported_token_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::LoginRequired => "login_required",
            ErrorCode::InteractionRequired => "interaction_required",
            ErrorCode::UnmetAuthenticationRequirements => "unmet_authentication_requirements",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::ServerError => "server_error",
        }
    }
}

/// An error with its code and a description for the client's developers (never secrets).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: String,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<String>) -> OAuthError {
        OAuthError { code, description: description.into() }
    }
}

/// The `acr` prefix: `urn:tobira:acr:kinds:N` says N distinct factor kinds were proved.
pub const ACR_PREFIX: &str = "urn:tobira:acr:kinds:";

/// The `acr` of a sign-in that proved `kinds` distinct factor kinds.
pub fn acr(kinds: usize) -> String {
    format!("{ACR_PREFIX}{kinds}")
}

/// The number of kinds an `acr` value demands, if it is one of tobira's.
pub fn kinds_of_acr(v: &str) -> Option<u8> {
    v.strip_prefix(ACR_PREFIX)?.parse::<u8>().ok().filter(|n| (1..=crate::authn::FACTOR_KIND_COUNT).contains(n))
}

/// The `acr` values tobira can assert.
pub fn acr_values_supported() -> Vec<String> {
    (1..=crate::authn::FACTOR_KIND_COUNT as usize).map(acr).collect()
}

/// Scopes tobira understands. `offline_access` (OIDC Core §11) asks for a refresh token: a
/// registered client's `refresh_token` grant is the city's consent to it, so it is granted to such a
/// client (and dropped for others), and the refresh token still ends with the sign-in session.
pub const SCOPES: [&str; 5] = ["openid", "profile", "email", "roles", "offline_access"];

/// The scope that asks for a refresh token.
pub const OFFLINE_ACCESS: &str = "offline_access";

/// How many ignored scope values are kept for the audit record, and how much of each.
const IGNORED_KEPT: usize = 10;
const IGNORED_CHARS: usize = 40;

/// A `scope` parameter split into what tobira understands and what it ignores.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// The understood values, once each, in the order asked.
    pub granted: Vec<String>,
    /// Values tobira does not offer (OIDC Core §3.1.2.1: they are ignored), cut short for the
    /// audit record.
    pub ignored: Vec<String>,
}

/// Splits a `scope` parameter. Unknown values are ignored, not refused, as OIDC Core §3.1.2.1 says
/// (stock client libraries ask for scopes such as `offline_access` or their own); the caller
/// records them.
pub fn parse_scope(s: &str) -> Scope {
    let mut out = Scope::default();
    for p in s.split(' ').filter(|p| !p.is_empty()) {
        if SCOPES.contains(&p) {
            if !out.granted.iter().any(|o| o == p) {
                out.granted.push(p.to_string());
            }
        } else if out.ignored.len() < IGNORED_KEPT {
            let shown: String = p.chars().take(IGNORED_CHARS).collect();
            if !out.ignored.contains(&shown) {
                out.ignored.push(shown);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_au_02_acr_round_trips_the_number_of_kinds() {
        assert_eq!(acr(2), "urn:tobira:acr:kinds:2");
        assert_eq!(kinds_of_acr("urn:tobira:acr:kinds:2"), Some(2));
        assert_eq!(kinds_of_acr("urn:tobira:acr:kinds:0"), None);
        assert_eq!(kinds_of_acr("urn:tobira:acr:kinds:4"), None);
        assert_eq!(kinds_of_acr("urn:other:2"), None);
        assert_eq!(acr_values_supported().len(), 3);
    }

    #[test]
    fn r_au_02_unknown_scopes_are_ignored_and_offline_access_is_understood() {
        assert_eq!(parse_scope("openid  profile openid").granted, vec!["openid", "profile"]);
        let s = parse_scope("openid profile email offline_access admin urn:x:y admin");
        assert_eq!(s.granted, vec!["openid", "profile", "email", "offline_access"]);
        assert_eq!(s.ignored, vec!["admin", "urn:x:y"], "each ignored value once, for the audit record");
        assert_eq!(parse_scope(&"x".repeat(500)).ignored, vec!["x".repeat(40)], "kept short");
        let many: Vec<String> = (0..50).map(|i| format!("s{i}")).collect();
        assert_eq!(parse_scope(&many.join(" ")).ignored.len(), 10, "and few");
        assert_eq!(parse_scope(""), Scope::default());
    }
}
