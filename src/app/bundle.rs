//! Evidence bundles for auditors and the CSIRT (R-RV-02, R-LG-06): named files with a
//! `MANIFEST.sha256` in the form `sha256sum -c` reads, written to a directory or as one tar archive.
//!
//! Invariant: the files name people and their access, so a directory made for them is 0700 and each
//! file 0600, also a file that existed; an existing directory keeps its own mode.

use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

/// A bundle's files in the order they are listed: (name, content).
pub type Files = Vec<(String, Vec<u8>)>;

/// The manifest's file name.
pub const MANIFEST: &str = "MANIFEST.sha256";

/// Appends `MANIFEST.sha256` (each file's SHA-256 and name) to `files`; the manifest's own SHA-256,
/// for the audit record of the export.
pub fn seal(files: &mut Files) -> String {
    let manifest: String =
        files.iter().map(|(name, body)| format!("{}  {name}\n", hex::encode(Sha256::digest(body)))).collect();
    let digest = hex::encode(Sha256::digest(manifest.as_bytes()));
    files.push((MANIFEST.to_string(), manifest.into_bytes()));
    digest
}

/// Writes the files into `dir` (made 0700 with its missing parents; files 0600).
pub fn write_dir(files: &[(String, Vec<u8>)], dir: &Path) -> std::io::Result<()> {
    crate::crypto::create_private_dir(dir)?;
    for (name, body) in files {
        let path = dir.join(name);
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            if path.exists() {
                std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
            }
        }
        opts.open(&path)?.write_all(body)?;
    }
    Ok(())
}

/// The files as one POSIX ustar archive under the directory `prefix/`.
pub fn tar(files: &[(String, Vec<u8>)], prefix: &str, mtime_s: i64) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, body) in files {
        let mut h = [0u8; 512];
        let path = format!("{prefix}/{name}");
        let put = |h: &mut [u8; 512], at: usize, v: &[u8]| h[at..at + v.len()].copy_from_slice(v);
        put(&mut h, 0, &path.as_bytes()[..path.len().min(99)]);
        put(&mut h, 100, b"0000600\0");
        put(&mut h, 108, b"0000000\0");
        put(&mut h, 116, b"0000000\0");
        put(&mut h, 124, format!("{:011o}\0", body.len()).as_bytes());
        put(&mut h, 136, format!("{:011o}\0", mtime_s.max(0)).as_bytes());
        put(&mut h, 148, b"        ");
        h[156] = b'0';
        put(&mut h, 257, b"ustar\0");
        put(&mut h, 263, b"00");
        let sum: u32 = h.iter().map(|&x| u32::from(x)).sum();
        put(&mut h, 148, format!("{sum:06o}\0 ").as_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(body);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}
