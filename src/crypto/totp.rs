//! TOTP (RFC 6238) with totp-rs: secrets, the otpauth URL for enrolment, code checks with the
//! policy's skew, and a QR code drawn as SVG (no image crates, no outbound calls).
//!
//! Invariant: callers store secrets only sealed under the master key (R-AU-09) and refuse a step
//! that was used before (replay); this module only computes.

use super::{random_bytes, CryptoError};
use totp_rs::{Algorithm, Totp};

/// 160 bits, the size RFC 4226 recommends for HMAC-SHA-1.
pub const SECRET_BYTES: usize = 20;
const STEP_SECONDS: u64 = 30;

/// A fresh random secret.
pub fn new_secret() -> Result<Vec<u8>, CryptoError> {
    let mut s = vec![0u8; SECRET_BYTES];
    random_bytes(&mut s)?;
    Ok(s)
}

fn totp(secret: &[u8], skew: u8, account: &str, issuer: &str) -> Result<Totp, CryptoError> {
    totp_rs::Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(STEP_SECONDS)
        .with_skew(u16::from(skew))
        .with_secret(secret.to_vec())
        .with_account_name(account.replace(':', "_"))
        .with_issuer(Some(issuer.replace(':', "_")))
        .build()
        .map_err(|e| CryptoError::Key(format!("TOTP: {e}")))
}

/// The `otpauth://totp/…` URL an authenticator app scans.
pub fn otpauth_url(secret: &[u8], account: &str, issuer: &str) -> Result<String, CryptoError> {
    totp(secret, 0, account, issuer)?.to_url().map_err(|e| CryptoError::Key(format!("TOTP URL: {e}")))
}

/// The base32 form of the secret, for typing it in by hand.
pub fn secret_base32(secret: &[u8]) -> String {
    totp_rs::Secret::from(secret.to_vec()).to_base32()
}

/// The step (Unix seconds / 30) whose code equals `code`, within `skew` steps of `unix_seconds`.
pub fn check(secret: &[u8], code: &str, unix_seconds: u64, skew: u8) -> Result<Option<u64>, CryptoError> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    Ok(totp(secret, skew, "-", "-")?.check(&code, unix_seconds))
}

/// The code for `unix_seconds` (tests and the enrolment check).
pub fn code_at(secret: &[u8], unix_seconds: u64) -> Result<String, CryptoError> {
    Ok(totp(secret, 0, "-", "-")?.generate(unix_seconds).to_string())
}

/// A QR code of `text` as an SVG document.
pub fn qr_svg(text: &str) -> Result<String, CryptoError> {
    let qr = qrcodegen::QrCode::encode_text(text, qrcodegen::QrCodeEcc::Medium)
        .map_err(|e| CryptoError::Key(format!("QR: {e}")))?;
    let border = 4;
    let size = qr.size() + border * 2;
    let mut path = String::new();
    for y in 0..qr.size() {
        for x in 0..qr.size() {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
            }
        }
    }
    Ok(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="240" height="240" shape-rendering="crispEdges" role="img" aria-label="QR"><rect width="100%" height="100%" fill="#fff"/><path d="{path}" fill="#000"/></svg>"##
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 secret "12345678901234567890"; 8-digit vectors truncated to 6 digits
    /// (the last six digits of the 8-digit value, as dynamic truncation mod 10^6 gives).
    #[test]
    fn r_au_02_rfc6238_vectors() {
        let secret = b"12345678901234567890";
        for (t, eight) in [
            (59u64, "94287082"),
            (1111111109, "07081804"),
            (1111111111, "14050471"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
            (20000000000, "65353130"),
        ] {
            assert_eq!(code_at(secret, t).unwrap(), eight[2..], "t={t}");
        }
    }

    #[test]
    fn r_au_02_skew_and_garbage() {
        let secret = b"12345678901234567890";
        let now = 1_111_111_111;
        let prev = code_at(secret, now - 30).unwrap();
        assert_eq!(check(secret, &prev, now, 1).unwrap(), Some(now / 30 - 1));
        assert_eq!(check(secret, &prev, now, 0).unwrap(), None);
        let two_back = code_at(secret, now - 60).unwrap();
        assert_eq!(check(secret, &two_back, now, 1).unwrap(), None);
        assert_eq!(check(secret, "12a456", now, 1).unwrap(), None);
        assert_eq!(check(secret, "", now, 1).unwrap(), None);
        let spaced = format!("{} {}", &prev[..3], &prev[3..]);
        assert!(check(secret, &spaced, now, 1).unwrap().is_some());
    }

    #[test]
    fn otpauth_url_and_qr() {
        let url = otpauth_url(b"12345678901234567890", "taro.yamada", "東雲市").unwrap();
        assert!(url.starts_with("otpauth://totp/"), "{url}");
        assert!(url.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), "{url}");
        let svg = qr_svg(&url).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("<path"));
    }
}
