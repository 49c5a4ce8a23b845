//! Harness for the token-service tests: tobira on a known port with its real URL as issuer and a
//! clock that starts at the real time (the relying-party library checks token times against the
//! system clock), test clients in a copy of the example policy, people with departments and roles,
//! and a standard OpenID Connect library (the `openidconnect` crate) as the business system.

#![allow(dead_code)]

use crate::support::TestDb;
use crate::web::{self, totp_code, Client, Server};
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdTokenClaims, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreTokenResponse,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use std::sync::{Arc, Mutex};
use tobira::app::clock::FixedClock;
use tobira::store;

pub const PASSWORD: &str = "kaki-no-tane to ocha 7ji";
pub const CB: &str = "http://localhost:9/cb";
pub const JUKI_CB: &str = "http://localhost:9/juki";
pub const BYE: &str = "http://localhost:9/bye";
pub const GW_CB: &str = "http://localhost:9/gw";

const TEST_CLIENTS: &str = r#"
[[clients]]
id = "t-bunsho"
system = "bunsho"
name = "test: document management"
grants = ["authorization_code", "refresh_token"]
redirect_uris = ["http://localhost:9/cb"]
post_logout_redirect_uris = ["http://localhost:9/bye"]
backchannel_logout_uri = "http://127.0.0.1:{BCL}/backchannel"
access_token_alg = "EdDSA"

[[clients]]
id = "t-juki"
system = "juki"
name = "test: resident registry"
grants = ["authorization_code", "refresh_token"]
redirect_uris = ["http://localhost:9/juki"]
id_token_alg = "RS256"

[[clients]]
id = "t-groupware"
system = "groupware"
name = "test: groupware"
grants = ["authorization_code"]
redirect_uris = ["http://localhost:9/gw"]

[[clients]]
id = "t-batch"
system = "zeimu"
name = "test: tax batch"
grants = ["client_credentials"]
owner = "900021"

[[clients]]
id = "t-keyjob"
system = "zeimu"
name = "test: a batch job with its own key"
auth_method = "private_key_jwt"
grants = ["client_credentials"]
owner = "900021"
jwks = { keys = [ { kty = "EC", crv = "P-256", kid = "job-1", alg = "ES256", use = "sig", x = "{JWK_X}", y = "{JWK_Y}" } ] }

[[clients]]
id = "t-bunsho-batch"
system = "bunsho"
name = "test: documents batch"
grants = ["client_credentials"]
owner = "900031"

[[clients]]
id = "t-pending"
system = "denshi-shinsei"
name = "test: a system not yet approved"
grants = ["client_credentials", "authorization_code"]
redirect_uris = ["http://localhost:9/pending"]
owner = "900031"
"#;

pub struct Op {
    pub s: Server,
    /// Bodies of the back-channel logout requests the test system received.
    pub logouts: Arc<Mutex<Vec<String>>>,
    /// The private key of the `private_key_jwt` test client.
    pub job_key: Arc<EcdsaKeyPair>,
    pub issuer: String,
    pub http: openidconnect::reqwest::Client,
    _policy: tempfile::TempDir,
}

/// A business system's back-channel logout endpoint: a plain HTTP listener that keeps each request
/// body and answers 200.
fn catcher() -> (u16, Arc<Mutex<Vec<String>>>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let bodies: Arc<Mutex<Vec<String>>> = Default::default();
    let keep = bodies.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let body = loop {
                let Ok(n) = s.read(&mut chunk) else { break None };
                if n == 0 {
                    break None;
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let len = text[..end]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + len {
                        break Some(String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).to_string());
                    }
                }
            };
            if let Some(b) = body {
                keep.lock().unwrap().push(b);
            }
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    (port, bodies)
}

