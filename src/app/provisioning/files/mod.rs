//! The file connector across the air gap (R-ZN-04): a system of the My Number zone is not reached
//! over the network, so a delivery round writes its changes as one signed, numbered batch
//! (`<system>-<seq:06>.jsonl`, `.csv`, `.sig`) in `out_dir` for the city's approved medium, and
//! reads back the zone side's receipts (`<system>-<seq:06>.receipt.json`) to mark items applied
//! ([`receipt`]). The zone side checks the numbering and the signatures with [`verify`].
//!
//! Invariants: a batch is recorded (with its files) in the same transaction that marks its items
//! `sent`, then published by hard link, so a number is never overwritten and a round cut short
//! publishes the same bytes at the next round; items are done only by a receipt.

pub mod format;
pub mod receipt;
pub mod sign;
pub mod verify;

use super::round::{Round, ACTOR};
use crate::app::AppError;
use crate::crypto::master_key::MasterKey;
use crate::store::{self, provisioning::Item, provisioning_files as sf, DbConnection};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use tobira_domain::audit::{AuditEvent, Outcome};
use tobira_domain::policy::provisioning::Provisioning;
use tobira_domain::policy::Policy;

/// What can go wrong with the files of a batch, a receipt or a key.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{path}: {reason}")]
    Io { path: String, reason: String },
    #[error("signing key: {0}")]
    Key(String),
    #[error("signature: {0}")]
    Signature(String),
    #[error("{0}")]
    Exists(String),
    /// A gap in the numbering, a file missing or changed.
    #[error("{0}")]
    Sequence(String),
}

impl From<FileError> for AppError {
    fn from(e: FileError) -> AppError {
        let ja = match &e {
            FileError::Io { path, reason } => format!("{path} を読み書きできません（{reason}）"),
            FileError::Key(why) => format!("署名鍵を扱えません：{why}"),
            FileError::Signature(why) => format!("署名を確認できません：{why}"),
            FileError::Exists(why) => format!("ファイルが既にあります（上書きしません）：{why}"),
            FileError::Sequence(why) => format!("バッチの連番またはファイルに不備があります：{why}"),
        };
        AppError::invalid("file_settings_invalid", ja, e.to_string())
    }
}

/// The base name of batch `seq` of `system`.
pub fn base_name(system: &str, seq: i64) -> String {
    format!("{system}-{seq:06}")
}

/// The number of a file named `<system>-<digits><suffix>`.
pub fn number_of(name: &str, system: &str, suffix: &str) -> Option<i64> {
    let digits = name.strip_prefix(system)?.strip_prefix('-')?.strip_suffix(suffix)?;
    (digits.len() >= 6 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.parse().ok()).flatten()
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> FileError + '_ {
    move |e| FileError::Io { path: path.display().to_string(), reason: e.kind().to_string() }
}

/// Writes `bytes` to `path` atomically (a temporary file, then a hard link) and never over an
/// existing file.
pub fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), FileError> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut nonce = [0u8; 8];
    crate::crypto::random_bytes(&mut nonce).map_err(|e| FileError::Key(e.to_string()))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", hex::encode(nonce)));
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let written = o.open(&tmp).and_then(|mut f| f.write_all(bytes).and_then(|_| f.sync_all())).map_err(io_err(path));
    let linked = written.and_then(|_| match std::fs::hard_link(&tmp, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(FileError::Exists(format!(
            "{} exists already; tobira never overwrites a batch or a key",
            path.display()
        ))),
        Err(e) => Err(io_err(path)(e)),
    });
    let _ = std::fs::remove_file(&tmp);
    linked
}

/// One delivery round of a file system: receipts first (in number order), overdue receipts, any
/// batch not yet published, then a new batch of what is pending.
pub fn round(
    c: &mut DbConnection,
    p: &Provisioning,
    master: &MasterKey,
    system: &str,
    now: i64,
    r: &mut Round,
) -> Result<(), AppError> {
    receipt::take_all(c, p, system, now, r)?;
    overdue(c, p, system, now)?;
    publish_pending(c, p, system)?;
    write_batch(c, p, master, system, now, r)
}

/// A finding (once) for every batch whose receipt is later than `receipt_max_hours`.
fn overdue(c: &mut DbConnection, p: &Provisioning, system: &str, now: i64) -> Result<(), AppError> {
    let limit = i64::from(p.receipt_max_hours()) * 3_600_000;
    let late: Vec<sf::Batch> = sf::awaiting(c, system)?
        .into_iter()
        .filter(|b| b.overdue_at.is_none() && now >= b.written_at + limit)
        .collect();
    for b in late {
        store::write_tx(c, |c| -> Result<(), AppError> {
            let detail = format!(
                "batch {} of {system} was written {} h ago and its receipt has not come back (receipt_max_hours {})",
                b.seq,
                (now - b.written_at) / 3_600_000,
                p.receipt_max_hours()
            );
            store::review::insert_findings(
                c,
                vec![finding(
                    format!("provisioning-receipt:{system}:{}", b.seq),
                    "provisioning_receipt_overdue",
                    system,
                    &base_name(system, b.seq),
                    &detail,
                    now,
                )],
            )?;
            sf::set_overdue(c, system, b.seq, now)?;
            let e = AuditEvent::new(ACTOR, "provisioning.receipt_overdue", format!("system:{system}"))
                .with_outcome(Outcome::Failure)
                .with_details(json!({ "system": system, "batch": b.seq, "written_at": b.written_at }));
            store::audit::append(c, now, vec![e])?;
            Ok(())
        })?;
    }
    Ok(())
}

