//! Mail delivery of the notification outbox: the officers and owners told of a delegate's approval
//! (R-PR-03), of a break-glass elevation, and whatever else `approvers::notify` queues.
//!
//! A round takes the lease `mail-delivery` (one node sends; it renews the lease after every
//! message and stops when another node has taken it), loads the due notifications, looks up each
//! recipient's address (`people.mail` by employee number), sends, and records the outcome at once,
//! so a crash re-sends at most the message in flight. A recipient without an address is marked
//! undeliverable and the others still go; a failed send counts an attempt and waits
//! `smtp.every_seconds`, doubling per try up to an hour, until `smtp.max_attempts`; an unreachable
//! server ends the round (the rest wait for the next one). Each round that sent or gave up
//! something is one audit event, with ids, kinds and recipients: never a body or a credential.
//!
//! An enrollment link's mail (R-AU-06) is stored with a placeholder naming the link: the round
//! opens the link's sealed token at send time, puts the URL in the message it sends (never in the
//! stored body), and erases the sealed token once the mail is sent or given up; a link used,
//! revoked or expired meanwhile is not sent at all.

use super::{App, AppError};
use crate::mail::{MailError, Mailer};
use crate::store::{self, notifications::Outgoing};
use serde_json::{json, Value};
use std::time::{Duration, SystemTime};
use tobira_domain::audit::{AuditEvent, Outcome};
use tobira_domain::authn::enrollment;

pub const JOB: &str = "mail-delivery";
pub const ACTOR: &str = "system:mail-delivery";
/// Most notifications one round takes.
const BATCH: i64 = 100;
const MAX_DELAY_MS: i64 = 3_600_000;
/// Longest `last_error` kept.
const MAX_ERROR: usize = 500;

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    /// Failed tries that will be retried.
    pub deferred: usize,
    /// Given up: no address, or out of attempts.
    pub undeliverable: usize,
}

/// The wait after the `attempts`-th failed try.
pub fn retry_delay_ms(every_seconds: u64, attempts: i32) -> i64 {
    let base = (every_seconds.max(1) as i64).saturating_mul(1000);
    let doublings = attempts.saturating_sub(1).clamp(0, 20) as u32;
    base.saturating_mul(1_i64 << doublings).min(MAX_DELAY_MS)
}

/// One delivery round; `Ok(None)` when another node holds the lease.
pub async fn run_once(app: &App, mailer: &Mailer, node: &str) -> Result<Option<Round>, AppError> {
    let cfg = app.config.smtp.clone();
    let ttl = (cfg.every_seconds as i64 * 2 + cfg.timeout_seconds as i64 * 3) * 1000 + 60_000;
    let (now, holder, policy) = (app.clock.now_ms(), node.to_string(), app.policy.clone());
    let due = app
        .db(move |c| {
            let held = store::write_tx(c, |c| -> Result<bool, AppError> {
                let held = store::leases::try_acquire(c, JOB, &holder, now, ttl)?;
                if held {
                    // Links that expired unsent keep no token.
                    store::enrollment::erase_expired(c, now)?;
                }
                Ok(held)
            })?;
            if !held {
                return Ok(None);
            }
            let mut due = Vec::new();
            // The exceptions register is read only when an address is outside the domains.
            let mut exceptions = None;
            for n in store::notifications::due(c, now, BATCH)? {
                let address = match store::notifications::address_of(c, &n.recipient)? {
                    Some(a) if !policy.municipality.mail_allowed(&a) => {
                        if exceptions.is_none() {
                            exceptions = Some(crate::app::review::exceptions::rows(c, &policy, now)?);
                        }
                        Some(permitted(exceptions.as_deref().unwrap_or_default(), &n.recipient, a))
                    }
                    other => other.map(Ok),
                };
                due.push((n, address));
            }
            Ok(Some(due))
        })
        .await?;
    let Some(due) = due else { return Ok(None) };
    let (mut round, mut sent, mut failed) = (Round::default(), Vec::new(), Vec::new());
    for (n, address) in due {
        let now = app.clock.now_ms();
        let link = link_of(&n);
        let body = match (&link, &address) {
            (Some(id), Some(Ok(_))) => body_with_link(app, &n, id, now).await?,
            _ => Ok(n.body.clone()),
        };
        // `None`: the link closed or its token is gone, so nothing is left to send.
        let result = match (&address, &body) {
            (None, _) => Some(Err(MailError::Address("the recipient has no mail address".into()))),
            (Some(Err(why)), _) => Some(Err(MailError::Address(why.clone()))),
            (Some(Ok(_)), Err(_)) => None,
            (Some(Ok(a)), Ok(body)) => Some(
                match mailer.message(
                    &n.id,
                    a,
                    &n.subject,
                    body,
                    SystemTime::UNIX_EPOCH + Duration::from_millis(now.max(0) as u64),
                ) {
                    Ok(m) => mailer.send(m).await,
                    Err(e) => Err(e),
                },
            ),
        };
        let unreachable = matches!(result, Some(Err(MailError::Unreachable(_))));
        let outcome = match result {
            None => Delivered::NoAddress(body.err().unwrap_or_default()),
            Some(Ok(())) => Delivered::Sent,
            // No address, or one that is not an address: no try can succeed.
            Some(Err(e @ MailError::Address(_))) => Delivered::NoAddress(e.to_string()),
            Some(Err(e)) if n.attempts + 1 >= cfg.max_attempts as i32 => Delivered::Exhausted(e.to_string()),
            Some(Err(e)) => Delivered::Later(e.to_string(), now + retry_delay_ms(cfg.every_seconds, n.attempts + 1)),
        };
        match &outcome {
            Delivered::Sent => {
                round.sent += 1;
                sent.push(json!({ "id": n.id, "kind": n.kind, "recipient": n.recipient }));
            }
            Delivered::Later(reason, _) => {
                round.deferred += 1;
                tracing::warn!(job = JOB, notification = %n.id, attempts = n.attempts + 1, error = %reason, "mail not delivered; retrying later");
                failed.push(json!({ "id": n.id, "kind": n.kind, "recipient": n.recipient, "attempts": n.attempts + 1, "error": truncate(reason), "undeliverable": false }));
            }
            Delivered::NoAddress(reason) | Delivered::Exhausted(reason) => {
                round.undeliverable += 1;
                let attempts = n.attempts + i32::from(matches!(outcome, Delivered::Exhausted(_)));
                tracing::warn!(job = JOB, notification = %n.id, attempts, error = %reason, "mail undeliverable; given up");
                failed.push(json!({ "id": n.id, "kind": n.kind, "recipient": n.recipient, "attempts": attempts, "error": truncate(reason), "undeliverable": true }));
            }
        }
        if !record(app, &n, outcome, link, node, ttl).await? {
            tracing::warn!(job = JOB, "another node took the mail-delivery lease; ending this round");
            break;
        }
        if unreachable {
            break;
        }
    }
    if round != Round::default() {
        let event = AuditEvent::new(ACTOR, "notification.mail_round", "notifications")
            .with_outcome(if failed.is_empty() { Outcome::Success } else { Outcome::Failure })
            .with_details(json!({ "sent": Value::Array(sent), "failed": Value::Array(failed) }));
        app.audit.record(event).await?;
    }
    Ok(Some(round))
}

