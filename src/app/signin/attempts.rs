//! Counting attempts: every guess at a secret (password, TOTP code) is claimed against the account's
//! lockout before it is checked and settled after (R-AU-11, R-PR-05), and failures per source
//! address slow that address down (R-AU-19).
//!
//! Invariant: the claim and the settle are each one write transaction that reads and writes the
//! lockout row, so concurrent attempts are serialised and never exceed the policy's limit.

use super::{target, Origin, SigninError};
use crate::app::{App, AppError};
use crate::store::{self, accounts::Account};
use serde_json::json;
use std::time::Duration;
use tobira_domain::audit::Outcome;
use tobira_domain::policy::{LockoutRule, Policy};

pub fn rule(policy: &Policy, account: &Account) -> LockoutRule {
    if account.is_privileged { policy.lockout.privileged.clone() } else { policy.lockout.staff.clone() }
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

/// Settles a successful attempt inside the caller's write transaction (the one that opens the
/// session): the failure count goes back to zero.
pub fn settle_success_in(c: &mut store::DbConnection, account_id: &str, now: i64) -> Result<(), AppError> {
    let state = store::throttle::lock_state(c, account_id)?;
    if state != Default::default() {
        store::throttle::put_lock_state(c, account_id, &state.settle(true), now)?;
    }
    Ok(())
}

/// A claimed attempt; `locks` when it is the one that reached the limit (if it fails, the account
/// stays locked).
#[derive(Debug, Clone, Copy)]
pub struct Claim {
    pub locks: bool,
}

/// Claims one attempt on `account`; `Locked` when the account is locked (then nothing is checked).
pub async fn claim(app: &App, account: &Account, origin: &Origin, method: &str) -> Result<Claim, SigninError> {
    let (id, rule, now) = (account.id.clone(), rule(&app.policy, account), app.clock.now_ms());
    let claimed = app
        .db(move |c| {
            store::write_tx(c, |c| -> Result<_, AppError> {
                let state = store::throttle::lock_state(c, &id)?;
                match state.claim(&rule, now) {
                    Ok(next) => {
                        store::throttle::put_lock_state(c, &id, &next, now)?;
                        Ok(Ok(Claim { locks: next.just_locked(now) }))
                    }
                    Err(locked) => Ok(Err(locked)),
                }
            })
        })
        .await?;
    match claimed {
        Ok(claim) => Ok(claim),
        Err(locked) => {
            super::record_failure(app, origin, Some(&account.login_id), method, "locked").await?;
            Err(SigninError::Locked { until: locked.until })
        }
    }
}

/// Settles a claimed attempt. A failure is recorded with the source's throttle count, and with an
/// `account.locked` event when its claim reached the limit; a success clears the count.
pub async fn settle(app: &App, account: &Account, origin: &Origin, method: &str, claim: Claim, success: bool) -> Result<(), AppError> {
    let (id, login, now) = (account.id.clone(), account.login_id.clone(), app.clock.now_ms());
    let throttle_rule = app.policy.lockout.per_source.clone();
    let (origin2, method2) = (origin.clone(), method.to_string());
    app.db(move |c| {
        store::write_tx(c, |c| -> Result<(), AppError> {
            let state = store::throttle::lock_state(c, &id)?;
            if success {
                if state != Default::default() {
                    store::throttle::put_lock_state(c, &id, &state.settle(true), now)?;
                }
                return Ok(());
            }
            if let Some(ip) = origin2.ip_text() {
                let s = store::throttle::lock_source_state(c, &ip)?.fail(&throttle_rule, now);
                store::throttle::put_source_state(c, &ip, &s)?;
            }
            if claim.locks {
                let e = origin2
                    .event("system", "account.locked", target(&login))
                    .with_outcome(Outcome::Denied)
                    .with_details(json!({ "failures": state.failures, "until": state.locked_until, "method": method2 }));
                store::audit::append(c, now, vec![e])?;
            }
            Ok(())
        })
    })
    .await?;
    if !success {
        super::record_failure(app, origin, Some(&account.login_id), method, if claim.locks { "wrong_then_locked" } else { "wrong" }).await?;
    }
    Ok(())
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