/// The test's copy of the example policy with the test clients (and `extra` clients).
fn policy_dir(backchannel_port: u16, job_key: &EcdsaKeyPair, extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(crate::support::repo_path("policies")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    let public = job_key.public_key().as_ref();
    let clients = TEST_CLIENTS
        .replace("{BCL}", &backchannel_port.to_string())
        .replace("{JWK_X}", &b64(&public[1..33]))
        .replace("{JWK_Y}", &b64(&public[33..]));
    std::fs::write(dir.path().join("test-clients.toml"), format!("{clients}\n{extra}")).unwrap();
    dir
}

/// Starts tobira with the issuer `http://localhost:PORT` and the clock at the real time.
pub async fn start(db: &TestDb) -> Op {
    start_tuned(db, |_| {}).await
}

/// [`start`], with `tune` adjusting the configuration first.
pub async fn start_tuned(db: &TestDb, tune: impl FnOnce(&mut tobira::config::Config)) -> Op {
    start_custom(db, "", |_| {}, tune).await
}

/// [`start`], with `extra` clients registered, `edit` changing the policy directory's files and
/// `tune` the configuration.
pub async fn start_custom(
    db: &TestDb,
    extra: &str,
    edit: impl FnOnce(&std::path::Path),
    tune: impl FnOnce(&mut tobira::config::Config),
) -> Op {
    let (bcl, logouts) = catcher();
    let job_key = Arc::new(new_ec_key());
    let policy = policy_dir(bcl, &job_key, extra);
    edit(policy.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let clock = Arc::new(FixedClock::new(now));
    let dir = policy.path().display().to_string();
    let s = web::start_with(db, clock, |c| {
        c.http.bind = format!("127.0.0.1:{port}");
        c.http.public_url = format!("http://localhost:{port}");
        c.policy_dir = dir;
        tune(c);
    })
    .await;
    let http = openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Op { issuer: s.base.clone(), s, http, logouts, job_key, _policy: policy }
}

pub type Rp =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

impl Op {
    /// A new secret for `client`, as `tobira client secret` makes it.
    pub async fn secret(&self, client: &str) -> String {
        let (app, client) = (self.s.app.clone(), client.to_string());
        let now = self.s.clock_ms();
        self.s
            .app
            .db(move |c| tobira::app::oidc::new_client_secret(c, &app.policy, &client, "operator:test", now))
            .await
            .unwrap()
    }

    /// The relying party: discovery, then a client with the secret and redirect URI.
    pub async fn rp(&self, client: &str, redirect: &str) -> (Rp, String) {
        let secret = self.secret(client).await;
        let meta = CoreProviderMetadata::discover_async(IssuerUrl::new(self.issuer.clone()).unwrap(), &self.http)
            .await
            .expect("discovery");
        let rp = CoreClient::from_provider_metadata(
            meta,
            ClientId::new(client.into()),
            Some(ClientSecret::new(secret.clone())),
        )
        .set_redirect_uri(RedirectUrl::new(redirect.into()).unwrap());
        (rp, secret)
    }

    /// A person with an account, a department (市民課) and grants of `roles`; returns the account id.
    pub async fn person(&self, login: &str, number: &str, roles: &[&str]) -> String {
        self.person_as(login, number, roles, false).await
    }

    /// [`Op::person`], optionally the head of section (所属長) of 市民課.
    pub async fn person_as(&self, login: &str, number: &str, roles: &[&str], head: bool) -> String {
        self.s.person(login, number, "regular", head, roles).await
    }

    /// Sets an account's status directly, as the HR sync or an officer would.
    pub async fn set_status(&self, account_id: &str, status: tobira_domain::rbac::AccountStatus) {
        let (id, now) = (account_id.to_string(), self.s.clock_ms());
        self.s.app.db(move |c| Ok(store::accounts::set_status(c, &id, status, "test", now)?)).await.unwrap();
    }

    /// POSTs a form with HTTP Basic client authentication; (status, JSON body).
    pub async fn post_basic(
        &self,
        path: &str,
        client: &str,
        secret: &str,
        form: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        let res = self
            .http
            .post(format!("{}{path}", self.issuer))
            .basic_auth(client, Some(secret))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub async fn introspect(&self, client: &str, secret: &str, token: &str) -> serde_json::Value {
        let (status, body) = self.post_basic("/oauth/introspect", client, secret, &[("token", token)]).await;
        assert_eq!(status, 200, "{body}");
        body
    }
}

/// An authorization request made by the RP library, with what the RP keeps to check the answer.
pub struct Pending {
    pub url: String,
    pub state: CsrfToken,
    pub nonce: Nonce,
    pub verifier: PkceCodeVerifier,
}

pub fn request(rp: &Rp, scopes: &[&str], extra: &[(&str, &str)]) -> Pending {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut r = rp
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .set_pkce_challenge(challenge);
    for s in scopes {
        r = r.add_scope(Scope::new(s.to_string()));
    }
    for (k, v) in extra {
        r = r.add_extra_param(*k, *v);
    }
    let (url, state, nonce) = r.url();
    Pending { url: url.to_string(), state, nonce, verifier }
}

/// The path and query of a URL on tobira.
pub fn local(url: &str, base: &str) -> String {
    url.strip_prefix(base).unwrap_or(url).to_string()
}

/// Query parameter `k` of a URL.
pub fn param(url: &str, k: &str) -> Option<String> {
    url::Url::parse(url).ok()?.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned())
}

/// The browser's way from the authorization request to the redirect back to the system, signing in
/// with a password and, when asked, a TOTP code. Returns the final redirect URL, or the path of the
/// enrolment page when the person must enrol a second factor first.
pub async fn browse(op: &Op, c: &Client, pending: &Pending, login: &str, totp: Option<&[u8]>) -> String {
    let mut at = c.get(&local(&pending.url, &op.issuer)).await;
    for _ in 0..8 {
        let Some(loc) = at.onward() else { panic!("expected a redirect, got {}: {}", at.status, at.body) };
        // Back at the business system, or at a page where the person has to do more.
        if !loc.starts_with('/') || loc.starts_with("/account/enrol") {
            return loc;
        }
        at = if loc.starts_with("/signin?") {
            c.get(&loc).await;
            c.post(&loc, &[("login_id", login), ("password", PASSWORD)]).await
        } else if loc.starts_with("/signin/second?") {
            let secret = totp.expect("a step-up was asked for");
            let code = totp_code(secret, (op.s.clock_ms() / 1000) as u64);
            let cont = loc.trim_start_matches("/signin/second");
            c.post(&format!("/signin/second/totp{cont}"), &[("code", &code)]).await
        } else {
            c.get(&loc).await
        };
    }
    panic!("too many redirects")
}

/// Redeems the code of `redirect` with the RP library.
pub async fn redeem(op: &Op, rp: &Rp, pending: Pending, redirect: &str) -> (CoreTokenResponse, Nonce) {
    assert_eq!(param(redirect, "state").as_deref(), Some(pending.state.secret().as_str()), "state comes back");
    assert_eq!(param(redirect, "iss").as_deref(), Some(op.issuer.as_str()), "RFC 9207 iss");
    let code = param(redirect, "code").unwrap_or_else(|| panic!("no code in {redirect}"));
    let tokens = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(pending.verifier)
        .request_async(&op.http)
        .await
        .expect("token response");
    (tokens, pending.nonce)
}

/// Verifies the ID token with the RP library (signature against the JWKS, iss, aud, exp, nonce).
pub fn id_claims(
    rp: &Rp,
    tokens: &CoreTokenResponse,
    nonce: &Nonce,
    alg: CoreJwsSigningAlgorithm,
) -> CoreIdTokenClaims {
    let verifier = rp.id_token_verifier().set_allowed_algs(vec![alg]);
    tokens.id_token().expect("an ID token").claims(&verifier, nonce).expect("the ID token verifies").clone()
}

/// The claims of a JWT, unverified (after the library verified it, to read tobira's own claims).
pub fn payload(jwt: &str) -> serde_json::Value {
    use base64::Engine;
    let p = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
}

pub fn access(tokens: &CoreTokenResponse) -> String {
    tokens.access_token().secret().clone()
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn new_ec_key() -> EcdsaKeyPair {
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, doc.as_ref()).unwrap()
}

/// A client assertion (RFC 7523) signed ES256 with `key`, as a batch job would make it.
pub fn assertion(key: &EcdsaKeyPair, client: &str, aud: &str, exp: i64, jti: &str) -> String {
    let header = serde_json::json!({ "alg": "ES256", "kid": "job-1", "typ": "JWT" });
    let claims =
        serde_json::json!({ "iss": client, "sub": client, "aud": aud, "exp": exp, "iat": exp - 60, "jti": jti });
    let signing = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
    let sig = key.sign(&aws_lc_rs::rand::SystemRandom::new(), signing.as_bytes()).unwrap();
    format!("{signing}.{}", b64(sig.as_ref()))
}
