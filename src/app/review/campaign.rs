//! Recertification campaigns as the service runs them (R-RV-05, R-LC-05, R-RV-08): creation from
//! the grants in scope, each reviewer's inbox, decisions (one or many), and what the deadline does.
//! A removal revokes the grant and the account's token families at the system's clients in the
//! same transaction, so tokens and pages reflect it at once.

mod deadline;
mod inbox;
mod reviewers;
mod starts;
pub use deadline::{deadlines, Deadlines};
pub use inbox::{inbox, InboxRow};
use reviewers::ReviewerPeople;
pub use starts::{scheduled, self_inspections, transfer_reviews};

use super::departments_of;
use crate::app::signin::{target, Origin};
use crate::app::AppError;
use crate::store::review::{Campaign, Item};
use crate::store::{self, schema, DbConnection};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;
use tobira_domain::audit::{AuditEvent, Outcome};
use tobira_domain::policy::{Approver, Policy};
use tobira_domain::review::campaign::{self as rules, Decision, GrantFacts, Scope};

/// An item's reviewers as stored (`head_of_section,system_owner`).
fn parse_approvers(s: &str) -> Vec<Approver> {
    s.split(',').filter_map(Approver::parse).filter(|a| *a != Approver::Auditor).collect()
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = CampaignCreated)]
pub struct Created {
    pub id: String,
    pub items: usize,
    pub deadline: i64,
}

/// Creates a campaign of `scope` with an item per grant in it; refuses a second open one of the same scope.
pub fn create(
    c: &mut DbConnection,
    policy: &Policy,
    scope: &Scope,
    by: &str,
    origin: Option<&Origin>,
    now: i64,
) -> Result<Created, AppError> {
    if let Scope::System(s) = scope {
        if policy.system(s).is_none() {
            return Err(AppError::invalid(
                "unknown_system",
                format!("システム `{s}` は台帳にありません"),
                format!("no system `{s}` in the register"),
            ));
        }
    }
    store::write_tx(c, |c| {
        if store::review::open_of_scope(c, scope.kind(), scope.key())? {
            return Err(AppError::conflict(
                "campaign_open",
                format!("{}はまだ実施中です", scope.label_ja()),
                format!("a {} campaign {} is still open", scope.kind(), scope.key()),
            ));
        }
        let id = store::new_id();
        let deadline = rules::deadline(&policy.review, now);
        let reviewers = [(false, false), (false, true), (true, false), (true, true)].map(|(person, privileged)| {
            let facts = GrantFacts { source: "", system: "", privileged, employee_number: person.then_some("") };
            (
                person,
                privileged,
                rules::reviewers(policy, scope, &facts).into_iter().map(Approver::as_str).collect::<Vec<_>>().join(","),
            )
        });
        let sources: Vec<String> =
            policy.review.campaign_sources.iter().filter(|s| rules::in_scope(&policy.review, s)).cloned().collect();
        let title = match scope {
            Scope::System(s) => {
                policy.system(s).map_or_else(|| scope.label_ja(), |sys| format!("{} の権限棚卸し", sys.name))
            }
            Scope::Department(d) => store::org::department(c, d)?
                .map_or_else(|| scope.label_ja(), |dept| format!("{} の自己点検", dept.name)),
            _ => scope.label_ja(),
        };
        let k = Campaign {
            id: id.clone(),
            scope_kind: scope.kind().into(),
            scope_key: scope.key().into(),
            title,
            created_by: by.into(),
            created_at: now,
            deadline,
            status: "open".into(),
            closed_at: None,
        };
        let from = store::review::ItemSource { now, sources: &sources, scope: (scope.kind(), scope.key()), reviewers };
        let items = store::review::insert_campaign(c, &k, &from)?;
        let e = match origin {
            Some(o) => o.event(by, "review.campaign_created", format!("campaign:{id}")),
            None => AuditEvent::new(by, "review.campaign_created", format!("campaign:{id}")),
        };
        store::audit::append(
            c,
            now,
            vec![e.with_details(
                json!({ "scope": scope.kind(), "key": scope.key(), "items": items, "deadline": deadline }),
            )],
        )?;
        Ok(Created { id, items, deadline })
    })
}

/// Revokes the grant of an item and the account's token families at the system's clients.
fn remove_grant(
    c: &mut DbConnection,
    policy: &Policy,
    item: &Item,
    reason: &str,
    now: i64,
) -> Result<(bool, usize), AppError> {
    use schema::token_families as tf;
    let revoked = store::accounts::revoke_grant(c, &item.grant_id, reason, now)?;
    // The system hears of the grant's end in the same transaction (R-LC-03).
    let queued =
        crate::app::provisioning::track(c, policy, std::slice::from_ref(&item.account_id), "system:review", now)?;
    store::audit::append(c, now, queued)?;
    let clients: Vec<String> = policy
        .clients
        .iter()
        .filter(|k| k.system.get_ref() == &item.system_id)
        .map(|k| k.id.get_ref().to_string())
        .collect();
    let families = diesel::update(
        tf::table
            .filter(tf::account_id.eq(&item.account_id))
            .filter(tf::client_id.eq_any(&clients))
            .filter(tf::revoked_at.is_null()),
    )
    .set((tf::revoked_at.eq(now), tf::revoked_reason.eq(reason)))
    .execute(c)?;
    Ok((revoked, families))
}

/// A decision's result per item.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Decided {
    pub item: String,
    pub ok: bool,
    pub error: Option<String>,
    /// The same reason in Japanese, for the pages.
    pub error_ja: Option<String>,
}

