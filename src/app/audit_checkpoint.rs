//! Audit checkpoints as the service runs them (R-LG-02): the export of every record to the sinks
//! from a cursor, the chain's head sealed every `audit.checkpoint_seconds` (and at shutdown) with a
//! MAC under a key derived from the master key, appended to the checkpoint file (beside the database
//! by default) and sent to the export file and syslog; and the verification of the chain against
//! the checkpoints it can read back.
//!
//! Invariants: a checkpoint is written only after every record up to its head went to the sinks;
//! the checkpoint file is only ever appended to (mode 0600) and synced; a checkpoint whose MAC does
//! not verify is never trusted.

use super::audit_log::Exporter;
use super::AppError;
use crate::config::Config;
use crate::crypto::master_key::MasterKey;
use crate::store::{self, DbConnection};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use tobira_domain::audit::{AuditEvent, ChainHead, Outcome};
use tobira_domain::audit_checkpoint::{self as rules, Checkpoint, Finding};

/// The purpose the checkpoint MAC key is derived for.
pub const MAC_PURPOSE: &str = "audit-checkpoint";
/// How many of the newest checkpoints a verification compares the chain with.
const COMPARED: usize = 500;

/// Opens the configured sinks and resumes their export after the last record they already hold
/// (the export file's last line, or the latest checkpoint: a checkpoint follows its records out).
pub fn open_exporter(config: &Config) -> std::io::Result<Exporter> {
    let e = Exporter::open(&config.audit.export_file, &config.audit.syslog_socket)?;
    let from_file =
        (!config.audit.export_file.is_empty()).then(|| last_seq_in(Path::new(&config.audit.export_file))).flatten();
    let from_checkpoint = read(&config.checkpoint_path()).last().map(|c| c.seq);
    e.resume_after(from_file.into_iter().chain(from_checkpoint).max().unwrap_or(0));
    Ok(e)
}

/// The sequence number of the last record or checkpoint in an export file's tail.
fn last_seq_in(path: &Path) -> Option<i64> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    f.seek(SeekFrom::Start(len.saturating_sub(64 * 1024))).ok()?;
    let mut tail = String::new();
    f.read_to_string(&mut tail).ok()?;
    tail.lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find_map(|v| v["seq"].as_i64().or(v["checkpoint"]["seq"].as_i64()))
}

/// The checkpoints in a file (none when it does not exist).
pub fn read(path: &Path) -> Vec<Checkpoint> {
    std::fs::read_to_string(path).map(|t| rules::parse_lines(&t)).unwrap_or_default()
}

fn append_line(path: &Path, line: &str) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path)?;
    writeln!(f, "{line}")?;
    f.sync_all()
}

/// Where a checkpoint goes and what seals it.
pub struct Sealing<'a> {
    pub key: &'a MasterKey,
    pub exporter: &'a Exporter,
    pub path: &'a Path,
}

/// Exports what is new, then seals the head when it moved since `last` and `every_seconds` passed
/// (`None`: at once, as at shutdown): the checkpoint goes to the checkpoint file and the sinks.
pub fn seal(
    c: &mut DbConnection,
    s: &Sealing,
    last: Option<&Checkpoint>,
    every_seconds: Option<u32>,
    now: i64,
) -> Result<Option<Checkpoint>, AppError> {
    s.exporter.catch_up(c)?;
    let head = store::audit::head(c)?;
    let due = match every_seconds {
        Some(every) => rules::due(last, &head, now, every),
        None => head.seq > 0 && last.is_none_or(|l| l.seq != head.seq),
    };
    if !due {
        return Ok(None);
    }
    let mac = s.key.mac(MAC_PURPOSE, &rules::mac_input(head.seq, &head.hash, now));
    let cp = Checkpoint { seq: head.seq, hash: head.hash, sealed_at: now, mac };
    let line = cp.to_line();
    append_line(s.path, &line)
        .map_err(|e| AppError::AuditUnavailable(format!("checkpoint file {}: {e}", s.path.display())))?;
    s.exporter.export_line(&line, now);
    Ok(Some(cp))
}

