//! The audit appender for events that are not part of a larger change (a sign-in, a token): callers
//! hand over an event and wait; one task commits whatever has queued in a single transaction (group
//! commit) and answers each caller only once its event is committed. Events that describe a state
//! change do not come here: they are appended in the change's own transaction.
//!
//! Every record, whichever transaction committed it, is then exported (JSON lines to a file, and/or
//! syslog) when configured, so a copy lives outside the database (R-LG-02): the exporter keeps a
//! cursor and sends everything after it, after each group commit and on the checkpoint job's tick.
//! Export failures are counted and logged (R-LG-07); the database record stands.

use super::clock::Clock;
use super::AppError;
use crate::store::audit_group::Way;
use crate::store::{self, DbConnection, DbPool, StoreError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tobira_domain::audit::{AuditEvent, AuditRecord, ChainHead};
use tobira_domain::time_util::rfc3339_utc;
use tokio::sync::{mpsc, oneshot};

/// Appends `event` at `now` in a transaction of its own: for the commands that run outside `serve`
/// (no group commit is running) and record what they did.
pub fn record_alone(c: &mut DbConnection, now: i64, event: AuditEvent) -> Result<(), AppError> {
    store::write_tx(c, |c| store::audit::append(c, now, vec![event]))?;
    Ok(())
}

/// The hash chain walked from the newest legal-hold anchor (or the first record) to the head.
pub fn verify_chain(c: &mut DbConnection) -> Result<store::audit::Verification, AppError> {
    Ok(store::audit::verify(c, 1_000)?)
}

/// Queue length before callers wait (back-pressure instead of unbounded memory).
const QUEUE: usize = 16_384;

struct Pending {
    event: AuditEvent,
    done: oneshot::Sender<Result<i64, String>>,
}

#[derive(Clone)]
pub struct AuditLog {
    tx: mpsc::Sender<Pending>,
    exporter: Arc<Exporter>,
    batches: Arc<Batches>,
}

/// How this node's group commits went since start: in one call after the head the previous batch
/// left; in one more call, sealed again after the head an earlier call found moved (another writer
/// appended); or after reading the head under the chain lock (the first batch, SQLite, and a batch
/// that found the head moved every time). Many of the last two under load mean other writers contend.
#[derive(Debug, Default)]
pub struct Batches {
    one_statement: AtomicU64,
    resealed: AtomicU64,
    head_read: AtomicU64,
}

/// [`Batches`] read at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BatchCounts {
    pub one_statement: u64,
    pub resealed: u64,
    pub head_read: u64,
}

impl Batches {
    /// The batches so far.
    pub fn counts(&self) -> BatchCounts {
        BatchCounts {
            one_statement: self.one_statement.load(Ordering::Relaxed),
            resealed: self.resealed.load(Ordering::Relaxed),
            head_read: self.head_read.load(Ordering::Relaxed),
        }
    }
}

impl AuditLog {
    /// Starts the committing task; it ends when every `AuditLog` clone is dropped and the queue is empty.
    pub fn start(
        pool: DbPool,
        clock: Arc<dyn Clock>,
        exporter: Arc<Exporter>,
        batch_max: usize,
    ) -> (AuditLog, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        // A thread of its own rather than a blocking task of the runtime, which would wait for it
        // at shutdown; the handle resolves when the loop has committed the last event.
        let (ended, end) = oneshot::channel::<()>();
        let loop_exporter = exporter.clone();
        let batches = Arc::new(Batches::default());
        let counted = batches.clone();
        let spawned = std::thread::Builder::new().name("tobira-audit".into()).spawn(move || {
            run(rx, pool, clock, loop_exporter, &counted, batch_max.max(1));
            let _ = ended.send(());
        });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "the audit appender's thread did not start; every audited action will fail");
        }
        let handle = tokio::spawn(async move {
            let _ = end.await;
        });
        (AuditLog { tx, exporter, batches }, handle)
    }

    /// Records `event`; returns its sequence number once committed.
    pub async fn record(&self, event: AuditEvent) -> Result<i64, AppError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Pending { event, done })
            .await
            .map_err(|_| AppError::AuditUnavailable("the appender has stopped".into()))?;
        wait.await
            .map_err(|_| AppError::AuditUnavailable("the appender stopped before committing".into()))?
            .map_err(AppError::AuditUnavailable)
    }

    pub fn exporter(&self) -> &Exporter {
        &self.exporter
    }

    pub fn exporter_arc(&self) -> Arc<Exporter> {
        self.exporter.clone()
    }

    /// How the group commits went since start.
    pub fn batches(&self) -> &Batches {
        &self.batches
    }
}

/// The committing loop, on a blocking thread of its own for the life of the log: it waits for the
/// first event, takes whatever else has queued (up to `batch_max`), commits it on a connection it
/// keeps between batches (no pool checkout and its liveness query per batch; a connection that
/// failed is given back and another taken for the next batch) and answers each caller.
fn run(
    mut rx: mpsc::Receiver<Pending>,
    pool: DbPool,
    clock: Arc<dyn Clock>,
    exporter: Arc<Exporter>,
    batches: &Batches,
    batch_max: usize,
) {
    let mut conn: Option<Kept> = None;
    let mut batch = Vec::with_capacity(batch_max);
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < batch_max {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        let (events, waiters): (Vec<AuditEvent>, Vec<_>) = batch.drain(..).map(|p| (p.event, p.done)).unzip();
        let result = commit(&mut conn, &pool, clock.now_ms(), events, &exporter, batches);
        if result.is_err() {
            conn = None;
        }
        match result {
            Ok(records) => {
                for (w, r) in waiters.into_iter().zip(records) {
                    let _ = w.send(Ok(r.seq));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "audit group commit failed");
                for w in waiters {
                    let _ = w.send(Err(e.clone()));
                }
            }
        }
    }
}

