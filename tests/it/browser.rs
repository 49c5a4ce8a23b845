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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};
use tungstenite::{stream::MaybeTlsStream, Message, WebSocket};

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
            let Some(v) = self.read(deadline) else { panic!("{method}: no reply from chromium within {COMMAND_TIMEOUT:?}") };
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
            Err(e) if e.kind() == ErrorKind::NotFound => panic!("Debian package chromium is not installed: scripts/test.sh installs it"),
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
        let target = self.send("Target.createTarget", json!({ "url": "about:blank" }))["targetId"].as_str().unwrap().to_string();
        let session = self.send("Target.attachToTarget", json!({ "targetId": target, "flatten": true }))["sessionId"].as_str().unwrap().to_string();
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

/// One tab, addressed by its flattened session id.
pub struct Page {
    conn: Arc<Mutex<Conn>>,
    session: String,
    target: String,
    webauthn: AtomicBool,
}

impl Page {
    /// A command on this page's session; panics on a protocol error.
    pub fn send(&self, method: &str, params: Value) -> Value {
        self.try_send(method, params).unwrap_or_else(|e| panic!("{method} failed: {e}"))
    }

    pub fn try_send(&self, method: &str, params: Value) -> Result<Value, Value> {
        lock(&self.conn).call(Some(&self.session), method, params)
    }

    /// Waits for the next event `method` on this page (including ones already buffered); its params.
    pub fn wait_event(&self, method: &str, timeout: Duration) -> Value {
        let found = lock(&self.conn).take_event(Some(&self.session), method, Instant::now() + timeout);
        found.unwrap_or_else(|| panic!("no {method} event within {timeout:?}"))
    }

    /// Every event `method` on this page received so far (and any still arriving within 200 ms),
    /// removed from the buffer.
    pub fn take_events(&self, method: &str) -> Vec<Value> {
        let mut conn = lock(&self.conn);
        std::iter::from_fn(|| conn.take_event(Some(&self.session), method, Instant::now() + Duration::from_millis(200))).collect()
    }

    /// Evaluates `js`, awaiting a promise; `Err` with the exception (or protocol error) text.
    pub fn try_eval(&self, js: &str) -> Result<Value, String> {
        let params = json!({ "expression": js, "returnByValue": true, "awaitPromise": true, "userGesture": true });
        let r = self.try_send("Runtime.evaluate", params).map_err(|e| e.to_string())?;
        match r.get("exceptionDetails") {
            Some(ex) => Err(ex["exception"]["description"].as_str().or(ex["text"].as_str()).unwrap_or("exception").to_string()),
            None => Ok(r["result"].get("value").cloned().unwrap_or(Value::Null)),
        }
    }

    /// Evaluates `js` (awaiting a promise) and returns its value; panics if it throws.
    pub fn eval(&self, js: &str) -> Value {
        self.try_eval(js).unwrap_or_else(|e| panic!("script failed: {e}\nscript: {js}"))
    }

    /// Polls `js_condition` until it is truthy; on timeout shows the page and recent script errors.
    pub fn wait_for(&self, js_condition: &str, timeout: Duration) {
        let started = Instant::now();
        let expr = format!("!!({js_condition})");
        loop {
            // Errors (a context destroyed by a navigation) count as "not yet".
            if self.try_eval(&expr) == Ok(Value::Bool(true)) {
                return;
            }
            if started.elapsed() > timeout {
                let url = self.try_eval("location.href").ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
                let text = self.try_eval("document.body ? document.body.innerText.slice(0, 2000) : ''").unwrap_or_default();
                panic!("timed out after {timeout:?} waiting for {js_condition}\nat {url}\n{}{}", text.as_str().unwrap_or(""), self.script_errors());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Uncaught exceptions and console errors seen on this page (the last five).
    fn script_errors(&self) -> String {
        let conn = lock(&self.conn);
        let mine = conn.events.iter().filter(|e| e.session.as_deref() == Some(self.session.as_str()));
        let errors: Vec<String> = mine
            .filter_map(|e| match e.method.as_str() {
                "Runtime.exceptionThrown" => Some(e.params["exceptionDetails"]["exception"]["description"].to_string()),
                "Runtime.consoleAPICalled" if e.params["type"] == "error" => Some(e.params["args"].to_string()),
                _ => None,
            })
            .collect();
        let last = &errors[errors.len().saturating_sub(5)..];
        if last.is_empty() {
            String::new()
        } else {
            format!("\nscript errors:\n{}", last.join("\n"))
        }
    }

    /// Runs `action`, then waits until a new document replaces the current one and has loaded.
    fn and_wait_for_new_document(&self, action: impl FnOnce()) {
        // The marker lives on the old document's window; a new document does not have it.
        let _ = self.try_eval("window.__tobiraMarker = true");
        action();
        self.wait_for("window.__tobiraMarker === undefined && document.readyState === 'complete'", WAIT_TIMEOUT);
    }

    /// Navigates to `url` and waits until the new page has loaded.
    pub fn goto(&self, url: &str) {
        self.and_wait_for_new_document(|| {
            let r = self.send("Page.navigate", json!({ "url": url }));
            if let Some(e) = r["errorText"].as_str().filter(|e| !e.is_empty()) {
                panic!("navigation to {url} failed: {e}");
            }
            // No loader: a fragment change in the same document, so the marker stays.
            if r.get("loaderId").is_none() {
                let _ = self.try_eval("delete window.__tobiraMarker");
            }
        });
    }

    /// Sets a form control's value and fires `input` and `change` as typing would.
    pub fn fill(&self, css_selector: &str, value: &str) {
        let js = format!(
            "(() => {{ const e = document.querySelector({}); if (!e) return false; e.value = {};
               e.dispatchEvent(new Event('input', {{ bubbles: true }})); e.dispatchEvent(new Event('change', {{ bubbles: true }})); return true; }})()",
            json!(css_selector),
            json!(value)
        );
        assert_eq!(self.eval(&js), json!(true), "fill: no element {css_selector} at {}", self.url());
    }

