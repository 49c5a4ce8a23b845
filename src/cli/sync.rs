//! `tobira sync`: run the HR sync, or show, approve or discard a held run. Plans print in Japanese
//! (a table) or as JSON.

use std::process::ExitCode;
use tobira::app::clock::{Clock, SystemClock};
use tobira::app::sync::{self, RunStatus, SyncOutcome};
use tobira::app::sync::{approval as sync_approval, hold as sync_hold};
use tobira::app::AppError;
use tobira::config::Config;
use tobira::startup;
use tobira_domain::lifecycle::{Action, Plan};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// Print the plan without changing anything.
    #[arg(long)]
    dry_run: bool,
    /// Read every entry (the only read that sees deletions); default: changed entries since the
    /// last run, or a full read when none has been done or one is due.
    #[arg(long)]
    full: bool,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Show a held run.
    #[arg(long, value_name = "RUN", conflicts_with_all = ["approve", "discard", "dry_run"])]
    show: Option<String>,
    /// Approve a held run: re-reads the directory, re-plans the people it touches and applies only
    /// what still holds. Needs --login and --code: a person named by `[approvals] sync_hold`, not
    /// who ran it, with a one-time code from their own authenticator.
    #[arg(long, value_name = "RUN", conflicts_with_all = ["discard", "dry_run"], requires_all = ["login", "code"])]
    approve: Option<String>,
    /// The approver's login ID (with --approve).
    #[arg(long, value_name = "LOGIN", requires = "approve")]
    login: Option<String>,
    /// The approver's current one-time code (TOTP) from their own authenticator (with --approve);
    /// `-` reads it from standard input.
    #[arg(long, value_name = "CODE", requires = "approve")]
    code: Option<String>,
    /// Discard a held run.
    #[arg(long, value_name = "RUN", conflicts_with = "dry_run")]
    discard: Option<String>,
}

fn describe(a: &Action) -> (&'static str, &str, String) {
    match a {
        Action::SavePerson { person } => (
            "人事情報の保存",
            &person.employee_number,
            format!("{} {} / {}", person.name_kanji, person.department_code, person.status.as_str()),
        ),
        Action::CreateAccount { employee_number, login_id, grants, .. } => (
            "アカウント作成",
            employee_number,
            format!("{login_id} ({})", grants.iter().map(|g| g.0.as_str()).collect::<Vec<_>>().join(", ")),
        ),
        Action::Reenable { employee_number, login_id, .. } => ("アカウント再開", employee_number, login_id.clone()),
        Action::Suspend { employee_number, login_id, .. } => ("アカウント停止", employee_number, login_id.clone()),
        Action::Disable { employee_number, login_id, .. } => ("アカウント無効化", employee_number, login_id.clone()),
        Action::Grant { employee_number, role_id, .. } => ("権限付与", employee_number, role_id.clone()),
        Action::Revoke { employee_number, role_id, .. } => ("権限削除", employee_number, role_id.clone()),
        Action::FlagForReview { employee_number, role_id, .. } => ("所属長の確認へ", employee_number, role_id.clone()),
        Action::ListForReturn { employee_number, login_id, authenticator, label, .. } => {
            ("認証媒体の返却", employee_number, format!("{label} ({}, {login_id})", authenticator.ja()))
        }
        Action::SharedPasswordDue { employee_number, login_id, permitted_by, .. } => {
            ("共用IDのPW変更", employee_number, format!("{login_id}（許可 {permitted_by} へ通知）"))
        }
    }
}

fn print_plan(run_id: &str, status: &str, plan: &Plan, format: Format) {
    if format == Format::Json {
        println!("{}", serde_json::json!({ "run": run_id, "status": status, "plan": plan }));
        return;
    }
    println!(
        "同期 {run_id}: {status} — {} 件の操作、停止・無効化 {} 件（有効アカウント {} 件）",
        plan.steps.len(),
        plan.removals,
        plan.active_accounts
    );
    if let Some(h) = &plan.hold {
        println!("保留 / held: {h}");
    }
    for s in &plan.steps {
        let (kind, en, what) = describe(&s.action);
        println!("  {kind:<10} {en:<10} {what:<48} {}", s.reason.ja());
    }
    for p in &plan.problems {
        println!("  スキップ（不正な項目）/ skipped: {p}");
    }
    for n in &plan.not_removed {
        println!("  削除せず / not removed: {n}");
    }
}

fn status_name(s: RunStatus) -> &'static str {
    match s {
        RunStatus::DryRun => "dry-run",
        RunStatus::Applied => "applied",
        RunStatus::Held => "held",
    }
}

fn refusal(e: AppError) -> anyhow::Result<ExitCode> {
    match e {
        AppError::Conflict(m) | AppError::Invalid(m) | AppError::Refused(m) | AppError::NotFound(m) => {
            eprintln!("tobira: sync: {m}");
            Ok(ExitCode::from(1))
        }
        AppError::Rule(r) => {
            eprintln!("tobira: sync: {r}");
            Ok(ExitCode::from(1))
        }
        other => Err(other.into()),
    }
}

/// The master key that seals joiners' enrollment links (R-AU-06); created like `tobira serve` does
/// when this is the first command run.
fn master_key(config: &Config) -> anyhow::Result<tobira::crypto::master_key::MasterKey> {
    let (key, origin) = tobira::crypto::master_key::MasterKey::load_or_create(&config.master_key_path())?;
    if origin == tobira::crypto::master_key::Origin::Created {
        eprintln!("tobira: created a new master key at {}; back it up: without it the signing keys and secrets cannot be opened", config.master_key_path().display());
    }
    Ok(key)
}

