//! Separation of duties over the grants already in force (R-AC-01): whoever holds both roles of a
//! `[[sod]]` pair, whatever gave them (a birthright rule, a request, a grant made before the rule),
//! becomes a review finding `sod_conflict` with the rule's reason, recorded once per person by the
//! HR cross-check of the periodic review (`app::review::findings`). Requests are refused up front
//! (`tobira_domain::access_request::ask`); this reports what is already there.

use crate::app::AppError;
use crate::store::{schema, DbConnection};
use diesel::prelude::*;
use std::collections::BTreeMap;
use tobira_domain::access_request::broken_rules;
use tobira_domain::policy::Policy;
use tobira_domain::review::findings::Finding;

/// One finding per person (or account with no person) holding both roles of a rule now.
pub fn conflicts(c: &mut DbConnection, policy: &Policy, now: i64) -> Result<Vec<Finding>, AppError> {
    use schema::{accounts, grants};
    if policy.sod.is_empty() {
        return Ok(Vec::new());
    }
    let paired: Vec<&str> = policy.sod.iter().flat_map(|s| s.roles.iter().map(|r| r.get_ref().as_str())).collect();
    let rows: Vec<(String, Option<String>, String)> = grants::table
        .inner_join(accounts::table.on(accounts::id.eq(grants::account_id)))
        .filter(accounts::status.eq("active"))
        .filter(grants::role_id.eq_any(&paired))
        .filter(grants::revoked_at.is_null())
        .filter(grants::valid_from.le(now))
        .filter(grants::valid_until.is_null().or(grants::valid_until.gt(now)))
        .select((accounts::login_id, accounts::person_id, grants::role_id))
        .load(c)?;
    // Per person: the first login seen names them, the roles of all their accounts together.
    let mut by_person: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for (login, person, role) in rows {
        let e = by_person
            .entry(person.unwrap_or_else(|| format!("account:{login}")))
            .or_insert_with(|| (login.clone(), Vec::new()));
        e.0 = e.0.clone().min(login);
        e.1.push(role);
    }
    let mut found = Vec::new();
    for (_, (login, roles)) in by_person {
        for rule in broken_rules(policy, &roles) {
            let pair = rule.roles.iter().map(|r| r.get_ref().as_str()).collect::<Vec<_>>().join(" + ");
            found.push(Finding {
                kind: "sod_conflict",
                subject: crate::app::signin::target(&login),
                at: now,
                events: 1,
                evidence: Vec::new(),
                detail: format!(
                    "職務の分離に反する保有 / separation of duties broken: {pair}（{}: {}）",
                    rule.id.get_ref(),
                    rule.reason
                ),
            });
        }
    }
    Ok(found)
}
