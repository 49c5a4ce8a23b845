//! PKCE (RFC 7636) with S256 only: every client sends a challenge, plain is refused.

use super::{ErrorCode, OAuthError};
use sha2::{Digest, Sha256};

fn b64url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Checks the challenge of an authorization request: method S256, 43 base64url characters.
pub fn check_challenge(challenge: Option<&str>, method: Option<&str>) -> Result<String, OAuthError> {
    let Some(c) = challenge.filter(|c| !c.is_empty()) else {
        return Err(OAuthError::new(ErrorCode::InvalidRequest, "code_challenge is required (PKCE, RFC 7636)"));
    };
    if method != Some("S256") {
        return Err(OAuthError::new(ErrorCode::InvalidRequest, "code_challenge_method must be S256"));
    }
    if c.len() != 43 || !c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            "code_challenge must be the base64url SHA-256 of the verifier (43 characters)",
        ));
    }
    Ok(c.to_string())
}

/// Whether `verifier` (43–128 unreserved characters) hashes to `challenge`.
pub fn verify(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    well_formed
        && crate::time_util::constant_time_eq(
            b64url(&Sha256::digest(verifier.as_bytes())).as_bytes(),
            challenge.as_bytes(),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_vector() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(verify(verifier, challenge));
        assert!(!verify("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj", challenge));
        assert!(!verify("short", challenge));
        assert_eq!(check_challenge(Some(challenge), Some("S256")).unwrap(), challenge);
        assert_eq!(check_challenge(Some(challenge), Some("plain")).unwrap_err().code, ErrorCode::InvalidRequest);
        assert!(check_challenge(None, Some("S256")).is_err());
        assert!(check_challenge(Some("abc"), Some("S256")).is_err());
    }
}
