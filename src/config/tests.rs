//! Tests of the configuration: defaults, layering order, errors naming the key, secrets.

use super::*;
use std::io::Write;
use std::path::{Path, PathBuf};

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
    let c = Config::load(
        Some(f.path()),
        env(&[("TOBIRA__HTTP__BIND", "127.0.0.1:0"), ("TOBIRA__DATABASE__POOL_SIZE", "2")]),
    )
    .unwrap();
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
fn addresses_and_log_levels_that_mean_nothing_are_errors_naming_the_key() {
    // A mistyped network would match no one (a proxy not trusted, metrics refused) and a mistyped
    // level would log at `info`: both silently; the operator learns at once instead.
    for (var, value, key) in [
        ("TOBIRA__HTTP__TRUSTED_PROXIES", "[\"10.0.0.0/33\"]", "http.trusted_proxies"),
        ("TOBIRA__HTTP__METRICS_FROM", "[\"127.0.0.1/32\", \"10.0.0.5\"]", "http.metrics_from"),
        ("TOBIRA__LOG__LEVEL", "verbose!!", "log.level"),
    ] {
        let e = Config::load(None, env(&[(var, value)])).unwrap_err();
        assert!(matches!(&e, ConfigError::BadValue { key: k, .. } if k == key), "{var}: {e}");
        assert!(e.to_string().contains(key), "{e}");
    }
    let ok = Config::load(
        None,
        env(&[
            ("TOBIRA__HTTP__TRUSTED_PROXIES", "[\"10.0.0.0/8\", \"::1/128\"]"),
            ("TOBIRA__LOG__LEVEL", "info,tobira=debug"),
        ]),
    );
    assert!(ok.is_ok(), "{:?}", ok.err());
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
    let c = Config::load(
        None,
        env(&[
            ("TOBIRA__SMTP__HOST", "mail.city.lg.jp"),
            ("TOBIRA__SMTP__TLS", "none"),
            ("TOBIRA__SMTP__PASSWORD_FILE", p),
        ]),
    )
    .unwrap();
    assert_eq!(
        (c.smtp.host.as_str(), c.smtp.tls, c.smtp.password.as_str()),
        ("mail.city.lg.jp", SmtpTls::None, "mail-pass")
    );
    let e = Config::load(None, env(&[("TOBIRA__SMTP__TLS", "ssl")])).unwrap_err();
    assert!(e.to_string().contains("smtp.tls"), "{e}");
}

#[test]
fn master_key_file_is_a_setting_not_a_secret_reference() {
    let c = Config::load(None, env(&[("TOBIRA__CRYPTO__MASTER_KEY_FILE", "/etc/tobira/master.key")])).unwrap();
    assert_eq!(c.master_key_path(), PathBuf::from("/etc/tobira/master.key"));
}
