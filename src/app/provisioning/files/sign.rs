//! The signature of a numbered batch (R-ZN-04): tobira's Ed25519 key per file system, sealed under
//! the master key in `signing_key_file`; a `.sig` file naming the system, the number and the SHA-256
//! of both files, signed; its public key in PEM (SubjectPublicKeyInfo) for the zone side.
//!
//! Invariant: the private key is never written unsealed and never appears in an error.

use super::FileError;
use crate::crypto::master_key::MasterKey;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use std::path::Path;

/// The purpose label the file signing keys are sealed under.
pub const SEAL_PURPOSE: &str = "tobira/provisioning-file-key/v1";
/// The first line of every signature file.
pub const MAGIC: &str = "tobira-provisioning-batch 1";
/// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410) before the 32 key bytes.
const SPKI_PREFIX: [u8; 12] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

/// The signing key of a system: read from `path`, or made and written there (0600) when the file
/// does not exist yet; `true` when it was made now.
pub fn load_or_create(path: &Path, master: &MasterKey) -> Result<(Ed25519KeyPair, bool), FileError> {
    let io = |e: std::io::Error| FileError::Io { path: path.display().to_string(), reason: e.kind().to_string() };
    match std::fs::read_to_string(path) {
        Ok(sealed) => {
            let pkcs8 = master
                .open(SEAL_PURPOSE, sealed.trim())
                .map_err(|_| FileError::Key(format!("{}: cannot be opened with this master key", path.display())))?;
            let pair = Ed25519KeyPair::from_pkcs8(&pkcs8)
                .map_err(|_| FileError::Key(format!("{}: not an Ed25519 key", path.display())))?;
            Ok((pair, false))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
                .map_err(|_| FileError::Key("the system random source failed".into()))?;
            let sealed = master.seal(SEAL_PURPOSE, doc.as_ref()).map_err(|e| FileError::Key(e.to_string()))?;
            if let Some(dir) = path.parent() {
                crate::crypto::create_private_dir(dir).map_err(io)?;
            }
            super::write_new(path, format!("{sealed}\n").as_bytes(), 0o600)?;
            let pair = Ed25519KeyPair::from_pkcs8(doc.as_ref())
                .map_err(|_| FileError::Key("the new key cannot be read back".into()))?;
            Ok((pair, true))
        }
        Err(e) => Err(io(e)),
    }
}

/// The public key as a PEM `PUBLIC KEY` block (openssl reads it).
pub fn public_pem(pair: &Ed25519KeyPair) -> String {
    let mut der = SPKI_PREFIX.to_vec();
    der.extend_from_slice(pair.public_key().as_ref());
    format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", B64.encode(der))
}

/// The 32 key bytes of a PEM `PUBLIC KEY` block of an Ed25519 key.
pub fn parse_public_pem(text: &str) -> Result<Vec<u8>, FileError> {
    let body: String = text.lines().map(str::trim).filter(|l| !l.starts_with("-----") && !l.is_empty()).collect();
    let der = B64.decode(body).map_err(|_| FileError::Key("the public key file is not PEM".into()))?;
    match der.strip_prefix(&SPKI_PREFIX[..]) {
        Some(key) if key.len() == 32 => Ok(key.to_vec()),
        _ => Err(FileError::Key("the public key file does not hold an Ed25519 public key".into())),
    }
}

/// What a signature file says: the system, the number, each file's name and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub system: String,
    pub seq: i64,
    pub files: Vec<(String, String)>,
}

impl Manifest {
    /// The signed text: every line before the signature.
    pub fn text(&self) -> String {
        let mut t = format!("{MAGIC}\nsystem {}\nseq {:06}\n", self.system, self.seq);
        for (name, sha) in &self.files {
            t.push_str(&format!("sha256 {sha} {name}\n"));
        }
        t
    }
}

/// The signature file of `m`.
pub fn signature_file(m: &Manifest, pair: &Ed25519KeyPair) -> String {
    let text = m.text();
    let sig = pair.sign(text.as_bytes());
    format!("{text}ed25519 {}\n", B64.encode(sig.as_ref()))
}

/// Checks a signature file against `public` (32 bytes) and returns what it says.
pub fn verify(sig_file: &str, public: &[u8]) -> Result<Manifest, FileError> {
    let bad = |why: &str| FileError::Signature(why.to_string());
    let (text, last) =
        sig_file.trim_end_matches('\n').rsplit_once('\n').ok_or_else(|| bad("the signature file is too short"))?;
    let sig = last.strip_prefix("ed25519 ").ok_or_else(|| bad("the last line is not `ed25519 …`"))?;
    let sig = B64.decode(sig.trim()).map_err(|_| bad("the signature is not base64"))?;
    let text = format!("{text}\n");
    UnparsedPublicKey::new(&ED25519, public)
        .verify(text.as_bytes(), &sig)
        .map_err(|_| bad("the signature does not verify with this public key (tampered, or signed by another key)"))?;
    let mut lines = text.lines();
    if lines.next() != Some(MAGIC) {
        return Err(bad("not a tobira batch signature"));
    }
    let system = lines.next().and_then(|l| l.strip_prefix("system ")).ok_or_else(|| bad("no system line"))?.to_string();
    let seq = lines
        .next()
        .and_then(|l| l.strip_prefix("seq "))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no seq line"))?;
    let files = lines
        .map(|l| {
            l.strip_prefix("sha256 ")
                .and_then(|r| r.split_once(' '))
                .map(|(h, n)| (n.to_string(), h.to_string()))
                .ok_or_else(|| bad("a line is not `sha256 HASH NAME`"))
        })
        .collect::<Result<_, _>>()?;
    Ok(Manifest { system, seq, files })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_a_change_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let master = MasterKey::from_bytes(&[7; 32]);
        let path = dir.path().join("k/gw.filekey");
        let (pair, made) = load_or_create(&path, &master).unwrap();
        assert!(made);
        let (again, made) = load_or_create(&path, &master).unwrap();
        assert!(!made);
        assert_eq!(pair.public_key().as_ref(), again.public_key().as_ref(), "the same key is read back");
        assert!(load_or_create(&path, &MasterKey::from_bytes(&[8; 32])).is_err(), "sealed under the master key");
        let public = parse_public_pem(&public_pem(&pair)).unwrap();
        let m = Manifest { system: "gw".into(), seq: 3, files: vec![("gw-000003.jsonl".into(), "ab".into())] };
        let sig = signature_file(&m, &pair);
        assert_eq!(verify(&sig, &public).unwrap(), m);
        assert!(verify(&sig.replace("seq 000003", "seq 000004"), &public).is_err(), "a renumbered batch fails");
    }
}
