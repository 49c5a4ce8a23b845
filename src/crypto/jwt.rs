//! JWS compact tokens signed and verified with tobira's own keys, and the JWK Set that publishes
//! them.
//!
//! The key ring holds, per algorithm, the newest unretired key (it signs) and every key still
//! published: a retired key stays in the JWK Set until tokens signed with it have expired, so
//! relying parties keep verifying across a rotation. Signing uses key pairs parsed once and kept
//! (jsonwebtoken 11 parses the PKCS#8 document again for every signature; see BENCHMARKS.md).
//!
//! Invariants: a token verifies only under a published key whose algorithm matches its header;
//! private keys exist in memory only, opened from their sealed form under the master key.

use super::master_key::MasterKey;
use super::signing::{Alg, SEAL_PURPOSE};
use super::CryptoError;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair, UnparsedPublicKey};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64URL, Engine};
use serde_json::{json, Value};
use sha2::Digest;
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

enum Pair {
    Es256(EcdsaKeyPair),
    EdDsa(Ed25519KeyPair),
    Rs256(RsaKeyPair),
}

struct Signing {
    kid: String,
    alg: Alg,
    pair: Pair,
}

struct Published {
    alg: Alg,
    public: Vec<u8>,
}

#[derive(Default)]
struct Ring {
    signing: HashMap<&'static str, Arc<Signing>>,
    published: HashMap<String, Published>,
    jwks: Arc<String>,
}

/// Why a presented token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("not a JWS compact token")]
    Malformed,
    #[error("signed by a key tobira does not publish")]
    UnknownKey,
    #[error("the signature does not verify")]
    BadSignature,
}

/// A verified token's header and claims.
type Verified = Arc<(Value, Value)>;

pub struct KeyRing {
    ring: RwLock<Ring>,
    /// Tokens whose signature verified, by SHA-256 of the token: a signature never stops verifying
    /// under a key that is still published, so checking it again is wasted work (introspection
    /// sees the same token many times). Emptied when the keys change, and when it is full.
    verified: RwLock<HashMap<[u8; 32], Verified>>,
}

/// Most verified tokens remembered before the cache starts afresh.
const VERIFIED_MAX: usize = 65_536;

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyRing(…)")
    }
}

/// The JWK of a public key.
fn jwk(alg: Alg, kid: &str, public: &[u8]) -> Result<Value, CryptoError> {
    let bad = || CryptoError::Key(format!("public key {kid} has an unexpected form"));
    Ok(match alg {
        Alg::Es256 => {
            if public.len() != 65 || public[0] != 4 {
                return Err(bad());
            }
            json!({ "kty": "EC", "crv": "P-256", "x": B64URL.encode(&public[1..33]), "y": B64URL.encode(&public[33..]), "kid": kid, "alg": "ES256", "use": "sig" })
        }
        Alg::EdDsa => {
            json!({ "kty": "OKP", "crv": "Ed25519", "x": B64URL.encode(public), "kid": kid, "alg": "EdDSA", "use": "sig" })
        }
        Alg::Rs256 => {
            let (n, e) = rsa_components(public).ok_or_else(bad)?;
            json!({ "kty": "RSA", "n": B64URL.encode(n), "e": B64URL.encode(e), "kid": kid, "alg": "RS256", "use": "sig" })
        }
    })
}

