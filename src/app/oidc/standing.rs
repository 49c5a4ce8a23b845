//! The standing of presented access tokens, checked in batches: every introspection and userinfo
//! call asks whether its token was revoked and, for a person's token, whether the account and the
//! session are still good now (R-LC-03), the session's idle time-out included (R-AU-11). One task gathers the questions of concurrent requests and
//! answers them with one query per kind, the way the audit appender batches commits; each caller
//! gets the answer as of that query, never a remembered one.

use super::person_standing;
use crate::app::clock::Clock;
use crate::app::AppError;
use crate::store::{self, DbPool};
use std::sync::Arc;
use tobira_domain::policy::Policy;
use tokio::sync::{mpsc, oneshot};

/// What to check about one token.
#[derive(Debug, Clone)]
pub struct Question {
    pub jti: String,
    /// The token family of a person's token (absent for client_credentials tokens).
    pub family: Option<String>,
}

/// The answer for one token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Good,
    Revoked,
    /// The family does not exist.
    Unknown,
    /// Revoked family, ended session, or an account that may not sign in now.
    PersonGone,
}

type Waiter = (Question, oneshot::Sender<Result<Standing, String>>);

#[derive(Clone)]
pub struct StandingChecker {
    tx: mpsc::Sender<Waiter>,
}

impl StandingChecker {
    /// Starts the checking task; it ends when every checker clone is dropped.
    pub fn start(pool: DbPool, clock: Arc<dyn Clock>, policy: Arc<Policy>, batch_max: usize) -> StandingChecker {
        let (tx, rx) = mpsc::channel(16_384);
        tokio::spawn(run(rx, pool, clock, policy, batch_max.max(1)));
        StandingChecker { tx }
    }

    pub async fn check(&self, q: Question) -> Result<Standing, AppError> {
        let (done, wait) = oneshot::channel();
        self.tx.send((q, done)).await.map_err(|_| AppError::Task("the token checker has stopped".into()))?;
        wait.await.map_err(|_| AppError::Task("the token checker stopped".into()))?.map_err(AppError::Task)
    }
}

async fn run(
    mut rx: mpsc::Receiver<Waiter>,
    pool: DbPool,
    clock: Arc<dyn Clock>,
    policy: Arc<Policy>,
    batch_max: usize,
) {
    let mut batch = Vec::with_capacity(batch_max);
    while rx.recv_many(&mut batch, batch_max).await > 0 {
        let (questions, waiters): (Vec<Question>, Vec<_>) = batch.drain(..).unzip();
        let (pool, clock, policy) = (pool.clone(), clock.clone(), policy.clone());
        let answers = tokio::task::spawn_blocking(move || -> Result<Vec<Standing>, String> {
            let mut c = pool.get().map_err(|e| e.to_string())?;
            let jtis: Vec<String> = questions.iter().map(|q| q.jti.clone()).collect();
            let families: Vec<String> = questions.iter().filter_map(|q| q.family.clone()).collect();
            let revoked = store::oidc::revoked_among(&mut c, &jtis).map_err(|e| e.to_string())?;
            let standings = store::oidc::standings(&mut c, &families).map_err(|e| e.to_string())?;
            let now = clock.now_ms();
            Ok(questions
                .iter()
                .map(|q| {
                    if revoked.contains(&q.jti) {
                        return Standing::Revoked;
                    }
                    match &q.family {
                        None => Standing::Good,
                        Some(f) => match standings.get(f) {
                            None => Standing::Unknown,
                            Some(s) if person_standing(&policy, s, now).is_err() => Standing::PersonGone,
                            Some(_) => Standing::Good,
                        },
                    }
                })
                .collect())
        })
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
        match answers {
            Ok(a) => waiters.into_iter().zip(a).for_each(|(w, s)| {
                let _ = w.send(Ok(s));
            }),
            Err(e) => {
                tracing::error!(error = %e, "token standing check failed");
                waiters.into_iter().for_each(|w| {
                    let _ = w.send(Err(e.clone()));
                });
            }
        }
    }
}
