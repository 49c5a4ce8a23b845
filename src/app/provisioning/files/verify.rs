//! The zone side's check before an import (R-ZN-04, `tobira provisioning verify-file`): every batch
//! after the last one imported is there, numbered without a gap, and its files are the ones tobira
//! signed. Reads files only; needs no database, policy or master key, just tobira's public key.
//!
//! Invariant: verification stops at the first batch that fails; the batches before it are good.

use super::sign::{self, Manifest};
use super::{base_name, number_of, FileError};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::Path;

/// The batches that verified, in order, and the number to record as the last imported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verified {
    pub batches: Vec<i64>,
    pub last: i64,
}

/// The batch numbers of `system` in `dir` with any of its file kinds.
fn numbers(dir: &Path, system: &str) -> Result<BTreeSet<i64>, FileError> {
    let io = |e: std::io::Error| FileError::Io { path: dir.display().to_string(), reason: e.kind().to_string() };
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let name = entry.map_err(io)?.file_name().into_string().unwrap_or_default();
        out.extend([".jsonl", ".csv", ".sig"].iter().filter_map(|s| number_of(&name, system, s)));
    }
    Ok(out)
}

/// Checks one batch: its signature, that it says this system and number, and both files' SHA-256.
pub fn batch(dir: &Path, system: &str, seq: i64, public: &[u8]) -> Result<Manifest, FileError> {
    let base = base_name(system, seq);
    let sig_path = dir.join(format!("{base}.sig"));
    let text = std::fs::read_to_string(&sig_path).map_err(|e| {
        FileError::Sequence(format!("batch {seq}: {} cannot be read ({})", sig_path.display(), e.kind()))
    })?;
    let m = sign::verify(&text, public).map_err(|e| FileError::Signature(format!("batch {seq}: {e}")))?;
    if m.system != system || m.seq != seq {
        return Err(FileError::Signature(format!(
            "batch {seq}: its signature is for system `{}` batch {} (a renamed file)",
            m.system, m.seq
        )));
    }
    let wanted = [format!("{base}.jsonl"), format!("{base}.csv")];
    if m.files.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>()
        != wanted.iter().map(String::as_str).collect::<Vec<_>>()
    {
        return Err(FileError::Signature(format!(
            "batch {seq}: its signature does not name {} and {}",
            wanted[0], wanted[1]
        )));
    }
    for (name, sha) in &m.files {
        let bytes = std::fs::read(dir.join(name))
            .map_err(|e| FileError::Sequence(format!("batch {seq}: {name} cannot be read ({})", e.kind())))?;
        if hex::encode(Sha256::digest(&bytes)) != *sha {
            return Err(FileError::Signature(format!(
                "batch {seq}: {name} is not the file tobira signed (changed after signing)"
            )));
        }
    }
    Ok(m)
}

/// Verifies the batches of `system` in `dir` after `last` (the last number imported): they must be
/// `last + 1`, `last + 2`, … without a gap, each signed by `public_pem`'s key. On failure, returns
/// what verified before it with the error.
pub fn dir(dir: &Path, system: &str, public_pem: &str, last: i64) -> Result<Verified, (Verified, FileError)> {
    let mut done = Verified { batches: Vec::new(), last };
    let public = sign::parse_public_pem(public_pem).map_err(|e| (done.clone(), e))?;
    let found = numbers(dir, system).map_err(|e| (done.clone(), e))?;
    for n in found.into_iter().filter(|n| *n > last) {
        let expected = done.last + 1;
        if n != expected {
            let e = FileError::Sequence(format!(
                "batch {n} follows batch {}: batch {expected} is missing (a gap); import nothing after {}",
                done.last, done.last
            ));
            return Err((done, e));
        }
        if let Err(e) = batch(dir, system, n, &public) {
            return Err((done, e));
        }
        done.batches.push(n);
        done.last = n;
    }
    Ok(done)
}
