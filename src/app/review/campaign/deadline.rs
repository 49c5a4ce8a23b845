//! What a campaign's deadline does: reminders to the reviewers, escalation to the officers, removal of what
//! is still undecided, and the closing of finished campaigns.

use super::remove_grant;
use super::reviewers::ReviewerPeople;
use crate::app::review::ACTOR;
use crate::app::{approvers, AppError};
use crate::store::review::Item;
use crate::store::{self, DbConnection};
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;
use tobira_domain::audit::AuditEvent;
use tobira_domain::policy::Policy;
use tobira_domain::review::campaign::{self as rules, AtDeadline};

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
