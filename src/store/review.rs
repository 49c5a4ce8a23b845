//! Periodic review rows: dormant notices, campaigns and their items, the exceptions register and
//! log findings (R-RV-03, R-RV-05, R-AC-04, R-LG-03).
//!
//! Invariant: an item's decision and an exception's decision are written only while still open
//! (conditional updates), so two reviewers or two nodes never decide one thing twice.

use super::schema::{accounts, dormant_notices as dn, review_campaigns as rc, review_items as ri};
use super::{DbConnection, StoreError};
use diesel::prelude::*;

mod exceptions;
mod findings;

pub use exceptions::{
    decide_exception, exception, exception_reviewed, exceptions, insert_exception, note_expired, Exception,
};
pub use findings::{count_findings, findings, insert_findings, FindingRow};

/// An account as the dormant review reads it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = accounts)]
pub struct AccountUse {
    pub id: String,
    pub login_id: String,
    pub person_id: Option<String>,
    pub is_privileged: bool,
    pub is_shared: bool,
    pub is_vendor: bool,
    pub is_development: bool,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
}

/// Every active account.
pub fn active_accounts(c: &mut DbConnection) -> Result<Vec<AccountUse>, StoreError> {
    Ok(accounts::table
        .filter(accounts::status.eq("active"))
        .select(AccountUse::as_select())
        .order(accounts::login_id)
        .load(c)?)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = dn)]
pub struct DormantNotice {
    pub account_id: String,
    pub noticed_at: i64,
    pub suspend_at: i64,
    pub idle_days: i64,
    pub settled_at: Option<i64>,
    pub outcome: Option<String>,
}

pub fn notices(c: &mut DbConnection) -> Result<Vec<DormantNotice>, StoreError> {
    Ok(dn::table.select(DormantNotice::as_select()).load(c)?)
}

pub fn insert_notice(c: &mut DbConnection, n: &DormantNotice) -> Result<(), StoreError> {
    diesel::insert_into(dn::table).values(n).execute(c)?;
    Ok(())
}

/// Marks an open notice settled (`suspended`); false when there is none open.
pub fn settle_notice(c: &mut DbConnection, account_id: &str, outcome: &str, now: i64) -> Result<bool, StoreError> {
    let n = diesel::update(dn::table.find(account_id).filter(dn::settled_at.is_null()))
        .set((dn::settled_at.eq(now), dn::outcome.eq(outcome)))
        .execute(c)?;
    Ok(n == 1)
}

/// Removes a notice (the holder came back, or the account was restored); a later dormancy starts anew.
pub fn clear_notice(c: &mut DbConnection, account_id: &str) -> Result<bool, StoreError> {
    Ok(diesel::delete(dn::table.find(account_id)).execute(c)? == 1)
}

pub fn notice(c: &mut DbConnection, account_id: &str) -> Result<Option<DormantNotice>, StoreError> {
    Ok(dn::table.find(account_id).select(DormantNotice::as_select()).first(c).optional()?)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = rc)]
pub struct Campaign {
    pub id: String,
    pub scope_kind: String,
    pub scope_key: String,
    pub title: String,
    pub created_by: String,
    pub created_at: i64,
    pub deadline: i64,
    pub status: String,
    pub closed_at: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = ri)]
pub struct Item {
    pub id: String,
    pub campaign_id: String,
    pub grant_id: String,
    pub account_id: String,
    pub login_id: String,
    pub employee_number: Option<String>,
    pub role_id: String,
    pub system_id: String,
    pub source: String,
    pub grant_reason: Option<String>,
    /// Comma-separated approver names (`head_of_section,system_owner`).
    pub reviewers: String,
    pub escalated_until: Option<i64>,
    pub reminded_at: Option<i64>,
    pub decision: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub comment: Option<String>,
    pub outcome: Option<String>,
}

/// Which grants a new campaign turns into items.
#[derive(Debug, Clone)]
pub struct ItemSource<'a> {
    pub now: i64,
    /// Grant sources in scope (validated names: birthright, request, delegate, bootstrap).
    pub sources: &'a [String],
    /// `system`, `department`, `transfer` (an employee number) or `city`, and its key.
    pub scope: (&'a str, &'a str),
    /// The reviewers (comma-separated) of an item by (holder has a person, role is privileged).
    pub reviewers: [(bool, bool, String); 4],
}

