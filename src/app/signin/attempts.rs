//! Counting attempts: every guess at a secret (password, TOTP code) is claimed against the account's
//! lockout in the scope it came from (the policy network, R-AU-19) before it is checked and settled
//! after (R-AU-11, R-PR-05), and failures per source address slow that address down (R-AU-19).
//!
//! Invariant: the claim and the settle are each one write transaction that reads and writes the
//! lockout row, so concurrent attempts are serialised and never exceed the policy's limit. A claim
//! that finds the limit's worth of attempts in flight waits for one to settle (it is not refused),
//! so correct passwords tried at once all get through.

use super::{target, Origin, SigninError};
use crate::app::{App, AppError};
use crate::store::{self, accounts::Account};
use serde_json::json;
use std::time::Duration;
use tobira_domain::audit::Outcome;
use tobira_domain::authn::{access, lockout};
use tobira_domain::policy::{LockoutRule, Policy};

/// How long a claim waits for a place among the attempts in flight before it gives up (the attempt
/// is then answered as a wrong password, and nothing was checked).
const WAIT_FOR_PLACE: Duration = Duration::from_secs(10);
const RETRY_EVERY: Duration = Duration::from_millis(20);

pub fn rule(policy: &Policy, account: &Account) -> LockoutRule {
    if account.is_privileged {
        policy.lockout.privileged.clone()
    } else {
        policy.lockout.staff.clone()
    }
}

/// The lockout scope of a request: its policy network, "outside", or everywhere (`lockout.scope`).
pub fn scope(policy: &Policy, origin: &Origin) -> String {
    let network = origin.ip.and_then(|ip| access::network_of(policy, ip)).map(|n| n.id.get_ref().as_str());
    lockout::scope_for(policy, network)
}

/// Waits the throttling delay of the request's source address, if it has failed too often.
pub async fn throttle(app: &App, origin: &Origin) -> Result<(), AppError> {
    let Some(ip) = origin.ip_text() else { return Ok(()) };
    let (rule, now) = (app.policy.lockout.per_source.clone(), app.clock.now_ms());
    let delay = app.db(move |c| Ok(store::throttle::source_state(c, &ip)?.delay_ms(&rule, now))).await?;
    wait(delay).await;
    Ok(())
}

/// Sleeps a throttling delay (milliseconds).
pub async fn wait(delay_ms: u32) {
    if delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(u64::from(delay_ms))).await;
    }
}

/// A claimed attempt, in its lockout scope.
#[derive(Debug, Clone)]
pub struct Claim {
    pub scope: String,
    rule: LockoutRule,
}

/// Settles a successful attempt inside the caller's write transaction (the one that opens the
/// session): the failure count goes back to zero and the attempt leaves the ones in flight.
pub fn settle_success_in(
    c: &mut store::DbConnection,
    account_id: &str,
    claim: &Claim,
    now: i64,
) -> Result<(), AppError> {
    let state = store::throttle::lock_state(c, account_id, &claim.scope)?;
    store::throttle::put_lock_state(c, account_id, &claim.scope, &state.settle(&claim.rule, true, now), now)?;
    Ok(())
}