/// An address outside the municipality's mail domains, or why it is not used: it needs an exception
/// in force for R-LC-17 naming the person (the CISO's permission).
fn permitted(
    exceptions: &[crate::app::review::exceptions::Row],
    recipient: &str,
    address: String,
) -> Result<String, String> {
    if crate::app::review::exceptions::permits(exceptions, "R-LC-17", &format!("person:{recipient}")) {
        Ok(address)
    } else {
        Err("the address is outside the municipality's mail domains and no exception permits it (R-LC-17)".into())
    }
}

/// The enrollment link a queued mail carries, by the placeholder in its stored body.
fn link_of(n: &Outgoing) -> Option<String> {
    (n.kind == crate::app::enrollment::KIND).then(|| enrollment::placeholder_id(&n.body).map(str::to_string)).flatten()
}

/// The body to send: the placeholder replaced by the link's URL, opened from its sealed token now;
/// `Err` with the reason when there is nothing to send (the link closed or its token is gone).
async fn body_with_link(app: &App, n: &Outgoing, link_id: &str, now: i64) -> Result<Result<String, String>, AppError> {
    let (master, id) = (app.master_key.clone(), link_id.to_string());
    let token = app.db(move |c| crate::app::enrollment::token_for_mail(c, &master, &id, now)).await?;
    Ok(token.map(|t| enrollment::expand(&n.body, link_id, &enrollment::url(&app.config.http.public_url, &t))))
}

enum Delivered {
    Sent,
    /// Failed; try again at the time given.
    Later(String, i64),
    /// Given up without a try: no address to send to, or (an enrollment link) nothing left to send.
    NoAddress(String),
    /// Failed, and that was the last attempt.
    Exhausted(String),
}

/// Records one outcome and renews the lease in one transaction; false when the lease is lost. A
/// mail that carried (or would have carried) an enrollment link and is now sent or given up
/// erases the link's sealed token in the same transaction.
async fn record(
    app: &App,
    n: &Outgoing,
    outcome: Delivered,
    link: Option<String>,
    node: &str,
    ttl: i64,
) -> Result<bool, AppError> {
    let (id, node, now) = (n.id.clone(), node.to_string(), app.clock.now_ms());
    app.db(move |c| {
        store::write_tx(c, |c| {
            if let Some(link) = link.as_deref().filter(|_| !matches!(outcome, Delivered::Later(..))) {
                store::enrollment::erase_sealed(c, link)?;
            }
            match outcome {
                Delivered::Sent => {
                    store::notifications::mark_sent(c, &id, now)?;
                }
                Delivered::Later(reason, at) => {
                    store::notifications::record_failure(c, &id, &truncate(&reason), now, Some(at))?
                }
                Delivered::NoAddress(reason) => {
                    store::notifications::mark_undeliverable(c, &id, &truncate(&reason), now)?
                }
                Delivered::Exhausted(reason) => {
                    store::notifications::record_failure(c, &id, &truncate(&reason), now, None)?
                }
            }
            Ok(store::leases::try_acquire(c, JOB, &node, now, ttl)?)
        })
    })
    .await
}

fn truncate(s: &str) -> String {
    match s.char_indices().nth(MAX_ERROR) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_an_hour() {
        assert_eq!(retry_delay_ms(30, 1), 30_000);
        assert_eq!(retry_delay_ms(30, 2), 60_000);
        assert_eq!(retry_delay_ms(30, 4), 240_000);
        assert_eq!(retry_delay_ms(30, 9), 3_600_000);
        assert_eq!(retry_delay_ms(30, 1000), 3_600_000);
    }

    #[test]
    fn long_errors_are_cut_on_a_character() {
        let long = "拒否".repeat(400);
        let cut = truncate(&long);
        assert_eq!(cut.chars().count(), MAX_ERROR + 1);
    }
}
