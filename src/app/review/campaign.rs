//! Recertification campaigns as the service runs them (R-RV-05, R-LC-05, R-RV-08): creation from
//! the grants in scope, each reviewer's inbox, decisions (one or many), and what the deadline does.
//! A removal revokes the grant and the account's token families at the system's clients in the
//! same transaction, so tokens and pages reflect it at once.

mod inbox;
mod starts;
pub use inbox::{inbox, InboxRow};
pub use starts::{scheduled, self_inspections, transfer_reviews};

use super::{departments_of, heads_of, ACTOR};
use crate::app::approvers;
use crate::app::signin::{target, Origin};
use crate::app::AppError;
use crate::store::review::{Campaign, Item};
use crate::store::{self, schema, DbConnection};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;
use tobira_domain::audit::{AuditEvent, Outcome};
use tobira_domain::policy::{Approver, OfficerFunction, Policy};
use tobira_domain::review::campaign::{self as rules, AtDeadline, Decision, GrantFacts, Scope};

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
                format!("システム `{s}` は台帳にありません"),
                format!("no system `{s}` in the register"),
            ));
        }
    }
    store::write_tx(c, |c| {
        if store::review::open_of_scope(c, scope.kind(), scope.key())? {
            return Err(AppError::conflict(
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

/// The people behind items' reviewers, each combination looked up once (a campaign's items share
/// few: the holder's departments, the system, escalated or not).
#[derive(Default)]
struct ReviewerPeople(HashMap<(String, Option<String>, String, bool), Vec<String>>);

impl ReviewerPeople {
    fn of(&mut self, c: &mut DbConnection, policy: &Policy, item: &Item, now: i64) -> Result<Vec<String>, AppError> {
        let key = (
            item.reviewers.clone(),
            item.employee_number.clone(),
            item.system_id.clone(),
            item.escalated_until.is_some(),
        );
        if let Some(p) = self.0.get(&key) {
            return Ok(p.clone());
        }
        let p = reviewer_people(c, policy, item, now)?;
        self.0.insert(key, p.clone());
        Ok(p)
    }
}

/// Who is reminded of an item: the people behind its reviewers (or the escalation officers).
fn reviewer_people(c: &mut DbConnection, policy: &Policy, item: &Item, now: i64) -> Result<Vec<String>, AppError> {
    if item.escalated_until.is_some() {
        let fs: Vec<OfficerFunction> =
            policy.approvals.review_escalation.iter().filter_map(|a| a.get_ref().officer()).collect();
        return approvers::holders_of(c, policy, &fs, now);
    }
    let mut to = Vec::new();
    for a in parse_approvers(&item.reviewers) {
        match a {
            Approver::HeadOfSection => {
                if let Some(en) = &item.employee_number {
                    to.extend(heads_of(c, en)?);
                }
            }
            Approver::SystemOwner => to.extend(policy.system(&item.system_id).map(|s| s.owner.employee_number.clone())),
            other => {
                to.extend(approvers::holders_of(c, policy, &other.officer().into_iter().collect::<Vec<_>>(), now)?)
            }
        }
    }
    // A 所属長 who also owns the system is one reviewer.
    to.sort();
    to.dedup();
    Ok(to)
}

/// What a deadline pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Deadlines {
    pub reminded: usize,
    pub escalated: usize,
    pub removed: usize,
    pub closed: usize,
}

/// Reminders, escalations and removals due at `now`, and the closing of finished campaigns.
pub fn deadlines(c: &mut DbConnection, policy: &Policy, public_url: &str, now: i64) -> Result<Deadlines, AppError> {
    store::write_tx(c, |c| {
        let mut out = Deadlines::default();
        let mut events = Vec::new();
        let mut people = ReviewerPeople::default();
        for k in store::review::open_campaigns(c)? {
            let mut remind: HashMap<String, usize> = HashMap::new();
            let mut reminded_ids = Vec::new();
            let (mut escalated, mut removed) = (0, 0);
            let items = store::review::items(c, &k.id)?;
            let open: Vec<&Item> = items.iter().filter(|i| i.decision.is_none()).collect();
            for item in &open {
                match rules::at_deadline(
                    &policy.review,
                    k.deadline,
                    item.escalated_until,
                    item.reminded_at.is_some(),
                    now,
                ) {
                    AtDeadline::Wait => {}
                    AtDeadline::Remind => {
                        for p in people.of(c, policy, item, now)? {
                            *remind.entry(p).or_default() += 1;
                        }
                        reminded_ids.push(item.id.clone());
                    }
                    AtDeadline::Escalate { until } => {
                        store::review::escalate(c, &item.id, until)?;
                        let mut esc = (*item).clone();
                        esc.escalated_until = Some(until);
                        for p in people.of(c, policy, &esc, now)? {
                            *remind.entry(p).or_default() += 1;
                        }
                        escalated += 1;
                    }
                    AtDeadline::Remove => {
                        if store::review::decide(
                            c,
                            &item.id,
                            "remove",
                            ACTOR,
                            "期限までに回答なし / undecided at the deadline",
                            "removed_at_deadline",
                            now,
                        )? {
                            remove_grant(c, policy, item, "review.removed_at_deadline", now)?;
                            removed += 1;
                        }
                    }
                }
            }
            store::review::mark_reminded(c, &reminded_ids, now)?;
            for (person, n) in &remind {
                let subject = format!("【権限棚卸し】{} 件の確認をお願いします / {} review items await you", n, n);
                let body = format!(
                    "{}\n回答期限 / deadline: {}\n{}/review",
                    k.title,
                    tobira_domain::time_util::jst_display(k.deadline),
                    public_url.trim_end_matches('/')
                );
                approvers::notify(c, std::slice::from_ref(person), "review.reminder", &subject, &body, now)?;
            }
            let tgt = format!("campaign:{}", k.id);
            if !remind.is_empty() || escalated > 0 || removed > 0 {
                events.push(
                    AuditEvent::new(ACTOR, "review.deadline_pass", tgt.clone())
                        .with_details(json!({ "reminded_people": remind.len(), "reminded_items": reminded_ids.len(), "escalated": escalated, "removed": removed })),
                );
            }
            out.reminded += reminded_ids.len();
            out.escalated += escalated;
            out.removed += removed;
            let still_open = open.len() - removed;
            if still_open == 0 && store::review::close_campaign(c, &k.id, now)? {
                events.push(
                    AuditEvent::new(ACTOR, "review.campaign_closed", tgt).with_details(json!({ "items": items.len() })),
                );
                out.closed += 1;
            }
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
