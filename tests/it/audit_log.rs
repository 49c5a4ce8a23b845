//! The group-commit appender and export (R-LG-01, R-LG-02, R-LG-07).

use crate::support::{both_backends, conn, count, fixed_clock};
use std::sync::Arc;
use tobira::app::audit_log::{AuditLog, BatchCounts, Exporter};
use tobira::store;
use tobira_domain::audit::{AuditEvent, ChainBreak};

/// The advisory lock that serialises appends to the chain on PostgreSQL ("tobira audit").
const CHAIN_LOCK: i64 = 0x746f_6269_7261_4155;

/// Stops the appender once it has committed everything queued, then walks the chain: (records
/// checked, first break).
async fn closed(log: AuditLog, task: tokio::task::JoinHandle<()>, pool: &store::DbPool) -> (u64, Option<ChainBreak>) {
    drop(log);
    task.await.unwrap();
    let v = store::audit::verify(&mut conn(pool), 10).unwrap();
    (v.checked, v.first_break)
}

both_backends! {
    async fn r_lg_01_concurrent_events_are_all_committed_in_one_chain(db: TestDb) {
        let pool = db.pool();
        let (log, task) = AuditLog::start(pool.clone(), fixed_clock(), Arc::new(Exporter::none()), 64);
        let mut handles = Vec::new();
        for i in 0..400 {
            let log = log.clone();
            handles.push(tokio::spawn(async move {
                log.record(AuditEvent::new(format!("user{i}"), "auth.sign_in", "account").with_origin(Some("10.10.0.1".into()), Some(format!("req-{i:08}")))).await.unwrap()
            }));
        }
        let mut seqs = Vec::new();
        for h in handles {
            seqs.push(h.await.unwrap());
        }
        seqs.sort();
        assert_eq!(seqs, (1..=400).collect::<Vec<i64>>(), "every caller got its own committed sequence number");
        drop(log);
        task.await.unwrap();
        let c = &mut *conn(&pool);
        let v = store::audit::verify(c, 100).unwrap();
        assert_eq!((v.checked, v.first_break), (400, None));
        // Each record keeps the origin (source address, request id) it was given.
        assert_eq!(count(c, "SELECT COUNT(*) AS n FROM audit_events WHERE source_ip = '10.10.0.1' AND request_id LIKE 'req-%'"), 400);
    }
}

