//! The built-in defaults: a value for every setting, so the defaults name every key there is.

use super::*;

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: "./data".into(),
            policy_dir: "./policies".into(),
            database: DatabaseConfig {
                url: "sqlite://./data/tobira.db".into(),
                pool_size: 8,
                connect_timeout_seconds: 10,
                busy_timeout_ms: 5_000,
            },
            http: HttpConfig {
                bind: "127.0.0.1:8080".into(),
                public_url: "http://localhost:8080".into(),
                trusted_proxies: Vec::new(),
                metrics_from: vec!["127.0.0.0/8".into(), "::1/128".into()],
                workers: 0,
                shutdown_timeout_seconds: 10,
            },
            log: LogConfig { level: "info".into(), format: LogFormat::Json },
            audit: AuditConfig {
                batch_max: 512,
                export_file: String::new(),
                syslog_socket: String::new(),
                checkpoint_file: String::new(),
            },
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
            oidc: OidcConfig {
                key_reload_seconds: 60,
                client_cache_seconds: 5,
                backchannel_every_seconds: 2,
                backchannel_timeout_seconds: 5,
                backchannel_ca_file: String::new(),
            },
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
