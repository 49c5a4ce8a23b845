//! `tobira review …` and the review reports of `tobira report …`: a review run by hand, a campaign
//! started by hand, the reports as a table, JSON or CSV, and the evidence bundle for auditors
//! (R-RV-02): every report of a period in CSV and JSON with the audit chain's verification and a
//! manifest of SHA-256 digests.

use anyhow::Context;
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use tobira::app::clock::{Clock, SystemClock};
use tobira::app::review::table::Format;
use tobira::app::review::{campaign, evidence, job, reports};
use tobira::config::Config;
use tobira::startup;
use tobira_domain::policy::Policy;
use tobira_domain::review::campaign::Scope;

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

pub fn report(config: &Config, name: &str, args: ReportArgs) -> anyhow::Result<ExitCode> {
    let policy = startup::policy(config)?;
    let mut conn = startup::migrated_connection(config)?;
    let t = reports::over_days(&mut conn, &policy, name, args.days, SystemClock.now_ms())?;
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

fn evidence(config: &Config, policy: &Policy, out: &Path, days: u32, now: i64) -> anyhow::Result<ExitCode> {
    let mut conn = startup::migrated_connection(config)?;
    let e = evidence::gather(&mut conn, policy, days, now)?;
    tobira::app::bundle::write_dir(&e.files, out).with_context(|| format!("cannot write into {}", out.display()))?;
    println!("evidence bundle in {} (audit chain {})", out.display(), if e.intact { "intact" } else { "BROKEN" });
    Ok(if e.intact { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
