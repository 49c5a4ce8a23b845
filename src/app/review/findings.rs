//! The scheduled log analysis as the service runs it (R-LG-03), and the HR cross-check that finds
//! orphan accounts (R-LC-04, R-RV-03) and separation-of-duties conflicts (R-AC-01): findings are recorded once each (by key), audited as
//! `review.finding` (so they reach the audit export and syslog), and the security officers are told.

use super::ACTOR;
use crate::app::approvers;
use crate::app::AppError;
use crate::store::review::FindingRow;
use crate::store::{self, schema, DbConnection};
use diesel::prelude::*;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use tobira_domain::audit::{AuditEvent, AuditRecord};
use tobira_domain::policy::{OfficerFunction, Policy};
use tobira_domain::review::findings::{self, Finding};

/// The `sync_state` entry that remembers the last audit record analysed.
const CURSOR: &str = "review.findings_seq";
/// Records read per run at most (the next run goes on from there).
const MAX_RECORDS: i64 = 200_000;

/// A stored finding. An HR cross-check finding stands for a state, not an event: its key is the kind
/// and the account alone, so it is recorded once however often the check runs.
fn row(f: &Finding, now: i64, hr: bool) -> FindingRow {
    let key = if hr { format!("{}|{}|hr", f.kind, f.subject) } else { f.key() };
    FindingRow {
        key,
        kind: f.kind.into(),
        subject: f.subject.clone(),
        at: f.at,
        events: f.events as i64,
        evidence: serde_json::to_string(&f.evidence).unwrap_or_default(),
        detail: f.detail.clone(),
        found_at: now,
    }
}

/// Stores new findings with their audit records; returns (new findings, the records to export).
fn record(
    c: &mut DbConnection,
    policy: &Policy,
    found: Vec<Finding>,
    now: i64,
    hr: bool,
) -> Result<(usize, Vec<AuditRecord>), AppError> {
    let fresh = store::review::insert_findings(c, found.iter().map(|f| row(f, now, hr)).collect())?;
    if fresh.is_empty() {
        return Ok((0, Vec::new()));
    }
    let events: Vec<AuditEvent> = fresh
        .iter()
        .map(|f| {
            AuditEvent::new(ACTOR, "review.finding", f.subject.clone())
                .with_details(json!({ "kind": f.kind, "at": f.at, "events": f.events, "detail": f.detail }))
        })
        .collect();
    let to = approvers::holders_of(
        c,
        policy,
        &[OfficerFunction::SecurityOfficer, OfficerFunction::ChiefSecurityOfficer],
        now,
    )?;
    let body =
        fresh.iter().take(50).map(|f| format!("{} {} {}", f.kind, f.subject, f.detail)).collect::<Vec<_>>().join("\n");
    approvers::notify(
        c,
        &to,
        "review.findings",
        &format!("【ログ分析】{} 件の検知 / {} findings", fresh.len(), fresh.len()),
        &body,
        now,
    )?;
    Ok((fresh.len(), store::audit::append(c, now, events)?))
}

/// When each disabled account's person left (their account's status change), by audit target.
fn left_at(c: &mut DbConnection) -> Result<HashMap<String, i64>, AppError> {
    use schema::accounts;
    let rows: Vec<(String, i64)> = accounts::table
        .filter(accounts::status.eq_any(["disabled", "deleted"]))
        .select((accounts::login_id, accounts::status_since))
        .load(c)?;
    Ok(rows.into_iter().map(|(l, t)| (crate::app::signin::target(&l), t)).collect())
}

/// Analyses the audit records since the last run.
pub fn analyse(c: &mut DbConnection, policy: &Policy, now: i64) -> Result<(usize, Vec<AuditRecord>), AppError> {
    store::write_tx(c, |c| {
        let after: i64 = store::sync_runs::state(c, CURSOR)?.and_then(|v| v.parse().ok()).unwrap_or(0);
        let records = store::audit::page(c, after, MAX_RECORDS)?;
        let Some(last) = records.last().map(|r| r.seq) else { return Ok((0, Vec::new())) };
        let left = left_at(c)?;
        let found = findings::analyse(policy, &records, |t| left.get(t).copied());
        store::sync_runs::set_state(c, CURSOR, &last.to_string(), now)?;
        record(c, policy, found, now, false)
    })
}

/// The HR cross-check: active accounts whose person is gone from the HR directory's snapshot
/// (`in_directory` holds the employee numbers read now), whose person left, or whose contract
/// or fixed term ended, and active accounts with no person that are not privileged, shared,
/// development or bootstrap accounts.
pub fn hr_cross_check(
    c: &mut DbConnection,
    policy: &Policy,
    in_directory: Option<&HashSet<String>>,
    today: &str,
    now: i64,
) -> Result<(usize, Vec<AuditRecord>), AppError> {
    use schema::{accounts, grants, people};
    type Row = (String, bool, bool, bool, Option<String>, Option<String>, Option<String>, Option<String>);
    let rows: Vec<Row> = accounts::table
        .left_join(people::table.on(people::id.nullable().eq(accounts::person_id)))
        .filter(accounts::status.eq("active"))
        .select((
            accounts::login_id,
            accounts::is_privileged,
            accounts::is_shared,
            accounts::is_development,
            people::employee_number.nullable(),
            people::status.nullable(),
            people::end_date.nullable(),
            people::employment_type.nullable(),
        ))
        .load(c)?;
    let bootstrap: HashSet<String> = grants::table
        .inner_join(accounts::table.on(accounts::id.eq(grants::account_id)))
        .filter(grants::source.eq("bootstrap"))
        .select(accounts::login_id)
        .load::<String>(c)?
        .into_iter()
        .collect();
    let mut found = Vec::new();
    let mk = |kind: &'static str, login: &str, detail: String| Finding {
        kind,
        subject: crate::app::signin::target(login),
        at: now,
        events: 1,
        evidence: Vec::new(),
        detail,
    };
    for (login, privileged, shared, development, en, status, end_date, employment) in rows {
        match en {
            None if !(privileged || shared || development || bootstrap.contains(&login)) => found.push(mk(
                "orphan_no_person",
                &login,
                "人事情報に対応する職員がいないID / account with no HR person".into(),
            )),
            None => {}
            Some(en) => {
                if in_directory.is_some_and(|d| !d.contains(&en)) {
                    found.push(mk(
                        "orphan_not_in_directory",
                        &login,
                        format!("職員番号 {en} が人事ディレクトリにない / employee number not in the HR directory"),
                    ));
                }
                if status.as_deref() == Some("left") {
                    found.push(mk(
                        "active_after_leaving",
                        &login,
                        format!("職員番号 {en} は退職済み / the person left"),
                    ));
                }
                if end_date.as_deref().is_some_and(|d| d.replace('-', "").as_str() < today) {
                    let what = if employment.as_deref() == Some("vendor") {
                        "契約期間終了 / vendor contract ended"
                    } else {
                        "任期終了 / fixed term ended"
                    };
                    found.push(mk("term_ended", &login, format!("{what}: {}", end_date.unwrap_or_default())));
                }
            }
        }
    }
    // Separation of duties (R-AC-01): both roles of a [[sod]] pair held at once, by any source.
    found.extend(crate::app::requests::sod::conflicts(c, policy, now)?);
    store::write_tx(c, |c| record(c, policy, found, now, true))
}
