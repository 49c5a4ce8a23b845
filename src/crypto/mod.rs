//! Cryptography adapters: the master key and encryption at rest, signing keys, password hashing,
//! TOTP and WebAuthn.
//!
//! Invariant: secrets (keys, passwords, hashes) never appear in `Debug` output, logs or errors.

pub mod jwt;
pub mod master_key;
pub mod password;
pub mod signing;
pub mod totp;
pub mod webauthn;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("master key file {path}: {reason}")]
    MasterKey { path: String, reason: String },
    #[error("cannot decrypt data sealed for {purpose}: wrong master key or damaged data")]
    Open { purpose: String },
    #[error("the system random source failed")]
    Random,
    #[error("key material is invalid: {0}")]
    Key(String),
    #[error("password hashing: {0}")]
    Hash(String),
}

/// Fills `buf` from the operating system's random source.
pub fn random_bytes(buf: &mut [u8]) -> Result<(), CryptoError> {
    aws_lc_rs::rand::fill(buf).map_err(|_| CryptoError::Random)
}

/// Creates `dir` and its missing parents readable by the owner only (0700 on Unix): it will hold the
/// database with password hashes, or key material (R-AU-09). An existing directory is left as it is.
pub fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    if dir.as_os_str().is_empty() || dir.exists() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}
