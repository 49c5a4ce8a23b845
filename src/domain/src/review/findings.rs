//! Scheduled log analysis (R-LG-03): findings read from the audit log of one period — bursts of
//! failed sign-ins against one account or from one source, sign-ins at unusual hours (JST) or from
//! an address outside every network of the policy, and accounts used after their person left.
//!
//! Invariant: a finding has a stable key (kind, subject, the window's start), so a period analysed
//! twice records nothing twice.

use super::DAY_MS;
use crate::audit::{AuditRecord, Outcome};
use crate::authn::access::network_of;
use crate::policy::settings::FindingRules;
use crate::policy::Policy;
use serde::Serialize;
use std::collections::BTreeMap;

const JST_MS: i64 = 9 * 3_600_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `failed_burst`, `unusual_hours`, `unexpected_network`, `used_after_leaving`.
    pub kind: &'static str,
    /// `account:<login>` or `source:<ip>`.
    pub subject: String,
    /// When it began (the first event).
    pub at: i64,
    /// How many events it covers.
    pub events: usize,
    /// The audit sequence numbers it rests on (the first few).
    pub evidence: Vec<i64>,
    pub detail: String,
}

impl Finding {
    /// The key that makes a finding unique.
    pub fn key(&self) -> String {
        format!("{}|{}|{}", self.kind, self.subject, self.at)
    }
}

fn evidence(seqs: &[i64]) -> Vec<i64> {
    seqs.iter().take(10).copied().collect()
}

/// Failures grouped by target and by source; a group with `failed_burst_count` failures inside a
/// sliding `failed_burst_minutes` window is one finding (per window, not per failure).
fn bursts(rules: &FindingRules, records: &[AuditRecord]) -> Vec<Finding> {
    let mut groups: BTreeMap<String, Vec<(i64, i64)>> = BTreeMap::new();
    for r in
        records.iter().filter(|r| r.event.action == "auth.sign_in_failed" || r.event.action == "auth.factor_failed")
    {
        if !r.event.target.is_empty() {
            groups.entry(r.event.target.clone()).or_default().push((r.occurred_at, r.seq));
        }
        if let Some(ip) = &r.event.source_ip {
            groups.entry(format!("source:{ip}")).or_default().push((r.occurred_at, r.seq));
        }
    }
    let (count, window) = (rules.failed_burst_count.max(1) as usize, i64::from(rules.failed_burst_minutes) * 60_000);
    let mut out = Vec::new();
    for (subject, mut ev) in groups {
        ev.sort();
        let mut i = 0;
        while i + count <= ev.len() {
            if ev[i + count - 1].0 - ev[i].0 <= window {
                // Extend to every failure within the window of the burst's start.
                let end = ev[i..].iter().take_while(|e| e.0 - ev[i].0 <= window).count() + i;
                let seqs: Vec<i64> = ev[i..end].iter().map(|e| e.1).collect();
                out.push(Finding {
                    kind: "failed_burst",
                    subject: subject.clone(),
                    at: ev[i].0,
                    events: end - i,
                    evidence: evidence(&seqs),
                    detail: format!(
                        "{} 回のサインイン失敗が {} 分以内 / {} failed sign-ins within {} minutes",
                        end - i,
                        rules.failed_burst_minutes,
                        end - i,
                        rules.failed_burst_minutes
                    ),
                });
                i = end;
            } else {
                i += 1;
            }
        }
    }
    out
}

/// Whether `ms` falls outside the working hours (JST), or on a weekend when those count.
pub fn unusual_hour(rules: &FindingRules, ms: i64) -> bool {
    let local = ms + JST_MS;
    let hour = (local.rem_euclid(DAY_MS) / 3_600_000) as u8;
    // 1970-01-01 was a Thursday: day 0 → Thursday; Saturday = 2, Sunday = 3 (mod 7).
    let weekday = local.div_euclid(DAY_MS).rem_euclid(7);
    hour < rules.working_hours[0]
        || hour >= rules.working_hours[1]
        || (rules.weekends_unusual && (weekday == 2 || weekday == 3))
}

/// Everything found in `records` (one period). `left_at` gives, for an account's target
/// (`account:<login>`), when its person left, if they did.
pub fn analyse(policy: &Policy, records: &[AuditRecord], left_at: impl Fn(&str) -> Option<i64>) -> Vec<Finding> {
    let rules = &policy.review.findings;
    let mut out = bursts(rules, records);
    for r in records.iter().filter(|r| r.event.action == "auth.sign_in" && r.event.outcome == Outcome::Success) {
        let subject = r.event.target.clone();
        if unusual_hour(rules, r.occurred_at) {
            out.push(Finding {
                kind: "unusual_hours",
                subject: subject.clone(),
                at: r.occurred_at,
                events: 1,
                evidence: vec![r.seq],
                detail: "業務時間外のサインイン / sign-in outside working hours".into(),
            });
        }
        if let Some(ip) = r.event.source_ip.as_deref().and_then(|s| s.parse().ok()) {
            if network_of(policy, ip).is_none() {
                out.push(Finding {
                    kind: "unexpected_network",
                    subject: subject.clone(),
                    at: r.occurred_at,
                    events: 1,
                    evidence: vec![r.seq],
                    detail: format!("どのネットワークにも属さない接続元 {ip} / source outside every known network"),
                });
            }
        }
    }
    for r in records.iter().filter(|r| {
        matches!(r.event.action.as_str(), "auth.sign_in" | "token.issued" | "oidc.code_issued")
            && r.event.outcome == Outcome::Success
    }) {
        let subject = if r.event.action == "auth.sign_in" {
            r.event.target.clone()
        } else {
            format!("account:{}", r.event.actor)
        };
        if left_at(&subject).is_some_and(|t| r.occurred_at > t) {
            out.push(Finding {
                kind: "used_after_leaving",
                subject,
                at: r.occurred_at,
                events: 1,
                evidence: vec![r.seq],
                detail: format!("{} after the person left / 退職・異動後の利用", r.event.action),
            });
        }
    }
    out.sort_by(|a, b| (a.at, a.kind, &a.subject).cmp(&(b.at, b.kind, &b.subject)));
    out
}

#[cfg(test)]
mod tests;
