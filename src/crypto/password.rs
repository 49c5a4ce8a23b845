//! Password hashing with argon2id at the policy's cost (R-AU-09), and temporary passwords (R-AU-06).
//!
//! Hashing is slow by design: callers run it off the async workers (`web::block`/`spawn_blocking`).

use super::{random_bytes, CryptoError};
use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};
use tobira_domain::policy::HashingRule;

fn hasher(rule: &HashingRule) -> Result<Argon2<'static>, CryptoError> {
    let params = Params::new(rule.memory_kib, rule.iterations, rule.parallelism, None)
        .map_err(|e| CryptoError::Hash(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// The PHC string (`$argon2id$v=19$m=…`) of `password` with a fresh random salt.
pub fn hash(password: &str, rule: &HashingRule) -> Result<String, CryptoError> {
    let h = hasher(rule)?.hash_password(password.as_bytes()).map_err(|e| CryptoError::Hash(e.to_string()))?;
    Ok(h.to_string())
}

/// Whether `password` matches `phc`. A malformed stored hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else { return false };
    Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
}

/// Characters of temporary passwords: no look-alikes (0/O, 1/l/I).
const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/// A random temporary password of `len` characters from an unambiguous alphabet.
pub fn temporary(len: usize) -> Result<String, CryptoError> {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        random_bytes(&mut buf)?;
        // Rejection sampling keeps every character equally likely.
        let limit = 256 - (256 % ALPHABET.len());
        out.extend(
            buf.iter()
                .filter(|b| (**b as usize) < limit)
                .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
                .take(len - out.len()),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_au_09_argon2id_hash_verifies_only_the_right_password() {
        let rule = HashingRule::default();
        let h = hash("correct horse battery staple", &rule).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery staple", &h));
        assert!(!verify("correct horse battery stapl", &h));
        assert!(!verify("x", "not a hash"));
        assert_ne!(h, hash("correct horse battery staple", &rule).unwrap(), "salted");
    }

    #[test]
    fn r_au_06_temporary_passwords_are_random_and_unambiguous() {
        let a = temporary(20).unwrap();
        assert_eq!(a.len(), 20);
        assert!(a.bytes().all(|b| ALPHABET.contains(&b)));
        assert_ne!(a, temporary(20).unwrap());
    }
}
