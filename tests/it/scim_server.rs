//! A real SCIM 2.0 service provider for the provisioning tests: `scim2-server` (pip, in memory,
//! with `--bearer-token`) from the virtual environment `scripts/setup-rp.sh` makes, behind a small
//! TCP relay the tests can cut to make the system "down" without losing what it holds.

use serde_json::Value;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub const TOKEN: &str = "scim-test-token-not-a-secret";

pub struct ScimServer {
    child: Child,
    upstream: u16,
    relay: u16,
    down: Arc<AtomicBool>,
    pub token_file: tempfile::NamedTempFile,
    http: reqwest::Client,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn binary() -> String {
    let venv = std::env::var("TOBIRA_TEST_RP_VENV")
        .unwrap_or_else(|_| format!("{}/.cache/tobira-rp-venv", std::env::var("HOME").unwrap_or_default()));
    let bin = format!("{venv}/bin/scim2-server");
    assert!(
        std::path::Path::new(&bin).exists(),
        "no scim2-server at {bin}: run scripts/setup-rp.sh (scripts/test.sh does)"
    );
    bin
}

/// Relays 127.0.0.1:relay to the server; while `down`, every connection is closed at once.
fn relay(listener: TcpListener, upstream: u16, down: Arc<AtomicBool>) {
    for conn in listener.incoming() {
        let Ok(client) = conn else { continue };
        if down.load(Ordering::SeqCst) {
            drop(client);
            continue;
        }
        let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else { continue };
        let pipe = |mut from: TcpStream, mut to: TcpStream| {
            std::thread::spawn(move || {
                let mut buf = [0u8; 16384];
                while let Ok(n) = from.read(&mut buf) {
                    if n == 0 || to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = to.shutdown(std::net::Shutdown::Both);
            });
        };
        pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
        pipe(server, client);
    }
}

impl ScimServer {
    pub async fn start() -> ScimServer {
        let upstream = free_port();
        let child = Command::new(binary())
            .args(["--port", &upstream.to_string(), "--bearer-token", TOKEN])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let relay_port = listener.local_addr().unwrap().port();
        let down = Arc::new(AtomicBool::new(false));
        let d = down.clone();
        std::thread::spawn(move || relay(listener, upstream, d));
        let mut token_file = tempfile::NamedTempFile::new().unwrap();
        writeln!(token_file, "{TOKEN}").unwrap();
        let s = ScimServer { child, upstream, relay: relay_port, down, token_file, http: reqwest::Client::new() };
        for _ in 0..300 {
            if s.get("/ServiceProviderConfig").await.is_some() {
                return s;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("scim2-server did not start on port {upstream}");
    }

    /// The base URL tobira is given (through the relay).
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v2", self.relay)
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// GET straight from the server (never through the relay); `None` unless 200.
    pub async fn get(&self, path: &str) -> Option<Value> {
        let r = self
            .http
            .get(format!("http://127.0.0.1:{}/v2{path}", self.upstream))
            .bearer_auth(TOKEN)
            .send()
            .await
            .ok()?;
        if r.status() != 200 {
            return None;
        }
        r.json().await.ok()
    }

    async fn find(&self, attr: &str, value: &str) -> Vec<Value> {
        let q = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("filter", &format!("{attr} eq \"{value}\""))
            .finish();
        self.get(&format!("/Users?{q}")).await.and_then(|v| v["Resources"].as_array().cloned()).unwrap_or_default()
    }

    /// The User with this externalId (tobira's account id), if any.
    pub async fn by_external_id(&self, id: &str) -> Option<Value> {
        let found = self.find("externalId", id).await;
        assert!(found.len() <= 1, "one User per externalId: {found:?}");
        found.into_iter().next()
    }

    pub async fn by_user_name(&self, name: &str) -> Vec<Value> {
        self.find("userName", name).await
    }

    pub async fn user_count(&self) -> u64 {
        self.get("/Users?count=0").await.and_then(|v| v["totalResults"].as_u64()).unwrap_or(0)
    }

    /// Creates a User directly (someone else's, for conflicts); returns the HTTP status.
    pub async fn post(&self, user: Value) -> u16 {
        let r = self
            .http
            .post(format!("http://127.0.0.1:{}/v2/Users", self.upstream))
            .bearer_auth(TOKEN)
            .header("Content-Type", "application/scim+json")
            .body(user.to_string())
            .send()
            .await
            .unwrap();
        r.status().as_u16()
    }
}

impl ScimServer {
    /// Replaces a User directly (someone changing it in the system); returns the HTTP status.
    pub async fn put(&self, id: &str, user: Value) -> u16 {
        let url = format!("http://127.0.0.1:{}/v2/Users/{id}", self.upstream);
        self.http
            .put(url)
            .bearer_auth(TOKEN)
            .header("Content-Type", "application/scim+json")
            .body(user.to_string())
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// Deletes a User directly; returns the HTTP status.
    pub async fn delete(&self, id: &str) -> u16 {
        self.http
            .delete(format!("http://127.0.0.1:{}/v2/Users/{id}", self.upstream))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

impl Drop for ScimServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