/// Decides items (one or many) with one comment; each is checked on its own and every refusal is
/// audited. Decided items and their removals commit together.
pub fn decide(
    c: &mut DbConnection,
    policy: &Policy,
    who: &super::Actor,
    ids: &[String],
    decision: Decision,
    comment: &str,
    now: i64,
) -> Result<Vec<Decided>, AppError> {
    let (facts, actor, origin) = (who.facts, who.login, who.origin);
    store::write_tx(c, |c| {
        let mut out = Vec::new();
        let mut events = Vec::new();
        for id in ids {
            let Some(item) = store::review::item(c, id)? else {
                out.push(Decided {
                    item: id.clone(),
                    ok: false,
                    error: Some("no such item".into()),
                    error_ja: Some("該当する項目がありません".into()),
                });
                continue;
            };
            let open = store::review::campaign(c, &item.campaign_id)?.is_some_and(|k| k.status == "open");
            let departments = match &item.employee_number {
                Some(en) => departments_of(c, en)?,
                None => Vec::new(),
            };
            let reviewers = parse_approvers(&item.reviewers);
            let check = rules::Item {
                reviewers: &reviewers,
                escalated: item.escalated_until.is_some(),
                decided: item.decision.is_some(),
                campaign_open: open,
                employee_number: item.employee_number.as_deref(),
                departments: &departments,
                system: &item.system_id,
            };
            let tgt = target(&item.login_id);
            let details = json!({ "item": item.id, "campaign": item.campaign_id, "role": item.role_id, "decision": decision.as_str() });
            if let Err(why) = rules::may_decide(policy, &check, facts, decision, comment) {
                let mut d = details;
                d["refused"] = json!(why.to_string());
                events.push(
                    origin.event(actor, "review.item_decided", tgt).with_outcome(Outcome::Denied).with_details(d),
                );
                out.push(Decided {
                    item: id.clone(),
                    ok: false,
                    error: Some(why.to_string()),
                    error_ja: Some(why.label_ja()),
                });
                continue;
            }
            let outcome = match decision {
                Decision::Keep => "kept",
                Decision::Remove => "removed",
            };
            if !store::review::decide(c, id, decision.as_str(), actor, comment, outcome, now)? {
                out.push(Decided {
                    item: id.clone(),
                    ok: false,
                    error: Some(rules::Refusal::Decided.to_string()),
                    error_ja: Some(rules::Refusal::Decided.label_ja()),
                });
                continue;
            }
            if decision == Decision::Keep {
                // The transfer's flag is settled by the decision.
                diesel::update(schema::grants::table.find(&item.grant_id))
                    .set(schema::grants::review_flag.eq(None::<String>))
                    .execute(c)?;
            }
            let mut d = details;
            d["comment"] = json!(comment);
            if decision == Decision::Remove {
                let (revoked, families) = remove_grant(c, policy, &item, "review.removed", now)?;
                d["grant_revoked"] = json!(revoked);
                d["token_families_revoked"] = json!(families);
            }
            events.push(origin.event(actor, "review.item_decided", tgt).with_details(d));
            out.push(Decided { item: id.clone(), ok: true, error: None, error_ja: None });
        }
        store::audit::append(c, now, events)?;
        Ok(out)
    })
}

/// A campaign's progress for the officers' page and the reports.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    pub campaign: Campaign,
    pub items: i64,
    pub kept: i64,
    pub removed: i64,
    pub removed_at_deadline: i64,
    pub open: i64,
    pub escalated: i64,
    pub overdue: bool,
}

pub fn progress(c: &mut DbConnection, k: Campaign, now: i64) -> Result<Progress, AppError> {
    let (by, escalated) = store::review::progress(c, &k.id)?;
    let n = |f: &dyn Fn(&Option<String>, &Option<String>) -> bool| {
        by.iter().filter(|(d, o, _)| f(d, o)).map(|r| r.2).sum::<i64>()
    };
    let open = n(&|d, _| d.is_none());
    Ok(Progress {
        items: n(&|_, _| true),
        kept: n(&|_, o| o.as_deref() == Some("kept")),
        removed: n(&|_, o| o.as_deref() == Some("removed")),
        removed_at_deadline: n(&|_, o| o.as_deref() == Some("removed_at_deadline")),
        overdue: open > 0 && now >= k.deadline,
        open,
        escalated,
        campaign: k,
    })
}

/// The people with undecided items in open campaigns: (employee number or `account:…`, name, open
/// items, whether any of them is past its deadline), most open items first.
pub fn pending_reviewers(
    c: &mut DbConnection,
    policy: &Policy,
    now: i64,
) -> Result<Vec<(String, String, usize, bool)>, AppError> {
    let mut by: HashMap<String, (usize, bool)> = HashMap::new();
    let mut reviewers = ReviewerPeople::default();
    for (item, deadline) in store::review::open_items(c, None, None)? {
        let people = reviewers.of(c, policy, &item, now)?;
        let late = now >= item.escalated_until.unwrap_or(deadline);
        for p in people {
            let e = by.entry(p).or_default();
            e.0 += 1;
            e.1 |= late;
        }
    }
    let mut out = Vec::new();
    for (who, (n, late)) in by {
        let name = store::org::person_by_employee_number(c, &who)?.map(|p| p.name_kanji).unwrap_or_default();
        out.push((who, name, n, late));
    }
    out.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    Ok(out)
}
