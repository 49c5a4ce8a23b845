//! A small synchronous Chrome DevTools Protocol client for the browser tests. It starts Debian's
//! headless `chromium` (the package `chromium`, installed by `scripts/test.sh`), opens pages on one
//! WebSocket with flattened sessions, drives server-rendered forms, reads cookies, and adds virtual
//! WebAuthn authenticators so passkey ceremonies run for real. Every command and wait is bounded:
//! a stuck browser fails the test with a message instead of hanging it.

#![allow(dead_code)]

use serde_json::{json, Value};
use std::collections::VecDeque;
use std::io::ErrorKind;
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};
use tungstenite::{stream::MaybeTlsStream, Message, WebSocket};

mod page;
mod single_page;

pub use page::Page;

const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
const START_TIMEOUT: Duration = Duration::from_secs(20);
const WAIT_TIMEOUT: Duration = Duration::from_secs(30);
const MAX_EVENTS: usize = 1000;

/// A protocol event: `session` is `None` for browser-level events.
#[derive(Clone, Debug)]
pub struct Event {
    pub method: String,
    pub params: Value,
    pub session: Option<String>,
}

/// The one DevTools connection: a message id counter and the events read while waiting for replies.
struct Conn {
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    events: VecDeque<Event>,
}

impl Conn {
    /// Reads one message; `None` once `deadline` passes (the socket has a short read timeout).
    fn read(&mut self, deadline: Instant) -> Option<Value> {
        loop {
            if Instant::now() > deadline {
                return None;
            }
            match self.ws.read() {
                Ok(Message::Text(t)) => return Some(serde_json::from_str(&t).expect("DevTools sent invalid JSON")),
                Ok(Message::Close(_)) => panic!("chromium closed the DevTools connection"),
                Ok(_) => {}
                Err(tungstenite::Error::Io(e)) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) => panic!("DevTools connection failed: {e}"),
            }
        }
    }

    fn keep_event(&mut self, v: Value) {
        if let Some(method) = v["method"].as_str() {
            if self.events.len() == MAX_EVENTS {
                self.events.pop_front();
            }
            let session = v["sessionId"].as_str().map(str::to_string);
            self.events.push_back(Event { method: method.to_string(), params: v["params"].clone(), session });
        }
    }

    /// Sends a command and waits for its reply: `Err` holds the protocol error.
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Result<Value, Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.ws.send(Message::text(msg.to_string())).unwrap_or_else(|e| panic!("{method}: cannot send: {e}"));
        let deadline = Instant::now() + COMMAND_TIMEOUT;
        loop {
            let Some(v) = self.read(deadline) else {
                panic!("{method}: no reply from chromium within {COMMAND_TIMEOUT:?}")
            };
            if v["id"].as_u64() == Some(id) {
                return match v.get("error") {
                    Some(e) => Err(e.clone()),
                    None => Ok(v["result"].clone()),
                };
            }
            self.keep_event(v);
        }
    }

    /// Removes and returns the first event named `method` on `session`, reading until `deadline`.
    fn take_event(&mut self, session: Option<&str>, method: &str, deadline: Instant) -> Option<Value> {
        let matches = |e: &Event| e.method == method && e.session.as_deref() == session;
        if let Some(i) = self.events.iter().position(matches) {
            return self.events.remove(i).map(|e| e.params);
        }
        while let Some(v) = self.read(deadline) {
            if v["method"] == method && v["sessionId"].as_str() == session {
                return Some(v["params"].clone());
            }
            self.keep_event(v);
        }
        None
    }
}

fn lock(conn: &Mutex<Conn>) -> MutexGuard<'_, Conn> {
    // A panicking test may poison the lock; the connection itself is still usable for cleanup.
    conn.lock().unwrap_or_else(|e| e.into_inner())
}

