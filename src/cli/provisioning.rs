//! `tobira provisioning status|retry|reconcile SYSTEM`: a provisioned system's queue, putting its
//! stopped items back after the cause was fixed (R-LC-01, R-LC-03), and its drift (R-LC-04);
//! `public-key` and `verify-file` for the file connector across the air gap (R-ZN-04).

use clap::Subcommand;
use std::process::ExitCode;
use tobira::app::clock::{Clock, SystemClock};
use tobira::app::provisioning::{files, ops, reconcile};
use tobira::app::AppError;
use tobira::config::Config;
use tobira::startup;
use tobira_domain::time_util::jst_display;

#[derive(Subcommand)]
pub enum ProvisioningCommand {
    /// The queue of a system: items waiting, stopped, the oldest waiting, the newest items.
    Status {
        system: String,
        #[arg(long)]
        json: bool,
    },
    /// Put a system's stopped items back in the queue (after fixing what stopped them).
    Retry { system: String },
    /// Compare the system's Users with what tobira sent: orphans, missing, wrong attributes (R-LC-04).
    /// With --repair, queue the fixes (orphans only deactivated, within the HR sync's removal limits).
    Reconcile {
        system: String,
        #[arg(long)]
        repair: bool,
        #[arg(long)]
        json: bool,
    },
    /// The public key (PEM) the zone side verifies a file system's batches with (made at first use).
    PublicKey { system: String },
    /// The zone side's check before an import: the batches after --last follow on without a gap and
    /// carry tobira's signature. Needs no database. Exit 0 good, 1 a gap or a bad signature, 2 error.
    VerifyFile {
        dir: std::path::PathBuf,
        system: String,
        /// The PEM file `tobira provisioning public-key` printed.
        #[arg(long)]
        public_key: std::path::PathBuf,
        /// The last batch number already imported (0: none).
        #[arg(long, default_value_t = 0)]
        last: i64,
    },
}

