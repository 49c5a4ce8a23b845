//! `tobira admin …`: the first security officer (bootstrap), and the server console's way back in
//! when sign-in is closed to the officers (unlock, recover; issue 18). Each names the operating-
//! system user who ran it (`operator:NAME`) in the audit log.

use clap::Subcommand;
use std::process::ExitCode;
use tobira::app::clock::{Clock, SystemClock};
use tobira::app::AppError;
use tobira::config::Config;
use tobira::startup;

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create the first security-officer account and print its temporary password once.
    Bootstrap {
        /// Login ID (default: the policy's privileged prefix, `so-` and 10 random characters).
        #[arg(long)]
        login_id: Option<String>,
    },
    /// Lift every lock of an account (in every network), with a reason for the audit log.
    Unlock {
        login_id: String,
        #[arg(long)]
        reason: String,
    },
    /// Give a locked or lost security officer a new temporary password (the sole officer when none
    /// is named). Runs only on a server node: it needs the database and the master key.
    Recover {
        #[arg(long)]
        login_id: Option<String>,
        #[arg(long)]
        reason: String,
    },
}

pub fn run(config: &Config, command: AdminCommand) -> anyhow::Result<ExitCode> {
    let policy = startup::policy(config)?;
    let mut conn = startup::migrated_connection(config)?;
    let now = SystemClock.now_ms();
    let operator = super::operator_name();
    let result = match command {
        AdminCommand::Bootstrap { login_id } => {
            tobira::app::policy::record(&mut conn, &policy, now)?;
            tobira::app::bootstrap::run(&mut conn, &policy, now, login_id).map(|b| {
                println!("セキュリティ担当アカウントを作成しました / Security officer account created");
                println!("  login ID:           {}", b.login_id);
                println!("  temporary password: {}", b.temporary_password);
                println!("この仮パスワードは一度だけ表示されます。初回サインイン時に変更が必要です。");
                println!("This temporary password is shown only once and must be changed at first sign-in.");
            })
        }
        AdminCommand::Unlock { login_id, reason } => {
            tobira::app::recovery::unlock(&mut conn, &login_id, &reason, &operator, now).map(|scopes| {
                if scopes.is_empty() {
                    println!("{login_id}: ロックされていませんでした（記録しました） / was not locked (recorded)");
                } else {
                    println!("{login_id}: ロックを解除しました / unlocked ({})", scopes.join(", "));
                }
            })
        }
        AdminCommand::Recover { login_id, reason } => {
            // The master key proves the console is a server node's: a copy of the database alone is not enough.
            let path = config.master_key_path();
            if !path.exists() {
                anyhow::bail!(
                    "no master key at {}: recover runs on a server node (crypto.master_key_file)",
                    path.display()
                );
            }
            tobira::crypto::master_key::MasterKey::load_or_create(&path)?;
            tobira::app::recovery::recover(&mut conn, &policy, login_id.as_deref(), &reason, &operator, now).map(|r| {
                println!("仮パスワードを発行しました / Temporary password issued");
                println!("  login ID:           {}", r.login_id);
                println!("  temporary password: {}", r.temporary_password);
                println!("この仮パスワードは一度だけ表示されます。初回サインイン時に変更が必要です。");
                println!("This temporary password is shown only once and must be changed at first sign-in.");
            })
        }
    };
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(AppError::Conflict(m) | AppError::Invalid(m) | AppError::NotFound(m)) => {
            eprintln!("tobira: refused: {m}");
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}
