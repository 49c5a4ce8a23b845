//! What a signed-in person sees of elevations: the eligibilities to elevate with, their own elevations,
//! and those they may decide or review.

use super::{pending, requester};
use crate::app::signin::session::Current;
use crate::app::{approvers, App, AppError};
use crate::store::{
    self,
    privileged::{status, Elevation},
};
use tobira_domain::privileged::elevation as rules;

/// What a signed-in person sees: their own elevations, and the pending ones they may decide.
pub async fn visible(app: &App, cur: &Current) -> Result<(Vec<Elevation>, Vec<Elevation>), AppError> {
    let c = console(app, cur).await?;
    Ok((c.mine, c.to_decide.into_iter().map(|a| a.elevation).collect()))
}

/// An elevation with the login of the account that asked for it.
#[derive(Debug, Clone)]
pub struct Asked {
    pub elevation: Elevation,
    pub requester: String,
}

/// What the elevations console shows a signed-in person: the eligibilities they may elevate with,
/// their own elevations (newest first), the pending requests they may decide, the self-review and
/// break-glass elevations they may review, and whether they decide any system's elevations.
#[derive(Debug, Clone)]
pub struct Console {
    pub eligible: Vec<store::privileged::Eligibility>,
    pub mine: Vec<Elevation>,
    pub to_decide: Vec<Asked>,
    pub to_review: Vec<Asked>,
    pub approver: bool,
}

impl Console {
    /// Whether the person has anything to do with elevations (the account page links the console).
    pub fn concerns(&self) -> bool {
        !self.eligible.is_empty()
            || !self.mine.is_empty()
            || self.approver
            || !self.to_decide.is_empty()
            || !self.to_review.is_empty()
    }
}

/// The console of `cur`, by the same checks the decisions make ([`rules::approve`], [`rules::review`]).
pub async fn console(app: &App, cur: &Current) -> Result<Console, AppError> {
    let (policy, cur, now) = (app.policy.clone(), cur.clone(), app.clock.now_ms());
    app.db(move |c| {
        let eligible = store::privileged::eligibility_of(c, &cur.account.id)?;
        let mine = store::privileged::elevations_of(c, &cur.account.id)?;
        let me = approvers::of_account(c, &policy, &cur.account, now)?;
        let mut to_decide = Vec::new();
        for el in store::privileged::elevations_with(c, status::PENDING)? {
            let Ok((account, number, vendor)) = requester(c, &policy, &el, now) else { continue };
            if rules::approve(&policy, &pending(&el, &number, vendor), &me, now).is_ok() {
                to_decide.push(Asked { requester: account.login_id, elevation: el });
            }
        }
        let mut to_review = Vec::new();
        for el in store::privileged::unreviewed_elevations(c)? {
            let Ok((account, number, vendor)) = requester(c, &policy, &el, now) else { continue };
            if rules::review(&policy, &pending(&el, &number, vendor), &me).is_ok() {
                to_review.push(Asked { requester: account.login_id, elevation: el });
            }
        }
        let approver = rules::approves_any(&policy, &me);
        Ok(Console { eligible, mine, to_decide, to_review, approver })
    })
    .await
}
