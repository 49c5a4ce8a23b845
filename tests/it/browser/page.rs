//! One tab of the browser (`Page`): commands on its session, events, navigation, forms, text,
//! cookies and virtual WebAuthn authenticators.

use super::{lock, AuthenticatorOptions, Conn, WAIT_TIMEOUT};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One tab, addressed by its flattened session id.
pub struct Page {
    pub(super) conn: Arc<Mutex<Conn>>,
    pub(super) session: String,
    pub(super) target: String,
    pub(super) webauthn: AtomicBool,
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
        std::iter::from_fn(|| conn.take_event(Some(&self.session), method, Instant::now() + Duration::from_millis(200)))
            .collect()
    }

    /// Evaluates `js`, awaiting a promise; `Err` with the exception (or protocol error) text.
    pub fn try_eval(&self, js: &str) -> Result<Value, String> {
        let params = json!({ "expression": js, "returnByValue": true, "awaitPromise": true, "userGesture": true });
        let r = self.try_send("Runtime.evaluate", params).map_err(|e| e.to_string())?;
        match r.get("exceptionDetails") {
            Some(ex) => {
                Err(ex["exception"]["description"].as_str().or(ex["text"].as_str()).unwrap_or("exception").to_string())
            }
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
                let url = self
                    .try_eval("location.href")
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                let text =
                    self.try_eval("document.body ? document.body.innerText.slice(0, 2000) : ''").unwrap_or_default();
                panic!(
                    "timed out after {timeout:?} waiting for {js_condition}\nat {url}\n{}{}",
                    text.as_str().unwrap_or(""),
                    self.script_errors()
                );
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
        let js = format!(
            "(() => {{ const e = document.querySelector({}); if (!e) return false; e.click(); return true; }})()",
            json!(css_selector)
        );
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
        self.send("WebAuthn.addVirtualAuthenticator", json!({ "options": options }))["authenticatorId"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Whether the authenticator's next user-verification check succeeds.
    pub fn set_user_verified(&self, id: &str, verified: bool) {
        self.send("WebAuthn.setUserVerified", json!({ "authenticatorId": id, "isUserVerified": verified }));
    }

    pub fn credentials(&self, id: &str) -> Vec<Value> {
        self.send("WebAuthn.getCredentials", json!({ "authenticatorId": id }))["credentials"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn remove_virtual_authenticator(&self, id: &str) {
        self.send("WebAuthn.removeVirtualAuthenticator", json!({ "authenticatorId": id }));
    }
}
