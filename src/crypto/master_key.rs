//! The master key: 32 random bytes in a file (hex, mode 0600), created on first start and never
//! regenerated, since everything sealed under it would be lost. It seals data at rest with
//! AES-256-GCM; each sealed value names its purpose as associated data, so a value sealed for one
//! purpose cannot be passed off as another. It also derives MAC keys per purpose (HMAC-SHA256 of the
//! purpose under the master key), so a MAC made for one purpose proves nothing for another.

use super::{random_bytes, CryptoError};
use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::hmac;
use base64::{engine::general_purpose::STANDARD_NO_PAD as B64, Engine};
use std::io::Write;
use std::path::Path;

pub struct MasterKey {
    key: LessSafeKey,
    /// The root of derived MAC keys.
    mac_root: hmac::Key,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(…)")
    }
}

/// Whether [`MasterKey::load_or_create`] found the key or made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Existing,
    Created,
}

impl MasterKey {
    // Proof for the allow: AES-256-GCM refuses only a key that is not 32 bytes, and the type fixes 32.
    #[allow(clippy::expect_used)]
    pub fn from_bytes(bytes: &[u8; 32]) -> MasterKey {
        MasterKey {
            key: LessSafeKey::new(UnboundKey::new(&AES_256_GCM, bytes).expect("32-byte key")),
            mac_root: hmac::Key::new(hmac::HMAC_SHA256, bytes),
        }
    }

