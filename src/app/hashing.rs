//! A small pool of threads that do the argon2 work (password verification and hashing), one per
//! `crypto.argon2_concurrency` slot. More at once than there are cores only makes each slower, and
//! a fixed set of threads keeps reusing its own warm ~19 MiB buffers, where tokio's blocking pool
//! would hand each job to whichever of its many threads is free (fresh memory, page faults, cold
//! caches). It also bounds the memory a flood of sign-in attempts can pin.

use super::AppError;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

pub struct HashPool {
    tx: mpsc::Sender<Job>,
    /// Jobs queued or running.
    queued: Arc<AtomicUsize>,
}

/// Seconds a client refused by a full queue is told to wait.
pub const RETRY_AFTER_SECONDS: u64 = 2;

impl std::fmt::Debug for HashPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HashPool(…)")
    }
}

impl HashPool {
    /// Starts `threads` workers; they end when the pool is dropped. Fails when the operating system
    /// refuses a thread (the workers already started end with the unused pool).
    pub fn new(threads: usize) -> Result<HashPool, AppError> {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("tobira-argon2-{i}"))
                .spawn(move || loop {
                    let job = rx.lock().map(|r| r.recv());
                    match job {
                        Ok(Ok(job)) => job(),
                        _ => break,
                    }
                })
                .map_err(|e| AppError::Task(format!("cannot start an argon2 worker thread: {e}")))?;
        }
        Ok(HashPool { tx, queued: Arc::new(AtomicUsize::new(0)) })
    }

    /// [`HashPool::run`] for work nobody has authenticated yet (a sign-in): refused with
    /// `AppError::Busy` when `max` jobs are queued or running already, so a flood pins at most
    /// that much memory and delay.
    pub async fn run_bounded<T: Send + 'static>(
        &self,
        max: usize,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        if self.queued.load(Ordering::Acquire) >= max.max(1) {
            return Err(AppError::Busy { retry_after: RETRY_AFTER_SECONDS });
        }
        self.run(f).await
    }

    /// Runs `f` on one of the pool's threads and waits for it without blocking the async workers.
    pub async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
        let (done, wait) = oneshot::channel();
        self.queued.fetch_add(1, Ordering::AcqRel);
        let guard = Queued(self.queued.clone());
        self.tx
            .send(Box::new(move || {
                let _guard = guard;
                // The client went away (its request was dropped): its work is not done.
                if !done.is_closed() {
                    let _ = done.send(f());
                }
            }))
            .map_err(|_| AppError::Task("the argon2 workers have stopped".into()))?;
        wait.await.map_err(|_| AppError::Task("an argon2 worker stopped".into()))
    }
}

/// Counts a job as queued until it has run (or was dropped unrun).
struct Queued(Arc<AtomicUsize>);

impl Drop for Queued {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn r_au_19_a_full_queue_refuses_and_work_for_a_gone_client_is_dropped() {
        let pool = Arc::new(HashPool::new(1).unwrap());
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let ran = Arc::new(AtomicUsize::new(0));
        // The one worker is busy; one more job waits.
        let p = pool.clone();
        let blocker = tokio::spawn(async move { p.run(move || hold.recv().unwrap()).await });
        let r2 = ran.clone();
        let waiting = pool.run_bounded(2, move || r2.fetch_add(1, Ordering::SeqCst));
        while pool.queued.load(Ordering::SeqCst) < 1 {
            tokio::task::yield_now().await;
        }
        // Poll the waiting job once so it is queued, then drop it: its client has gone.
        let mut waiting = Box::pin(waiting);
        assert!(futures_util::FutureExt::now_or_never(waiting.as_mut()).is_none());
        assert_eq!(pool.queued.load(Ordering::SeqCst), 2);
        assert!(matches!(pool.run_bounded(2, || ()).await, Err(AppError::Busy { .. })), "a full queue answers busy");
        drop(waiting);
        release.send(()).unwrap();
        blocker.await.unwrap().unwrap();
        // The worker releases each job's place just after answering it, and skips the dropped one
        // on its own thread: wait (boundedly) until both places are free.
        tokio::time::timeout(std::time::Duration::from_secs(5), async {
            while pool.queued.load(Ordering::SeqCst) > 0 {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("the worker frees the places of answered and dropped jobs");
        // The dropped job was skipped, and the queue has room again.
        assert_eq!(pool.run_bounded(2, || 7).await.unwrap(), 7);
        assert_eq!(ran.load(Ordering::SeqCst), 0, "nobody waited for it, so it did not run");
    }

    #[tokio::test]
    async fn runs_jobs_on_its_own_threads() {
        let pool = HashPool::new(2).unwrap();
        let names: Vec<String> = futures_util::future::join_all(
            (0..6).map(|_| pool.run(|| std::thread::current().name().unwrap_or("").to_string())),
        )
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
        assert!(names.iter().all(|n| n.starts_with("tobira-argon2-")), "{names:?}");
    }
}
