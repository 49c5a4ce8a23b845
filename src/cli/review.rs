//! `tobira review …` and the review reports of `tobira report …`: a review run by hand, a campaign
//! started by hand, the reports as a table, JSON or CSV, and the evidence bundle for auditors
//! (R-RV-02): every report of a period in CSV and JSON with the audit chain's verification and a
//! manifest of SHA-256 digests.

use anyhow::Context;
use clap::{Args, Subcommand};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use tobira::app::clock::{Clock, SystemClock};
use tobira::app::review::table::{Format, Table};
use tobira::app::review::{campaign, job, reports};
use tobira::config::Config;
use tobira::startup;
use tobira::store::DbConnection;
use tobira_domain::policy::Policy;
use tobira_domain::review::campaign::Scope;
use tobira_domain::review::DAY_MS;

#[derive(Subcommand)]
pub enum ReviewCommand {
    /// One review run now: dormant IDs, HR cross-check, campaigns and deadlines, exceptions, log analysis.
    Run,
    /// Start a recertification campaign.
    Campaign(CampaignArgs),
    /// Write the evidence bundle of the last `--days` into `--out` (R-RV-02).
    Evidence {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 30)]
        days: u32,
    },
}

#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct CampaignArgs {
    /// Every grant of this system's roles.
    #[arg(long)]
    system: Option<String>,
    /// A department's self-inspection (自己点検).
    #[arg(long)]
    department: Option<String>,
    /// Every grant in scope, city-wide.
    #[arg(long)]
    city: bool,
}

#[derive(Args, Clone, Copy)]
pub struct ReportArgs {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// The period, in days back from now (findings and compliance evidence).
    #[arg(long, default_value_t = 30)]
    pub days: u32,
}

/// The review report `name` (one of `reports::NAMES`) over the last `days`.
pub fn build(c: &mut DbConnection, policy: &Policy, name: &str, days: u32, now: i64) -> anyhow::Result<Table> {
    let since = now - i64::from(days) * DAY_MS;
    reports::by_name(c, policy, name, since, now)?.ok_or_else(|| anyhow::anyhow!("no report {name}"))
}

pub fn report(config: &Config, name: &str, args: ReportArgs) -> anyhow::Result<ExitCode> {
    let policy = startup::policy(config)?;
    let mut conn = startup::migrated_connection(config)?;
    let t = build(&mut conn, &policy, name, args.days, SystemClock.now_ms())?;
    print!("{}", args.format.render(&t));
    Ok(ExitCode::SUCCESS)
}

pub fn run(config: &Config, command: ReviewCommand) -> anyhow::Result<ExitCode> {
    let policy = Arc::new(startup::policy(config)?);
    let now = SystemClock.now_ms();
    match command {
        ReviewCommand::Run => {
            let (pool, _) = startup::migrated_pool(config)?;
            let exporter =
                Arc::new(tobira::app::audit_checkpoint::open_exporter(config).context("audit export destination")?);
            let ctx = job::Ctx { pool, policy, config: Arc::new(config.clone()), exporter };
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            match rt.block_on(job::run(&ctx, &super::operator_name(), now, false))? {
                None => {
                    eprintln!("tobira: another node is running the review now (lease `{}`); try again later", job::JOB);
                    Ok(ExitCode::from(3))
                }
                Some(r) => {
                    println!("{}", serde_json::to_string_pretty(&r)?);
                    Ok(if r.errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
                }
            }
        }
        ReviewCommand::Campaign(a) => {
            let scope = match (a.system, a.department, a.city) {
                (Some(s), _, _) => Scope::System(s),
                (_, Some(d), _) => Scope::Department(d),
                _ => Scope::City,
            };
            let mut conn = startup::migrated_connection(config)?;
            match campaign::create(&mut conn, &policy, &scope, &super::operator_name(), None, now) {
                Ok(k) => {
                    println!(
                        "{}: {} 件 / items, 期限 / deadline {} (campaign {})",
                        scope.label_ja(),
                        k.items,
                        tobira_domain::time_util::jst_display(k.deadline),
                        k.id
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e @ (tobira::app::AppError::Conflict(_) | tobira::app::AppError::Invalid(_))) => {
                    eprintln!("tobira: campaign: {e}");
                    Ok(ExitCode::from(1))
                }
                Err(e) => Err(e.into()),
            }
        }
        ReviewCommand::Evidence { out, days } => evidence(config, &policy, &out, days, now),
    }
}

/// Writes `body` to `path` readable by the owner only (0600 on Unix), also when the file existed.
fn private_write(path: &std::path::Path, body: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        if path.exists() {
            std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
        }
    }
    opts.open(path)?.write_all(body)
}

fn evidence(config: &Config, policy: &Policy, out: &Path, days: u32, now: i64) -> anyhow::Result<ExitCode> {
    let mut conn = startup::migrated_connection(config)?;
    // The bundle names people and their access: a private directory (0700) and files (0600).
    tobira::crypto::create_private_dir(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut manifest = String::new();
    let mut write = |name: String, body: &[u8]| -> anyhow::Result<()> {
        private_write(&out.join(&name), body).with_context(|| format!("cannot write {name}"))?;
        manifest.push_str(&format!("{}  {name}\n", hex::encode(Sha256::digest(body))));
        Ok(())
    };
    for name in reports::NAMES {
        let t = build(&mut conn, policy, name, days, now)?;
        write(format!("{name}.csv"), t.to_csv().as_bytes())?;
        write(format!("{name}.json"), serde_json::to_string_pretty(&t)?.as_bytes())?;
    }
    let privileged = tobira::app::privileged::report::build(&mut conn, policy, now)?;
    write("privileged.json".into(), serde_json::to_string_pretty(&privileged)?.as_bytes())?;
    let v = tobira::app::audit_log::verify_chain(&mut conn)?;
    let proof = serde_json::json!({
        "verified_at": tobira_domain::time_util::rfc3339_utc(now), "records": v.checked, "head_seq": v.head.seq, "head_hash": v.head.hash,
        "intact": v.first_break.is_none(), "first_break": v.first_break.as_ref().map(|b| b.to_string()), "policy_digest": policy.digest,
    });
    write("audit-chain.json".into(), serde_json::to_string_pretty(&proof)?.as_bytes())?;
    private_write(&out.join("MANIFEST.sha256"), manifest.as_bytes())?;
    println!(
        "evidence bundle in {} (audit chain {})",
        out.display(),
        if v.first_break.is_none() { "intact" } else { "BROKEN" }
    );
    Ok(if v.first_break.is_none() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