/// Inserts a campaign and its items in one `INSERT … SELECT` over the grants in force (the database
/// does the join; nothing crosses the connection per item); returns the number of items.
pub fn insert_campaign(c: &mut DbConnection, k: &Campaign, from: &ItemSource) -> Result<usize, StoreError> {
    use diesel::sql_types::{BigInt, Text};
    diesel::insert_into(rc::table).values(k).execute(c)?;
    let sources: Vec<String> =
        from.sources.iter().filter(|s| s.chars().all(|ch| ch.is_ascii_lowercase())).map(|s| format!("'{s}'")).collect();
    let sources = if sources.is_empty() { "''".to_string() } else { sources.join(",") };
    let pick = |person: bool, privileged: bool| {
        from.reviewers.iter().find(|r| r.0 == person && r.1 == privileged).map(|r| r.2.clone()).unwrap_or_default()
    };
    let scope = match from.scope.0 {
        "system" => "AND r.system_id = {key}",
        "department" => "AND a.person_id IN (SELECT person_id FROM person_departments WHERE department_code = {key})",
        "transfer" => "AND p.employee_number = {key}",
        _ => "AND {key} = {key}",
    };
    let sql = |id: &str, ph: [&str; 7]| {
        format!(
            "INSERT INTO review_items (id, campaign_id, grant_id, account_id, login_id, employee_number, role_id, system_id, source, grant_reason, reviewers) \
             SELECT {id}, {c}, g.id, a.id, a.login_id, p.employee_number, g.role_id, r.system_id, g.source, g.reason, \
             CASE WHEN p.employee_number IS NULL THEN (CASE WHEN r.privileged THEN {np1} ELSE {np0} END) ELSE (CASE WHEN r.privileged THEN {p1} ELSE {p0} END) END \
             FROM grants g JOIN accounts a ON a.id = g.account_id JOIN roles r ON r.id = g.role_id LEFT JOIN people p ON p.id = a.person_id \
             WHERE g.revoked_at IS NULL AND g.valid_from <= {now} AND (g.valid_until IS NULL OR g.valid_until > {now}) \
             AND a.status IN ('active', 'suspended') AND g.source IN ({sources}) AND g.source <> 'elevation' {scope}",
            c = ph[0],
            np1 = ph[1],
            np0 = ph[2],
            p1 = ph[3],
            p0 = ph[4],
            now = ph[5],
            scope = scope.replace("{key}", ph[6]),
        )
    };
    macro_rules! run {
        ($conn:expr, $sql:expr) => {
            diesel::sql_query($sql)
                .bind::<Text, _>(&k.id)
                .bind::<Text, _>(pick(false, true))
                .bind::<Text, _>(pick(false, false))
                .bind::<Text, _>(pick(true, true))
                .bind::<Text, _>(pick(true, false))
                .bind::<BigInt, _>(from.now)
                .bind::<Text, _>(from.scope.1)
                .execute($conn)?
        };
    }
    Ok(match c {
        // Item ids are the campaign's (time-ordered) id and a row number, so the primary key grows
        // in order instead of at random places.
        DbConnection::Pg(pg) => run!(
            pg,
            sql("$1 || '-' || lpad((row_number() OVER ())::text, 7, '0')", ["$1", "$2", "$3", "$4", "$5", "$6", "$7"])
        ),
        DbConnection::Sqlite(lite) => {
            // SQLite numbers `?NNN` parameters, so each may be used more than once.
            run!(
                lite,
                sql("?1 || '-' || printf('%07d', row_number() OVER ())", ["?1", "?2", "?3", "?4", "?5", "?6", "?7"])
            )
        }
    })
}

pub fn campaign(c: &mut DbConnection, id: &str) -> Result<Option<Campaign>, StoreError> {
    Ok(rc::table.find(id).select(Campaign::as_select()).first(c).optional()?)
}

pub fn campaigns(c: &mut DbConnection) -> Result<Vec<Campaign>, StoreError> {
    Ok(rc::table.select(Campaign::as_select()).order(rc::created_at.desc()).load(c)?)
}

pub fn open_campaigns(c: &mut DbConnection) -> Result<Vec<Campaign>, StoreError> {
    Ok(rc::table.filter(rc::status.eq("open")).select(Campaign::as_select()).order(rc::created_at).load(c)?)
}

/// When the newest campaign of a scope began.
pub fn last_started(c: &mut DbConnection, kind: &str, key: &str) -> Result<Option<i64>, StoreError> {
    Ok(rc::table
        .filter(rc::scope_kind.eq(kind))
        .filter(rc::scope_key.eq(key))
        .select(diesel::dsl::max(rc::created_at))
        .first(c)?)
}

