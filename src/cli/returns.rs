//! `tobira returns …`: the authenticators listed for return (R-LC-15) and an officer's record of each
//! as returned, destroyed or lost (R-AU-12), which revokes its credential.

use clap::{Subcommand, ValueEnum};
use std::process::ExitCode;
use tobira::app::clock::{Clock, SystemClock};
use tobira::app::signin::Origin;
use tobira::app::{returns, AppError};
use tobira::config::Config;
use tobira::startup;
use tobira_domain::lifecycle::handback::ReturnStatus;
use tobira_domain::time_util::jst_display;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Status {
    Due,
    Returned,
    Destroyed,
    Lost,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Recorded {
    Returned,
    Destroyed,
    Lost,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Subcommand)]
pub enum ReturnsCommand {
    /// The listed authenticators (default: those still due).
    List {
        #[arg(long, value_enum, default_value = "due")]
        status: Status,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Record one as returned, destroyed or lost; its credential is revoked (lost: its sessions end too).
    Record {
        id: String,
        #[arg(long, value_enum)]
        action: Recorded,
        #[arg(long)]
        note: Option<String>,
    },
}

fn status_of(s: Status) -> Option<ReturnStatus> {
    match s {
        Status::Due => Some(ReturnStatus::Due),
        Status::Returned => Some(ReturnStatus::Returned),
        Status::Destroyed => Some(ReturnStatus::Destroyed),
        Status::Lost => Some(ReturnStatus::Lost),
        Status::All => None,
    }
}

fn status_ja(s: &str) -> &'static str {
    ReturnStatus::parse(s).map_or("?", ReturnStatus::ja)
}

/// Exit codes: 0 done, 1 refused (unknown return, already recorded), 2 error.
pub fn run(config: &Config, command: ReturnsCommand) -> anyhow::Result<ExitCode> {
    let mut conn = startup::migrated_connection(config)?;
    match command {
        ReturnsCommand::List { status, format } => {
            let list = returns::list(&mut conn, status_of(status))?;
            if format == Format::Json {
                println!("{}", serde_json::json!({ "returns": list }));
                return Ok(ExitCode::SUCCESS);
            }
            println!("認証媒体の返却 / authenticator returns: {} 件", list.len());
            for r in &list {
                println!(
                    "  {}  {:<8} {:<10} {:<14} {} — {}（{}）{}",
                    r.id,
                    status_ja(&r.status),
                    r.employee_number,
                    r.kind,
                    r.label,
                    r.listed_reason,
                    jst_display(r.listed_at),
                    r.recorded_by.as_deref().map(|b| format!(" 記録 {b}")).unwrap_or_default()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        ReturnsCommand::Record { id, action, note } => {
            let to = match action {
                Recorded::Returned => ReturnStatus::Returned,
                Recorded::Destroyed => ReturnStatus::Destroyed,
                Recorded::Lost => ReturnStatus::Lost,
            };
            match returns::record(
                &mut conn,
                &id,
                to,
                note.as_deref(),
                &super::operator_name(),
                &Origin::default(),
                SystemClock.now_ms(),
            ) {
                Ok(r) => {
                    let revoked = if r.credential_revoked {
                        "認証情報を失効しました / credential revoked"
                    } else {
                        "認証情報は既に削除済み / credential already removed"
                    };
                    println!(
                        "{}: {} / {} — {revoked}; セッション終了 / sessions ended: {}",
                        r.record.id,
                        to.ja(),
                        to.as_str(),
                        r.sessions_ended
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e @ (AppError::Conflict(_) | AppError::Invalid(_) | AppError::NotFound(_))) => {
                    eprintln!("tobira: returns: {e}");
                    Ok(ExitCode::from(1))
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}
