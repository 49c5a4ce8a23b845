//! Token signing keys (ES256, EdDSA, and RS256 for the ID tokens of clients that ask for it). A key is generated as PKCS#8, stored sealed under the master
//! key, and published by its public half; its `kid` is derived from the public key, so the same key
//! always has the same id.

use super::master_key::MasterKey;
use super::CryptoError;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64URL, Engine};
use sha2::{Digest, Sha256};

/// The purpose label signing keys are sealed under.
pub const SEAL_PURPOSE: &str = "tobira/signing-key/v1";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    Es256,
    EdDsa,
    /// RSA-2048 PKCS#1 v1.5 with SHA-256 (aws-lc-rs, never the `rsa` crate: RUSTSEC-2023-0071).
    Rs256,
}

impl Alg {
    pub const ALL: [Alg; 3] = [Alg::Es256, Alg::EdDsa, Alg::Rs256];

    /// The JOSE name.
    pub fn as_str(self) -> &'static str {
        match self {
            Alg::Es256 => "ES256",
            Alg::EdDsa => "EdDSA",
            Alg::Rs256 => "RS256",
        }
    }

    pub fn parse(s: &str) -> Option<Alg> {
        Alg::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// A newly generated key: the sealed private key and the public key (base64url, raw form).
pub struct NewKey {
    pub kid: String,
    pub alg: Alg,
    pub private_sealed: String,
    pub public_b64: String,
}

/// Generates a key of `alg` and seals its private half under `master`.
pub fn generate(alg: Alg, master: &MasterKey) -> Result<NewKey, CryptoError> {
    let rng = SystemRandom::new();
    let (pkcs8, public) = match alg {
        Alg::Es256 => {
            let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .map_err(|_| CryptoError::Random)?;
            let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, doc.as_ref())
                .map_err(|e| CryptoError::Key(e.to_string()))?;
            (doc.as_ref().to_vec(), pair.public_key().as_ref().to_vec())
        }
        Alg::EdDsa => {
            let doc = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| CryptoError::Random)?;
            let pair = Ed25519KeyPair::from_pkcs8(doc.as_ref()).map_err(|e| CryptoError::Key(e.to_string()))?;
            (doc.as_ref().to_vec(), pair.public_key().as_ref().to_vec())
        }
        Alg::Rs256 => {
            let pair = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| CryptoError::Random)?;
            let doc = pair.as_der().map_err(|_| CryptoError::Key("cannot encode the RSA key".into()))?;
            (doc.as_ref().to_vec(), pair.public_key().as_ref().to_vec())
        }
    };
    Ok(NewKey {
        kid: kid_of(alg, &public),
        alg,
        private_sealed: master.seal(SEAL_PURPOSE, &pkcs8)?,
        public_b64: B64URL.encode(&public),
    })
}

/// `alg` plus the first 16 bytes of SHA-256 of the public key, base64url.
pub fn kid_of(alg: Alg, public: &[u8]) -> String {
    let d = Sha256::digest(public);
    format!("{}-{}", alg.as_str().to_lowercase(), B64URL.encode(&d[..16]))
}

/// Opens a stored key and checks that it is the key its public half and `kid` say.
pub fn check_stored(
    alg: Alg,
    kid: &str,
    private_sealed: &str,
    public_b64: &str,
    master: &MasterKey,
) -> Result<(), CryptoError> {
    let pkcs8 = master.open(SEAL_PURPOSE, private_sealed)?;
    let public = match alg {
        Alg::Es256 => EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8)
            .map_err(|e| CryptoError::Key(e.to_string()))?
            .public_key()
            .as_ref()
            .to_vec(),
        Alg::EdDsa => Ed25519KeyPair::from_pkcs8(&pkcs8)
            .map_err(|e| CryptoError::Key(e.to_string()))?
            .public_key()
            .as_ref()
            .to_vec(),
        Alg::Rs256 => {
            RsaKeyPair::from_pkcs8(&pkcs8).map_err(|e| CryptoError::Key(e.to_string()))?.public_key().as_ref().to_vec()
        }
    };
    if B64URL.encode(&public) != public_b64 || kid_of(alg, &public) != kid {
        return Err(CryptoError::Key(format!("stored key {kid} does not match its public key")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_open_and_match_their_kid() {
        let m = MasterKey::from_bytes(&[1; 32]);
        for alg in Alg::ALL {
            let k = generate(alg, &m).unwrap();
            assert!(k.kid.starts_with(&alg.as_str().to_lowercase()));
            check_stored(alg, &k.kid, &k.private_sealed, &k.public_b64, &m).unwrap();
            assert!(
                check_stored(alg, &k.kid, &k.private_sealed, &k.public_b64, &MasterKey::from_bytes(&[2; 32])).is_err()
            );
        }
    }
}
