//! Reading the audit log by filter (R-LG-11, R-RV-09): by person (their logins as actor, their
//! accounts as target), action (exact, or a prefix ending in `.`), outcome, system (its clients as
//! target or named in the details), source address and time range; newest first, keyset-paged on
//! `seq` so a page costs the same at the ten-millionth record as at the first.
//!
//! Invariant: every read is bounded by the caller's limit; each filter has an index ending in `seq`
//! (migration `2026-12-07-000023_console`).

use super::audit::Row;
use super::schema::audit_events::dsl as a;
use super::{DbConnection, StoreError};
use diesel::prelude::*;
use tobira_domain::audit::AuditRecord;

/// The records wanted. Every part given must hold.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Records whose actor is one of these logins or whose target is one of these accounts.
    pub person: Option<(Vec<String>, Vec<String>)>,
    /// An action, or a family of them when it ends in `.` (`auth.`).
    pub action: Option<String>,
    pub outcome: Option<String>,
    /// A system's client ids: records about the client, or naming it in their details.
    pub clients: Option<Vec<String>>,
    pub source_ip: Option<String>,
    /// `[from, to)` in UTC milliseconds.
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// Up to `limit` records matching `f` with `seq < before` (all when `None`), newest first.
pub fn search(c: &mut DbConnection, f: &AuditFilter, before: Option<i64>, limit: i64) -> Result<Vec<AuditRecord>, StoreError> {
    let mut q = a::audit_events.select(Row::as_select()).order(a::seq.desc()).into_boxed();
    if let Some(b) = before {
        q = q.filter(a::seq.lt(b));
    }
    // An empty list is left out rather than made `1=0 OR …`: SQLite does not fold that and walks the
    // whole log backwards instead of using the target's index.
    match &f.person {
        Some((logins, targets)) if logins.is_empty() && targets.is_empty() => return Ok(Vec::new()),
        Some((logins, targets)) if logins.is_empty() => q = q.filter(a::target.eq_any(targets.clone())),
        Some((logins, targets)) if targets.is_empty() => q = q.filter(a::actor.eq_any(logins.clone())),
        Some((logins, targets)) => q = q.filter(a::actor.eq_any(logins.clone()).or(a::target.eq_any(targets.clone()))),
        None => {}
    }
    if let Some(act) = &f.action {
        q = match act.strip_suffix('.') {
            Some(family) => q.filter(a::action.like(format!("{}.%", family.replace(['%', '_', '\\'], "")))),
            None => q.filter(a::action.eq(act.clone())),
        };
    }
    if let Some(o) = &f.outcome {
        q = q.filter(a::outcome.eq(o.clone()));
    }
    if let Some(clients) = &f.clients {
        type Db = <DbConnection as diesel::Connection>::Backend;
        let targets: Vec<String> = clients.iter().map(|id| format!("client:{id}")).collect();
        let mut named: Box<dyn BoxableExpression<a::audit_events, Db, SqlType = diesel::sql_types::Bool>> = Box::new(a::target.eq_any(targets));
        for id in clients {
            let id: String = id.chars().filter(|c| !matches!(c, '%' | '_' | '\\' | '"')).collect();
            named = Box::new(named.or(a::details.like(format!("%\"client\":\"{id}\"%"))));
        }
        q = q.filter(named);
    }
    if let Some(ip) = &f.source_ip {
        q = q.filter(a::source_ip.eq(ip.clone()));
    }
    if let Some(from) = f.from {
        q = q.filter(a::occurred_at.ge(from));
    }
    if let Some(to) = f.to {
        q = q.filter(a::occurred_at.lt(to));
    }
    let rows: Vec<Row> = q.limit(limit).load(c)?;
    Ok(rows.into_iter().map(Row::into_record).collect())
}