/// A headless chromium with its own profile directory; killed and removed on drop.
pub struct Browser {
    child: Child,
    conn: Arc<Mutex<Conn>>,
    default_page: OnceLock<Page>,
    dir: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ask politely so the renderers go too, then make sure.
        let _ = lock(&self.conn).ws.send(Message::text(json!({ "id": 0, "method": "Browser.close" }).to_string()));
        let until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < until && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    /// Launches chromium and connects to its DevTools WebSocket.
    pub fn start() -> Browser {
        let dir = tempfile::tempdir().unwrap();
        // chromium logs to stderr; a file rather than an unread pipe that could fill and stall it.
        let log = std::fs::File::create(dir.path().join("chromium.log")).unwrap();
        let profile = dir.path().join("profile");
        let spawned = Command::new("chromium")
            .args(["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check"])
            .args(["--disable-dev-shm-usage", "--remote-debugging-port=0"])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn();
        let mut child = match spawned {
            Ok(c) => c,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                panic!("Debian package chromium is not installed: scripts/test.sh installs it")
            }
            Err(e) => panic!("cannot start chromium: {e}"),
        };
        let port_file = profile.join("DevToolsActivePort");
        let started = Instant::now();
        let text = loop {
            if let Ok(t) = std::fs::read_to_string(&port_file) {
                if t.lines().count() >= 2 {
                    break t;
                }
            }
            let log = || std::fs::read_to_string(dir.path().join("chromium.log")).unwrap_or_default();
            if let Ok(Some(status)) = child.try_wait() {
                panic!("chromium exited at start ({status}):\n{}", log());
            }
            if started.elapsed() > START_TIMEOUT {
                let _ = child.kill();
                panic!("chromium did not open its DevTools port within {START_TIMEOUT:?}:\n{}", log());
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut lines = text.lines();
        let (port, path) = (lines.next().unwrap().trim(), lines.next().unwrap().trim());
        let (ws, _) = tungstenite::connect(format!("ws://127.0.0.1:{port}{path}")).expect("DevTools WebSocket");
        if let MaybeTlsStream::Plain(s) = ws.get_ref() {
            // Short reads so every wait can check its own deadline.
            s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
            s.set_write_timeout(Some(COMMAND_TIMEOUT)).unwrap();
            s.set_nodelay(true).unwrap();
        }
        let conn = Arc::new(Mutex::new(Conn { ws, next_id: 0, events: VecDeque::new() }));
        Browser { child, conn, default_page: OnceLock::new(), dir }
    }

    /// A browser-level command (no session).
    pub fn send(&self, method: &str, params: Value) -> Value {
        lock(&self.conn).call(None, method, params).unwrap_or_else(|e| panic!("{method} failed: {e}"))
    }

    /// Opens a new tab and attaches to it.
    pub fn new_page(&self) -> Page {
        let target =
            self.send("Target.createTarget", json!({ "url": "about:blank" }))["targetId"].as_str().unwrap().to_string();
        let session = self.send("Target.attachToTarget", json!({ "targetId": target, "flatten": true }))["sessionId"]
            .as_str()
            .unwrap()
            .to_string();
        let page = Page { conn: self.conn.clone(), session, target, webauthn: AtomicBool::new(false) };
        page.send("Page.enable", json!({}));
        page.send("Runtime.enable", json!({}));
        // WebAuthn refuses an unfocused document; headless tabs are not focused on their own.
        page.send("Emulation.setFocusEmulationEnabled", json!({ "enabled": true }));
        page
    }
}

/// Options for a virtual authenticator; the protocol is always CTAP2.
#[derive(Clone, Copy, Debug)]
pub struct AuthenticatorOptions {
    /// "internal" (platform, e.g. a fingerprint reader) or "usb" (a security key).
    pub transport: &'static str,
    pub resident_key: bool,
    pub user_verification: bool,
    pub user_verified: bool,
}

impl Default for AuthenticatorOptions {
    fn default() -> Self {
        AuthenticatorOptions { transport: "internal", resident_key: true, user_verification: true, user_verified: true }
    }
}
