//! `tobira audit prune`, `tobira audit hold add|list|release` and `tobira audit export` (R-LG-01,
//! R-LG-06): retention deletion of the chain's prefix (never into an active hold), the CISO's legal
//! holds, and the CSIRT export of a hold. Hold commands name the CISO they act for (`--as LOGIN`,
//! who must hold the policy's CISO role now); the operating-system account that ran the command is
//! recorded with it.

use clap::Subcommand;
use std::path::Path;
use std::process::ExitCode;
use tobira::app::clock::{Clock, SystemClock};
use tobira::app::legal_hold::{self, Actor};
use tobira::app::signin::Origin;
use tobira::app::{dates, hold_export, AppError};
use tobira::config::Config;
use tobira::startup;
use tobira_domain::audit_hold::{parse_subjects, NewHold};
use tobira_domain::time_util::rfc3339_utc;

#[derive(Subcommand)]
pub enum HoldCommand {
    /// Hold the records of a time range (and of the people or systems named) for a case.
    Add {
        /// The CISO's login ID.
        #[arg(long = "as")]
        as_login: String,
        /// Start of the range: RFC 3339 (2026-12-01T00:00:00+09:00) or a JST date (2026-12-01).
        #[arg(long)]
        from: String,
        /// End of the range (exclusive), in the same forms; a date means the end of that JST day.
        #[arg(long)]
        until: String,
        /// Login IDs or system IDs concerned (repeat, or separate by commas); none: everyone.
        #[arg(long = "subject")]
        subjects: Vec<String>,
        #[arg(long)]
        reason: String,
        #[arg(long = "case")]
        case_number: String,
    },
    /// Every hold, newest first.
    List {
        #[arg(long = "as")]
        as_login: String,
    },
    /// Release a hold: its records follow the retention period again.
    Release {
        id: String,
        #[arg(long = "as")]
        as_login: String,
        #[arg(long)]
        reason: String,
    },
}

/// A time in UTC ms: RFC 3339, or a JST date (its start, or with `end` its end).
fn parse_time(v: &str, end: bool) -> Result<i64, AppError> {
    if let Ok(t) = time::OffsetDateTime::parse(v.trim(), &time::format_description::well_known::Rfc3339) {
        return Ok(i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX));
    }
    let day = if end { dates::last_day(v, "until") } else { dates::first_day(v, "from") };
    day.map_err(|_| {
        AppError::invalid(
            "not_a_time",
            format!("日時または日付（YYYY-MM-DD）ではありません：{v}"),
            format!("not a time or date (YYYY-MM-DD): {v}"),
        )
    })
}

fn actor(login: &str) -> Actor {
    Actor { login: login.to_string(), operator: Some(super::operator_name()) }
}

/// Exit codes: 0 done, 1 refused or invalid, 2 error.
fn refused(e: AppError) -> anyhow::Result<ExitCode> {
    match e {
        AppError::Refused(_) | AppError::Invalid(_) | AppError::NotFound(_) | AppError::Conflict(_) => {
            eprintln!("tobira: audit: {e}");
            Ok(ExitCode::from(1))
        }
        e => Err(e.into()),
    }
}

pub fn hold(config: &Config, command: HoldCommand) -> anyhow::Result<ExitCode> {
    let policy = startup::policy(config)?;
    let mut conn = startup::migrated_connection(config)?;
    let (now, origin) = (SystemClock.now_ms(), Origin::default());
    let result = match command {
        HoldCommand::Add { as_login, from, until, subjects, reason, case_number } => parse_time(&from, false)
            .and_then(|from_at| {
                Ok(NewHold {
                    case_number,
                    reason,
                    from_at,
                    until_at: parse_time(&until, true)?,
                    subjects: parse_subjects(&subjects.join(",")),
                })
            })
            .and_then(|h| legal_hold::create(&mut conn, &policy, &actor(&as_login), h, &origin, now))
            .map(|hold| {
                println!("{}", hold.id);
                eprintln!(
                    "保全しました / hold created: {} {} – {}",
                    hold.case_number,
                    rfc3339_utc(hold.from_at),
                    rfc3339_utc(hold.until_at)
                );
            }),
        HoldCommand::List { as_login } => {
            legal_hold::list(&mut conn, &policy, &actor(&as_login), &origin, now).map(|holds| {
                for h in holds {
                    let state = h.released_at.map_or_else(
                        || "有効 / active".to_string(),
                        |r| {
                            format!(
                                "解除 / released {} by {}",
                                rfc3339_utc(r),
                                h.released_by.clone().unwrap_or_default()
                            )
                        },
                    );
                    println!(
                        "{}  {}  {} – {}  {}  [{}]  {}",
                        h.id,
                        h.case_number,
                        rfc3339_utc(h.from_at),
                        rfc3339_utc(h.until_at),
                        h.subject_list().join(","),
                        state,
                        h.reason
                    );
                }
            })
        }
        HoldCommand::Release { id, as_login, reason } => {
            legal_hold::release(&mut conn, &policy, &actor(&as_login), &id, &reason, &origin, now)
                .map(|()| println!("解除しました / released: {id}"))
        }
    };
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => refused(e),
    }
}

pub fn prune(config: &Config, dry_run: bool) -> anyhow::Result<ExitCode> {
    let policy = startup::policy(config)?;
    let mut conn = startup::migrated_connection(config)?;
    match legal_hold::prune(&mut conn, &policy, &super::operator_name(), dry_run, SystemClock.now_ms()) {
        Ok(p) => {
            let verb = if dry_run { "would delete" } else { "deleted" };
            match p.through_seq {
                Some(t) => println!(
                    "{verb} {} record(s) through #{t} (retention {} days)",
                    p.deleted, policy.audit.retention_days
                ),
                None => println!("nothing to prune (retention {} days)", policy.audit.retention_days),
            }
            if !p.held_by.is_empty() {
                println!("stopped early by active hold(s): {}", p.held_by.join(", "));
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => refused(e),
    }
}

pub fn export(config: &Config, hold: &str, out: &Path, as_login: &str) -> anyhow::Result<ExitCode> {
    let policy = startup::policy(config)?;
    let mut conn = startup::migrated_connection(config)?;
    match hold_export::bundle(&mut conn, &policy, &actor(as_login), hold, &Origin::default(), SystemClock.now_ms()) {
        Ok(b) => {
            tobira::app::bundle::write_dir(&b.files, out)?;
            println!(
                "{} held record(s) of hold {} in {} — chain {}; check with: cd {} && sha256sum -c MANIFEST.sha256",
                b.held,
                b.hold_id,
                out.display(),
                if b.intact { "intact" } else { "NOT INTACT (see verification.json)" },
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => refused(e),
    }
}
