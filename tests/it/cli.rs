//! The `tobira` command as an operator meets it: configuration errors, migrate, serve and SIGTERM.

use crate::support::{conn, output, tobira, TestDb};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use tobira::store;

#[test]
fn unknown_configuration_key_is_named_and_fatal() {
    let db = TestDb::sqlite();
    let mut c = tobira(&db);
    c.env("TOBIRA__HTTP__BIND_ADDRESS", "127.0.0.1:1").args(["migrate"]);
    let (code, _, err) = output(c);
    assert_eq!(code, 2);
    assert!(err.contains("unknown configuration key `http.bind_address` (from TOBIRA__HTTP__BIND_ADDRESS)"), "{err}");
}

#[test]
fn unsupported_database_url_is_a_clear_error_without_the_password() {
    let db = TestDb::sqlite();
    let mut c = tobira(&db);
    c.env("TOBIRA__DATABASE__URL", "mysql://root:hunter2@localhost/db").args(["migrate"]);
    let (code, _, err) = output(c);
    assert_eq!(code, 2);
    assert!(err.contains("sqlite:// or postgres://"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn unreachable_postgres_is_a_clear_error_without_the_password() {
    let db = TestDb::sqlite();
    let mut c = tobira(&db);
    c.env("TOBIRA__DATABASE__URL", "postgres://tobira:hunter2@127.0.0.1:1/tobira")
        .env("TOBIRA__DATABASE__CONNECT_TIMEOUT_SECONDS", "1")
        .args(["migrate"]);
    let (code, _, err) = output(c);
    assert_eq!(code, 2);
    assert!(err.contains("postgres://tobira:***@127.0.0.1:1/tobira"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn migrate_applies_once() {
    let db = TestDb::sqlite();
    let mut c = tobira(&db);
    c.arg("migrate");
    let (code, out, _) = output(c);
    assert_eq!(code, 0);
    assert!(out.contains("applied"), "{out}");
    let mut c = tobira(&db);
    c.arg("migrate");
    assert!(output(c).1.contains("up to date"));
}

#[test]
fn serve_refuses_an_invalid_policy_listing_the_errors() {
    let db = TestDb::sqlite();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.toml"), "[municipality]\nname = \"x\"\nmayor = \"y\"\n").unwrap();
    let mut c = tobira(&db);
    c.env("TOBIRA__POLICY_DIR", dir.path()).arg("serve");
    let (code, _, err) = output(c);
    assert_eq!(code, 2);
    assert!(err.contains("a.toml:3: ") && err.contains("mayor"), "{err}");
}

fn get(port: u16, path: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn serve_on_defaults_prints_where_it_runs_and_stops_gracefully_on_sigterm() {
    let db = TestDb::sqlite();
    let mut c = tobira(&db);
    c.arg("serve").stderr(Stdio::piped()).stdout(Stdio::null());
    let mut child = c.spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    let port: u16 = loop {
        let line = lines.next().expect("serve printed its address").unwrap();
        seen.push(line.clone());
        if let Some(rest) = line.strip_prefix("tobira: serving on http://127.0.0.1:") {
            break rest.split_whitespace().next().unwrap().parse().unwrap();
        }
    };
    let data_line = lines.next().unwrap().unwrap();
    assert!(data_line.contains("data in") && data_line.contains(&db.config().data_dir), "{data_line}");
    assert!(seen.iter().any(|l| l.contains("created a new master key")), "{seen:?}");
    assert!(get(port, "/healthz").starts_with("HTTP/1.1 200"));
    let status = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?} {rest:?}");
    assert!(rest.iter().any(|l| l == "tobira: stopped"), "{rest:?}");
}

/// R-LG-02: `serve` seals the audit chain's head at shutdown (and every `audit.checkpoint_seconds`),
/// beside the SQLite database on defaults, and `audit verify` then checks against it.
#[test]
fn r_lg_02_serve_seals_a_checkpoint_at_shutdown_beside_the_database() {
    let db = TestDb::sqlite();
    let mut c = tobira(&db);
    c.arg("serve").stderr(Stdio::piped()).stdout(Stdio::null());
    let mut child = c.spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let port: u16 = loop {
        let line = lines.next().expect("serve printed its address").unwrap();
        if let Some(rest) = line.strip_prefix("tobira: serving on http://127.0.0.1:") {
            break rest.split_whitespace().next().unwrap().parse().unwrap();
        }
    };
    // Serving (its signal handlers in place) before the signal comes.
    assert!(get(port, "/healthz").starts_with("HTTP/1.1 200"));
    // A record after the first checkpoint: only the seal at shutdown covers it (checkpoint_seconds is 300).
    let e = tobira_domain::audit::AuditEvent::new("alice", "test.event", "t");
    store::write_tx(&mut conn(&db.pool()), |c| store::audit::append(c, 1_000, vec![e])).unwrap();
    std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let _: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(child.wait().unwrap().success());
    let file = std::path::PathBuf::from(format!("{}.audit-checkpoints", db.url.strip_prefix("sqlite://").unwrap()));
    let text = std::fs::read_to_string(&file).expect("a checkpoint file beside the database");
    let head = store::audit::head(&mut conn(&db.pool())).unwrap();
    assert!(
        text.lines().last().unwrap().contains(&format!("\"seq\":{},\"hash\":\"{}\"", head.seq, head.hash)),
        "{text}"
    );
    let mut v = tobira(&db);
    v.args(["audit", "verify"]);
    let (code, out, _) = output(v);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("latest checkpoint: record #{}", head.seq)), "{out}");
}