    /// Reads the key at `path`, or creates it (with its directory) when the file does not exist.
    pub fn load_or_create(path: &Path) -> Result<(MasterKey, Origin), CryptoError> {
        let err = |reason: String| CryptoError::MasterKey { path: path.display().to_string(), reason };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                // A key others can read is a key others may have: refuse it until it is private (R-AU-09).
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    let mode = std::fs::metadata(path).map_err(|e| err(e.to_string()))?.permissions().mode() & 0o777;
                    if mode & 0o077 != 0 {
                        return Err(err(format!(
                            "is readable by group or others (mode {mode:04o}); make it private with chmod 600"
                        )));
                    }
                }
                let bytes = hex::decode(text.trim()).map_err(|_| err("is not 64 hexadecimal characters".into()))?;
                let arr: [u8; 32] =
                    bytes.try_into().map_err(|_| err("must hold exactly 32 bytes (64 hex characters)".into()))?;
                Ok((MasterKey::from_bytes(&arr), Origin::Existing))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent() {
                    super::create_private_dir(dir).map_err(|e| err(e.to_string()))?;
                }
                let mut bytes = [0u8; 32];
                random_bytes(&mut bytes)?;
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
                let mut f = opts.open(path).map_err(|e| err(e.to_string()))?;
                f.write_all(format!("{}\n", hex::encode(bytes)).as_bytes())
                    .and_then(|_| f.sync_all())
                    .map_err(|e| err(e.to_string()))?;
                Ok((MasterKey::from_bytes(&bytes), Origin::Created))
            }
            Err(e) => Err(err(e.to_string())),
        }
    }

    fn mac_key(&self, purpose: &str) -> hmac::Key {
        let derived = hmac::sign(&self.mac_root, format!("tobira mac key: {purpose}").as_bytes());
        hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref())
    }

    /// Hex HMAC-SHA256 of `data` under the key derived for `purpose`.
    pub fn mac(&self, purpose: &str, data: &[u8]) -> String {
        hex::encode(hmac::sign(&self.mac_key(purpose), data).as_ref())
    }

    /// Whether `mac_hex` is [`MasterKey::mac`] of `data` for `purpose` (compared in constant time).
    pub fn verify_mac(&self, purpose: &str, data: &[u8], mac_hex: &str) -> bool {
        hex::decode(mac_hex).is_ok_and(|tag| hmac::verify(&self.mac_key(purpose), data, &tag).is_ok())
    }

    /// Encrypts `plain` for `purpose`: base64 of nonce ‖ ciphertext ‖ tag.
    pub fn seal(&self, purpose: &str, plain: &[u8]) -> Result<String, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        random_bytes(&mut nonce)?;
        let mut buf = plain.to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(purpose.as_bytes()), &mut buf)
            .map_err(|_| CryptoError::Key("sealing failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(B64.encode(out))
    }

    /// Decrypts a value made by [`MasterKey::seal`] for the same `purpose`.
    pub fn open(&self, purpose: &str, sealed: &str) -> Result<Vec<u8>, CryptoError> {
        let fail = || CryptoError::Open { purpose: purpose.into() };
        let raw = B64.decode(sealed).map_err(|_| fail())?;
        if raw.len() < NONCE_LEN {
            return Err(fail());
        }
        let (nonce, rest) = raw.split_at(NONCE_LEN);
        let mut buf = rest.to_vec();
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| fail())?;
        let plain = self.key.open_in_place(nonce, Aad::from(purpose.as_bytes()), &mut buf).map_err(|_| fail())?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_au_09_created_once_then_reused_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/master.key");
        let (a, o1) = MasterKey::load_or_create(&path).unwrap();
        let (b, o2) = MasterKey::load_or_create(&path).unwrap();
        assert_eq!((o1, o2), (Origin::Created, Origin::Existing));
        let sealed = a.seal("test", b"secret").unwrap();
        assert_eq!(b.open("test", &sealed).unwrap(), b"secret");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
            assert_eq!(
                std::fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777,
                0o700,
                "a directory tobira creates is private"
            );
        }
    }

    #[test]
    fn r_lg_02_macs_bind_purpose_key_and_data() {
        let k = MasterKey::from_bytes(&[7; 32]);
        let m = k.mac("audit-checkpoint", b"head");
        assert!(k.verify_mac("audit-checkpoint", b"head", &m));
        assert!(!k.verify_mac("audit-checkpoint", b"head2", &m));
        assert!(!k.verify_mac("other", b"head", &m));
        assert!(!MasterKey::from_bytes(&[8; 32]).verify_mac("audit-checkpoint", b"head", &m));
        assert!(!k.verify_mac("audit-checkpoint", b"head", "zz"));
    }

    #[test]
    fn r_au_09_sealed_values_bind_purpose_and_key() {
        let k = MasterKey::from_bytes(&[7; 32]);
        let sealed = k.seal("signing-key", b"pkcs8").unwrap();
        assert!(!sealed.contains("pkcs8"));
        assert!(matches!(k.open("totp", &sealed), Err(CryptoError::Open { .. })));
        assert!(MasterKey::from_bytes(&[8; 32]).open("signing-key", &sealed).is_err());
        let mut tampered = B64.decode(&sealed).unwrap();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(k.open("signing-key", &B64.encode(tampered)).is_err());
        assert!(k.open("signing-key", "!!").is_err());
        assert_ne!(k.seal("x", b"same").unwrap(), k.seal("x", b"same").unwrap(), "fresh nonce each time");
    }

    #[cfg(unix)]
    #[test]
    fn r_au_09_a_key_readable_by_group_or_others_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        MasterKey::load_or_create(&path).unwrap();
        for mode in [0o640, 0o604, 0o660] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let e = MasterKey::load_or_create(&path).unwrap_err().to_string();
            assert!(
                e.contains("group or others")
                    && !e.contains(&std::fs::read_to_string(&path).unwrap().trim().to_string()),
                "{mode:o}: {e}"
            );
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
        assert!(MasterKey::load_or_create(&path).is_ok(), "owner-only is fine");
    }

    #[test]
    fn a_damaged_key_file_is_an_error_not_a_new_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        std::fs::write(&path, "abcd\n").unwrap();
        #[cfg(unix)]
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        let e = MasterKey::load_or_create(&path).unwrap_err();
        assert!(e.to_string().contains("32 bytes"), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "abcd\n");
    }
}
