//! The running service: health and readiness, headers, request ids, keys kept across restarts, the
//! policy digest on record (R-LG-09).

use crate::support::{both_backends, conn, repo_path, TestDb};
use std::sync::Arc;
use tobira::app::clock::SystemClock;
use tobira::config::Config;
use tobira::startup::Application;
use tobira::store;

async fn start(config: Config) -> (String, Application) {
    let app = Application::build(config, Arc::new(SystemClock)).await.unwrap();
    (format!("http://127.0.0.1:{}", app.port()), app)
}

fn spawn(app: Application) -> tokio::task::JoinHandle<std::io::Result<()>> {
    tokio::spawn(app.run())
}

both_backends! {
    async fn health_readiness_headers_and_request_ids(db: TestDb) {
        let (base, app) = start(db.config()).await;
        let digest = app.app().policy.digest.clone();
        let server = spawn(app);
        let http = reqwest::Client::new();

        let r = http.get(format!("{base}/healthz")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["x-frame-options"], "DENY");
        assert!(h["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
        assert_eq!(h["cache-control"], "no-store");
        assert!(h.get("strict-transport-security").is_none(), "no HSTS on plain http");
        assert_eq!(h["x-request-id"].len(), 36);

        let r = http.get(format!("{base}/readyz")).header("x-request-id", "trace-0001-abcd").send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["x-request-id"], "trace-0001-abcd");
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["database"], "ok");
        assert_eq!(v["policy_digest"], digest.as_str());

        // A malformed request id is replaced, not echoed.
        let r = http.get(format!("{base}/healthz")).header("x-request-id", "bad id!").send().await.unwrap();
        assert_ne!(r.headers()["x-request-id"], "bad id!");

        let r = http.get(format!("{base}/no/such/page")).send().await.unwrap();
        assert_eq!(r.status(), 404);
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["error"], "not_found");
        server.abort();
    }
}

both_backends! {
    async fn signing_keys_are_generated_once_and_kept_across_restarts(db: TestDb) {
        let kids = |db: &TestDb| -> Vec<String> { store::keys::all(&mut conn(&db.pool())).unwrap().into_iter().map(|k| k.kid).collect() };
        let (_, app) = start(db.config()).await;
        drop(app);
        let first = kids(&db);
        assert_eq!(first.len(), 3, "one ES256, one EdDSA and one RS256 key");
        let (_, app) = start(db.config()).await;
        drop(app);
        assert_eq!(kids(&db), first, "a restart generates nothing");

        // A node with a different master key refuses to start rather than sign with foreign keys.
        let mut other = db.config();
        other.crypto.master_key_file = db.dir.path().join("other.key").display().to_string();
        let err = Application::build(other, Arc::new(SystemClock)).await.err().expect("start must fail");
        assert!(format!("{err:#}").contains("master key"), "{err:#}");
        assert_eq!(kids(&db), first);
    }
}

both_backends! {
    async fn r_lg_09_policy_digest_is_recorded_at_each_start_with_changes_noted(db: TestDb) {
        let (_, app) = start(db.config()).await;
        let d1 = app.app().policy.digest.clone();
        drop(app);
        let (_, app) = start(db.config()).await;
        drop(app);
        // A changed policy directory.
        let dir = tempfile::tempdir().unwrap();
        for e in std::fs::read_dir(repo_path("policies")).unwrap() {
            let p = e.unwrap().path();
            let text = std::fs::read_to_string(&p).unwrap().replace("campaign_days = 14", "campaign_days = 21");
            std::fs::write(dir.path().join(p.file_name().unwrap()), text).unwrap();
        }
        let mut changed = db.config();
        changed.policy_dir = dir.path().display().to_string();
        let (_, app) = start(changed).await;
        let d3 = app.app().policy.digest.clone();
        drop(app);
        assert_ne!(d1, d3);
        let records = store::audit::by_action(&mut conn(&db.pool()), "policy.loaded", 10).unwrap();
        let details: Vec<&serde_json::Value> = records.iter().rev().map(|r| &r.event.details).collect();
        assert_eq!(details.len(), 3);
        assert_eq!((details[0]["changed"].as_bool(), details[0]["digest"].as_str()), (Some(true), Some(d1.as_str())));
        assert_eq!(details[1]["changed"], false);
        assert_eq!((details[2]["changed"].as_bool(), details[2]["previous_digest"].as_str()), (Some(true), Some(d1.as_str())));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_when_postgres_goes_away_and_shows_no_database_text() {
    let Some(db) = TestDb::postgres() else { return };
    let mut config = db.config();
    config.database.connect_timeout_seconds = 1;
    let (base, app) = start(config).await;
    let server = spawn(app);
    let http = reqwest::Client::new();
    assert_eq!(http.get(format!("{base}/readyz")).send().await.unwrap().status(), 200);
    db.drop_database();
    let r = http.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("unavailable") && !body.contains("tobira_it_") && !body.to_lowercase().contains("fatal"),
        "{body}"
    );
    // Liveness is about the process, not the database.
    assert_eq!(http.get(format!("{base}/healthz")).send().await.unwrap().status(), 200);
    server.abort();
}
