//! `tobira shared-id …`: who may use a shared ID (共用ID) and who permitted it (R-AU-08).

use clap::Subcommand;
use std::process::ExitCode;
use tobira::app::clock::{Clock, SystemClock};
use tobira::app::signin::Origin;
use tobira::app::{shared_ids, AppError};
use tobira::config::Config;
use tobira::startup;
use tobira_domain::time_util::jst_display;

#[derive(Subcommand)]
pub enum SharedIdCommand {
    /// The current users of a shared ID.
    List { login: String },
    /// Register a user, with the employee number of the 情報システム管理者 who permitted it.
    Add {
        login: String,
        #[arg(long)]
        person: String,
        #[arg(long)]
        permitted_by: String,
    },
    /// End a user's use of a shared ID.
    Remove {
        login: String,
        #[arg(long)]
        person: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
}

/// Exit codes: 0 done, 1 refused (not a shared ID, unknown person, already or not a user), 2 error.
pub fn run(config: &Config, command: SharedIdCommand) -> anyhow::Result<ExitCode> {
    let mut conn = startup::migrated_connection(config)?;
    let (by, origin, now) = (super::operator_name(), Origin::default(), SystemClock.now_ms());
    let result = match &command {
        SharedIdCommand::List { login } => shared_ids::list(&mut conn, login).map(|users| {
            println!("共用ID {login} の利用者 / users: {} 名", users.len());
            for u in users {
                println!(
                    "  {:<10} {:<12} 許可 / permitted by {:<10} 登録 {} {}",
                    u.employee_number,
                    u.name,
                    u.permitted_by,
                    u.added_by,
                    jst_display(u.added_at)
                );
            }
        }),
        SharedIdCommand::Add { login, person, permitted_by } => {
            shared_ids::add(&mut conn, login, person, permitted_by, &by, &origin, now)
                .map(|()| println!("登録しました / added: {person} → {login}（許可 {permitted_by}）"))
        }
        SharedIdCommand::Remove { login, person, reason } => {
            shared_ids::remove(&mut conn, login, person, reason, &by, &origin, now)
                .map(|()| println!("削除しました / removed: {person} ✕ {login}"))
        }
    };
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e @ (AppError::Conflict(_) | AppError::Invalid(_) | AppError::NotFound(_))) => {
            eprintln!("tobira: shared-id: {e}");
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}
