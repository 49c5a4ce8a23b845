//! Who reviews an item: the people behind its reviewers (or the escalation officers), each combination
//! of reviewers, holder, system and escalation looked up once.

use super::parse_approvers;
use crate::app::review::heads_of;
use crate::app::{approvers, AppError};
use crate::store::review::Item;
use crate::store::DbConnection;
use std::collections::HashMap;
use tobira_domain::policy::{Approver, OfficerFunction, Policy};

/// The people behind items' reviewers, each combination looked up once (a campaign's items share
/// few: the holder's departments, the system, escalated or not).
#[derive(Default)]
pub(super) struct ReviewerPeople(HashMap<(String, Option<String>, String, bool), Vec<String>>);

impl ReviewerPeople {
    pub(super) fn of(
        &mut self,
        c: &mut DbConnection,
        policy: &Policy,
        item: &Item,
        now: i64,
    ) -> Result<Vec<String>, AppError> {
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