    /// Clicks an element (as a user gesture); does not wait for anything it starts.
    pub fn click(&self, css_selector: &str) {
        let js = format!("(() => {{ const e = document.querySelector({}); if (!e) return false; e.click(); return true; }})()", json!(css_selector));
        assert_eq!(self.eval(&js), json!(true), "click: no element {css_selector} at {}", self.url());
    }

    /// Clicks a submit button (or link) and waits for the next page to load.
    pub fn submit_and_wait(&self, css_selector_of_button: &str) {
        self.and_wait_for_new_document(|| self.click(css_selector_of_button));
    }

    pub fn text(&self) -> String {
        self.eval("document.body ? document.body.innerText : ''").as_str().unwrap_or("").to_string()
    }

    pub fn url(&self) -> String {
        self.eval("location.href").as_str().unwrap_or("").to_string()
    }

    pub fn path(&self) -> String {
        self.eval("location.pathname").as_str().unwrap_or("").to_string()
    }

    /// The cookies for the current URL, as DevTools reports them (`httpOnly`, `secure`, `sameSite`…).
    pub fn cookies(&self) -> Vec<Value> {
        self.send("Network.getCookies", json!({}))["cookies"].as_array().cloned().unwrap_or_default()
    }

    /// Adds a virtual CTAP2 authenticator that answers without a prompt; its id.
    pub fn add_virtual_authenticator(&self, opts: AuthenticatorOptions) -> String {
        if !self.webauthn.swap(true, Ordering::SeqCst) {
            self.send("WebAuthn.enable", json!({ "enableUI": false }));
        }
        let options = json!({
            "protocol": "ctap2", "transport": opts.transport, "hasResidentKey": opts.resident_key,
            "hasUserVerification": opts.user_verification, "isUserVerified": opts.user_verified,
            "automaticPresenceSimulation": true,
        });
        self.send("WebAuthn.addVirtualAuthenticator", json!({ "options": options }))["authenticatorId"].as_str().unwrap().to_string()
    }

    /// Whether the authenticator's next user-verification check succeeds.
    pub fn set_user_verified(&self, id: &str, verified: bool) {
        self.send("WebAuthn.setUserVerified", json!({ "authenticatorId": id, "isUserVerified": verified }));
    }

    pub fn credentials(&self, id: &str) -> Vec<Value> {
        self.send("WebAuthn.getCredentials", json!({ "authenticatorId": id }))["credentials"].as_array().cloned().unwrap_or_default()
    }

    pub fn remove_virtual_authenticator(&self, id: &str) {
        self.send("WebAuthn.removeVirtualAuthenticator", json!({ "authenticatorId": id }));
    }
}

/// The first version's single-page API, kept for `signin_browser.rs`: the browser drives one page,
/// opened on first use. New tests should use `new_page` and `Page`.
impl Browser {
    fn page(&self) -> &Page {
        self.default_page.get_or_init(|| self.new_page())
    }
    pub fn eval(&self, js: &str) -> Value {
        self.page().eval(js)
    }
    pub fn goto(&self, url: &str) {
        self.page().goto(url)
    }
    pub fn wait_for(&self, js_condition: &str) {
        self.page().wait_for(js_condition, WAIT_TIMEOUT)
    }
    pub fn fill(&self, css_selector: &str, value: &str) {
        self.page().fill(css_selector, value)
    }
    /// Clicks and, when `navigates`, waits for the next page to load.
    pub fn click(&self, css_selector: &str, navigates: bool) {
        if navigates {
            self.page().submit_and_wait(css_selector)
        } else {
            self.page().click(css_selector)
        }
    }
    pub fn text(&self) -> String {
        self.page().text()
    }
    pub fn path(&self) -> String {
        self.page().path()
    }
    pub fn cookies(&self) -> Vec<Value> {
        self.page().cookies()
    }
    pub fn add_authenticator(&self) -> String {
        self.page().add_virtual_authenticator(AuthenticatorOptions::default())
    }
    pub fn credentials(&self, id: &str) -> Vec<Value> {
        self.page().credentials(id)
    }
    pub fn set_user_verified(&self, id: &str, verified: bool) {
        self.page().set_user_verified(id, verified)
    }
}