/// Exit codes: 0 done (or nothing to do), 4 done but entries were skipped as malformed (R-LC-14),
/// 3 held for approval, 1 refused, 2 error (nothing changed).
pub fn run(config: &Config, args: SyncArgs) -> anyhow::Result<ExitCode> {
    let policy = startup::policy(config)?;
    let (by, now) = (super::operator_name(), SystemClock.now_ms());
    if let Some(id) = &args.show {
        return match sync_hold::load(&mut startup::migrated_connection(config)?, id) {
            Ok((r, content)) => {
                print_plan(&r.id, &r.status, &content.plan, args.format);
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => refusal(e),
        };
    }
    if let Some(id) = &args.approve {
        return approve(config, &policy, id, &args, now);
    }
    if let Some(id) = &args.discard {
        return match sync_hold::discard(&mut startup::migrated_connection(config)?, id, &by, now) {
            Ok(()) => {
                println!("同期 {id} を破棄しました / discarded");
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => refusal(e),
        };
    }
    // A dry run writes nothing: on a fresh install (no database file, or a database without
    // tobira's schema) it plans against an empty database in memory and creates neither the
    // database nor the master key; the policy is not recorded.
    let (mut conn, master_key) = if args.dry_run {
        (startup::existing_or_empty(config)?, dry_run_key(config)?)
    } else {
        (startup::migrated_connection(config)?, master_key(config)?)
    };
    let req = sync::SyncRequest {
        source: &config.directory.url,
        requested_by: &by,
        now,
        dry_run: args.dry_run,
        master_key: &master_key,
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let (SyncOutcome { run_id, status, plan }, reading) =
        rt.block_on(sync::by_hand(&mut conn, &config.directory, &policy, args.full, &req))?;
    match reading {
        sync::Reading::ContentSync => {
            eprintln!("tobira: content sync (RFC 4533) of the changes and deletions since the last run")
        }
        sync::Reading::ChangedSince(hw) => {
            eprintln!("tobira: incremental read of entries changed since {hw} (deletions need --full)")
        }
        sync::Reading::Everything => {}
    }
    print_plan(&run_id, status_name(status), &plan, args.format);
    Ok(match status {
        RunStatus::Held => {
            eprintln!("tobira: sync held: {}. Show with `tobira sync --show {run_id}`; a person named by [approvals] sync_hold, not who ran it, approves it on the page /sync/holds or with `tobira sync --approve {run_id} --login LOGIN --code CODE`.", plan.hold.as_deref().unwrap_or_default());
            ExitCode::from(3)
        }
        _ if !plan.problems.is_empty() => {
            // One line, for cron mail and log monitoring.
            eprintln!(
                "tobira: sync {}: {} steps, {} entries skipped as malformed (top reasons: {}); exit 4",
                status_name(status),
                plan.steps.len(),
                plan.problems.len(),
                tobira_domain::lifecycle::hold::top_reasons(&plan.problems, 3)
            );
            ExitCode::from(4)
        }
        _ => ExitCode::SUCCESS,
    })
}

/// Where the master key is missing, a dry run uses a key of its own that is never written: it
/// applies nothing, so nothing is sealed.
fn dry_run_key(config: &Config) -> anyhow::Result<tobira::crypto::master_key::MasterKey> {
    if std::path::Path::new(&config.master_key_path()).exists() {
        return master_key(config);
    }
    let mut bytes = [0u8; 32];
    tobira::crypto::random_bytes(&mut bytes)?;
    Ok(tobira::crypto::master_key::MasterKey::from_bytes(&bytes))
}

/// `--approve RUN --login LOGIN --code CODE`: the code proves the approver; then the hold is
/// checked, the directory read afresh, and what still holds applied. Prints the difference.
fn approve(
    config: &Config,
    policy: &tobira_domain::policy::Policy,
    id: &str,
    args: &SyncArgs,
    now: i64,
) -> anyhow::Result<ExitCode> {
    let login = args.login.as_deref().unwrap_or_default();
    let code = match args.code.as_deref() {
        Some("-") => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            line.trim().to_string()
        }
        other => other.unwrap_or_default().to_string(),
    };
    let master_key = master_key(config)?;
    let mut conn = startup::migrated_connection(config)?;
    let keys = sync::Keys { policy, master_key: &master_key };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    match rt.block_on(sync_approval::by_code_at_console(&mut conn, &config.directory, &keys, (login, &code), id, now)) {
        Ok((who, done)) => {
            let r = &done.recheck;
            println!(
                "同期 {id}: 承認・適用 / approved by {} — 適用 {} 件、取りやめ（人事情報が戻った）{} 件、保留後の新しい変更（次回の同期で）{} 件",
                who.login_id,
                r.apply.len(),
                r.dropped.len(),
                r.new.len()
            );
            for (label, steps) in [
                ("適用 / applied", &r.apply),
                ("取りやめ / no longer holds", &r.dropped),
                ("次回へ / new since the hold", &r.new),
            ] {
                for s in steps.iter() {
                    let (kind, en, what) = describe(&s.action);
                    println!("  {label}: {kind} {en} {what} {}", s.reason.ja());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => refusal(e),
    }
}
