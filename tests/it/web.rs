//! Harness for the sign-in tests: a running tobira on port 0 with a fixed clock, accounts seeded
//! through the store, a cookie-keeping HTTP client, and TOTP codes computed independently of
//! totp-rs (HMAC-SHA-1 from aws-lc-rs, RFC 6238 dynamic truncation).

#![allow(dead_code)]

use crate::support::TestDb;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tobira::app::clock::FixedClock;
use tobira::app::App;
use tobira::config::Config;
use tobira::startup::Application;
use tobira::store::{
    self,
    accounts::Account,
    accounts::Grant,
    org::{Department, Person},
};
use tobira_domain::rbac::GrantSource;

pub struct Server {
    pub base: String,
    pub app: App,
    pub clock: Arc<FixedClock>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts tobira on `db` with a fixed clock; `tune` adjusts the configuration first.
pub async fn start(db: &TestDb, tune: impl FnOnce(&mut Config)) -> Server {
    start_with(db, crate::support::fixed_clock(), |c| {
        c.http.public_url = "http://localhost:8080".into();
        tune(c)
    })
    .await
}

/// Starts tobira on `db` with `clock`; `tune` adjusts the configuration first.
pub async fn start_with(db: &TestDb, clock: Arc<FixedClock>, tune: impl FnOnce(&mut Config)) -> Server {
    let mut config = db.config();
    tune(&mut config);
    let app = Application::build(config, clock.clone()).await.unwrap();
    let base = format!("http://localhost:{}", app.port());
    let handle = app.app().clone();
    let task = tokio::spawn(app.run());
    Server { base, app: handle, clock, task }
}

impl Server {
    /// Creates an account with `password` (temporary or not), optionally privileged and holding
    /// the security officer's role. Returns its id.
    pub async fn account(&self, login_id: &str, password: &str, temporary: bool, officer: bool) -> String {
        let (app, login, pw) = (self.app.clone(), login_id.to_string(), password.to_string());
        let now = self.clock_ms();
        app.clone()
            .db(move |c| {
                let hash = tobira::crypto::password::hash(&pw, &app.policy.password.hashing).unwrap();
                let mut a = Account::new(store::new_id(), login.clone(), None, now);
                a.is_privileged = officer;
                store::accounts::insert(c, &a)?;
                store::accounts::set_password(c, &a.id, &hash, temporary, now, None)?;
                if officer {
                    let role = app
                        .policy
                        .officer_role(tobira_domain::policy::OfficerFunction::SecurityOfficer)
                        .unwrap()
                        .to_string();
                    store::accounts::insert_grant(c, &Grant::new(&a.id, &role, GrantSource::Bootstrap, now))?;
                }
                Ok(a.id)
            })
            .await
            .unwrap()
    }

    /// A person of 市民課 with an account `login` (password [`crate::oidc_rp::PASSWORD`]), employment
    /// type `kind`, optionally its head of section, holding `roles` as birthright. Returns the
    /// account id.
    pub async fn person(&self, login: &str, number: &str, kind: &str, head: bool, roles: &[&str]) -> String {
        let id = self.account(login, crate::oidc_rp::PASSWORD, false, false).await;
        let (acc, number, kind, roles, now) = (
            id.clone(),
            number.to_string(),
            kind.to_string(),
            roles.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
            self.clock_ms(),
        );
        self.app
            .db(move |c| {
                store::org::upsert_department(
                    c,
                    &Department {
                        code: "shimin".into(),
                        name: "市民課".into(),
                        name_kana: None,
                        parent_code: None,
                        body: None,
                        updated_at: now,
                    },
                )?;
                let pid = store::new_id();
                store::org::upsert_person(
                    c,
                    &Person {
                        id: pid.clone(),
                        employee_number: number,
                        directory_key: None,
                        name_kanji: "東雲 太郎".into(),
                        name_kana: "シノノメ タロウ".into(),
                        name_romaji: None,
                        post_title: Some("主事".into()),
                        employment_type: kind.clone(),
                        status: "active".into(),
                        is_head_of_section: head,
                        start_date: None,
                        end_date: None,
                        secondment_target: None,
                        contract_id: None,
                        mail: Some("taro@city.shinonome.lg.jp".into()),
                        updated_at: now,
                        department_name: Some("市民課".into()),
                        birth_date: None,
                        phone: None,
                    },
                )?;
                store::org::set_memberships(c, &pid, "shimin", &[])?;
                let vendor = kind == "vendor";
                diesel::RunQueryDsl::execute(
                    diesel::update(diesel::QueryDsl::find(store::schema::accounts::table, &acc)).set((
                        diesel::ExpressionMethods::eq(store::schema::accounts::person_id, &pid),
                        diesel::ExpressionMethods::eq(store::schema::accounts::is_vendor, vendor),
                    )),
                    c,
                )?;
                for r in roles {
                    store::accounts::insert_grant(c, &Grant::new(&acc, &r, GrantSource::Birthright, now))?;
                }
                Ok(())
            })
            .await
            .unwrap();
        id
    }

