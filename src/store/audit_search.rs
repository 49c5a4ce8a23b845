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

/// Beyond this many logins and accounts, a person's records are read by one `IN` query instead of
/// one query per value.
const PER_VALUE_MAX: usize = 16;

/// Up to `limit` records matching `f` with `seq < before` (all when `None`), newest first.
///
/// A person's records are read by one query per login (as actor) and per account (as target),
/// merged: each is an ordered walk of its `(value, seq)` index that stops after `limit` matching
/// rows, so a page without a time range reads a few dozen records however scattered the person's
/// records are over the log (with one, at most the person's records newer than its end).
/// One `actor IN (…) OR target IN (…)` would instead fetch every record of the person (PostgreSQL's
/// bitmap plan: ~500 random heap reads for a year's records, 0.3 s from a cold cache) to sort them.
pub fn search(
    c: &mut DbConnection,
    f: &AuditFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditRecord>, StoreError> {
    let Some((logins, targets)) = &f.person else { return load(c, filtered(f, before), limit) };
    if logins.len() + targets.len() > PER_VALUE_MAX {
        // Never both lists empty here; an empty one is left out rather than made `1=0 OR …`, which
        // SQLite does not fold (it would walk the whole log backwards instead of using an index).
        let q = match (logins.is_empty(), targets.is_empty()) {
            (true, _) => filtered(f, before).filter(a::target.eq_any(targets.clone())),
            (_, true) => filtered(f, before).filter(a::actor.eq_any(logins.clone())),
            _ => filtered(f, before).filter(a::actor.eq_any(logins.clone()).or(a::target.eq_any(targets.clone()))),
        };
        return load(c, q, limit);
    }
    let mut found = Vec::new();
    for login in logins {
        found.extend(load(c, filtered(f, before).filter(a::actor.eq(login.clone())), limit)?);
    }
    for target in targets {
        found.extend(load(c, filtered(f, before).filter(a::target.eq(target.clone())), limit)?);
    }
    // A record by one of the person's logins about one of their accounts was found twice.
    found.sort_by_key(|r| std::cmp::Reverse(r.seq));
    found.dedup_by_key(|r| r.seq);
    found.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(found)
}

type Db = <DbConnection as diesel::Connection>::Backend;
type Boxed<'a> =
    super::schema::audit_events::BoxedQuery<'a, Db, diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<Row, Db>>>;

fn load(c: &mut DbConnection, q: Boxed<'_>, limit: i64) -> Result<Vec<AuditRecord>, StoreError> {
    let rows: Vec<Row> = q.limit(limit).load(c)?;
    Ok(rows.into_iter().map(Row::into_record).collect())
}

/// Every part of `f` but the person, newest first, below `before`.
fn filtered(f: &AuditFilter, before: Option<i64>) -> Boxed<'static> {
    let mut q = a::audit_events.select(Row::as_select()).order(a::seq.desc()).into_boxed();
    if let Some(b) = before {
        q = q.filter(a::seq.lt(b));
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
        let targets: Vec<String> = clients.iter().map(|id| format!("client:{id}")).collect();
        let mut named: Box<dyn BoxableExpression<a::audit_events, Db, SqlType = diesel::sql_types::Bool>> =
            Box::new(a::target.eq_any(targets));
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
    q
}
