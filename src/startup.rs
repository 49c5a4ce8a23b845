//! Building the application from a [`Config`] value: policy, master key, database (migrated), the
//! register and policy digest on record, signing keys, the audit appender and the HTTP server. No
//! globals; tests build as many instances as they like, on port 0.

use crate::app::audit_log::AuditLog;
use crate::app::clock::Clock;
use crate::app::{self, App};
use crate::config::Config;
use crate::crypto::master_key::{MasterKey, Origin};
use crate::store::{self, DbConnection, DbPool, PoolOptions};
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, HttpServer};
use anyhow::{anyhow, Context};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn pool_options(config: &Config) -> PoolOptions {
    PoolOptions {
        max_size: config.database.pool_size.max(1),
        connect_timeout: Duration::from_secs(config.database.connect_timeout_seconds.max(1)),
        busy_timeout_ms: config.database.busy_timeout_ms,
    }
}

fn database_context(config: &Config) -> String {
    format!("database {}", database_label(config))
}

/// Opens the database pool the configuration names.
pub fn pool(config: &Config) -> anyhow::Result<DbPool> {
    store::connect(&config.database.url, &pool_options(config)).with_context(|| database_context(config))
}

/// One connection, for one-shot commands.
pub fn connection(config: &Config) -> anyhow::Result<DbConnection> {
    store::connect_one(&config.database.url, &pool_options(config)).with_context(|| database_context(config))
}

/// One connection with pending migrations applied: what every one-shot command starts from.
pub fn migrated_connection(config: &Config) -> anyhow::Result<DbConnection> {
    let mut conn = connection(config)?;
    store::migrate(&mut conn)?;
    Ok(conn)
}

/// The configured database when it exists and holds tobira's schema; `None` otherwise. Never creates
/// a file or a schema: for a check or a dry run, which must write nothing.
pub fn existing(config: &Config) -> anyhow::Result<Option<DbConnection>> {
    if store::sqlite_path(&config.database.url).is_some_and(|p| !std::path::Path::new(p).exists()) {
        return Ok(None);
    }
    let mut c = connection(config)?;
    Ok(if store::is_set_up(&mut c)? { Some(c) } else { None })
}

/// [`existing`], or on a fresh install an empty database in memory.
pub fn existing_or_empty(config: &Config) -> anyhow::Result<DbConnection> {
    match existing(config)? {
        Some(c) => Ok(c),
        None => Ok(store::in_memory()?),
    }
}

/// Applies pending migrations (`tobira migrate`); the names of those applied.
pub fn migrate(config: &Config) -> anyhow::Result<Vec<String>> {
    Ok(store::migrate(&mut connection(config)?)?)
}

/// The department codes the last sync stored, when the configured database exists and is set up
/// (never created by a check): what `tobira policy check` compares the policy's codes with.
pub fn known_departments(config: &Config) -> Option<std::collections::BTreeSet<String>> {
    let mut c = existing(config).ok()??;
    store::org::department_codes(&mut c).ok().filter(|d| !d.is_empty())
}

/// The configured database for messages: its URL without a password.
pub fn database_label(config: &Config) -> String {
    store::redact_url(&config.database.url)
}

/// Opens the pool and applies pending migrations; returns the pool and the migrations applied.
pub fn migrated_pool(config: &Config) -> anyhow::Result<(DbPool, Vec<String>)> {
    let pool = pool(config)?;
    let mut conn = pool.get().context("database connection")?;
    let applied = store::migrate(&mut conn)?;
    drop(conn);
    Ok((pool, applied))
}

/// Loads the policy directory, with every error in one message.
pub fn policy(config: &Config) -> anyhow::Result<tobira_domain::policy::Policy> {
    app::policy::read_dir(Path::new(&config.policy_dir))
        .map_err(|e| anyhow!("the policy in {} is not valid:\n{e}", config.policy_dir))
}

pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
    app: App,
    audit_task: tokio::task::JoinHandle<()>,
    jobs: Vec<tokio::task::JoinHandle<()>>,
    checkpoints: app::checkpoint_job::Handle,
    pub master_key_created: bool,
}