/// Reads one DER TLV at the start of `der`: (tag, content, rest).
fn der_tlv(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        (rest[..n].iter().fold(0usize, |a, b| (a << 8) | *b as usize), &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The modulus and exponent of a PKCS#1 `RSAPublicKey` (leading zero bytes removed).
fn rsa_components(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let (0x30, seq, _) = der_tlv(der)? else { return None };
    let (0x02, n, rest) = der_tlv(seq)? else { return None };
    let (0x02, e, _) = der_tlv(rest)? else { return None };
    let trim = |v: &[u8]| -> usize { v.iter().take_while(|b| **b == 0).count() };
    Some((&n[trim(n)..], &e[trim(e)..]))
}

fn open_pair(alg: Alg, pkcs8: &[u8]) -> Result<Pair, CryptoError> {
    let k = |e: aws_lc_rs::error::KeyRejected| CryptoError::Key(e.to_string());
    Ok(match alg {
        Alg::Es256 => Pair::Es256(EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8).map_err(k)?),
        Alg::EdDsa => Pair::EdDsa(Ed25519KeyPair::from_pkcs8(pkcs8).map_err(k)?),
        Alg::Rs256 => Pair::Rs256(RsaKeyPair::from_pkcs8(pkcs8).map_err(k)?),
    })
}

/// A signing key as it is kept: its public half (base64url) and its private half sealed under the
/// master key; retired keys sign no more but stay published for a while.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    pub kid: String,
    pub alg: String,
    pub private_sealed: String,
    pub public_b64: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

impl KeyRing {
    /// A ring from the stored keys: the newest unretired key of each algorithm signs; keys retired
    /// less than `publish_after_retire_ms` ago stay published.
    pub fn load(
        keys: &[StoredKey],
        master: &MasterKey,
        now: i64,
        publish_after_retire_ms: i64,
    ) -> Result<KeyRing, CryptoError> {
        let ring = KeyRing { ring: RwLock::new(Ring::default()), verified: RwLock::new(HashMap::new()) };
        ring.reload(keys, master, now, publish_after_retire_ms)?;
        Ok(ring)
    }

    /// Replaces the ring's contents from the stored keys (after a rotation on any node).
    pub fn reload(
        &self,
        keys: &[StoredKey],
        master: &MasterKey,
        now: i64,
        publish_after_retire_ms: i64,
    ) -> Result<(), CryptoError> {
        let mut next = Ring::default();
        let mut jwks = Vec::new();
        let mut sorted: Vec<&StoredKey> = keys.iter().collect();
        sorted.sort_by_key(|r| std::cmp::Reverse(r.created_at));
        for r in sorted {
            let Some(alg) = Alg::parse(&r.alg) else { continue };
            if r.retired_at.is_some_and(|t| t + publish_after_retire_ms <= now) {
                continue;
            }
            let public = B64URL
                .decode(&r.public_b64)
                .map_err(|_| CryptoError::Key(format!("public key {} is not base64url", r.kid)))?;
            jwks.push(jwk(alg, &r.kid, &public)?);
            if r.retired_at.is_none() && !next.signing.contains_key(alg.as_str()) {
                let pkcs8 = master.open(SEAL_PURPOSE, &r.private_sealed)?;
                next.signing
                    .insert(alg.as_str(), Arc::new(Signing { kid: r.kid.clone(), alg, pair: open_pair(alg, &pkcs8)? }));
            }
            next.published.insert(r.kid.clone(), Published { alg, public });
        }
        next.jwks = Arc::new(json!({ "keys": jwks }).to_string());
        // Poisoned locks are recovered: the ring is replaced in one assignment and the cache only
        // ever holds verified tokens, so neither is left half-written.
        *self.ring.write().unwrap_or_else(PoisonError::into_inner) = next;
        self.verified.write().unwrap_or_else(PoisonError::into_inner).clear();
        Ok(())
    }

    /// The JWK Set document.
    pub fn jwks(&self) -> Arc<String> {
        self.ring.read().unwrap_or_else(PoisonError::into_inner).jwks.clone()
    }

    /// Signs `claims` with the current key of `alg`, with header `typ` (`JWT`, `at+jwt`,
    /// `logout+jwt`).
    pub fn sign(&self, alg: Alg, typ: &str, claims: &Value) -> Result<String, CryptoError> {
        let key = self
            .ring
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .signing
            .get(alg.as_str())
            .cloned()
            .ok_or_else(|| CryptoError::Key(format!("no {} signing key", alg.as_str())))?;
        let header = json!({ "alg": key.alg.as_str(), "typ": typ, "kid": key.kid });
        let mut out = format!("{}.{}", B64URL.encode(header.to_string()), B64URL.encode(claims.to_string()));
        let signature = match &key.pair {
            Pair::Es256(p) => p
                .sign(&SystemRandom::new(), out.as_bytes())
                .map_err(|_| CryptoError::Key("ES256 signing failed".into()))?
                .as_ref()
                .to_vec(),
            Pair::EdDsa(p) => p.sign(out.as_bytes()).as_ref().to_vec(),
            Pair::Rs256(p) => {
                let mut s = vec![0; p.public_modulus_len()];
                p.sign(&sig::RSA_PKCS1_SHA256, &SystemRandom::new(), out.as_bytes(), &mut s)
                    .map_err(|_| CryptoError::Key("RS256 signing failed".into()))?;
                s
            }
        };
        out.push('.');
        out.push_str(&B64URL.encode(signature));
        Ok(out)
    }

    /// Verifies a token signed by one of the published keys; returns its header and claims. Claims
    /// (expiry, audience) are the caller's to check.
    pub fn verify(&self, token: &str) -> Result<(Value, Value), JwtError> {
        let digest: [u8; 32] = sha2::Sha256::digest(token.as_bytes()).into();
        if let Some(hit) = self.verified.read().unwrap_or_else(PoisonError::into_inner).get(&digest) {
            return Ok((hit.0.clone(), hit.1.clone()));
        }
        let (header, claims) = self.verify_signature(token)?;
        let mut cache = self.verified.write().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= VERIFIED_MAX {
            cache.clear();
        }
        cache.insert(digest, Arc::new((header.clone(), claims.clone())));
        Ok((header, claims))
    }

    fn verify_signature(&self, token: &str) -> Result<(Value, Value), JwtError> {
        let mut parts = token.splitn(3, '.');
        let (Some(h), Some(p), Some(s)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(JwtError::Malformed);
        };
        if token.len() > 16 * 1024 || s.contains('.') {
            return Err(JwtError::Malformed);
        }
        let decode = |x: &str| B64URL.decode(x).ok().and_then(|b| serde_json::from_slice::<Value>(&b).ok());
        let header = decode(h).filter(Value::is_object).ok_or(JwtError::Malformed)?;
        let signature = B64URL.decode(s).map_err(|_| JwtError::Malformed)?;
        let kid = header.get("kid").and_then(Value::as_str).ok_or(JwtError::UnknownKey)?;
        {
            let ring = self.ring.read().unwrap_or_else(PoisonError::into_inner);
            let key = ring.published.get(kid).ok_or(JwtError::UnknownKey)?;
            if header.get("alg").and_then(Value::as_str) != Some(key.alg.as_str()) {
                return Err(JwtError::BadSignature);
            }
            let algorithm: &dyn sig::VerificationAlgorithm = match key.alg {
                Alg::Es256 => &sig::ECDSA_P256_SHA256_FIXED,
                Alg::EdDsa => &sig::ED25519,
                Alg::Rs256 => &sig::RSA_PKCS1_2048_8192_SHA256,
            };
            let signed = &token[..h.len() + 1 + p.len()];
            UnparsedPublicKey::new(algorithm, &key.public)
                .verify(signed.as_bytes(), &signature)
                .map_err(|_| JwtError::BadSignature)?;
        }
        let claims = decode(p).filter(Value::is_object).ok_or(JwtError::Malformed)?;
        Ok((header, claims))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::signing;

    fn row(alg: Alg, m: &MasterKey, created_at: i64, retired_at: Option<i64>) -> StoredKey {
        let k = signing::generate(alg, m).unwrap();
        StoredKey {
            kid: k.kid,
            alg: alg.as_str().into(),
            private_sealed: k.private_sealed,
            public_b64: k.public_b64,
            created_at,
            retired_at,
        }
    }

    #[test]
    fn signs_and_verifies_with_every_algorithm_and_publishes_jwks() {
        let m = MasterKey::from_bytes(&[3; 32]);
        let rows: Vec<StoredKey> = Alg::ALL.iter().map(|a| row(*a, &m, 1, None)).collect();
        let ring = KeyRing::load(&rows, &m, 10, 1_000).unwrap();
        let jwks: Value = serde_json::from_str(&ring.jwks()).unwrap();
        let kty: Vec<&str> = jwks["keys"].as_array().unwrap().iter().map(|k| k["kty"].as_str().unwrap()).collect();
        assert_eq!(kty.len(), 3, "{jwks}");
        for alg in Alg::ALL {
            let t = ring.sign(alg, "JWT", &json!({ "sub": "x" })).unwrap();
            let (h, c) = ring.verify(&t).unwrap();
            assert_eq!((h["alg"].as_str(), c["sub"].as_str()), (Some(alg.as_str()), Some("x")));
            // A changed payload does not verify.
            let mut parts: Vec<String> = t.split('.').map(String::from).collect();
            parts[1] = B64URL.encode(json!({ "sub": "y" }).to_string());
            assert_eq!(ring.verify(&parts.join(".")), Err(JwtError::BadSignature));
        }
        assert_eq!(ring.verify("abc"), Err(JwtError::Malformed));
        let rsa = jwks["keys"].as_array().unwrap().iter().find(|k| k["kty"] == "RSA").unwrap();
        assert_eq!(rsa["e"], "AQAB");
        assert_eq!(B64URL.decode(rsa["n"].as_str().unwrap()).unwrap().len(), 256);
    }

    #[test]
    fn a_retired_key_stays_published_until_its_tokens_expire() {
        let m = MasterKey::from_bytes(&[4; 32]);
        let old = row(Alg::Es256, &m, 1, None);
        let ring = KeyRing::load(std::slice::from_ref(&old), &m, 10, 1_000).unwrap();
        let before = ring.sign(Alg::Es256, "JWT", &json!({})).unwrap();
        let rows = vec![StoredKey { retired_at: Some(100), ..old.clone() }, row(Alg::Es256, &m, 100, None)];
        ring.reload(&rows, &m, 500, 1_000).unwrap();
        let after = ring.sign(Alg::Es256, "JWT", &json!({})).unwrap();
        let kid = |t: &str| ring.verify(t).unwrap().0["kid"].as_str().unwrap().to_string();
        assert_ne!(kid(&before), kid(&after), "the new key signs");
        ring.reload(&rows, &m, 1_100, 1_000).unwrap();
        assert_eq!(ring.verify(&before), Err(JwtError::UnknownKey), "gone once its tokens have expired");
        assert!(ring.verify(&after).is_ok());
    }
}
