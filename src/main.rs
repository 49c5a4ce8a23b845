//! The `tobira` command: serve, migrate, policy check, audit verify, sync, contract, returns, shared-id,
//! admin bootstrap, unlock and recover.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use tobira::app::clock::{Clock, SystemClock};
use tobira::config::Config;
use tobira::startup;

/// mimalloc instead of glibc's malloc: token issuance spends 13 % of its CPU in malloc/free under
/// actix's many small allocations (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cli;

#[derive(Parser)]
#[command(name = "tobira", version, about = "Identity lifecycle and access control for municipalities (統合ID管理)")]
struct Cli {
    /// Configuration file (TOML); defaults, then this file, then TOBIRA__SECTION__KEY variables.
    #[arg(long, env = "TOBIRA_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (migrates the database and records the policy first).
    Serve,
    /// Apply pending database migrations.
    Migrate,
    /// Policy files.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Sync people and accounts from the HR directory: the changes since the last run (a full read with
    /// --full or when one is due); plans over the removal limits are held for approval.
    Sync(cli::sync::SyncArgs),
    /// Vendor contracts: suspend or resume every account under one (R-LC-13).
    Contract {
        #[command(subcommand)]
        command: ContractCommand,
    },
    /// OpenID Connect clients of the business systems.
    Client {
        #[command(subcommand)]
        command: ClientCommand,
    },
    /// Token signing keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Authenticators listed for return on transfer or retirement, and their record (R-LC-15, R-AU-12).
    Returns {
        #[command(subcommand)]
        command: cli::returns::ReturnsCommand,
    },
    /// Provisioning to business systems: a system's queue, retrying its stopped items, reconciliation,
    /// and the file connector's public key and verify-file (R-LC-01, R-LC-03, R-LC-04, R-ZN-04).
    Provisioning {
        #[command(subcommand)]
        command: cli::provisioning::ProvisioningCommand,
    },
    /// The users of shared IDs and who permitted them (R-AU-08).
    SharedId {
        #[command(subcommand)]
        command: cli::shared_id::SharedIdCommand,
    },
    /// Periodic review: a run by hand, campaigns, the evidence bundle.
    Review {
        #[command(subcommand)]
        command: cli::review::ReviewCommand,
    },
    /// Reports for officers and auditors.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Administration.
    Admin {
        #[command(subcommand)]
        command: cli::admin::AdminCommand,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// Privileged IDs: holders per system and cap, elevations with approvals, delegates, last use.
    Privileged {
        /// Print the report as JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Dormant IDs per kind and threshold, with notices (R-RV-03).
    Dormant(cli::review::ReportArgs),
    /// Every grant in force with its source, approver and last use.
    Grants(cli::review::ReportArgs),
    /// Passwords past their age, still temporary, or stored below the hashing cost (R-AU-16).
    Passwords(cli::review::ReportArgs),
    /// The exceptions register (R-AC-04).
    Exceptions(cli::review::ReportArgs),
    /// Findings of the log analysis and the HR cross-check (R-LG-03).
    Findings(cli::review::ReportArgs),
    /// Recertification campaigns and their progress (R-RV-05).
    Campaigns(cli::review::ReportArgs),
    /// Every requirement with its status, settings, tests and evidence (R-RV-07).
    Compliance(cli::review::ReportArgs),
    /// Vendor accounts and their activity per contract (R-RV-10).
    Vendors(cli::review::ReportArgs),
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Validate a policy directory (default: the configured one); prints every error with file and line.
    Check { dir: Option<PathBuf> },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the hash chain and compare it with the latest checkpoints; exit 1 and name the first bad
    /// record (modified, deleted, reordered), a truncation, a recomputed chain or a gap.
    Verify,
    /// Seal the chain's head now as a checkpoint (`serve` does it every audit.checkpoint_seconds).
    Checkpoint,
    /// Delete the records older than audit.retention_days (a prefix of the chain, never into an
    /// active legal hold); the chain verifies from the anchor left (R-LG-01, R-LG-06).
    Prune {
        #[arg(long)]
        dry_run: bool,
    },
    /// Legal holds (the CISO): add, list, release (R-LG-06).
    Hold {
        #[command(subcommand)]
        command: cli::audit_hold::HoldCommand,
    },
    /// Export a hold for the CSIRT into a directory, with MANIFEST.sha256 (R-LG-06).
    Export {
        #[arg(long)]
        hold: String,
        #[arg(long)]
        out: PathBuf,
        /// The CISO's login ID.
        #[arg(long = "as")]
        as_login: String,
    },
}

#[derive(Subcommand)]
enum ContractCommand {
    /// Suspend every active account under CONTRACT at once and end their sessions.
    Suspend {
        contract: String,
        #[arg(long)]
        reason: String,
    },
    /// Re-enable the accounts a contract suspension stopped.
    Resume { contract: String },
    /// Record that the information handed to the vendor was returned or erased at the contract's end.
    ConfirmReturn {
        contract: String,
        /// What was returned or erased, and how it was confirmed.
        #[arg(long)]
        note: String,
    },
}

#[derive(Subcommand)]
enum ClientCommand {
    /// Generate a new secret for CLIENT (from the policy's [[clients]]) and print it once; the old one stops working.
    Secret { client: String },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Add a new signing key per algorithm; the old ones stop signing and stay published until their tokens expire.
    Rotate,
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log.level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if config.log.format == tobira::config::LogFormat::Text {
        builder.init();
    } else {
        builder.json().flatten_event(true).with_current_span(false).init();
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref(), std::env::vars()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("tobira: configuration: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Policy { command: PolicyCommand::Check { dir } } => return policy_check(&config, dir),
        Command::Audit { command: AuditCommand::Verify } => cli::audit::verify(&config),
        Command::Audit { command: AuditCommand::Checkpoint } => cli::audit::checkpoint(&config),
        Command::Audit { command: AuditCommand::Prune { dry_run } } => cli::audit_hold::prune(&config, dry_run),
        Command::Audit { command: AuditCommand::Hold { command } } => cli::audit_hold::hold(&config, command),
        Command::Audit { command: AuditCommand::Export { hold, out, as_login } } => {
            cli::audit_hold::export(&config, &hold, &out, &as_login)
        }
        Command::Migrate => migrate(&config),
        Command::Admin { command } => cli::admin::run(&config, command),
        Command::Serve => serve(config),
        Command::Sync(args) => cli::sync::run(&config, args),
        Command::Contract { command } => contract(&config, command),
        Command::Client { command: ClientCommand::Secret { client } } => client_secret(&config, &client),
        Command::Keys { command: KeysCommand::Rotate } => keys_rotate(&config),
        Command::Report { command: ReportCommand::Privileged { json } } => report_privileged(&config, json),
        Command::Report { command } => {
            let (which, args) = match command {
                ReportCommand::Dormant(a) => ("dormant", a),
                ReportCommand::Grants(a) => ("grants", a),
                ReportCommand::Passwords(a) => ("passwords", a),
                ReportCommand::Exceptions(a) => ("exceptions", a),
                ReportCommand::Findings(a) => ("findings", a),
                ReportCommand::Campaigns(a) => ("campaigns", a),
                ReportCommand::Compliance(a) => ("compliance", a),
                ReportCommand::Vendors(a) => ("vendors", a),
                ReportCommand::Privileged { .. } => unreachable!("matched above"),
            };
            cli::review::report(&config, which, args)
        }
        Command::Review { command } => cli::review::run(&config, command),
        Command::Returns { command } => cli::returns::run(&config, command),
        Command::SharedId { command } => cli::shared_id::run(&config, command),
        Command::Provisioning { command } => cli::provisioning::run(&config, command),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tobira: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn policy_check(config: &Config, dir: Option<PathBuf>) -> ExitCode {
    let dir = dir.unwrap_or_else(|| PathBuf::from(&config.policy_dir));
    match tobira::app::policy::read_dir(&dir) {
        Ok(p) => {
            println!(
                "policy OK: {} — {} files, {} zones, {} systems, {} roles, {} classification levels; digest {}",
                p.municipality.name,
                p.files.len(),
                p.zones.len(),
                p.systems.len(),
                p.roles.len(),
                p.classification.levels.len(),
                p.digest
            );
            let known = startup::known_departments(config);
            for w in tobira_domain::policy::warnings::warnings(&p, known.as_ref()) {
                eprintln!("warning: {w}");
            }
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for e in &errors.0 {
                eprintln!("{e}");
            }
            eprintln!("policy check failed: {} error(s)", errors.0.len());
            ExitCode::from(1)
        }
    }
}

fn migrate(config: &Config) -> anyhow::Result<ExitCode> {
    let applied = startup::migrate(config)?;
    if applied.is_empty() {
        println!("database is up to date");
    } else {
        for m in applied {
            println!("applied {m}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn contract(config: &Config, command: ContractCommand) -> anyhow::Result<ExitCode> {
    let mut conn = startup::migrated_connection(config)?;
    let now = SystemClock.now_ms();
    let by = cli::operator_name();
    let policy = startup::policy(config)?;
    let result = match &command {
        ContractCommand::Suspend { contract, reason } => {
            tobira::app::contract::suspend(&mut conn, &policy, contract, reason, &by, now)
                .map(|l| ("停止 / suspended", l))
        }
        ContractCommand::Resume { contract } => {
            tobira::app::contract::resume(&mut conn, &policy, contract, &by, now).map(|l| ("再開 / resumed", l))
        }
        ContractCommand::ConfirmReturn { contract, note } => {
            tobira::app::contract::confirm_return(&mut conn, contract, note, &by, now)
                .map(|()| ("情報の返却・消去を確認 / return of information confirmed", vec![contract.clone()]))
        }
    };
    match result {
        Ok((verb, names)) => {
            println!("{verb}: {} 件 — {}", names.len(), names.join(", "));
            Ok(ExitCode::SUCCESS)
        }
        Err(tobira::app::AppError::Invalid(m) | tobira::app::AppError::Conflict(m)) => {
            eprintln!("tobira: contract: {m}");
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}

fn client_secret(config: &Config, client: &str) -> anyhow::Result<ExitCode> {
    let policy = startup::policy(config)?;
    let mut conn = startup::migrated_connection(config)?;
    match tobira::app::oidc::new_client_secret(&mut conn, &policy, client, &cli::operator_name(), SystemClock.now_ms())
    {
        Ok(secret) => {
            println!("{secret}");
            eprintln!("client secret for {client}: shown once above; tobira keeps only its digest / この値は一度だけ表示されます");
            Ok(ExitCode::SUCCESS)
        }
        Err(tobira::app::AppError::NotFound(m) | tobira::app::AppError::Invalid(m)) => {
            eprintln!("tobira: client: {m}");
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}

fn report_privileged(config: &Config, json: bool) -> anyhow::Result<ExitCode> {
    let policy = startup::policy(config)?;
    let mut conn = startup::migrated_connection(config)?;
    let report = tobira::app::privileged::report::build(&mut conn, &policy, SystemClock.now_ms())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", cli::report::privileged_text(&report));
    }
    Ok(ExitCode::SUCCESS)
}

fn keys_rotate(config: &Config) -> anyhow::Result<ExitCode> {
    let path = config.master_key_path();
    if !path.exists() {
        anyhow::bail!(
            "no master key at {}: run `tobira serve` once first (or point crypto.master_key_file at the nodes' key)",
            path.display()
        );
    }
    let (master, _) = tobira::crypto::master_key::MasterKey::load_or_create(&path)?;
    let mut conn = startup::migrated_connection(config)?;
    let kids = tobira::app::oidc::keys::rotate(&mut conn, &master, &cli::operator_name(), SystemClock.now_ms())?;
    println!("new signing keys: {}", kids.join(", "));
    println!("serving nodes pick them up within oidc.key_reload_seconds; the old keys stay published until their tokens expire");
    Ok(ExitCode::SUCCESS)
}

fn serve(config: Config) -> anyhow::Result<ExitCode> {
    init_logging(&config);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async move {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let (data_dir, db, policy_dir) = (config.data_dir.clone(), startup::database_label(&config), config.policy_dir.clone());
        let master_key = config.master_key_path();
        let public_url = config.http.public_url.clone();
        let bind_host = config.http.bind.rsplit_once(':').map(|(h, _)| h.to_string()).unwrap_or_else(|| config.http.bind.clone());
        let app = startup::Application::build(config, clock).await?;
        if app.master_key_created {
            eprintln!("tobira: created a new master key at {}; back it up: without it the signing keys and secrets cannot be opened", master_key.display());
        }
        eprintln!("tobira: serving on http://{bind_host}:{} (public URL {public_url})", app.port());
        eprintln!("tobira: data in {data_dir} (database {db}); policy from {policy_dir}");
        app.run().await?;
        eprintln!("tobira: stopped");
        Ok(ExitCode::SUCCESS)
    })
}
