//! `tobira provisioning status|retry SYSTEM`: a provisioned system's queue, and putting its stopped
//! items back after the cause was fixed (R-LC-01, R-LC-03).

use clap::Subcommand;
use std::process::ExitCode;
use tobira::app::clock::{Clock, SystemClock};
use tobira::app::provisioning::ops;
use tobira::app::AppError;
use tobira::config::Config;
use tobira::startup;
use tobira::store;
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
}

/// Exit codes: 0 done, 1 refused (a system without provisioning), 2 error.
pub fn run(config: &Config, command: ProvisioningCommand) -> anyhow::Result<ExitCode> {
    let policy = startup::policy(config)?;
    let mut conn = startup::connection(config)?;
    store::migrate(&mut conn)?;
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
            println!("{}: 待ち / pending {}、停止 / stopped {}、完了 / done {}、最古の待ち / oldest pending {oldest}", s.system, s.queue.pending, s.queue.stopped, s.queue.done);
            for r in &s.recent {
                println!("  {}  {:<10} {:<12} {:<8} {} 回 / attempts  {}  {}", jst_display(r.created_at), r.event, r.why, r.status, r.attempts, r.account_id, r.last_error.as_deref().unwrap_or(""));
            }
            Ok(ExitCode::SUCCESS)
        }
        ProvisioningCommand::Retry { system } => match ops::retry(&mut conn, &policy, &system, &super::operator_name(), SystemClock.now_ms()) {
            Ok(n) => {
                println!("{system}: 停止中の {n} 件を再送待ちに戻しました / {n} stopped items queued again");
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => refused(e),
        },
    }
}