/// `verify-file`: prints each good batch and the new last number; on a gap or a bad signature the
/// reason, and exit 1.
pub fn verify_file(
    dir: &std::path::Path,
    system: &str,
    public_key: &std::path::Path,
    last: i64,
) -> anyhow::Result<ExitCode> {
    let pem =
        std::fs::read_to_string(public_key).map_err(|e| anyhow::anyhow!("{}: {}", public_key.display(), e.kind()))?;
    let (done, err) = match files::verify::dir(dir, system, &pem, last) {
        Ok(v) => (v, None),
        Err((v, e)) => (v, Some(e)),
    };
    for n in &done.batches {
        println!("{}: 署名・連番とも正しい / signature and number good", files::base_name(system, *n));
    }
    match err {
        None if done.batches.is_empty() => println!("{system}: {last} より後の束はありません / no batch after {last}"),
        None => println!("{system}: 取込可能 / ready to import up to {} (record --last {})", done.last, done.last),
        Some(e) => {
            eprintln!("tobira: verify-file: 拒否 / refused: {e}");
            if !done.batches.is_empty() {
                eprintln!("tobira: verify-file: batches up to {} are good; import nothing after them", done.last);
            }
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Exit codes: 0 done, 1 refused (a system without provisioning, a file system's reconciliation, a
/// gap or a bad signature for verify-file), 2 error, 3 (reconcile) deactivations held beyond the
/// removal limits.
pub fn run(config: &Config, command: ProvisioningCommand) -> anyhow::Result<ExitCode> {
    if let ProvisioningCommand::VerifyFile { dir, system, public_key, last } = &command {
        return verify_file(dir, system, public_key, *last);
    }
    let policy = startup::policy(config)?;
    let mut conn = startup::migrated_connection(config)?;
    let refused = |e: AppError| -> anyhow::Result<ExitCode> {
        match e {
            AppError::NotFound(_) | AppError::Invalid(_) => {
                eprintln!("tobira: provisioning: {e}");
                Ok(ExitCode::from(1))
            }
            e => Err(e.into()),
        }
    };
    match command {
        ProvisioningCommand::Status { system, json } => {
            let s = match ops::status(&mut conn, &policy, &system, 20) {
                Ok(s) => s,
                Err(e) => return refused(e),
            };
            if json {
                println!("{}", serde_json::to_string(&s)?);
                return Ok(ExitCode::SUCCESS);
            }
            let oldest = s.queue.oldest_pending_at.map(jst_display).unwrap_or_else(|| "—".into());
            println!(
                "{}: 待ち / pending {}、停止 / stopped {}、完了 / done {}、最古の待ち / oldest pending {oldest}",
                s.system, s.queue.pending, s.queue.stopped, s.queue.done
            );
            if let Some(f) = &s.files {
                let receipt = f.last_receipt.map_or_else(|| "—".into(), |(n, at)| format!("{n} ({})", jst_display(at)));
                println!(
                    "  ファイル連携 / file batches: 最終書出 / last written {}、最終受領 / last receipt {receipt}、受領待ち / awaiting receipt {}、送付済 / sent items {}",
                    f.last_written,
                    f.awaiting.len(),
                    s.queue.sent
                );
                for (n, at, items) in &f.awaiting {
                    println!(
                        "    受領待ち / awaiting  {}  {}  {items} 件 / items",
                        files::base_name(&s.system, *n),
                        jst_display(*at)
                    );
                }
            }
            match &s.last_reconciliation {
                Some(l) if l.error.is_some() => println!("最後の照合 / last reconciliation {}: 失敗 / failed: {}", jst_display(l.ran_at), l.error.as_deref().unwrap_or("")),
                Some(l) => println!(
                    "最後の照合 / last reconciliation {}{}: 孤立 / orphans {}、不足 / missing {}、相違 / wrong {}、他の発行元 / foreign {}、キュー投入 / queued {}{}",
                    jst_display(l.ran_at),
                    if l.repair { " (repair)" } else { "" },
                    l.orphans,
                    l.missing,
                    l.wrong,
                    l.foreign_users,
                    l.queued,
                    if l.held.is_empty() { String::new() } else { format!("、保留 / held: {}", l.held) }
                ),
                None => println!("最後の照合 / last reconciliation: —"),
            }
            for r in &s.recent {
                println!(
                    "  {}  {:<10} {:<12} {:<8} {} 回 / attempts  {}  {}",
                    jst_display(r.created_at),
                    r.event,
                    r.why,
                    r.status,
                    r.attempts,
                    r.account_id,
                    r.last_error.as_deref().unwrap_or("")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        ProvisioningCommand::PublicKey { system } => match files::public_key(
            &mut conn,
            &policy,
            &config.master_key_path(),
            &system,
            &super::operator_name(),
            SystemClock.now_ms(),
        ) {
            Ok(pem) => {
                print!("{pem}");
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => refused(e),
        },
        ProvisioningCommand::VerifyFile { dir, system, public_key, last } => {
            verify_file(&dir, &system, &public_key, last)
        }
        ProvisioningCommand::Retry { system } => {
            match ops::retry(&mut conn, &policy, &system, &super::operator_name(), None, SystemClock.now_ms()) {
                Ok(n) => {
                    println!("{system}: 停止中の {n} 件を再送待ちに戻しました / {n} stopped items queued again");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => refused(e),
            }
        }
        ProvisioningCommand::Reconcile { system, repair, json } => {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let report =
                match rt.block_on(reconcile::list_users(&policy, &system, SystemClock.now_ms())).and_then(|l| {
                    reconcile::record(
                        &mut conn,
                        &policy,
                        &system,
                        &l,
                        repair,
                        &super::operator_name(),
                        SystemClock.now_ms(),
                    )
                }) {
                    Ok(r) => r,
                    Err(e) => return refused(e),
                };
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                print_drift(&report);
            }
            Ok(if report.held() { ExitCode::from(3) } else { ExitCode::SUCCESS })
        }
    }
}

fn print_drift(r: &reconcile::Report) {
    let d = &r.drift;
    println!(
        "{}: 一覧 / listed {}、孤立 / orphans {}、不足 / missing {}、属性の相違 / wrong {}、他の発行元 / foreign {}",
        r.system,
        d.listed,
        d.orphans.len(),
        d.missing.len(),
        d.wrong.len(),
        d.foreign
    );
    println!("  {:<10} {:<24} {:<38} 詳細 / detail", "種別/kind", "userName", "id / account");
    for o in &d.orphans {
        println!(
            "  {:<10} {:<24} {:<38} externalId {}, {}",
            "orphan",
            o.user_name,
            o.id,
            o.external_id.as_deref().unwrap_or("—"),
            if o.active { "active" } else { "inactive" }
        );
    }
    for m in &d.missing {
        println!("  {:<10} {:<24} {:<38}", "missing", "", m);
    }
    for w in &d.wrong {
        println!("  {:<10} {:<24} {:<38} {}", "wrong", w.user_name, w.account_id, w.attributes.join(", "));
    }
    for h in &d.held {
        println!("保留 / held: {h}; 孤立アカウントの無効化は行いません / orphans are not deactivated");
    }
    if r.repair {
        println!("{} 件を送信待ちにしました / {} items queued", r.queued, r.queued);
    } else if !d.is_clean() {
        println!("修復するには --repair / run with --repair to queue the fixes");
    }
}