    pub fn clock_ms(&self) -> i64 {
        use tobira::app::clock::Clock;
        self.clock.now_ms()
    }

    pub fn advance_minutes(&self, m: i64) {
        self.clock.advance(time::Duration::minutes(m));
    }

    /// Counts audit records of `action` (optionally whose details contain `needle`).
    pub async fn audit_count(&self, action: &str, needle: Option<&str>) -> usize {
        let (action, needle) = (action.to_string(), needle.map(str::to_string));
        // Group-committed events land within a few milliseconds; wait for the queue to drain.
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        self.app
            .db(move |c| {
                let rows = store::audit::by_action(c, &action, 100_000)?;
                Ok(rows
                    .into_iter()
                    .filter(|r| needle.as_deref().is_none_or(|n| r.event.details.to_string().contains(n)))
                    .count())
            })
            .await
            .unwrap()
    }

    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }
}

/// An HTTP client that keeps cookies by hand (Secure cookies over http://localhost included), does
/// not follow redirects, and fills in the CSRF token.
#[derive(Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
    pub cookies: Arc<Mutex<BTreeMap<String, String>>>,
    pub headers: Vec<(String, String)>,
}

pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
    pub set_cookies: Vec<String>,
}

impl Page {
    /// Where the browser goes next: the `Location` of a redirect, or the target of the
    /// `<meta http-equiv="refresh">` page that leads back to a business system after a form.
    pub fn onward(&self) -> Option<String> {
        if self.location.is_some() {
            return self.location.clone();
        }
        let marker = "<meta http-equiv=\"refresh\" content=\"0;url=";
        let at = self.body.find(marker)? + marker.len();
        let raw = self.body[at..].split('"').next()?;
        Some(raw.replace("&#x2f;", "/").replace("&#x3d;", "=").replace("&#38;", "&").replace("&amp;", "&"))
    }

    /// The value of `<input name="{name}" value="…">` in the body.
    pub fn input(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let at = self.body.find(&marker)? + marker.len();
        Some(self.body[at..].split('"').next()?.to_string())
    }

    /// The text inside the element with `id`, tags removed.
    pub fn by_id(&self, id: &str) -> Option<String> {
        let marker = format!("id=\"{id}\"");
        let at = self.body.find(&marker)?;
        let open = self.body[at..].find('>')? + at + 1;
        let close = self.body[open..].find("</")? + open;
        Some(self.body[open..close].trim().to_string())
    }
}

impl Client {
    pub fn new(base: &str) -> Client {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Client { base: base.to_string(), http, cookies: Default::default(), headers: Vec::new() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.lock().unwrap().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn finish(&self, res: reqwest::Response) -> Page {
        let status = res.status().as_u16();
        let location = res.headers().get("location").map(|v| v.to_str().unwrap().to_string());
        let set_cookies: Vec<String> =
            res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect();
        {
            let mut jar = self.cookies.lock().unwrap();
            for c in &set_cookies {
                let (kv, attrs) = c.split_once(';').unwrap_or((c, ""));
                let (k, v) = kv.split_once('=').unwrap();
                if v.is_empty() || attrs.contains("Max-Age=0") {
                    jar.remove(k);
                } else {
                    jar.insert(k.to_string(), v.to_string());
                }
            }
        }
        Page { status, location, body: res.text().await.unwrap(), set_cookies }
    }

    fn with_headers(&self, mut r: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        r = r.header("cookie", self.cookie_header());
        for (k, v) in &self.headers {
            r = r.header(k, v);
        }
        r
    }

    pub async fn get(&self, path: &str) -> Page {
        let r = self.with_headers(self.http.get(format!("{}{path}", self.base)));
        self.finish(r.send().await.unwrap()).await
    }

    pub fn csrf(&self) -> String {
        self.cookies.lock().unwrap().get(tobira::http::pages::CSRF_COOKIE).cloned().unwrap_or_default()
    }

    /// A form POST with the CSRF token added.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.csrf();
        let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        let r = self.with_headers(self.http.post(format!("{}{path}", self.base))).form(&all);
        self.finish(r.send().await.unwrap()).await
    }

    /// A form POST exactly as given (no CSRF token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let r = self.with_headers(self.http.post(format!("{}{path}", self.base))).form(fields);
        self.finish(r.send().await.unwrap()).await
    }

