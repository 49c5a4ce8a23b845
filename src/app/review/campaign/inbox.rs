//! A reviewer's inbox: the undecided items of open campaigns they may decide now, with the holder,
//! role, system, why the grant exists and when it was last used.

use super::parse_approvers;
use crate::app::AppError;
use crate::store::{self, schema, DbConnection};
use diesel::prelude::*;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use tobira_domain::approval::ApproverFacts;
use tobira_domain::policy::{OfficerFunction, Policy};
use tobira_domain::review::campaign::{self as rules, Decision};

/// One line of a reviewer's inbox.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InboxRow {
    pub item: String,
    pub campaign: String,
    pub campaign_title: String,
    pub deadline: i64,
    pub login: String,
    pub employee_number: Option<String>,
    pub name: Option<String>,
    pub role: String,
    pub role_name: String,
    pub system: String,
    pub system_name: String,
    pub source: String,
    pub reason: Option<String>,
    pub last_sign_in: Option<i64>,
    pub escalated: bool,
}

/// The undecided items `facts` may decide now.
pub fn inbox(c: &mut DbConnection, policy: &Policy, facts: &ApproverFacts) -> Result<Vec<InboxRow>, AppError> {
    use schema::{accounts, people, person_departments as pd};
    let owned: Vec<String> =
        policy.systems.iter().map(|s| s.id.get_ref().to_string()).filter(|s| facts.owns(policy, s)).collect();
    let members: Vec<String> = if !facts.headed.is_empty() {
        pd::table
            .inner_join(people::table)
            .filter(pd::department_code.eq_any(&facts.headed))
            .select(people::employee_number)
            .load(c)?
    } else {
        Vec::new()
    };
    let escalation = [OfficerFunction::SecurityOfficer, OfficerFunction::ChiefSecurityOfficer, OfficerFunction::Ciso]
        .iter()
        .any(|f| facts.holds(*f));
    let rows = if escalation {
        store::review::open_items(c, None, None)?
    } else {
        store::review::open_items(c, Some(&owned), Some(&members))?
    };
    let mut depts: HashMap<String, Vec<String>> = HashMap::new();
    let numbers: HashSet<String> = rows.iter().filter_map(|(i, _)| i.employee_number.clone()).collect();
    for chunk in numbers.into_iter().collect::<Vec<_>>().chunks(500) {
        let pairs: Vec<(String, String)> = pd::table
            .inner_join(people::table)
            .filter(people::employee_number.eq_any(chunk))
            .select((people::employee_number, pd::department_code))
            .load(c)?;
        for (en, d) in pairs {
            depts.entry(en).or_default().push(d);
        }
    }
    let mut out = Vec::new();
    let titles: HashMap<String, String> =
        store::review::open_campaigns(c)?.into_iter().map(|k| (k.id, k.title)).collect();
    let ids: HashSet<String> = rows.iter().map(|(i, _)| i.account_id.clone()).collect();
    let mut holders: HashMap<String, (Option<String>, Option<i64>)> = HashMap::new();
    for chunk in ids.into_iter().collect::<Vec<_>>().chunks(500) {
        let found: Vec<(String, Option<String>, Option<i64>)> = accounts::table
            .left_join(people::table.on(people::id.nullable().eq(accounts::person_id)))
            .filter(accounts::id.eq_any(chunk))
            .select((accounts::id, people::name_kanji.nullable(), accounts::last_login_at))
            .load(c)?;
        holders.extend(found.into_iter().map(|(id, name, last)| (id, (name, last))));
    }
    for (item, deadline) in rows {
        let reviewers = parse_approvers(&item.reviewers);
        let none = Vec::new();
        let check = rules::Item {
            reviewers: &reviewers,
            escalated: item.escalated_until.is_some(),
            decided: false,
            campaign_open: true,
            employee_number: item.employee_number.as_deref(),
            departments: item.employee_number.as_ref().and_then(|en| depts.get(en)).unwrap_or(&none),
            system: &item.system_id,
        };
        if rules::may_decide(policy, &check, facts, Decision::Keep, "").is_err() {
            continue;
        }
        let (name, last) = holders.get(&item.account_id).cloned().unwrap_or_default();
        let role_name =
            policy.roles.iter().find(|r| r.id.get_ref() == &item.role_id).map(|r| r.name.clone()).unwrap_or_default();
        let system_name = policy.system(&item.system_id).map(|s| s.name.clone()).unwrap_or_default();
        out.push(InboxRow {
            item: item.id,
            campaign_title: titles.get(&item.campaign_id).cloned().unwrap_or_default(),
            campaign: item.campaign_id,
            deadline,
            login: item.login_id,
            employee_number: item.employee_number,
            name,
            role: item.role_id,
            role_name,
            system: item.system_id,
            system_name,
            source: item.source,
            reason: item.grant_reason,
            last_sign_in: last,
            escalated: item.escalated_until.is_some(),
        });
    }
    Ok(out)
}