/// The outcome of `tobira audit verify`.
pub struct Report {
    pub verification: store::audit::Verification,
    /// The newest checkpoint whose MAC verified, and where it was read.
    pub latest: Option<(Checkpoint, PathBuf)>,
    pub findings: Vec<Finding>,
    /// The files that were read for checkpoints.
    pub sources: Vec<PathBuf>,
}

impl Report {
    /// A break in the chain, or a finding against the checkpoints.
    pub fn failed(&self) -> bool {
        self.verification.first_break.is_some() || !self.findings.is_empty()
    }
}

/// Walks the chain and judges it against the checkpoints in the checkpoint file and the export file;
/// the verification is recorded (`audit.verified`, by `actor`).
pub fn verify(
    c: &mut DbConnection,
    key: Option<&MasterKey>,
    config: &Config,
    actor: &str,
    now: i64,
) -> Result<Report, AppError> {
    let mut sources = vec![config.checkpoint_path()];
    if !config.audit.export_file.is_empty() {
        sources.push(PathBuf::from(&config.audit.export_file));
    }
    let (mut valid, mut forged) = (Vec::new(), 0);
    for path in &sources {
        for cp in read(path) {
            match key {
                Some(k) if k.verify_mac(MAC_PURPOSE, &rules::mac_input(cp.seq, &cp.hash, cp.sealed_at), &cp.mac) => {
                    valid.push((cp, path.clone()))
                }
                Some(_) => forged += 1,
                None => {}
            }
        }
    }
    valid.sort_by_key(|(cp, _)| (cp.seq, cp.sealed_at));
    valid.dedup_by(|a, b| a.0 == b.0);
    // After a pruning (R-LG-01) the chain starts at its anchor: checkpoints of the deleted prefix
    // are history; one sealed at the anchor itself must match the anchor's hash.
    let anchor = store::audit_holds::latest_anchor(c)?;
    let from = anchor.as_ref().map_or(0, |a| a.seq);
    let compared: Vec<Checkpoint> =
        valid.iter().rev().filter(|(cp, _)| cp.seq >= from).take(COMPARED).map(|(cp, _)| cp.clone()).collect();
    let verification = store::audit::verify(c, 1_000)?;
    let seqs: Vec<i64> = compared.iter().map(|cp| cp.seq).collect();
    let mut hashes = store::audit::hashes_at(c, &seqs)?;
    if let Some(a) = &anchor {
        hashes.insert(a.seq, a.hash.clone());
    }
    let head = ChainHead { seq: store::audit::head(c)?.seq.max(from), hash: String::new() };
    let mut findings =
        rules::judge(&compared, forged, &head, |s| hashes.get(&s).cloned(), verification.first_break.as_ref());
    if let Some(a) = &anchor {
        if !super::legal_hold::anchor_attested(c, a)? {
            findings.push(Finding::UnattestedAnchor { seq: a.seq });
        }
    }
    let report = Report { verification, latest: valid.pop(), findings, sources };
    // The verification itself goes on record, so reports and /metrics show when the chain was last
    // checked and how it went.
    let v = &report.verification;
    let event = AuditEvent::new(actor, "audit.verified", "audit_events")
        .with_outcome(if report.failed() { Outcome::Failure } else { Outcome::Success })
        .with_details(json!({
            "checked": v.checked,
            "first_bad_seq": v.first_break.as_ref().map(|b| b.first_bad_seq()),
            "break": v.first_break.as_ref().map(|b| b.to_string()),
            "checkpoint_seq": report.latest.as_ref().map(|(cp, _)| cp.seq),
            "findings": report.findings.iter().map(|f| f.to_string()).collect::<Vec<_>>(),
        }));
    super::audit_log::record_alone(c, now, event)?;
    Ok(report)
}