/// The appender's connection, when it last committed and the head its last batch left (the next
/// batch is sealed after it in one round trip while no one else has appended; see
/// [`store::audit_group`]).
struct Kept {
    conn: diesel::r2d2::PooledConnection<crate::store::Manager>,
    used: std::time::Instant,
    head: Option<ChainHead>,
}

/// A kept connection idle for longer than this is asked whether it still works before a batch uses
/// it (as the pool asks on every checkout), so a database restarted while the log was quiet costs no
/// batch; under load the connection is never idle this long and never asked.
const IDLE_CHECK: std::time::Duration = std::time::Duration::from_secs(1);

/// One group commit on the kept connection (taken from the pool when there is none, or when it sat
/// idle and no longer answers), then the export.
fn commit(
    kept: &mut Option<Kept>,
    pool: &DbPool,
    now: i64,
    events: Vec<AuditEvent>,
    exporter: &Exporter,
    batches: &Batches,
) -> Result<Vec<AuditRecord>, String> {
    if kept.as_mut().is_some_and(|k| k.used.elapsed() > IDLE_CHECK && store::ping(&mut k.conn).is_err()) {
        *kept = None;
    }
    let k = match kept {
        Some(k) => k,
        None => kept.insert(Kept {
            conn: pool.get().map_err(|e| e.to_string())?,
            used: std::time::Instant::now(),
            head: None,
        }),
    };
    k.used = std::time::Instant::now();
    let c = &mut k.conn;
    let (records, way) =
        store::audit_group::append_alone(c, now, events, k.head.as_ref()).map_err(|e| e.to_string())?;
    match way {
        Way::OneStatement => &batches.one_statement,
        Way::Resealed => &batches.resealed,
        Way::HeadRead => &batches.head_read,
    }
    .fetch_add(1, Ordering::Relaxed);
    k.head = records.last().map(|r| ChainHead { seq: r.seq, hash: r.hash.clone() });
    if let Err(e) = exporter.catch_up(c) {
        tracing::error!(error = %e, "audit export could not read the new records; the next round retries");
    }
    Ok(records)
}

/// Copies of committed records outside the database.
pub struct Exporter {
    file: Option<(PathBuf, Mutex<std::fs::File>)>,
    syslog: Option<(PathBuf, std::os::unix::net::UnixDatagram)>,
    hostname: String,
    failures: AtomicU64,
    /// The last record sent to the sinks.
    cursor: Mutex<i64>,
}

impl Exporter {
    pub fn none() -> Exporter {
        Exporter { file: None, syslog: None, hostname: "-".into(), failures: AtomicU64::new(0), cursor: Mutex::new(0) }
    }

    /// Opens the configured destinations; empty strings mean off.
    pub fn open(export_file: &str, syslog_socket: &str) -> std::io::Result<Exporter> {
        let mut e = Exporter::none();
        if !export_file.is_empty() {
            let f = std::fs::OpenOptions::new().create(true).append(true).open(export_file)?;
            e.file = Some((PathBuf::from(export_file), Mutex::new(f)));
        }
        if !syslog_socket.is_empty() {
            e.syslog = Some((PathBuf::from(syslog_socket), std::os::unix::net::UnixDatagram::unbound()?));
        }
        e.hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "-".into());
        Ok(e)
    }

    /// Whether any sink is configured.
    pub fn has_sinks(&self) -> bool {
        self.file.is_some() || self.syslog.is_some()
    }

    /// Continues the export after record `seq` (what the sinks already hold).
    pub fn resume_after(&self, seq: i64) {
        *self.cursor.lock().unwrap_or_else(|p| p.into_inner()) = seq;
    }

    /// Sends every committed record after the cursor to the sinks, in order, and moves the cursor.
    pub fn catch_up(&self, c: &mut DbConnection) -> Result<usize, StoreError> {
        if !self.has_sinks() {
            return Ok(0);
        }
        let mut cursor = self.cursor.lock().unwrap_or_else(|p| p.into_inner());
        let mut n = 0;
        loop {
            let page = store::audit::page(c, *cursor, 1_000)?;
            let Some(last) = page.last() else { break };
            *cursor = last.seq;
            n += page.len();
            self.export(&page);
        }
        Ok(n)
    }

    /// Exports had to be skipped this many times since start.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    pub fn export(&self, records: &[AuditRecord]) {
        if records.is_empty() || (self.file.is_none() && self.syslog.is_none()) {
            return;
        }
        for r in records {
            match serde_json::to_string(r) {
                Ok(line) => self.export_line(&line, r.occurred_at),
                Err(e) => {
                    self.failures.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(seq = r.seq, error = %e, "audit export failed: the record does not serialise; the database record stands");
                }
            }
        }
    }

    /// Sends one JSON line (a record or a checkpoint) of time `at` to every sink.
    pub fn export_line(&self, line: &str, at: i64) {
        if let Some((path, f)) = &self.file {
            let res = f.lock().map_err(|_| std::io::Error::other("poisoned")).and_then(|mut f| writeln!(f, "{line}"));
            self.note(res, path);
        }
        if let Some((path, sock)) = &self.syslog {
            // RFC 5424: facility authpriv (10), severity informational (6) → PRI 86.
            let msg = format!("<86>1 {} {} tobira - audit - {}", rfc3339_utc(at), self.hostname, line);
            self.note(sock.send_to(msg.as_bytes(), path).map(|_| ()), path);
        }
    }

    fn note(&self, res: std::io::Result<()>, dest: &Path) {
        if let Err(e) = res {
            self.failures.fetch_add(1, Ordering::Relaxed);
            tracing::error!(destination = %dest.display(), error = %e, "audit export failed; the database record stands");
        }
    }
}
