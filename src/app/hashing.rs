//! A small pool of threads that do the argon2 work (password verification and hashing), one per
//! `crypto.argon2_concurrency` slot. More at once than there are cores only makes each slower, and
//! a fixed set of threads keeps reusing its own warm ~19 MiB buffers, where tokio's blocking pool
//! would hand each job to whichever of its many threads is free (fresh memory, page faults, cold
//! caches). It also bounds the memory a flood of sign-in attempts can pin.

use super::AppError;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

pub struct HashPool {
    tx: mpsc::Sender<Job>,
}

impl std::fmt::Debug for HashPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HashPool(…)")
    }
}

impl HashPool {
    /// Starts `threads` workers; they end when the pool is dropped.
    pub fn new(threads: usize) -> HashPool {
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
                .expect("spawn an argon2 worker thread");
        }
        HashPool { tx }
    }

    /// Runs `f` on one of the pool's threads and waits for it without blocking the async workers.
    pub async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Box::new(move || {
                let _ = done.send(f());
            }))
            .map_err(|_| AppError::Task("the argon2 workers have stopped".into()))?;
        wait.await.map_err(|_| AppError::Task("an argon2 worker stopped".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_on_its_own_threads() {
        let pool = HashPool::new(2);
        let names: Vec<String> = futures_util::future::join_all((0..6).map(|_| pool.run(|| std::thread::current().name().unwrap_or("").to_string()))).await.into_iter().map(Result::unwrap).collect();
        assert!(names.iter().all(|n| n.starts_with("tobira-argon2-")), "{names:?}");
    }
}
