//! Configuration: built-in defaults, then a TOML file (`--config FILE` or `TOBIRA_CONFIG`), then
//! `TOBIRA__SECTION__KEY` environment variables. A key ending in `_file` whose name without the suffix
//! is a setting reads that setting from the named file (secrets: `TOBIRA__DATABASE__URL_FILE=/run/…`).
//!
//! Invariants: every setting has a default, so the defaults name every key there is; a key that is
//! not among them is an error naming the key and where it came from; environment values take the type
//! of the default they override. The result is a value handed to the application (no globals).

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use toml::{Table, Value};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where tobira keeps its files (the SQLite database, the master key).
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

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: "./data".into(),
            policy_dir: "./policies".into(),
            database: DatabaseConfig { url: "sqlite://./data/tobira.db".into(), pool_size: 8, connect_timeout_seconds: 10, busy_timeout_ms: 5_000 },
            http: HttpConfig {
                bind: "127.0.0.1:8080".into(),
                public_url: "http://localhost:8080".into(),
                trusted_proxies: Vec::new(),
                metrics_from: vec!["127.0.0.0/8".into(), "::1/128".into()],
                workers: 0,
                shutdown_timeout_seconds: 10,
            },
            log: LogConfig { level: "info".into(), format: LogFormat::Json },
            audit: AuditConfig { batch_max: 512, export_file: String::new(), syslog_socket: String::new(), checkpoint_file: String::new() },
            crypto: CryptoConfig { master_key_file: String::new(), argon2_concurrency: 0 },
            directory: DirectoryConfig {
                url: String::new(),
                bind_dn: String::new(),
                password: String::new(),
                starttls: false,
                allow_plaintext: false,
                ca_file: String::new(),
                timeout_seconds: 30,
                page_size: 500,
                contracts_file: String::new(),
            },
            oidc: OidcConfig { key_reload_seconds: 60, client_cache_seconds: 5, backchannel_every_seconds: 2, backchannel_timeout_seconds: 5, backchannel_ca_file: String::new() },
            jobs: JobsConfig { privileged_sweep_seconds: 15 },
            smtp: SmtpConfig {
                host: String::new(),
                port: 25,
                from: String::new(),
                tls: SmtpTls::Starttls,
                ca_file: String::new(),
                username: String::new(),
                password: String::new(),
                timeout_seconds: 10,
                every_seconds: 30,
                max_attempts: 12,
            },
        }
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
}

impl Config {
    /// Layers `file` (if any) and the `TOBIRA__` variables of `env` over the defaults.
    pub fn load(file: Option<&Path>, env: impl IntoIterator<Item = (String, String)>) -> Result<Config, ConfigError> {
        let defaults = Value::try_from(Config::default()).expect("defaults serialise").as_table().cloned().expect("a table");
        let mut merged = defaults.clone();
        if let Some(path) = file {
            let shown = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read { path: shown.clone(), reason: e.to_string() })?;
            let table: Table = toml::from_str(&text).map_err(|e| ConfigError::Syntax { path: shown.clone(), reason: e.message().to_string() })?;
            merge_file(&defaults, &mut merged, table, &mut Vec::new(), &shown)?;
        }
        let mut vars: Vec<(String, String)> = env.into_iter().filter(|(k, _)| k.starts_with("TOBIRA__")).collect();
        vars.sort();
        for (name, raw) in vars {
            let path: Vec<String> = name["TOBIRA__".len()..].split("__").map(|s| s.to_lowercase()).collect();
            apply_env(&defaults, &mut merged, &path, raw, &name)?;
        }
        let de = Value::Table(merged);
        serde_path_to_error::deserialize(de).map_err(|e| ConfigError::BadValue { key: e.path().to_string(), source_name: "configuration".into(), reason: e.inner().to_string() })
    }

    /// The master key's path: the configured file or `DATA_DIR/master.key`.
    /// Where audit checkpoints are appended (see [`AuditConfig::checkpoint_file`]).
    pub fn checkpoint_path(&self) -> PathBuf {
        if !self.audit.checkpoint_file.is_empty() {
            return PathBuf::from(&self.audit.checkpoint_file);
        }
        match self.database.url.strip_prefix("sqlite://") {
            Some(db) => PathBuf::from(format!("{db}.audit-checkpoints")),
            None => Path::new(&self.data_dir).join("audit-checkpoints"),
        }
    }

    pub fn master_key_path(&self) -> PathBuf {
        if self.crypto.master_key_file.is_empty() {
            Path::new(&self.data_dir).join("master.key")
        } else {
            PathBuf::from(&self.crypto.master_key_file)
        }
    }
}