    /// A JSON POST with the CSRF header.
    pub async fn post_json(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        let r = self
            .with_headers(self.http.post(format!("{}{path}", self.base)))
            .header("x-csrf-token", self.csrf())
            .json(&body);
        let page = self.finish(r.send().await.unwrap()).await;
        (page.status, serde_json::from_str(&page.body).unwrap_or(serde_json::Value::Null))
    }

    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let page = self.get(path).await;
        (page.status, serde_json::from_str(&page.body).unwrap_or(serde_json::Value::Null))
    }

    /// Loads the sign-in page (for the CSRF cookie) and signs in with a password.
    pub async fn sign_in(&self, login: &str, password: &str) -> Page {
        self.get("/signin").await;
        self.post("/signin", &[("login_id", login), ("password", password)]).await
    }
}

/// A client of `login` signed in with `password` and a TOTP enrolled through the pages (a full
/// session: the JSON APIs need two factor kinds); the TOTP secret. The clock moves to the next 30 s
/// step, so the enrolment's code is not replayed.
pub async fn signed_in_as(s: &Server, login: &str, password: &str) -> (Client, Vec<u8>) {
    let c = s.client();
    assert_eq!(c.sign_in(login, password).await.status, 303, "{login} signs in");
    let secret = enrol_totp(s, &c).await;
    s.clock.advance(time::Duration::seconds(30));
    (c, secret)
}

/// [`signed_in_as`] with the suite's password.
pub async fn signed_in(s: &Server, login: &str) -> (Client, Vec<u8>) {
    signed_in_as(s, login, crate::oidc_rp::PASSWORD).await
}

/// Enrols a TOTP through the pages for the signed-in client `c`; returns the secret.
pub async fn enrol_totp(s: &Server, c: &Client) -> Vec<u8> {
    let page = c.get("/account/totp").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let secret = base32_decode(&page.by_id("totp-secret").expect("the key is shown"));
    let handle = page.input("handle").unwrap();
    let code = totp_code(&secret, (s.clock_ms() / 1000) as u64);
    let done = c.post("/account/totp", &[("handle", &handle), ("code", &code), ("name", "スマホ")]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    secret
}

/// RFC 6238 TOTP (SHA-1, 6 digits, 30 s) computed without totp-rs.
pub fn totp_code(secret: &[u8], unix_seconds: u64) -> String {
    use aws_lc_rs::hmac;
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, &(unix_seconds / 30).to_be_bytes());
    let h = tag.as_ref();
    let off = (h[h.len() - 1] & 0x0f) as usize;
    let bin = u32::from_be_bytes([h[off] & 0x7f, h[off + 1], h[off + 2], h[off + 3]]);
    format!("{:06}", bin % 1_000_000)
}

/// Decodes RFC 4648 base32 (no padding), as authenticator apps read the enrolment key.
pub fn base32_decode(s: &str) -> Vec<u8> {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut acc, mut out) = (0u32, 0u64, Vec::new());
    for c in s.trim_end_matches('=').bytes() {
        let v = alphabet.iter().position(|a| *a == c).expect("base32") as u64;
        acc = (acc << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

#[test]
fn independent_totp_matches_rfc6238() {
    let secret = b"12345678901234567890";
    assert_eq!(totp_code(secret, 59), "287082");
    assert_eq!(totp_code(secret, 1111111109), "081804");
    assert_eq!(base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), secret.to_vec());
}
