//! Password sign-ins per second against the argon2 bound, measured in the same run, and what a live
//! session costs.
//!
//! `cargo bench --bench signin -- [seconds] [concurrency]` (defaults 20 s, 8). Phase 1 verifies
//! argon2id hashes at the policy's cost on as many threads as there are cores: that is the bound.
//! Phase 2 starts tobira (SQLite, release build) and posts real sign-ins (CSRF cookie, form, session
//! cookie back) from `concurrency` clients on the same machine. Phase 3 opens 10,000 sessions
//! through the store and reports resident memory and database growth per session.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly on a broken setup (production code may not)

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tobira::app::clock::SystemClock;
use tobira::app::signin::{session, Origin};
use tobira::config::Config;
use tobira::startup::Application;
use tobira::store::{self, accounts::Account};
use tobira_domain::authn::{FactorKind, Method, ProvedFactor};

const PASSWORD: &str = "ume-boshi to ryokucha 3ji";

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().filter(|a| !a.starts_with("--")).collect();
    let seconds: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(20);
    let concurrency: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(8);
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.database.url = format!("sqlite://{}", dir.path().join("bench.db").display());
    config.data_dir = dir.path().join("data").display().to_string();
    config.policy_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/policies").into();
    config.http.bind = "127.0.0.1:0".into();
    config.log.level = "error".into();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(cores).enable_all().build().unwrap();

    // Phase 1: the argon2 bound.
    let policy = tobira::startup::policy(&config).unwrap();
    let hash = tobira::crypto::password::hash(PASSWORD, &policy.password.hashing).unwrap();
    let done = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(seconds);
    let threads: Vec<_> = (0..cores)
        .map(|_| {
            let (hash, done) = (hash.clone(), done.clone());
            std::thread::spawn(move || {
                while Instant::now() < until {
                    assert!(tobira::crypto::password::verify(PASSWORD, &hash));
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    let bound = done.load(Ordering::Relaxed) as f64 / seconds as f64;
    println!(
        "argon2id verify bound: {bound:.1}/s on {cores} threads (m={} KiB, t={}, p={})",
        policy.password.hashing.memory_kib, policy.password.hashing.iterations, policy.password.hashing.parallelism
    );

    rt.block_on(async move {
        let app = Application::build(config, Arc::new(SystemClock)).await.unwrap();
        let port = app.port();
        let handle = app.app().clone();
        tokio::spawn(app.run());
        let accounts = concurrency * 4;
        {
            let (h, hash) = (handle.clone(), hash.clone());
            h.clone()
                .db(move |c| {
                    for i in 0..accounts {
                        let a = Account::new(store::new_id(), format!("bench{i:04}"), None, 0);
                        store::accounts::insert(c, &a)?;
                        store::accounts::set_password(c, &a.id, &hash, false, 0, None)?;
                    }
                    Ok(())
                })
                .await
                .unwrap();
        }
        // Phase 2: sign-ins over HTTP.
        let base = format!("http://127.0.0.1:{port}");
        let ok = Arc::new(AtomicU64::new(0));
        let until = Instant::now() + Duration::from_secs(seconds);
        let mut tasks = Vec::new();
        for w in 0..concurrency {
            let (base, ok) = (base.clone(), ok.clone());
            tasks.push(tokio::spawn(async move {
                let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
                let page = http.get(format!("{base}/signin")).send().await.unwrap();
                let csrf = page.headers().get_all("set-cookie").iter().find_map(|v| v.to_str().ok()?.strip_prefix("__Host-tobira_csrf=")?.split(';').next().map(str::to_string)).unwrap();
                let mut n = 0usize;
                while Instant::now() < until {
                    let login = format!("bench{:04}", (w * 4 + n % 4));
                    n += 1;
                    let res = http
                        .post(format!("{base}/signin"))
                        .header("cookie", format!("__Host-tobira_csrf={csrf}"))
                        .form(&[("csrf", csrf.as_str()), ("login_id", login.as_str()), ("password", PASSWORD)])
                        .send()
                        .await
                        .unwrap();
                    if res.status().as_u16() == 303 {
                        ok.fetch_add(1, Ordering::Relaxed);
                    } else {
                        panic!("sign-in failed: {}", res.status());
                    }
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let rate = ok.load(Ordering::Relaxed) as f64 / seconds as f64;
        println!("password sign-ins: {rate:.1}/s with {concurrency} clients = {:.1} % of the bound", rate / bound * 100.0);

        // Phase 3: cost of a live session.
        let db_path = dir.path().join("bench.db");
        let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0) + std::fs::metadata(p.with_extension("db-wal")).map(|m| m.len()).unwrap_or(0);
        let (rss0, db0) = (rss_kib(), size(&db_path));
        let h = handle.clone();
        handle
            .db(move |c| {
                let a = store::accounts::by_login_id(c, "bench0000")?.unwrap();
                let factor = ProvedFactor { method: Method::Password, credential: None, kinds: vec![FactorKind::Knowledge], at: 0 };
                let origin = Origin { ip: Some("10.10.1.1".parse().unwrap()), user_agent: Some("Mozilla/5.0 (bench)".into()), request_id: None };
                for chunk in 0..100 {
                    store::write_tx(c, |c| {
                        for _ in 0..100 {
                            session::create(c, &h.policy, &a, vec![factor.clone()], &origin, chunk)?;
                        }
                        Ok::<_, tobira::app::AppError>(())
                    })?;
                }
                Ok(())
            })
            .await
            .unwrap();
        let (rss1, db1) = (rss_kib(), size(&db_path));
        println!(
            "10,000 live sessions: resident memory +{} KiB ({:.0} bytes/session; sessions live in the database), database +{} KiB ({:.0} bytes/session incl. its audit record)",
            rss1.saturating_sub(rss0),
            rss1.saturating_sub(rss0) as f64 * 1024.0 / 10_000.0,
            db1.saturating_sub(db0) / 1024,
            db1.saturating_sub(db0) as f64 / 10_000.0
        );
    });
}