fn lookup<'a>(t: &'a Table, path: &[String]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let v = t.get(first)?;
    if rest.is_empty() {
        Some(v)
    } else {
        lookup(v.as_table()?, rest)
    }
}

fn set(t: &mut Table, path: &[String], v: Value) {
    let (first, rest) = path.split_first().expect("non-empty path");
    if rest.is_empty() {
        t.insert(first.clone(), v);
    } else if let Some(Value::Table(inner)) = t.get_mut(first) {
        set(inner, rest, v);
    }
}

/// If `path` ends in `_file` and names a string setting without the suffix, the setting's path.
fn secret_target(defaults: &Table, path: &[String]) -> Option<Vec<String>> {
    let last = path.last()?.strip_suffix("_file")?;
    let mut target = path.to_vec();
    *target.last_mut()? = last.to_string();
    (lookup(defaults, path).is_none() && matches!(lookup(defaults, &target), Some(Value::String(_)))).then_some(target)
}

fn read_secret(file: &str, key: &[String], source_name: &str) -> Result<Value, ConfigError> {
    let text = std::fs::read_to_string(file).map_err(|e| ConfigError::SecretFile { key: key.join("."), source_name: source_name.into(), reason: e.to_string() })?;
    Ok(Value::String(text.trim_end_matches(['\n', '\r']).to_string()))
}

fn merge_file(defaults: &Table, merged: &mut Table, table: Table, prefix: &mut Vec<String>, source_name: &str) -> Result<(), ConfigError> {
    for (k, v) in table {
        prefix.push(k);
        match (lookup(defaults, prefix), v) {
            (Some(Value::Table(_)), Value::Table(inner)) => merge_file(defaults, merged, inner, prefix, source_name)?,
            (Some(_), v) => set(merged, prefix, v),
            (None, Value::String(file)) if secret_target(defaults, prefix).is_some() => {
                let target = secret_target(defaults, prefix).expect("checked");
                let secret = read_secret(&file, &target, source_name)?;
                set(merged, &target, secret);
            }
            (None, _) => return Err(ConfigError::UnknownKey { key: prefix.join("."), source_name: source_name.into() }),
        }
        prefix.pop();
    }
    Ok(())
}