both_backends! {
    async fn r_lg_02_two_nodes_appending_at_once_keep_one_chain(db: TestDb) {
        // Two pools stand for two nodes sharing the database.
        let (p1, p2) = (db.pool(), db.pool());
        let (a, ta) = AuditLog::start(p1, fixed_clock(), Arc::new(Exporter::none()), 16);
        let (b, tb) = AuditLog::start(p2.clone(), fixed_clock(), Arc::new(Exporter::none()), 16);
        let mut hs = Vec::new();
        for i in 0..200 {
            let log = if i % 2 == 0 { a.clone() } else { b.clone() };
            hs.push(tokio::spawn(async move { log.record(AuditEvent::new("n", "token.issued", format!("c{i}"))).await.unwrap() }));
        }
        for h in hs {
            h.await.unwrap();
        }
        drop((a, b));
        ta.await.unwrap();
        tb.await.unwrap();
        let v = store::audit::verify(&mut conn(&p2), 50).unwrap();
        assert_eq!((v.checked, v.first_break), (200, None));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_lg_02_records_are_exported_to_a_file_and_syslog() {
    let db = crate::support::TestDb::sqlite();
    let pool = db.pool();
    let file = db.dir.path().join("audit.jsonl");
    let sock_path = db.dir.path().join("syslog.sock");
    let sock = std::os::unix::net::UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
    let exporter = Arc::new(Exporter::open(file.to_str().unwrap(), sock_path.to_str().unwrap()).unwrap());
    let (log, task) = AuditLog::start(pool, fixed_clock(), exporter.clone(), 8);
    log.record(AuditEvent::new("alice", "auth.sign_in", "account:alice")).await.unwrap();
    log.record(AuditEvent::new("bob", "auth.sign_out", "account:bob")).await.unwrap();
    drop(log);
    task.await.unwrap();
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&file).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["actor"], "alice");
    assert_eq!(lines[1]["seq"], 2);
    assert_eq!(lines[1]["prev_hash"], lines[0]["hash"]);
    let mut buf = [0u8; 4096];
    let n = sock.recv(&mut buf).unwrap();
    let msg = String::from_utf8_lossy(&buf[..n]);
    assert!(msg.starts_with("<86>1 2026-04-01T00:00:00.000Z "), "{msg}");
    assert!(msg.contains("tobira - audit - {") && msg.contains("\"actor\":\"alice\""), "{msg}");
    assert_eq!(exporter.failures(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_lg_07_an_export_failure_is_counted_and_the_record_stands() {
    let db = crate::support::TestDb::sqlite();
    let pool = db.pool();
    // A syslog socket nobody listens on.
    let exporter = Arc::new(Exporter::open("", db.dir.path().join("absent.sock").to_str().unwrap()).unwrap());
    let (log, task) = AuditLog::start(pool.clone(), fixed_clock(), exporter.clone(), 8);
    assert_eq!(log.record(AuditEvent::new("alice", "auth.sign_in", "a")).await.unwrap(), 1);
    drop(log);
    task.await.unwrap();
    assert_eq!(exporter.failures(), 1);
    assert_eq!(count(&mut conn(&pool), "SELECT COUNT(*) AS n FROM audit_events"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_lg_07_when_the_database_is_gone_callers_get_an_error_not_silence() {
    let db = crate::support::TestDb::sqlite();
    let pool = db.pool();
    db.raw("DROP TABLE audit_events");
    let (log, task) = AuditLog::start(pool, fixed_clock(), Arc::new(Exporter::none()), 8);
    let err = log.record(AuditEvent::new("alice", "auth.sign_in", "a")).await.unwrap_err();
    assert!(err.to_string().contains("audit log could not record"), "{err}");
    drop(log);
    task.await.unwrap();
}

/// The appender keeps one connection between batches. When the database cuts it while the log is
/// quiet (a restart, an idle timeout), the next event is still recorded: a connection idle for over a
/// second is asked first and replaced; the chain continues unbroken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_lg_01_a_connection_cut_while_quiet_loses_no_event() {
    let Some(db) = crate::support::TestDb::postgres() else { return };
    let pool = db.pool();
    let (log, task) = AuditLog::start(pool.clone(), fixed_clock(), Arc::new(Exporter::none()), 8);
    assert_eq!(log.record(AuditEvent::new("a", "auth.sign_in", "account")).await.unwrap(), 1);
    // Cut every other connection to this database, the appender's among them.
    let cut = count(&mut conn(&pool), "SELECT COUNT(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
    assert!(cut >= 1, "the appender's connection was open");
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    assert_eq!(
        log.record(AuditEvent::new("b", "auth.sign_in", "account")).await.unwrap(),
        2,
        "recorded on a new connection"
    );
    assert_eq!(closed(log, task, &pool).await, (2, None));
}

/// A batch that fails inside its transaction (here: the chain lock times out while someone else
/// holds it) is answered as failed and leaves no transaction open on the connection it gives back;
/// the next event is recorded and the chain verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_lg_01_a_failed_batch_leaves_no_transaction_open() {
    let Some(db) = crate::support::TestDb::postgres() else { return };
    db.raw(
        "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET lock_timeout = %L', current_database(), '300ms'); END $$;",
    );
    let pool = db.pool();
    let holder = db.pool();
    let mut h = conn(&holder);
    let key = CHAIN_LOCK;
    assert_eq!(count(&mut h, &format!("SELECT COUNT(pg_advisory_lock({key})) AS n")), 1);
    let (log, task) = AuditLog::start(pool.clone(), fixed_clock(), Arc::new(Exporter::none()), 8);
    let refused = log.record(AuditEvent::new("a", "auth.sign_in", "account")).await;
    assert!(refused.is_err(), "the lock was held elsewhere: {refused:?}");
    assert_eq!(count(&mut h, &format!("SELECT COUNT(pg_advisory_unlock({key})) AS n")), 1);
    assert_eq!(log.record(AuditEvent::new("b", "auth.sign_in", "account")).await.unwrap(), 1, "the next batch commits");
    drop(log);
    task.await.unwrap();
    let c = &mut conn(&pool);
    assert_eq!(count(c, "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'"), 0, "no connection left in a transaction");
    let v = store::audit::verify(c, 10).unwrap();
    assert_eq!((v.checked, v.first_break), (1, None));
}

both_backends! {
    async fn r_lg_01_a_change_appended_between_two_batches_is_followed_not_overwritten(db: TestDb) {
        // The appender remembers the head its batch left; a change that appends in its own
        // transaction moves it, and the next batch must notice and follow that record.
        let pool = db.pool();
        let (log, task) = AuditLog::start(pool.clone(), fixed_clock(), Arc::new(Exporter::none()), 8);
        assert_eq!(log.record(AuditEvent::new("a", "auth.sign_in", "account")).await.unwrap(), 1);
        let in_change = store::write_tx(&mut conn(&pool), |c| store::audit::append(c, 0, vec![AuditEvent::new("officer", "account.suspended", "account:a")])).unwrap();
        assert_eq!(in_change[0].seq, 2);
        assert_eq!(log.record(AuditEvent::new("b", "auth.sign_in", "account")).await.unwrap(), 3, "after the change's record");
        assert_eq!(log.record(AuditEvent::new("c", "auth.sign_in", "account")).await.unwrap(), 4);
        // PostgreSQL: the first batch read the head; the second's call found it moved and answered
        // the change's record, after which the batch was sealed again and sent once more; the third
        // went in one call. SQLite reads the head under its write lock every time.
        let (one_statement, resealed, head_read) = if db.is_postgres() { (1, 1, 1) } else { (0, 0, 3) };
        assert_eq!(log.batches().counts(), BatchCounts { one_statement, resealed, head_read });
        assert_eq!(closed(log, task, &pool).await, (4, None));
    }
}

/// The one-call batch takes the chain lock before it writes a row: while another writer holds the
/// lock, the batch waits, and that writer's own append (made after the batch began waiting) neither
/// waits for nor collides with a row of the batch. The batch then follows its record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_lg_01_a_batch_waiting_for_the_chain_lock_has_written_nothing() {
    use diesel::connection::SimpleConnection;
    let Some(db) = crate::support::TestDb::postgres() else { return };
    let pool = db.pool();
    let (log, task) = AuditLog::start(pool.clone(), fixed_clock(), Arc::new(Exporter::none()), 8);
    assert_eq!(log.record(AuditEvent::new("a", "auth.sign_in", "account")).await.unwrap(), 1);
    let writer = db.pool();
    let mut w = conn(&writer);
    w.batch_execute(&format!("SET statement_timeout = '3s'; BEGIN; SELECT pg_advisory_xact_lock({CHAIN_LOCK})"))
        .unwrap();
    let waiting = {
        let log = log.clone();
        tokio::spawn(async move { log.record(AuditEvent::new("b", "auth.sign_in", "account")).await })
    };
    let mut c = conn(&pool);
    let mut waited = false;
    for _ in 0..100 {
        if count(&mut c, "SELECT COUNT(*) AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE d.datname = current_database() AND l.locktype = 'advisory' AND NOT l.granted") == 1 {
            waited = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(waited, "the batch waits for the chain lock");
    let mine = store::audit::append(&mut w, 0, vec![AuditEvent::new("officer", "account.suspended", "account:a")])
        .expect("no row of the waiting batch is in the way");
    assert_eq!(mine[0].seq, 2);
    w.batch_execute("COMMIT").unwrap();
    assert_eq!(waiting.await.unwrap().unwrap(), 3, "the batch follows the record committed while it waited");
    assert_eq!(
        log.batches().counts(),
        BatchCounts { one_statement: 0, resealed: 1, head_read: 1 },
        "once it had the lock, the call found the head moved and answered it; the batch was sealed again after it"
    );
    assert_eq!(closed(log, task, &pool).await, (3, None));
}
