//! Figures for `/metrics` (R-LG-08), in the Prometheus text format: sign-ins and failures, lockouts,
//! tokens issued, sync runs and held plans, review items overdue, findings, notifications waiting,
//! audit export failures, the audit chain's last verification and this node's clock skew. Counts come from the shared
//! database, so every node reports the same figures; they carry no personal data.

use super::AppError;
use crate::store::{self, schema, DbConnection};
use diesel::dsl::count_star;
use diesel::prelude::*;
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Mutex;

/// The audit actions the counters count.
const COUNTED: &[&str] =
    &["auth.sign_in", "auth.sign_in_failed", "auth.factor_failed", "account.locked", "token.issued"];

/// The counted actions' totals, brought up to date from the audit records appended since the last
/// scrape: the audit table only grows, so a scrape reads what is new, not years of sign-ins.
#[derive(Debug, Default)]
pub struct ActionCounts {
    /// The last audit record counted.
    through: i64,
    counts: HashMap<String, i64>,
}

impl ActionCounts {
    fn refresh(&mut self, c: &mut DbConnection) -> Result<(), AppError> {
        use schema::audit_events as a;
        // The newest record first: what is appended meanwhile waits for the next scrape.
        let newest: Option<i64> = a::table.select(diesel::dsl::max(a::seq)).first(c)?;
        let Some(newest) = newest.filter(|n| *n > self.through) else { return Ok(()) };
        let rows: Vec<(String, i64)> = a::table
            .filter(a::action.eq_any(COUNTED))
            .filter(a::seq.gt(self.through))
            .filter(a::seq.le(newest))
            .group_by(a::action)
            .select((a::action, count_star()))
            .load(c)?;
        for (action, n) in rows {
            *self.counts.entry(action).or_default() += n;
        }
        self.through = newest;
        Ok(())
    }

    fn of(&self, actions: &[&str]) -> i64 {
        actions.iter().map(|a| self.counts.get(*a).copied().unwrap_or(0)).sum()
    }
}

/// Every figure `/metrics` serves: the service's own and each provisioned system's queue.
pub async fn text(app: &super::App) -> Result<String, AppError> {
    let (failures, now) = (app.audit.exporter().failures(), app.clock.now_ms());
    let (counts, policy) = (app.action_counts.clone(), app.policy.clone());
    let batches = app.audit.batches().counts();
    app.db(move |c| {
        Ok(render(c, &counts, failures, batches, now)? + &super::provisioning::ops::metrics(c, &policy, now)?)
    })
    .await
}

/// The metrics text; `export_failures` is this node's count of failed audit exports, `batches` its
/// audit group commits by way (in one call, resealed, after reading the head); `counts` is this node's
/// running tally of the counted audit actions.
pub fn render(
    c: &mut DbConnection,
    counts: &Mutex<ActionCounts>,
    export_failures: u64,
    batches: super::audit_log::BatchCounts,
    now: i64,
) -> Result<String, AppError> {
    let tally = {
        let mut t = counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        t.refresh(c)?;
        let of = |a: &[&str]| t.of(a);
        [
            of(&["auth.sign_in"]),
            of(&["auth.sign_in_failed", "auth.factor_failed"]),
            of(&["account.locked"]),
            of(&["token.issued"]),
        ]
    };
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, lines: Vec<(String, i64)>| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, v) in lines {
            let _ = writeln!(out, "{name}{labels} {v}");
        }
    };
    let one = |v: i64| vec![(String::new(), v)];
    metric("tobira_sign_ins_total", "counter", "Successful sign-ins.", one(tally[0]));
    metric("tobira_sign_in_failures_total", "counter", "Failed sign-ins and failed second factors.", one(tally[1]));
    metric("tobira_lockouts_total", "counter", "Accounts locked after too many failures.", one(tally[2]));
    metric("tobira_tokens_issued_total", "counter", "Tokens issued to business systems.", one(tally[3]));
    let runs: Vec<(String, i64)> = schema::sync_runs::table
        .group_by(schema::sync_runs::status)
        .select((schema::sync_runs::status, count_star()))
        .load(c)?;
    let held = runs.iter().filter(|r| r.0 == "held").map(|r| r.1).sum();
    metric(
        "tobira_sync_runs_total",
        "counter",
        "HR sync runs by status.",
        runs.into_iter().map(|(s, n)| (format!("{{status=\"{s}\"}}"), n)).collect(),
    );
    metric("tobira_sync_plans_held", "gauge", "HR sync plans waiting for approval.", one(held));
    let skipped = store::sync_runs::state(c, super::sync::LAST_SKIPPED)?.and_then(|v| v.parse().ok()).unwrap_or(0);
    metric(
        "tobira_sync_entries_skipped",
        "gauge",
        "Entries the last HR sync run skipped as malformed (R-LC-14).",
        one(skipped),
    );
    metric(
        "tobira_review_items_overdue",
        "gauge",
        "Review items past their campaign's deadline.",
        one(store::review::overdue_items(c, now)?),
    );
    metric(
        "tobira_findings_total",
        "counter",
        "Findings of the log analysis and the HR cross-check.",
        one(store::review::count_findings(c)?),
    );
    let waiting: i64 = schema::notifications::table
        .filter(schema::notifications::sent_at.is_null())
        .filter(schema::notifications::undeliverable_at.is_null())
        .count()
        .get_result(c)?;
    metric("tobira_notifications_waiting", "gauge", "Notifications not yet delivered.", one(waiting));
    metric(
        "tobira_audit_export_failures_total",
        "counter",
        "Audit records this node failed to export.",
        one(export_failures as i64),
    );
    let ways =
        [("one_statement", batches.one_statement), ("resealed", batches.resealed), ("head_read", batches.head_read)]
            .map(|(way, n)| (format!("{{way=\"{way}\"}}"), i64::try_from(n).unwrap_or(i64::MAX)));
    metric(
        "tobira_audit_batches_total",
        "counter",
        "Audit group commits of this node: in one call after the head the last batch left, in one more call after the head another writer moved, or after reading the head under the chain lock.",
        ways.into(),
    );
    if let Some(skew) = super::clock_check::skew_ms(c, super::clock_check::host_now_ms)? {
        metric(
            "tobira_clock_skew_milliseconds",
            "gauge",
            "This node's clock minus the database server's (R-LG-04).",
            one(skew),
        );
    }
    let verified = store::audit::last_of_action(c, "audit.verified")?;
    metric(
        "tobira_audit_chain_verified_timestamp_seconds",
        "gauge",
        "When the audit chain was last verified (0: never).",
        one(verified.as_ref().map_or(0, |v| v.occurred_at / 1000)),
    );
    metric(
        "tobira_audit_chain_intact",
        "gauge",
        "1 when the last verification found the chain intact.",
        one(i64::from(verified.is_some_and(|v| v.event.outcome == tobira_domain::audit::Outcome::Success))),
    );
    Ok(out)
}