fn apply_env(defaults: &Table, merged: &mut Table, path: &[String], raw: String, name: &str) -> Result<(), ConfigError> {
    let key = path.join(".");
    if let Some(target) = secret_target(defaults, path) {
        let secret = read_secret(&raw, &target, name)?;
        set(merged, &target, secret);
        return Ok(());
    }
    let bad = |reason: &str| ConfigError::BadValue { key: key.clone(), source_name: name.into(), reason: reason.into() };
    let value = match lookup(defaults, path) {
        None => return Err(ConfigError::UnknownKey { key, source_name: name.into() }),
        Some(Value::Table(_)) => return Err(bad("is a section; set its keys instead")),
        Some(Value::String(_)) => Value::String(raw),
        Some(Value::Integer(_)) => Value::Integer(raw.trim().parse().map_err(|_| bad("expected a whole number"))?),
        Some(Value::Boolean(_)) => Value::Boolean(raw.trim().parse().map_err(|_| bad("expected true or false"))?),
        Some(Value::Float(_)) => Value::Float(raw.trim().parse().map_err(|_| bad("expected a number"))?),
        Some(_) => {
            let t: Table = toml::from_str(&format!("v = {raw}")).map_err(|_| bad("expected a TOML value"))?;
            t["v"].clone()
        }
    };
    set(merged, path, value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_alone() {
        let c = Config::load(None, env(&[("PATH", "/bin")])).unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.database.url, "sqlite://./data/tobira.db");
        assert_eq!(c.http.bind, "127.0.0.1:8080");
        assert_eq!(c.master_key_path(), PathBuf::from("./data/master.key"));
    }

    #[test]
    fn file_then_env_override_in_order() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, "[http]\nbind = \"0.0.0.0:9000\"\nworkers = 3\n[database]\npool_size = 4").unwrap();
        let c = Config::load(Some(f.path()), env(&[("TOBIRA__HTTP__BIND", "127.0.0.1:0"), ("TOBIRA__DATABASE__POOL_SIZE", "2")])).unwrap();
        assert_eq!(c.http.bind, "127.0.0.1:0");
        assert_eq!(c.http.workers, 3);
        assert_eq!(c.database.pool_size, 2);
    }

    #[test]
    fn unknown_keys_are_errors_naming_the_key() {
        let e = Config::load(None, env(&[("TOBIRA__HTTP__BND", "x")])).unwrap_err();
        assert_eq!(e, ConfigError::UnknownKey { key: "http.bnd".into(), source_name: "TOBIRA__HTTP__BND".into() });
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, "[database]\nurll = \"x\"").unwrap();
        let e = Config::load(Some(f.path()), env(&[])).unwrap_err();
        assert!(matches!(&e, ConfigError::UnknownKey { key, .. } if key == "database.urll"), "{e}");
        assert!(e.to_string().contains("database.urll"));
    }

    #[test]
    fn wrong_types_are_errors_naming_the_key() {
        let e = Config::load(None, env(&[("TOBIRA__DATABASE__POOL_SIZE", "many")])).unwrap_err();
        assert!(e.to_string().contains("database.pool_size"), "{e}");
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, "[http]\nworkers = \"two\"").unwrap();
        let e = Config::load(Some(f.path()), env(&[])).unwrap_err();
        assert!(e.to_string().contains("http.workers"), "{e}");
    }

    #[test]
    fn secrets_come_from_files_and_never_into_errors() {
        let mut secret = tempfile::NamedTempFile::new().unwrap();
        writeln!(secret, "postgres://tobira:s3cret@db/tobira").unwrap();
        let p = secret.path().to_str().unwrap();
        let c = Config::load(None, env(&[("TOBIRA__DATABASE__URL_FILE", p)])).unwrap();
        assert_eq!(c.database.url, "postgres://tobira:s3cret@db/tobira");
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, "[database]\nurl_file = \"{p}\"").unwrap();
        assert_eq!(Config::load(Some(f.path()), env(&[])).unwrap().database.url, "postgres://tobira:s3cret@db/tobira");
        let e = Config::load(None, env(&[("TOBIRA__DATABASE__URL_FILE", "/nonexistent/secret")])).unwrap_err();
        assert!(matches!(e, ConfigError::SecretFile { .. }));
    }

    #[test]
    fn the_documented_examples_are_true() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy");
        let example = Config::load(Some(&dir.join("tobira.example.toml")), env(&[])).unwrap();
        assert_eq!(example, Config::default(), "deploy/tobira.example.toml lists every key with its default");
        let prod = Config::load(Some(&dir.join("tobira.production.toml")), env(&[])).unwrap();
        assert!(prod.database.url.starts_with("postgres://"));
    }

    #[test]
    fn enumerated_values_are_checked() {
        let e = Config::load(None, env(&[("TOBIRA__LOG__FORMAT", "jsn")])).unwrap_err();
        assert!(e.to_string().contains("log.format"), "{e}");
        assert_eq!(Config::load(None, env(&[("TOBIRA__LOG__FORMAT", "text")])).unwrap().log.format, LogFormat::Text);
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let mut c = Config::default();
        c.database.url = "postgres://tobira:hunter2@db/tobira".into();
        c.directory.password = "ldap-secret".into();
        c.smtp.password = "smtp-secret".into();
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("ldap-secret") && !shown.contains("smtp-secret"), "{shown}");
    }

    #[test]
    fn smtp_is_off_by_default_and_its_password_comes_from_a_file() {
        assert!(Config::default().smtp.host.is_empty());
        let mut secret = tempfile::NamedTempFile::new().unwrap();
        writeln!(secret, "mail-pass").unwrap();
        let p = secret.path().to_str().unwrap();
        let c = Config::load(None, env(&[("TOBIRA__SMTP__HOST", "mail.city.lg.jp"), ("TOBIRA__SMTP__TLS", "none"), ("TOBIRA__SMTP__PASSWORD_FILE", p)])).unwrap();
        assert_eq!((c.smtp.host.as_str(), c.smtp.tls, c.smtp.password.as_str()), ("mail.city.lg.jp", SmtpTls::None, "mail-pass"));
        let e = Config::load(None, env(&[("TOBIRA__SMTP__TLS", "ssl")])).unwrap_err();
        assert!(e.to_string().contains("smtp.tls"), "{e}");
    }

    #[test]
    fn master_key_file_is_a_setting_not_a_secret_reference() {
        let c = Config::load(None, env(&[("TOBIRA__CRYPTO__MASTER_KEY_FILE", "/etc/tobira/master.key")])).unwrap();
        assert_eq!(c.master_key_path(), PathBuf::from("/etc/tobira/master.key"));
    }
}
