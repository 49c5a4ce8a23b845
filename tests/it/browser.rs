//! A small synchronous Chrome DevTools Protocol client for the browser tests: it starts Debian's
//! headless `chromium` (installed by `scripts/test.sh`), drives one page and adds a virtual WebAuthn
//! authenticator that performs user verification, so passkey ceremonies run for real.

#![allow(dead_code)]

use serde_json::{json, Value};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tungstenite::{stream::MaybeTlsStream, Message, WebSocket};

pub struct Browser {
    child: Child,
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    session: String,
    _dir: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    /// Launches chromium and opens one page.
    pub fn start() -> Browser {
        let dir = tempfile::tempdir().unwrap();
        let child = Command::new("chromium")
            .args(["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-dev-shm-usage", "--remote-debugging-port=0"])
            .arg(format!("--user-data-dir={}", dir.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start chromium ({e}): the Debian package chromium is needed; scripts/test.sh installs it"));
        let port_file = dir.path().join("DevToolsActivePort");
        let started = Instant::now();
        let text = loop {
            if let Ok(t) = std::fs::read_to_string(&port_file) {
                if t.lines().count() >= 2 {
                    break t;
                }
            }
            assert!(started.elapsed() < Duration::from_secs(30), "chromium did not open its DevTools port");
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut lines = text.lines();
        let (port, path) = (lines.next().unwrap().trim().to_string(), lines.next().unwrap().trim().to_string());
        let (ws, _) = tungstenite::connect(format!("ws://127.0.0.1:{port}{path}")).expect("DevTools websocket");
        if let MaybeTlsStream::Plain(s) = ws.get_ref() {
            s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        }
        let mut b = Browser { child, ws, next_id: 0, session: String::new(), _dir: dir };
        let target = b.call("Target.createTarget", json!({ "url": "about:blank" }), false)["targetId"].as_str().unwrap().to_string();
        b.session = b.call("Target.attachToTarget", json!({ "targetId": target, "flatten": true }), false)["sessionId"].as_str().unwrap().to_string();
        b.send("Page.enable", json!({}));
        b.send("Runtime.enable", json!({}));
        b
    }

    fn call(&mut self, method: &str, params: Value, on_page: bool) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if on_page {
            msg["sessionId"] = json!(self.session);
        }
        self.ws.send(Message::text(msg.to_string())).unwrap();
        loop {
            let m = self.ws.read().unwrap_or_else(|e| panic!("{method}: {e}"));
            let Message::Text(t) = m else { continue };
            let v: Value = serde_json::from_str(&t).unwrap();
            if v["id"] == json!(id) {
                if let Some(e) = v.get("error") {
                    panic!("{method} failed: {e}");
                }
                return v["result"].clone();
            }
        }
    }

    /// A command on the page's session.
    pub fn send(&mut self, method: &str, params: Value) -> Value {
        self.call(method, params, true)
    }

    /// Evaluates `js` (awaiting a promise) and returns its value; panics if it throws.
    /// A page that is navigating has no execution context for a moment; such a call is retried.
    pub fn eval(&mut self, js: &str) -> Value {
        for attempt in 0..20 {
            let r = self.send("Runtime.evaluate", json!({ "expression": js, "returnByValue": true, "awaitPromise": true }));
            match r.get("exceptionDetails") {
                None => return r["result"]["value"].clone(),
                Some(ex) if attempt < 19 && ex.to_string().contains("context") => std::thread::sleep(Duration::from_millis(100)),
                Some(ex) => panic!("script failed: {js}\n{ex}"),
            }
        }
        unreachable!()
    }

    pub fn goto(&mut self, url: &str) {
        self.send("Page.navigate", json!({ "url": url }));
        self.wait_for(&format!("location.href.startsWith({}) && document.readyState === 'complete'", json!(url.split('?').next().unwrap())));
    }

    /// Polls `condition` until it is true (30 s), showing the page if it never is.
    pub fn wait_for(&mut self, condition: &str) {
        let started = Instant::now();
        loop {
            let ok = self.send("Runtime.evaluate", json!({ "expression": format!("!!({condition})"), "returnByValue": true }));
            if ok["result"]["value"] == json!(true) {
                return;
            }
            if started.elapsed() > Duration::from_secs(30) {
                let url = self.eval("location.href");
                let text = self.eval("document.body ? document.body.innerText.slice(0, 2000) : ''");
                panic!("timed out waiting for {condition}\nat {url}\n{}", text.as_str().unwrap_or(""));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn fill(&mut self, selector: &str, value: &str) {
        let ok = self.eval(&format!(
            "(() => {{ const e = document.querySelector({}); if (!e) return false; e.value = {}; e.dispatchEvent(new Event('input')); return true; }})()",
            json!(selector),
            json!(value)
        ));
        assert_eq!(ok, json!(true), "no element {selector}");
    }

    /// Clicks and, when `navigates`, waits for the next page to load.
    pub fn click(&mut self, selector: &str, navigates: bool) {
        if navigates {
            self.eval("window.__tobira_marker = 1");
        }
        let ok = self.eval(&format!("(() => {{ const e = document.querySelector({}); if (!e) return false; e.click(); return true; }})()", json!(selector)));
        assert_eq!(ok, json!(true), "no element {selector}");
        if navigates {
            self.wait_for("window.__tobira_marker === undefined && document.readyState === 'complete'");
        }
    }

    pub fn text(&mut self) -> String {
        self.eval("document.body.innerText").as_str().unwrap_or("").to_string()
    }

    pub fn path(&mut self) -> String {
        self.eval("location.pathname").as_str().unwrap().to_string()
    }

    pub fn cookies(&mut self) -> Vec<Value> {
        self.send("Network.getCookies", json!({}))["cookies"].as_array().cloned().unwrap_or_default()
    }

    /// A virtual CTAP2 authenticator with resident keys and user verification (a PIN or biometric).
    pub fn add_authenticator(&mut self) -> String {
        self.send("WebAuthn.enable", json!({ "enableUI": false }));
        let r = self.send(
            "WebAuthn.addVirtualAuthenticator",
            json!({ "options": { "protocol": "ctap2", "transport": "internal", "hasResidentKey": true, "hasUserVerification": true, "isUserVerified": true, "automaticPresenceSimulation": true } }),
        );
        r["authenticatorId"].as_str().unwrap().to_string()
    }

    pub fn credentials(&mut self, authenticator: &str) -> Vec<Value> {
        self.send("WebAuthn.getCredentials", json!({ "authenticatorId": authenticator }))["credentials"].as_array().cloned().unwrap_or_default()
    }

    pub fn set_user_verified(&mut self, authenticator: &str, verified: bool) {
        self.send("WebAuthn.setUserVerified", json!({ "authenticatorId": authenticator, "isUserVerified": verified }));
    }
}
