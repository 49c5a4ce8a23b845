//! Use cases. Each loads what it needs, asks the domain, then writes the new state and its audit
//! events in one database transaction (`store::write_tx`). Blocking work runs on blocking threads.

pub mod approvers;
pub mod audit_checkpoint;
pub mod audit_log;
pub mod bootstrap;
pub mod bundle;
pub mod checkpoint_job;
pub mod clock;
pub mod clock_check;
pub mod console;
pub mod contract;
pub mod dates;
pub mod enrollment;
pub mod hashing;
pub mod hold_export;
pub mod keys;
pub mod legal_hold;
pub mod mail_delivery;
pub mod metrics;
pub mod officer;
pub mod oidc;
pub mod onboarding;
pub mod policy;
pub mod privileged;
pub mod provisioning;
pub mod recovery;
pub mod refusal;
pub mod registry;
pub mod requests;
pub mod returns;
pub mod review;
pub mod scheduler;
pub mod shared_ids;
pub mod signin;
pub mod sync;
pub mod words;

use crate::config::Config;
use crate::crypto::master_key::MasterKey;
use crate::crypto::CryptoError;
use crate::store::{DbPool, StoreError};
use std::sync::Arc;
use tobira_domain::policy::Policy;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error("the audit log could not record the event: {0}")]
    AuditUnavailable(String),
    /// The present state does not allow it (already decided, already taken…).
    #[error("{0}")]
    Conflict(words::Words),
    #[error("HR directory: {0}")]
    Directory(String),
    /// The request itself is malformed or names what cannot be.
    #[error("{0}")]
    Invalid(words::Words),
    /// A rule forbids the action; the refusal was recorded.
    #[error("{0}")]
    Refused(words::Words),
    /// A domain rule refused, typed: its code and words travel to the answer.
    #[error("{}", .0.en())]
    Rule(#[from] refusal::Refusal),
    #[error("{0}")]
    NotFound(words::Words),
    /// The action was recorded as request `{0}` and takes effect when a second person approves
    /// (R-AC-02); nothing changed yet.
    #[error("request {0} awaits a second person's approval")]
    AwaitingApproval(String),
    #[error("background task failed: {0}")]
    Task(String),
    /// Our own data could not be written as (or read back from) JSON: an internal failure, never
    /// the client's.
    #[error("JSON of our own data: {0}")]
    Json(#[from] serde_json::Error),
    /// Too much work is waiting (the argon2 queue is full): try again after the seconds given.
    #[error("busy; try again in {retry_after} s")]
    Busy { retry_after: u64 },
    /// This source has failed too often: refused until its window ends (R-AU-19).
    #[error("too many failed attempts from this address; try again in {retry_after} s")]
    TooMany { retry_after: u64 },
}

/// The four refusals that carry [`words::Words`], each built from its stable code (snake_case, the
/// `error` of an API answer) and its Japanese and English.
impl AppError {
    pub fn invalid(
        code: &'static str,
        ja: impl Into<std::borrow::Cow<'static, str>>,
        en: impl Into<std::borrow::Cow<'static, str>>,
    ) -> AppError {
        AppError::Invalid(words::Words::new(ja, en).coded(code))
    }

    pub fn refused(
        code: &'static str,
        ja: impl Into<std::borrow::Cow<'static, str>>,
        en: impl Into<std::borrow::Cow<'static, str>>,
    ) -> AppError {
        AppError::Refused(words::Words::new(ja, en).coded(code))
    }

    pub fn conflict(
        code: &'static str,
        ja: impl Into<std::borrow::Cow<'static, str>>,
        en: impl Into<std::borrow::Cow<'static, str>>,
    ) -> AppError {
        AppError::Conflict(words::Words::new(ja, en).coded(code))
    }

    pub fn not_found(
        code: &'static str,
        ja: impl Into<std::borrow::Cow<'static, str>>,
        en: impl Into<std::borrow::Cow<'static, str>>,
    ) -> AppError {
        AppError::NotFound(words::Words::new(ja, en).coded(code))
    }

    /// No account by that login ID (or id): the one wording of the commonest 404.
    pub fn no_account(login: &str) -> AppError {
        AppError::not_found(
            "account_not_found",
            format!("アカウント {login} が見つかりません"),
            format!("account {login} not found"),
        )
    }

    /// The login ID is another account's.
    pub fn login_id_taken(login: &str) -> AppError {
        AppError::conflict(
            "login_id_taken",
            format!("ログインID `{login}` は既に使われています"),
            format!("login ID `{login}` is taken"),
        )
    }

    /// A request another person decided between its reading and its decision.
    pub fn request_decided_meanwhile() -> AppError {
        AppError::conflict("decided_meanwhile", "申請は既に決着しました", "the request was decided meanwhile")
    }

    /// A refusal's English, as audit records keep it; any other failure as it displays.
    pub fn english(&self) -> String {
        match self {
            AppError::Invalid(w) | AppError::Refused(w) | AppError::Conflict(w) | AppError::NotFound(w) => {
                w.en.to_string()
            }
            AppError::Rule(r) => r.en(),
            other => other.to_string(),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        AppError::Store(StoreError::Query(e))
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        AppError::Store(StoreError::Pool(e))
    }
}

/// Runs blocking database work on a blocking thread with a connection from `pool`.
pub async fn on_pool<T, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut crate::store::DbConnection) -> Result<T, AppError> + Send + 'static,
{
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await
    .map_err(|e| AppError::Task(e.to_string()))?
}

/// Everything a request or job needs, cheap to clone.
#[derive(Clone)]
pub struct App {
    pub config: Arc<Config>,
    pub pool: DbPool,
    pub policy: Arc<Policy>,
    pub audit: audit_log::AuditLog,
    pub clock: Arc<dyn clock::Clock>,
    pub master_key: Arc<MasterKey>,
    /// The WebAuthn relying party (RP ID and origin from `http.public_url`).
    pub webauthn: Arc<webauthn_rs::Webauthn>,
    /// The attestation roots of `signin.attestation_roots` (none: no key is attested).
    pub attestation_roots: Arc<Option<webauthn_rs::prelude::AttestationCaList>>,
    /// Token signing keys (the newest of each algorithm signs; retired ones stay published).
    pub keys: Arc<crate::crypto::jwt::KeyRing>,
    /// Client secret digests, remembered for `oidc.client_cache_seconds`.
    pub secrets: Arc<oidc::secrets::SecretCache>,
    /// Batched checks of presented tokens' standing (revocation, account, session).
    pub standing: oidc::standing::StandingChecker,
    /// The threads that do argon2 work (`crypto.argon2_concurrency`).
    pub argon2: Arc<hashing::HashPool>,
    /// `/metrics`' running tally of audited sign-ins, failures, lockouts and tokens.
    pub action_counts: Arc<std::sync::Mutex<metrics::ActionCounts>>,
    /// `http.trusted_proxies` and `http.metrics_from`, parsed once.
    pub peers: Arc<Peers>,
}

/// The networks the HTTP layer trusts, parsed from the configuration when the application is built
/// (by the same parse that refuses, when the configuration loads, an entry that is not a CIDR block).
#[derive(Debug, Clone, Default)]
pub struct Peers {
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<tobira_domain::zone::Cidr>,
    /// Peers that may read `/metrics`.
    pub metrics_from: Vec<tobira_domain::zone::Cidr>,
}

impl Peers {
    pub fn of(http: &crate::config::HttpConfig) -> Result<Peers, crate::config::ConfigError> {
        let [trusted_proxies, metrics_from] = http.networks()?;
        Ok(Peers { trusted_proxies, metrics_from })
    }

    pub fn is_trusted_proxy(&self, ip: std::net::IpAddr) -> bool {
        self.trusted_proxies.iter().any(|c| c.contains(ip))
    }

    pub fn may_read_metrics(&self, ip: std::net::IpAddr) -> bool {
        self.metrics_from.iter().any(|c| c.contains(ip))
    }
}

impl App {
    /// Runs blocking database work on a blocking thread with a pooled connection.
    pub async fn db<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut crate::store::DbConnection) -> Result<T, AppError> + Send + 'static,
    {
        on_pool(&self.pool, f).await
    }

    /// [`App::db`] for use cases with their own error type.
    pub async fn db_with<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<AppError> + Send + 'static,
        F: FnOnce(&mut crate::store::DbConnection) -> Result<T, E> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(AppError::from)?;
            f(&mut conn)
        })
        .await
        .map_err(|e| AppError::Task(e.to_string()))?
    }
}