impl Application {
    /// Prepares everything and binds the listener; the server runs once [`Application::run`] is awaited.
    pub async fn build(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Application> {
        let policy = Arc::new(policy(&config)?);
        let (master_key, origin) = MasterKey::load_or_create(&config.master_key_path())?;
        let master_key = Arc::new(master_key);
        let exporter = Arc::new(app::audit_checkpoint::open_exporter(&config).context("audit export destination")?);
        let (pool, startup_records, keys) = {
            let (config, policy, master_key, clock, exporter) =
                (config.clone(), policy.clone(), master_key.clone(), clock.clone(), exporter.clone());
            tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
                let (pool, applied) = migrated_pool(&config)?;
                if !applied.is_empty() {
                    tracing::info!(migrations = ?applied, "database migrated");
                }
                let mut conn = pool.get()?;
                let mut records = app::policy::record(&mut conn, &policy, clock.now_ms())?;
                let node = std::env::var("HOSTNAME").unwrap_or_else(|_| "this node".into());
                if let (_, Some(skewed)) =
                    app::clock_check::check(&mut conn, &policy, &node, app::clock_check::host_now_ms)?
                {
                    records.extend(crate::store::write_tx(&mut conn, |c| {
                        crate::store::audit::append(c, clock.now_ms(), vec![skewed])
                    })?);
                }
                let (_, key_records) = app::keys::ensure(&mut conn, &master_key, clock.now_ms())?;
                records.extend(key_records);
                exporter.catch_up(&mut conn)?;
                let keys = app::oidc::keys::load(&mut conn, &policy, &master_key, clock.now_ms())?;
                drop(conn);
                Ok((pool, records.len(), keys))
            })
            .await??
        };
        tracing::info!(digest = %policy.digest, municipality = %policy.municipality.name, audit_records = startup_records, "policy loaded and recorded");
        let (audit, audit_task) = AuditLog::start(pool.clone(), clock.clone(), exporter, config.audit.batch_max);
        let standing = app::oidc::standing::StandingChecker::start(
            pool.clone(),
            clock.clone(),
            policy.clone(),
            config.audit.batch_max,
        );
        let webauthn =
            Arc::new(crate::crypto::webauthn::relying_party(&config.http.public_url, &policy.municipality.name)?);
        let roots = &policy.signin.attestation_roots;
        let attestation_roots = Arc::new(if roots.is_empty() {
            None
        } else {
            Some(crate::crypto::webauthn::load_roots(&Path::new(&config.policy_dir).join(roots))?)
        });
        let app = App {
            config: Arc::new(config.clone()),
            pool,
            policy,
            audit,
            clock,
            master_key,
            webauthn,
            attestation_roots,
            keys: Arc::new(keys),
            secrets: Default::default(),
            standing,
            argon2: Arc::new(app::hashing::HashPool::new(config.crypto.argon2_slots())?),
            action_counts: Default::default(),
            peers: Arc::new(app::Peers::of(&config.http)?),
        };

        let listener =
            TcpListener::bind(&config.http.bind).with_context(|| format!("cannot listen on {}", config.http.bind))?;
        let port = listener.local_addr()?.port();
        let https = config.http.public_url.starts_with("https://");
        let data = web::Data::new(app.clone());
        let mut server = HttpServer::new(move || {
            actix_web::App::new()
                .app_data(data.clone())
                .wrap(Compress::default())
                .wrap(crate::http::security_headers(https))
                .wrap(from_fn(crate::http::csrf::bind_new_session))
                .wrap(from_fn(crate::http::request::context))
                .configure(crate::http::routes)
        })
        .shutdown_timeout(config.http.shutdown_timeout_seconds)
        .listen(listener)?;
        if config.http.workers > 0 {
            server = server.workers(config.http.workers);
        }
        let mut jobs: Vec<_> = app::scheduler::spawn_sync(app.clone()).into_iter().collect();
        jobs.push(app::scheduler::spawn_key_reload(app.clone()));
        jobs.push(app::scheduler::spawn_privileged_sweep(app.clone()));
        jobs.extend(app::scheduler::spawn_review(app.clone()));
        jobs.extend(app::scheduler::spawn_audit_prune(app.clone()));
        jobs.push(app::scheduler::spawn_backchannel_logout(app.clone())?);
        jobs.extend(app::scheduler::spawn_mail_delivery(app.clone())?);
        jobs.extend(app::scheduler::spawn_provisioning(app.clone()));
        jobs.extend(app::scheduler::spawn_provisioning_reconcile(app.clone()));
        let checkpoints = app::checkpoint_job::spawn(app.clone());
        Ok(Application {
            port,
            server: server.run(),
            app,
            audit_task,
            jobs,
            checkpoints,
            master_key_created: origin == Origin::Created,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    /// Serves until SIGTERM/SIGINT (graceful: in-flight requests finish), then flushes the audit queue
    /// and seals a last checkpoint of the audit chain (R-LG-02).
    pub async fn run(self) -> std::io::Result<()> {
        let Application { server, app, audit_task, jobs, checkpoints, .. } = self;
        let res = server.await;
        for j in jobs {
            j.abort();
            let _ = j.await;
        }
        let sealer = checkpoints.stop(&app).await;
        drop(app);
        if tokio::time::timeout(Duration::from_secs(10), audit_task).await.is_err() {
            tracing::warn!("audit appender did not drain within 10 s");
        }
        sealer.seal_now().await;
        res
    }
}
