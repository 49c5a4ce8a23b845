//! Audit appender throughput: events committed per second through the group-commit appender, against
//! one transaction per event, on SQLite or PostgreSQL.
//!
//! cargo bench --bench audit_append -- <sqlite|postgres> <group|two-nodes|single> [events] [concurrency]
//!
//! PostgreSQL comes from TOBIRA_TEST_PG_URL (a scratch database is created and dropped).
#![allow(clippy::disallowed_methods)] // a benchmark measures on the real clock
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly on a broken setup (production code may not)

#[path = "support/scratch.rs"]
mod scratch;

use scratch::Scratch;
use std::sync::Arc;
use std::time::Instant;
use tobira::app::audit_log::{AuditLog, Exporter};
use tobira::app::clock::SystemClock;
use tobira::store::{self, PoolOptions};
use tobira_domain::audit::AuditEvent;

fn event(i: usize) -> AuditEvent {
    AuditEvent::new(format!("user{:05}", i % 20_000), "auth.sign_in", format!("system:groupware#{i}"))
        .with_origin(Some("10.10.3.7".into()), Some(format!("req-{i:012}")))
        .with_details(serde_json::json!({ "amr": ["pwd", "otp"], "acr": "mfa" }))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let backend = args.first().map(String::as_str).unwrap_or("sqlite").to_string();
    let mode = args.get(1).map(String::as_str).unwrap_or("group").to_string();
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let conc: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(64);

    let scratch = Scratch::new(&backend);
    let url = scratch.url.clone();
    let pool = store::connect(
        &url,
        &PoolOptions { max_size: 8, connect_timeout: std::time::Duration::from_secs(10), busy_timeout_ms: 30_000 },
    )
    .unwrap();
    store::migrate(&mut pool.get().unwrap()).unwrap();

    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let started = Instant::now();
    rt.block_on(async {
        match mode.as_str() {
            "group" | "two-nodes" => {
                // two-nodes: two appenders on pools of their own share the callers, as two nodes
                // of one PostgreSQL database would.
                let nodes = if mode == "two-nodes" { 2 } else { 1 };
                let logs: Vec<_> = (0..nodes)
                    .map(|k| {
                        let p = if k == 0 {
                            pool.clone()
                        } else {
                            store::connect(
                                &url,
                                &PoolOptions {
                                    max_size: 8,
                                    connect_timeout: std::time::Duration::from_secs(10),
                                    busy_timeout_ms: 30_000,
                                },
                            )
                            .unwrap()
                        };
                        AuditLog::start(p, Arc::new(SystemClock), Arc::new(Exporter::none()), 512)
                    })
                    .collect();
                let mut hs = Vec::new();
                for w in 0..conc {
                    let log = logs[w % nodes].0.clone();
                    hs.push(tokio::spawn(async move {
                        for i in (w..n).step_by(conc) {
                            log.record(event(i)).await.unwrap();
                        }
                    }));
                }
                for h in hs {
                    h.await.unwrap();
                }
                for (k, (log, task)) in logs.into_iter().enumerate() {
                    let b = log.batches().counts();
                    println!(
                        "appender {k}: {} batches in one call, {} sealed again after a moved head, {} after reading the head",
                        b.one_statement, b.resealed, b.head_read
                    );
                    drop(log);
                    task.await.unwrap();
                }
            }
            "single" => {
                let mut hs = Vec::new();
                for w in 0..conc {
                    let pool = pool.clone();
                    hs.push(tokio::task::spawn_blocking(move || {
                        for i in (w..n).step_by(conc) {
                            let mut c = pool.get().unwrap();
                            let now = tobira_domain::time_util::to_millis(time::OffsetDateTime::now_utc());
                            store::write_tx(&mut c, |c| store::audit::append(c, now, vec![event(i)])).unwrap();
                        }
                    }));
                }
                for h in hs {
                    h.await.unwrap();
                }
            }
            other => panic!("unknown mode {other}"),
        }
    });
    let secs = started.elapsed().as_secs_f64();
    let v = store::audit::verify(&mut pool.get().unwrap(), 5_000).unwrap();
    assert_eq!((v.checked as usize, v.first_break), (n, None), "chain intact after the run");
    println!("{backend} {mode}: {n} events, {conc} concurrent callers: {secs:.3} s, {:.0} events/s", n as f64 / secs);
    drop(pool);
    scratch.drop_database();
}
