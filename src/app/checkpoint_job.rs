//! The audit export and checkpoint job `tobira serve` runs on every node (R-LG-02): each second it
//! sends new audit records to the sinks (records of any transaction, not only the group commit's);
//! every `audit.checkpoint_seconds` it seals the chain's head; at shutdown it seals once more, after
//! the audit queue has drained.
//!
//! Invariant: the job holds the parts it needs, not an [`App`], so the audit appender can drain at
//! shutdown before the last checkpoint.

use super::audit_checkpoint::{self, Sealing};
use super::audit_log::Exporter;
use super::clock::Clock;
use super::App;
use crate::config::Config;
use crate::crypto::master_key::MasterKey;
use crate::store::DbPool;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tobira_domain::audit_checkpoint::Checkpoint;

/// What sealing needs, cloned out of the [`App`].
#[derive(Clone)]
pub struct Sealer {
    pool: DbPool,
    key: Arc<MasterKey>,
    exporter: Arc<Exporter>,
    config: Arc<Config>,
    clock: Arc<dyn Clock>,
    every_seconds: u32,
    last: Arc<Mutex<Option<Checkpoint>>>,
}

impl Sealer {
    pub fn of(app: &App) -> Sealer {
        let last = audit_checkpoint::read(&app.config.checkpoint_path()).pop();
        Sealer {
            pool: app.pool.clone(),
            key: app.master_key.clone(),
            exporter: app.audit.exporter_arc(),
            config: app.config.clone(),
            clock: app.clock.clone(),
            every_seconds: app.policy.audit.checkpoint_seconds,
            last: Arc::new(Mutex::new(last)),
        }
    }

    /// One round: export, and seal when due (`force`: whenever the head moved).
    async fn round(&self, force: bool) -> Result<(), super::AppError> {
        let s = self.clone();
        super::on_pool(&self.pool.clone(), move |c| {
            let path = s.config.checkpoint_path();
            let mut last = s.last.lock().unwrap_or_else(|p| p.into_inner());
            let sealing = Sealing { key: &s.key, exporter: &s.exporter, path: &path };
            let every = (!force).then_some(s.every_seconds);
            if let Some(cp) = audit_checkpoint::seal(c, &sealing, last.as_ref(), every, s.clock.now_ms())? {
                *last = Some(cp);
            }
            Ok(())
        })
        .await
    }

    /// Seals the head now (at shutdown).
    pub async fn seal_now(&self) {
        if let Err(e) = self.round(true).await {
            tracing::error!(error = %e, "the audit checkpoint at shutdown could not be written");
        }
    }
}

/// The running job.
pub struct Handle {
    task: tokio::task::JoinHandle<()>,
}

impl Handle {
    /// Stops the job; returns what seals the last checkpoint once the audit queue has drained.
    pub async fn stop(self, app: &App) -> Sealer {
        self.task.abort();
        let _ = self.task.await;
        Sealer::of(app)
    }
}

pub fn spawn(app: App) -> Handle {
    let sealer = Sealer::of(&app);
    drop(app);
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = sealer.round(false).await {
                tracing::error!(error = %e, "audit export or checkpoint failed; the next round retries");
            }
        }
    });
    Handle { task }
}
