//! Configuration: built-in defaults, then a TOML file (`--config FILE` or `TOBIRA_CONFIG`), then
//! `TOBIRA__SECTION__KEY` environment variables. A key ending in `_file` whose name without the suffix
//! is a setting reads that setting from the named file (secrets: `TOBIRA__DATABASE__URL_FILE=/run/…`).
//!
//! Invariants: every setting has a default, so the defaults name every key there is; a key that is
//! not among them is an error naming the key and where it came from; environment values take the type
//! of the default they override. The result is a value handed to the application (no globals).

use serde::{Deserialize, Serialize};

mod defaults;
mod layering;
#[cfg(test)]
mod tests;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where tobira keeps its files: the master key and the PostgreSQL checkpoint file by default (the
    /// SQLite database is where `database.url` says; its default, `./data/tobira.db`, is in the default
    /// `data_dir`).
    pub data_dir: String,
    /// The policy files (`*.toml`).
    pub policy_dir: String,
    pub database: DatabaseConfig,
    pub http: HttpConfig,
    pub log: LogConfig,
    pub audit: AuditConfig,
    pub crypto: CryptoConfig,
    pub directory: DirectoryConfig,
    pub oidc: OidcConfig,
    pub jobs: JobsConfig,
    pub smtp: SmtpConfig,
}

/// Mail delivery of the notification outbox (approvals, break-glass reports) over SMTP.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// The mail server ("" = mail delivery off: notifications stay queued).
    pub host: String,
    pub port: u16,
    /// The sender, `tobira@city.example.lg.jp` or `東雲市 情報政策課 <tobira@…>`.
    pub from: String,
    pub tls: SmtpTls,
    /// PEM file of the CA(s) that sign the mail server's certificate; "" = the system's trust store.
    pub ca_file: String,
    /// Sign in to the server as this user ("" = no authentication); only over TLS.
    pub username: String,
    /// Its password; give it as `password_file` (or TOBIRA__SMTP__PASSWORD_FILE).
    pub password: String,
    /// Limit for connecting and for every SMTP command.
    pub timeout_seconds: u64,
    /// Seconds between delivery rounds; a failed message waits this long, doubling per try (at most an hour).
    pub every_seconds: u64,
    /// Tries before a notification is marked undeliverable.
    pub max_attempts: u32,
}

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Plain SMTP (a relay on the same host or a closed segment only).
    None,
    /// STARTTLS, required: a server that does not offer it is not sent to.
    Starttls,
    /// TLS from the first byte (submissions port 465).
    Implicit,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("from", &self.from)
            .field("tls", &self.tls)
            .field("ca_file", &self.ca_file)
            .field("username", &self.username)
            .field("password", &if self.password.is_empty() { "" } else { "***" })
            .field("timeout_seconds", &self.timeout_seconds)
            .field("every_seconds", &self.every_seconds)
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}

/// Background jobs every node runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobsConfig {
    /// Seconds between rounds that end elevations past their end time and lapse undecided requests.
    /// Sessions and tokens end with the elevation anyway; this records the end and revokes the grant.
    pub privileged_sweep_seconds: u64,
}

/// The token service's operation (token lifetimes and clients are policy).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// Seconds between reloads of the signing keys from the database, so a rotation made by
    /// `tobira keys rotate` (or on another node) takes effect.
    pub key_reload_seconds: u64,
    /// Seconds a node remembers a client's secret digest (0 = read it for every request). A new
    /// secret works at once; a replaced one may keep working this long.
    pub client_cache_seconds: u64,
    /// Seconds between runs of the back-channel logout delivery (a session ended → the systems told).
    pub backchannel_every_seconds: u64,
    /// Limit for one back-channel logout request to a business system.
    pub backchannel_timeout_seconds: u64,
    /// PEM file of the CA(s) that sign the business systems' certificates ("" = the system's trust store).
    pub backchannel_ca_file: String,
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` (default) or `postgres://USER@HOST/DB`.
    pub url: String,
    pub pool_size: u32,
    pub connect_timeout_seconds: u64,
    /// SQLite: how long a writer waits for the write lock.
    pub busy_timeout_ms: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Address to listen on; port 0 picks a free port.
    pub bind: String,
    /// The URL people and business systems use; its host is the WebAuthn RP ID (a name, not an IP
    /// address); `https://` turns on HSTS.
    pub public_url: String,
    /// Reverse proxies (CIDR blocks) whose `X-Forwarded-For` is believed for the client address; the
    /// address decides the network and so the zones a request may reach (R-ZN-09). Empty: the peer.
    pub trusted_proxies: Vec<String>,
    /// Networks (CIDR blocks) whose TCP peers may read `/metrics` (R-LG-08); empty: nobody.
    pub metrics_from: Vec<String>,
    /// Worker threads; 0 means one per core.
    pub workers: usize,
    /// Seconds in-flight requests get to finish after SIGTERM.
    pub shutdown_timeout_seconds: u64,
}

