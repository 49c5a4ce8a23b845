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

/// Scopes tobira understands.
pub const SCOPES: [&str; 4] = ["openid", "profile", "email", "roles"];

/// Splits a `scope` parameter; unknown scopes are an error (RFC 6749 §3.3).
pub fn parse_scope(s: &str) -> Result<Vec<String>, OAuthError> {
    let mut out: Vec<String> = Vec::new();
    for p in s.split(' ').filter(|p| !p.is_empty()) {
        if !SCOPES.contains(&p) {
            return Err(OAuthError::new(ErrorCode::InvalidScope, format!("scope `{}` is not offered", p.chars().take(40).collect::<String>())));
        }
        if !out.iter().any(|o| o == p) {
            out.push(p.to_string());
        }
    }
    Ok(out)
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
    fn scopes_are_checked_and_deduplicated() {
        assert_eq!(parse_scope("openid  profile openid").unwrap(), vec!["openid", "profile"]);
        assert_eq!(parse_scope("openid admin").unwrap_err().code, ErrorCode::InvalidScope);
        assert!(parse_scope("").unwrap().is_empty());
    }
}