/// Whether an open campaign of the scope exists.
pub fn open_of_scope(c: &mut DbConnection, kind: &str, key: &str) -> Result<bool, StoreError> {
    let n: i64 = rc::table
        .filter(rc::scope_kind.eq(kind))
        .filter(rc::scope_key.eq(key))
        .filter(rc::status.eq("open"))
        .count()
        .get_result(c)?;
    Ok(n > 0)
}

pub fn close_campaign(c: &mut DbConnection, id: &str, now: i64) -> Result<bool, StoreError> {
    Ok(diesel::update(rc::table.find(id).filter(rc::status.eq("open")))
        .set((rc::status.eq("closed"), rc::closed_at.eq(now)))
        .execute(c)?
        == 1)
}

pub fn items(c: &mut DbConnection, campaign_id: &str) -> Result<Vec<Item>, StoreError> {
    Ok(ri::table
        .filter(ri::campaign_id.eq(campaign_id))
        .select(Item::as_select())
        .order((ri::login_id, ri::role_id))
        .load(c)?)
}

pub fn item(c: &mut DbConnection, id: &str) -> Result<Option<Item>, StoreError> {
    Ok(ri::table.find(id).select(Item::as_select()).first(c).optional()?)
}

/// Undecided items of open campaigns, optionally only those of `systems` or of `people`.
pub fn open_items(
    c: &mut DbConnection,
    systems: Option<&[String]>,
    people: Option<&[String]>,
) -> Result<Vec<(Item, i64)>, StoreError> {
    let mut q = ri::table
        .inner_join(rc::table)
        .filter(rc::status.eq("open"))
        .filter(ri::decision.is_null())
        .select((Item::as_select(), rc::deadline))
        .into_boxed();
    match (systems, people) {
        (Some(s), Some(p)) => q = q.filter(ri::system_id.eq_any(s.to_vec()).or(ri::employee_number.eq_any(p.to_vec()))),
        (Some(s), None) => q = q.filter(ri::system_id.eq_any(s.to_vec())),
        (None, Some(p)) => q = q.filter(ri::employee_number.eq_any(p.to_vec())),
        (None, None) => {}
    }
    Ok(q.order((ri::system_id, ri::login_id, ri::role_id)).load(c)?)
}

/// Records a decision on an undecided item; false when it was already decided.
pub fn decide(
    c: &mut DbConnection,
    id: &str,
    decision: &str,
    by: &str,
    comment: &str,
    outcome: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let n = diesel::update(ri::table.find(id).filter(ri::decision.is_null()))
        .set((
            ri::decision.eq(decision),
            ri::decided_by.eq(by),
            ri::decided_at.eq(now),
            ri::comment.eq(comment),
            ri::outcome.eq(outcome),
        ))
        .execute(c)?;
    Ok(n == 1)
}

pub fn escalate(c: &mut DbConnection, id: &str, until: i64) -> Result<(), StoreError> {
    diesel::update(ri::table.find(id).filter(ri::decision.is_null())).set(ri::escalated_until.eq(until)).execute(c)?;
    Ok(())
}

pub fn mark_reminded(c: &mut DbConnection, ids: &[String], now: i64) -> Result<(), StoreError> {
    for chunk in ids.chunks(500) {
        diesel::update(ri::table.filter(ri::id.eq_any(chunk))).set(ri::reminded_at.eq(now)).execute(c)?;
    }
    Ok(())
}

/// Items counted by (decision, outcome).
pub type Counts = Vec<(Option<String>, Option<String>, i64)>;

/// Per campaign: item counts by (decision, outcome), and how many undecided items are escalated.
pub fn progress(c: &mut DbConnection, campaign_id: &str) -> Result<(Counts, i64), StoreError> {
    use diesel::dsl::count_star;
    let by: Counts = ri::table
        .filter(ri::campaign_id.eq(campaign_id))
        .group_by((ri::decision, ri::outcome))
        .select((ri::decision, ri::outcome, count_star()))
        .load(c)?;
    let escalated: i64 = ri::table
        .filter(ri::campaign_id.eq(campaign_id))
        .filter(ri::decision.is_null())
        .filter(ri::escalated_until.is_not_null())
        .count()
        .get_result(c)?;
    Ok((by, escalated))
}

/// Items past their campaign's deadline and still undecided (for the metrics and the officers' page).
pub fn overdue_items(c: &mut DbConnection, now: i64) -> Result<i64, StoreError> {
    Ok(ri::table
        .inner_join(rc::table)
        .filter(rc::status.eq("open"))
        .filter(ri::decision.is_null())
        .filter(rc::deadline.le(now))
        .count()
        .get_result(c)?)
}