pub(crate) fn finding(
    key: String,
    kind: &str,
    subject: &str,
    evidence: &str,
    detail: &str,
    now: i64,
) -> store::review::FindingRow {
    store::review::FindingRow {
        key,
        kind: kind.into(),
        subject: subject.into(),
        at: now,
        events: 1,
        evidence: evidence.into(),
        detail: detail.into(),
        found_at: now,
    }
}

/// Publishes the files of batches recorded but not yet in `out_dir`.
fn publish_pending(c: &mut DbConnection, p: &Provisioning, system: &str) -> Result<(), AppError> {
    for b in sf::unpublished(c, system)? {
        let files: BTreeMap<String, String> = serde_json::from_str(b.unpublished_json.as_deref().unwrap_or("{}"))
            .map_err(|e| store::StoreError::Integrity(format!("file batch {system}/{}: {e}", b.seq)))?;
        // The signature last: a batch is complete for the zone side once its .sig is there.
        let mut names: Vec<&String> = files.keys().collect();
        names.sort_by_key(|n| n.ends_with(".sig"));
        for name in names {
            let bytes = B64
                .decode(&files[name])
                .map_err(|e| store::StoreError::Integrity(format!("file batch {system}/{}: {e}", b.seq)))?;
            let path = Path::new(p.out_dir()).join(name);
            match write_new(&path, &bytes, 0o640) {
                Ok(()) => {}
                // Published before the round was cut short: the same bytes are there.
                Err(FileError::Exists(_)) if std::fs::read(&path).is_ok_and(|there| there == bytes) => {}
                Err(e) => return Err(e.into()),
            }
        }
        sf::set_published(c, system, b.seq)?;
    }
    Ok(())
}

/// The pending items that go in the next batch: in order per person, one change per person, none
/// behind an earlier item of the same person that is not done; items that cannot be written are
/// stopped with a finding.
fn take(
    c: &mut DbConnection,
    p: &Provisioning,
    system: &str,
    now: i64,
    r: &mut Round,
) -> Result<Vec<(Item, format::Row)>, AppError> {
    let columns = format::attribute_columns(p);
    let mut waiting = BTreeSet::new();
    let mut out = Vec::new();
    for item in store::provisioning::pending(c, system, i64::from(p.batch))? {
        if waiting.contains(&item.account_id) || item.next_attempt_at > now || store::provisioning::blocked(c, &item)? {
            waiting.insert(item.account_id.clone());
            r.waiting += 1;
            continue;
        }
        let row =
            format::row(&item).and_then(|row| format::unencodable(&row, &columns, p.encoding()).map_or(Ok(row), Err));
        match row {
            Ok(row) => {
                waiting.insert(item.account_id.clone());
                out.push((item, row));
            }
            Err(why) => {
                r.stopped += 1;
                waiting.insert(item.account_id.clone());
                store::write_tx(c, |c| -> Result<(), AppError> {
                    let e = stop(c, &item, &why, None, now)?;
                    store::audit::append(c, now, vec![e])?;
                    Ok(())
                })?;
            }
        }
    }
    Ok(out)
}

/// Stops an item with a finding (a row that cannot be written, or a failed row of a receipt);
/// returns its audit event. Call inside the caller's transaction.
pub(crate) fn stop(
    c: &mut DbConnection,
    item: &Item,
    why: &str,
    batch: Option<i64>,
    now: i64,
) -> Result<AuditEvent, AppError> {
    store::provisioning::stop(c, &item.id, item.attempts + 1, why, now)?;
    let subject = format!("{}:{}", item.system_id, item.account_id);
    store::review::insert_findings(
        c,
        vec![finding(format!("provisioning:{}", item.id), "provisioning_stopped", &subject, &item.id, why, now)],
    )?;
    Ok(AuditEvent::new(ACTOR, "provisioning.stopped", format!("account-id:{}", item.account_id))
        .with_outcome(Outcome::Failure)
        .with_details(json!({ "system": item.system_id, "event": item.event, "why": item.why, "item": item.id, "seq": item.seq, "batch": batch, "error": why })))
}

/// The system's signing key, made (and its making audited, by `by`) when it does not exist yet.
fn signing_key(
    c: &mut DbConnection,
    p: &Provisioning,
    master: &MasterKey,
    system: &str,
    by: &str,
    now: i64,
) -> Result<aws_lc_rs::signature::Ed25519KeyPair, AppError> {
    let (pair, made) = sign::load_or_create(Path::new(p.signing_key_file()), master)?;
    if made {
        let e = AuditEvent::new(by, "provisioning.file_key_created", format!("system:{system}"))
            .with_details(json!({ "system": system, "file": p.signing_key_file() }));
        crate::app::audit_log::record_alone(c, now, e)?;
    }
    Ok(pair)
}