/// Claims one attempt on `account`; `Locked` when the account is locked in the request's scope or
/// everywhere (then nothing is checked). Waits while the limit's worth of attempts is in flight.
pub async fn claim(app: &App, account: &Account, origin: &Origin, method: &str) -> Result<Claim, SigninError> {
    let (id, rule, scope) = (account.id.clone(), rule(&app.policy, account), scope(&app.policy, origin));
    let started = tokio::time::Instant::now();
    loop {
        let (id2, rule2, scope2, now) = (id.clone(), rule.clone(), scope.clone(), app.clock.now_ms());
        let claimed = app
            .db(move |c| {
                store::write_tx(c, |c| -> Result<_, AppError> {
                    if let Some(l) = store::throttle::global_lock(c, &id2, now)? {
                        return Ok(Err(lockout::Refusal::Locked(l)));
                    }
                    let state = store::throttle::lock_state(c, &id2, &scope2)?;
                    match state.claim(&rule2, now) {
                        Ok(next) => {
                            store::throttle::put_lock_state(c, &id2, &scope2, &next, now)?;
                            Ok(Ok(()))
                        }
                        Err(refusal) => Ok(Err(refusal)),
                    }
                })
            })
            .await?;
        match claimed {
            Ok(()) => return Ok(Claim { scope, rule }),
            Err(lockout::Refusal::Busy) if started.elapsed() < WAIT_FOR_PLACE => tokio::time::sleep(RETRY_EVERY).await,
            Err(lockout::Refusal::Busy) => {
                super::record_failure(app, origin, Some(&account.login_id), method, "busy").await?;
                return Err(SigninError::Locked { until: None });
            }
            Err(lockout::Refusal::Locked(locked)) => {
                super::record_failure(app, origin, Some(&account.login_id), method, "locked").await?;
                return Err(SigninError::Locked { until: locked.until });
            }
        }
    }
}

/// Settles a claimed attempt. A failure is recorded with the source's throttle count, and with an
/// `account.locked` event when it reached the limit; a success clears the count.
pub async fn settle(
    app: &App,
    account: &Account,
    origin: &Origin,
    method: &str,
    claim: Claim,
    success: bool,
) -> Result<(), AppError> {
    let (id, login, now) = (account.id.clone(), account.login_id.clone(), app.clock.now_ms());
    let throttle_rule = app.policy.lockout.per_source.clone();
    let (origin2, method2) = (origin.clone(), method.to_string());
    let locked = app
        .db(move |c| {
            store::write_tx(c, |c| -> Result<bool, AppError> {
                let next = store::throttle::lock_state(c, &id, &claim.scope)?.settle(&claim.rule, success, now);
                store::throttle::put_lock_state(c, &id, &claim.scope, &next, now)?;
                if success {
                    return Ok(false);
                }
                if let Some(ip) = origin2.ip_text() {
                    let s = store::throttle::lock_source_state(c, &ip)?.fail(&throttle_rule, now);
                    store::throttle::put_source_state(c, &ip, &s)?;
                }
                let locked = next.just_locked(now);
                if locked {
                    let e = origin2
                        .event("system", "account.locked", target(&login))
                        .with_outcome(Outcome::Denied)
                        .with_details(json!({ "failures": next.failures, "until": next.locked_until, "method": method2, "scope": claim.scope }));
                    store::audit::append(c, now, vec![e])?;
                }
                Ok(locked)
            })
        })
        .await?;
    if !success {
        super::record_failure(
            app,
            origin,
            Some(&account.login_id),
            method,
            if locked { "wrong_then_locked" } else { "wrong" },
        )
        .await?;
    }
    Ok(())
}

/// Gives a claim's place back when its secret could not be checked (the argon2 queue was full).
pub async fn release(app: &App, account: &Account, claim: Claim) -> Result<(), AppError> {
    let (id, now) = (account.id.clone(), app.clock.now_ms());
    app.db(move |c| {
        store::write_tx(c, |c| -> Result<(), AppError> {
            let next = store::throttle::lock_state(c, &id, &claim.scope)?.release(now);
            Ok(store::throttle::put_lock_state(c, &id, &claim.scope, &next, now)?)
        })
    })
    .await
}

/// Records a failure from a source for an unknown login ID (no account to lock).
pub async fn source_failed(app: &App, origin: &Origin) -> Result<(), AppError> {
    let Some(ip) = origin.ip_text() else { return Ok(()) };
    let (rule, now) = (app.policy.lockout.per_source.clone(), app.clock.now_ms());
    app.db(move |c| {
        store::write_tx(c, |c| -> Result<(), AppError> {
            let s = store::throttle::lock_source_state(c, &ip)?.fail(&rule, now);
            Ok(store::throttle::put_source_state(c, &ip, &s)?)
        })
    })
    .await
}
