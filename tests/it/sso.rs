//! Harness for single sign-on as staff meet it: a business system that is not ours (Flask with
//! Authlib's stock OpenID Connect client, `tests/support/rp.py`) served on `http://127.0.0.1:PORT`,
//! tobira on `http://localhost:PORT` (another origin), and real headless Chromium with the pages'
//! Content Security Policy enforced and a virtual WebAuthn authenticator. The relying party runs in
//! the virtual environment `scripts/setup-rp.sh` makes (`TOBIRA_TEST_RP_VENV`, by default
//! `~/.cache/tobira-rp-venv`).

#![allow(dead_code)]

use crate::browser::Page;
use crate::oidc_rp::{self, Op};
use crate::support::TestDb;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The business systems the tests register: a class-2 LGWAN system with refresh tokens and
/// back-channel logout (ID tokens signed EdDSA, so `at_hash` uses SHA-512), and the My Number
/// system (two kinds, RS256, no refresh grant).
const CLIENTS: &str = r#"
[[clients]]
id = "rp-bunsho"
system = "bunsho"
name = "RP: document management (Flask + Authlib)"
grants = ["authorization_code", "refresh_token"]
redirect_uris = ["http://127.0.0.1:{BUNSHO}/cb"]
post_logout_redirect_uris = ["http://127.0.0.1:{BUNSHO}/bye"]
backchannel_logout_uri = "http://127.0.0.1:{BUNSHO}/backchannel"
id_token_alg = "EdDSA"

[[clients]]
id = "rp-juki"
system = "juki"
name = "RP: resident registry (Flask + Authlib)"
grants = ["authorization_code"]
redirect_uris = ["http://127.0.0.1:{JUKI}/cb"]
id_token_alg = "RS256"
"#;

/// A running relying party; killed on drop.
pub struct Rp {
    child: Child,
    pub base: String,
}

impl Drop for Rp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn python() -> String {
    let venv = std::env::var("TOBIRA_TEST_RP_VENV")
        .unwrap_or_else(|_| format!("{}/.cache/tobira-rp-venv", std::env::var("HOME").unwrap_or_default()));
    let py = format!("{venv}/bin/python");
    assert!(
        std::path::Path::new(&py).exists(),
        "no relying-party environment at {venv}: run scripts/setup-rp.sh (scripts/test.sh does)"
    );
    py
}

impl Rp {
    fn start(port: u16, issuer: &str, client: &str, secret: &str) -> Rp {
        let mut child = Command::new(python())
            .arg(crate::support::repo_path("tests/support/rp.py"))
            .env("RP_ISSUER", issuer)
            .env("RP_PORT", port.to_string())
            .env("RP_CLIENT_ID", client)
            .env("RP_CLIENT_SECRET", secret)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the relying party starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready", "the relying party did not start (Authlib and Flask installed?)");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "the relying party did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Rp { child, base: format!("http://127.0.0.1:{port}") }
    }

    /// The claims of every logout token the system received and verified.
    pub fn backchannel_log(&self) -> Vec<Value> {
        let port = self.base.rsplit(':').next().unwrap();
        let mut s = TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
        write!(s, "GET /backchannel/log HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        let body = out.split("\r\n\r\n").nth(1).unwrap_or("[]");
        serde_json::from_str::<Vec<Value>>(body).unwrap_or_else(|e| panic!("{e}: {out}"))
    }
}

/// tobira with the two relying parties running; `edit` changes the policy files first.
pub struct Sso {
    pub op: Op,
    pub bunsho: Rp,
    pub juki: Rp,
}

pub async fn start(db: &TestDb, edit: impl FnOnce(&std::path::Path)) -> Sso {
    let (bunsho_port, juki_port) = (free_port(), free_port());
    let clients = CLIENTS.replace("{BUNSHO}", &bunsho_port.to_string()).replace("{JUKI}", &juki_port.to_string());
    let op = oidc_rp::start_custom(db, &clients, edit, |_| {}).await;
    let (bunsho_secret, juki_secret) = (op.secret("rp-bunsho").await, op.secret("rp-juki").await);
    let issuer = op.issuer.clone();
    let (bunsho, juki) = tokio::task::spawn_blocking(move || {
        (
            Rp::start(bunsho_port, &issuer, "rp-bunsho", &bunsho_secret),
            Rp::start(juki_port, &issuer, "rp-juki", &juki_secret),
        )
    })
    .await
    .unwrap();
    Sso { op, bunsho, juki }
}

/// Replaces `from` by `to` in the policy file `file` (the edit must apply).
pub fn set_policy(dir: &std::path::Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} has no {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// Records the page's console (CSP violations are reported there) from now on.
pub fn watch_console(p: &Page) {
    p.send("Log.enable", serde_json::json!({}));
}

/// The console's Content Security Policy violations seen so far.
pub fn csp_violations(p: &Page) -> Vec<String> {
    p.take_events("Log.entryAdded")
        .iter()
        .filter_map(|e| e["entry"]["text"].as_str())
        .filter(|t| t.contains("Content Security Policy"))
        .map(str::to_string)
        .collect()
}

/// Waits until the browser is at the page `path` of the business system at `rp` (its base URL) and
/// returns what that page shows.
pub fn at_system(p: &Page, rp: &str, path: &str) -> Value {
    let cond = format!(
        "location.origin === {} && location.pathname === {} && !!document.getElementById('result')",
        serde_json::json!(rp),
        serde_json::json!(path)
    );
    p.wait_for(&cond, Duration::from_secs(30));
    let text = p.eval("document.getElementById('result').textContent");
    serde_json::from_str(text.as_str().unwrap()).unwrap()
}

/// Waits until the browser shows tobira's page `path` (fully loaded).
pub fn at_tobira(p: &Page, path: &str) {
    let cond = format!("location.pathname === {} && document.readyState === 'complete'", serde_json::json!(path));
    p.wait_for(&cond, Duration::from_secs(30));
}

/// Fills the sign-in form and submits it.
pub fn password(p: &Page, login: &str, password: &str) {
    at_tobira(p, "/signin");
    p.fill("#login_id", login);
    p.fill("#password", password);
    p.click("#signin-submit");
}

/// The `amr` of the claims as strings.
pub fn amr(claims: &Value) -> Vec<String> {
    claims["amr"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}