impl HttpConfig {
    /// `trusted_proxies` and `metrics_from` as networks; the first entry that is not a CIDR block is
    /// refused, naming its key (it would match no one, silently).
    pub fn networks(&self) -> Result<[Vec<tobira_domain::zone::Cidr>; 2], ConfigError> {
        let parse = |key: &str, list: &[String]| {
            list.iter().map(|c| tobira_domain::zone::Cidr::parse(c)).collect::<Result<Vec<_>, _>>().map_err(|reason| {
                ConfigError::BadValue { key: key.into(), source_name: "configuration".into(), reason }
            })
        };
        Ok([parse("http.trusted_proxies", &self.trusted_proxies)?, parse("http.metrics_from", &self.metrics_from)?])
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// A tracing filter, e.g. `info` or `tobira=debug,info`.
    pub level: String,
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// One JSON object per line, for log shippers.
    Json,
    /// Human-readable lines.
    Text,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// Most events committed in one group commit.
    pub batch_max: usize,
    /// Also append every record as a JSON line to this file ("" = off).
    pub export_file: String,
    /// Also send every record to this syslog socket, e.g. `/dev/log` ("" = off).
    pub syslog_socket: String,
    /// The append-only file of audit checkpoints (R-LG-02); "" = beside the SQLite database
    /// (`<database>.audit-checkpoints`), or `DATA_DIR/audit-checkpoints` on PostgreSQL.
    pub checkpoint_file: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CryptoConfig {
    /// The 32-byte master key that encrypts signing keys and secrets at rest; "" = `DATA_DIR/master.key`,
    /// created on first start. Nodes sharing one PostgreSQL database need the same key.
    pub master_key_file: String,
    /// Password hashes (argon2id) computed at once; 0 = one per CPU core.
    pub argon2_concurrency: usize,
}

impl CryptoConfig {
    /// The number of argon2 computations allowed at once.
    pub fn argon2_slots(&self) -> usize {
        if self.argon2_concurrency > 0 {
            self.argon2_concurrency
        } else {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        }
    }
}

impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &crate::store::redact_url(&self.url))
            .field("pool_size", &self.pool_size)
            .field("connect_timeout_seconds", &self.connect_timeout_seconds)
            .field("busy_timeout_ms", &self.busy_timeout_ms)
            .finish()
    }
}

/// The HR directory connection (what the entries mean is policy: `[directory]` in the policy files).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryConfig {
    /// `ldap://host:389` (with `starttls = true`) or `ldaps://host:636`; "" = no directory configured.
    pub url: String,
    pub bind_dn: String,
    /// The bind password; give it as `password_file` (or TOBIRA__DIRECTORY__PASSWORD_FILE).
    pub password: String,
    pub starttls: bool,
    /// Allow `ldap://` without StartTLS (bind password and HR data in clear): only for a directory
    /// on the same host or a test. Default false: such a URL is refused.
    #[serde(default)]
    pub allow_plaintext: bool,
    /// PEM file of the CA(s) that sign the directory's certificate; "" = the system's trust store.
    pub ca_file: String,
    /// Limit for connecting and for every operation.
    pub timeout_seconds: u64,
    /// Entries per page of a paged search.
    pub page_size: u32,
    /// The contract register (a CSV file, `file:///…` or a path) when the policy maps one
    /// (`[directory.contracts]`); "" = none.
    pub contracts_file: String,
}

impl std::fmt::Debug for DirectoryConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectoryConfig")
            .field("url", &self.url)
            .field("bind_dn", &self.bind_dn)
            .field("password", &if self.password.is_empty() { "" } else { "***" })
            .field("starttls", &self.starttls)
            .field("allow_plaintext", &self.allow_plaintext)
            .field("ca_file", &self.ca_file)
            .field("timeout_seconds", &self.timeout_seconds)
            .field("page_size", &self.page_size)
            .field("contracts_file", &self.contracts_file)
            .finish()
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{path}: {reason}")]
    Syntax { path: String, reason: String },
    #[error("unknown configuration key `{key}` (from {source_name})")]
    UnknownKey { key: String, source_name: String },
    #[error("configuration key `{key}` (from {source_name}): {reason}")]
    BadValue { key: String, source_name: String, reason: String },
    #[error("cannot read secret file for `{key}` (from {source_name}): {reason}")]
    SecretFile { key: String, source_name: String, reason: String },
    /// The built-in defaults did not become a TOML table (a defect of this build, not of the file).
    #[error("the built-in configuration defaults cannot be layered: {0}")]
    Defaults(String),
}
