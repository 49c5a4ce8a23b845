//! `tobira audit verify` and `tobira audit checkpoint` (R-LG-02): the hash chain walked and judged
//! against the newest checkpoints whose MAC verifies (truncation, recomputation, gaps named), and a
//! checkpoint sealed by hand (for a node that is not serving, or before a backup).

use std::process::ExitCode;
use tobira::app::audit_checkpoint::{self, Sealing};
use tobira::app::clock::{Clock, SystemClock};
use tobira::config::Config;
use tobira::crypto::master_key::MasterKey;
use tobira::startup;
use tobira_domain::time_util::rfc3339_utc;

/// The master key, without creating one: a verification with a new key would call every checkpoint forged.
fn existing_key(config: &Config) -> anyhow::Result<Option<MasterKey>> {
    let path = config.master_key_path();
    if !path.exists() {
        return Ok(None);
    }
    Ok(Some(MasterKey::load_or_create(&path)?.0))
}

pub fn verify(config: &Config) -> anyhow::Result<ExitCode> {
    // Not migrated: a verification (and a checkpoint before a backup) checks the database as it is,
    // and must not change its schema first.
    let mut conn = startup::connection(config)?;
    let key = existing_key(config)?;
    let r = audit_checkpoint::verify(&mut conn, key.as_ref(), config, "system:cli", SystemClock.now_ms())?;
    let v = &r.verification;
    match &v.first_break {
        None => println!("audit chain intact: {} records; head #{} {}", v.checked, v.head.seq, v.head.hash),
        Some(b) => {
            println!("audit chain BROKEN at record #{}: {b}", b.first_bad_seq());
            println!(
                "{} records verified before the break; last intact record #{} {}",
                v.checked, v.head.seq, v.head.hash
            );
        }
    }
    let sources = r.sources.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
    match (&r.latest, &key) {
        (_, None) => println!("checkpoints NOT checked: no master key at {}", config.master_key_path().display()),
        (Some((cp, path)), _) => {
            println!("latest checkpoint: record #{} sealed {} ({})", cp.seq, rfc3339_utc(cp.sealed_at), path.display())
        }
        (None, _) => {
            println!("no checkpoint found in {sources}: a truncation or a recomputed chain cannot be detected")
        }
    }
    for f in &r.findings {
        println!("{f}");
    }
    Ok(if r.failed() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

pub fn checkpoint(config: &Config) -> anyhow::Result<ExitCode> {
    let mut conn = startup::connection(config)?;
    let (key, _) = MasterKey::load_or_create(&config.master_key_path())?;
    let exporter = audit_checkpoint::open_exporter(config)?;
    let path = config.checkpoint_path();
    let last = audit_checkpoint::read(&path).pop();
    match audit_checkpoint::seal(
        &mut conn,
        &Sealing { key: &key, exporter: &exporter, path: &path },
        last.as_ref(),
        None,
        SystemClock.now_ms(),
    )? {
        Some(cp) => println!("checkpoint: record #{} {} → {}", cp.seq, cp.hash, path.display()),
        None => println!("no new records since the last checkpoint"),
    }
    Ok(ExitCode::SUCCESS)
}
