//! OAuth 2.0 client credentials (RFC 6749 §4.4) in front of a real SCIM 2.0 server, on both
//! backends (R-LC-01): a token endpoint started by the test hands out the token `scim2-server`
//! takes; tobira fetches it with the client's secret (HTTP Basic), caches it until shortly before
//! `expires_in`, fetches a new one once when the system answers 401, and never writes the secret or
//! the token into the audit trail or an error.

use crate::provisioning::Env;
use crate::scim_server::TOKEN;
use crate::support::both_backends;
use actix_web::{web, App as Web, HttpRequest, HttpResponse, HttpServer};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

const CLIENT: &str = "tobira-groupware";
const SECRET: &str = "client-secret-not-for-logs";

#[derive(Default)]
struct Issued {
    /// Token requests with the right client and grant.
    requests: AtomicUsize,
    /// Hand out a token the SCIM server refuses (one it no longer takes) next.
    stale_next: AtomicBool,
}

struct TokenEndpoint {
    url: String,
    issued: Arc<Issued>,
    secret_file: tempfile::NamedTempFile,
    _server: actix_web::dev::ServerHandle,
}

async fn token(req: HttpRequest, body: String, issued: web::Data<Arc<Issued>>) -> HttpResponse {
    use base64::Engine;
    let basic = req
        .headers()
        .get("Authorization")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok());
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let has = |k: &str, v: &str| form.iter().any(|(a, b)| a == k && b == v);
    if basic.as_deref() != Some(format!("{CLIENT}:{SECRET}").as_bytes()) {
        return HttpResponse::Unauthorized().json(serde_json::json!({ "error": "invalid_client" }));
    }
    if !has("grant_type", "client_credentials") || !has("scope", "scim.users") {
        return HttpResponse::BadRequest().json(serde_json::json!({ "error": "invalid_request" }));
    }
    issued.requests.fetch_add(1, Ordering::SeqCst);
    let t = if issued.stale_next.swap(false, Ordering::SeqCst) { "stale-token" } else { TOKEN };
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({ "access_token": t, "token_type": "Bearer", "expires_in": 3600 }))
}

impl TokenEndpoint {
    fn start(secret: &str) -> TokenEndpoint {
        let issued = Arc::new(Issued::default());
        let data = web::Data::new(issued.clone());
        let server = HttpServer::new(move || Web::new().app_data(data.clone()).route("/token", web::post().to(token)))
            .workers(1)
            .bind(("127.0.0.1", 0))
            .unwrap();
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        let mut secret_file = tempfile::NamedTempFile::new().unwrap();
        writeln!(secret_file, "{secret}").unwrap();
        TokenEndpoint { url: format!("http://127.0.0.1:{port}/token"), issued, secret_file, _server: handle }
    }

    fn section(&self) -> String {
        format!("auth = \"client_credentials\"\ntoken_url = \"{}\"\nclient_id = \"{CLIENT}\"\nclient_secret_file = \"{}\"\nscope = \"scim.users\"", self.url, self.secret_file.path().display())
    }

    fn requests(&self) -> usize {
        self.issued.requests.load(Ordering::SeqCst)
    }
}

fn no_secret_in_audit(env: &Env) {
    for s in [SECRET, TOKEN, "stale-token"] {
        assert_eq!(
            env.count(&format!("SELECT COUNT(*) AS n FROM audit_events WHERE details LIKE '%{s}%'")),
            0,
            "{s} in the audit trail"
        );
    }
}

both_backends! {
    async fn r_lc_01_client_credentials_fetch_a_token_cache_it_and_renew_it_on_401(db: TestDb) {
        let endpoint = TokenEndpoint::start(SECRET);
        let env = Env::with(db, &[], (20, 100.0), &endpoint.section()).await;
        env.sync().await;
        let r = env.deliver().await;
        assert_eq!((r.pushed, r.retrying), (6, 0), "{r:?}");
        assert_eq!(endpoint.requests(), 1, "one token for the whole round");
        assert_eq!(env.user("100001").await.expect("created")["active"], true);

        // Cached across rounds until shortly before expires_in.
        env.hr.ldap.set(&crate::provisioning::dn("100001"), "description", &["休職"]).await;
        env.sync().await;
        assert_eq!(env.deliver().await.pushed, 1);
        assert_eq!(endpoint.requests(), 1, "the cached token");
        env.clock.advance(time::Duration::seconds(3600 - 30));
        env.hr.ldap.set(&crate::provisioning::dn("100001"), "description", &["在職"]).await;
        env.sync().await;
        assert_eq!(env.deliver().await.pushed, 1);
        assert_eq!(endpoint.requests(), 2, "a new token shortly before the old one expires");

        // The system no longer takes the cached token: 401, one new token, the push goes through.
        endpoint.issued.stale_next.store(true, Ordering::SeqCst);
        env.clock.advance(time::Duration::seconds(3600));
        env.hr.ldap.set(&crate::provisioning::dn("100002"), "description", &["休職"]).await;
        env.sync().await;
        let r = env.deliver().await;
        assert_eq!((r.pushed, r.retrying), (1, 0), "{r:?}");
        assert_eq!(endpoint.requests(), 4, "the stale token, then one new one");
        assert_eq!(env.user("100002").await.unwrap()["active"], false);
        no_secret_in_audit(&env);
    }
}

both_backends! {
    async fn r_lc_01_a_wrong_client_secret_keeps_the_items_queued_and_names_no_secret(db: TestDb) {
        let endpoint = TokenEndpoint::start(SECRET);
        let env = Env::with(db, &[], (20, 100.0), &endpoint.section()).await;
        std::fs::write(endpoint.secret_file.path(), "not-the-secret\n").unwrap();
        env.sync().await;
        let r = env.deliver().await;
        assert_eq!((r.pushed, r.retrying, r.stopped), (0, 1, 0), "the system's queue waits: {r:?}");
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM provisioning_outbox WHERE last_error LIKE '%token endpoint%HTTP 401 invalid_client%'"), 1, "the error names the endpoint's answer");
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM provisioning_outbox WHERE last_error LIKE '%secret%'"), 0, "and no secret");
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM provisioning_outbox WHERE status = 'pending'"), 6, "nothing lost");
        no_secret_in_audit(&env);
    }
}