/// `tobira provisioning public-key SYSTEM`: the public key (PEM) the zone side verifies batches
/// with, the key made first when none exists. Runs on a server node: the master key at
/// `master_key_path` opens (or seals) the signing key.
pub fn public_key(
    c: &mut DbConnection,
    policy: &Policy,
    master_key_path: &Path,
    system: &str,
    by: &str,
    now: i64,
) -> Result<String, AppError> {
    let p = policy
        .systems
        .iter()
        .find(|s| s.id.get_ref() == system)
        .and_then(|s| s.provisioning.as_ref())
        .filter(|p| p.is_file())
        .ok_or_else(|| {
            AppError::not_found(
                "system_not_provisioned",
                format!("システム `{system}` には kind = \"file\" の [systems.provisioning] がありません"),
                format!("system `{system}` has no [systems.provisioning] of kind = \"file\""),
            )
        })?;
    if !master_key_path.exists() {
        return Err(AppError::invalid(
            "no_master_key",
            format!(
                "{} にマスター鍵がありません。サーバーのノードで実行してください（crypto.master_key_file）",
                master_key_path.display()
            ),
            format!(
                "no master key at {}: run this on a server node (crypto.master_key_file)",
                master_key_path.display()
            ),
        ));
    }
    let (master, _) = MasterKey::load_or_create(master_key_path)?;
    Ok(sign::public_pem(&signing_key(c, p, &master, system, by, now)?))
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn write_batch(
    c: &mut DbConnection,
    p: &Provisioning,
    master: &MasterKey,
    system: &str,
    now: i64,
    r: &mut Round,
) -> Result<(), AppError> {
    let taken = take(c, p, system, now, r)?;
    if taken.is_empty() {
        return Ok(());
    }
    let pair = signing_key(c, p, master, system, ACTOR, now)?;
    let seq = sf::next_seq(c, system)?;
    let base = base_name(system, seq);
    let rows: Vec<format::Row> = taken.iter().map(|(_, row)| row.clone()).collect();
    let jsonl = format::jsonl(seq, &rows).into_bytes();
    let csv = format::csv(seq, &rows, &format::attribute_columns(p), p.encoding())
        .map_err(|e| AppError::invalid("csv_not_written", format!("CSVを作成できません：{e}"), e))?;
    let (jsonl_name, csv_name, sig_name) = (format!("{base}.jsonl"), format!("{base}.csv"), format!("{base}.sig"));
    for name in [&jsonl_name, &csv_name, &sig_name] {
        if Path::new(p.out_dir()).join(name).exists() {
            return Err(FileError::Exists(format!(
                "{name} exists already in {} but tobira has no record of batch {seq}; tobira never overwrites a batch: move it aside after checking where it came from",
                p.out_dir()
            ))
            .into());
        }
    }
    let (jsonl_sha, csv_sha) = (sha256_hex(&jsonl), sha256_hex(&csv));
    let manifest = sign::Manifest {
        system: system.into(),
        seq,
        files: vec![(jsonl_name.clone(), jsonl_sha.clone()), (csv_name.clone(), csv_sha.clone())],
    };
    let sig = sign::signature_file(&manifest, &pair);
    let files: BTreeMap<String, String> =
        [(jsonl_name, B64.encode(&jsonl)), (csv_name, B64.encode(&csv)), (sig_name, B64.encode(sig.as_bytes()))].into();
    let ids: Vec<String> = taken.iter().map(|(i, _)| i.id.clone()).collect();
    let batch = sf::Batch {
        system_id: system.into(),
        seq,
        items_json: json!(ids).to_string(),
        jsonl_sha256: jsonl_sha.clone(),
        csv_sha256: csv_sha.clone(),
        written_at: now,
        receipt_at: None,
        applied: 0,
        failed: 0,
        overdue_at: None,
        unpublished_json: Some(json!(files).to_string()),
    };
    store::write_tx(c, |c| -> Result<(), AppError> {
        sf::insert(c, &batch, &ids)?;
        let mut events = vec![AuditEvent::new(ACTOR, "provisioning.file_written", format!("system:{system}")).with_details(json!({
            "system": system, "batch": seq, "items": ids.len(), "jsonl_sha256": jsonl_sha, "csv_sha256": csv_sha, "out_dir": p.out_dir(),
        }))];
        events.extend(taken.iter().map(|(i, _)| {
            AuditEvent::new(ACTOR, "provisioning.sent", format!("account-id:{}", i.account_id)).with_details(
                json!({ "system": system, "event": i.event, "why": i.why, "item": i.id, "seq": i.seq, "batch": seq }),
            )
        }));
        store::audit::append(c, now, events)?;
        Ok(())
    })?;
    r.written += taken.len();
    r.batch = Some(seq);
    publish_pending(c, p, system)
}
