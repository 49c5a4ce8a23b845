//! The operator's console as use cases: find a person ([`search`]), read their page ([`person`]),
//! read the audit log ([`audit`]), the helpdesk's actions ([`helpdesk`]), officer actions awaiting a
//! second person ([`approvals`]) and the privileged IDs ([`privileged`]). Officer actions from the
//! console are the officer API's own functions ([`crate::app::officer`],
//! [`crate::app::officer::remote_access`]), so four eyes
//! and every guard apply unchanged.
//!
//! Invariant: every function here first asks [`reader`] who the caller is; a caller with no console
//! scope is refused, and a 所属長 only ever reads their own sections' people (R-LC-02 context, R-RV-09).

pub mod approvals;
pub mod audit;
pub mod helpdesk;
pub mod person;
pub mod privileged;
pub mod provisioning;
pub mod search;

use super::signin::session::Current;
use super::{approvers, App, AppError};
use tobira_domain::approval::ApproverFacts;
use tobira_domain::console::scope::{self, Scope};
use tobira_domain::policy::OfficerFunction;

/// Who reads the console, and how far.
#[derive(Debug, Clone)]
pub struct Reader {
    pub login: String,
    pub facts: ApproverFacts,
    pub scope: Scope,
    /// A security officer (or the 統括): may act on accounts (the officer API's rule).
    pub acts: bool,
    /// Holds the helpdesk function (and is no security officer): unlocks and sends enrolment links
    /// to staff only ([`helpdesk`]).
    pub helpdesk: bool,
}

/// The caller's console scope; [`AppError::Refused`] for a caller who may not use the console.
pub async fn reader(app: &App, cur: &Current) -> Result<Reader, AppError> {
    let (policy, account, roles, now) =
        (app.policy.clone(), cur.account.clone(), cur.roles.clone(), app.clock.now_ms());
    let facts = app.db(move |c| approvers::of_session(c, &policy, &account, &roles, now)).await?;
    let acts = [OfficerFunction::SecurityOfficer, OfficerFunction::ChiefSecurityOfficer]
        .iter()
        .filter_map(|f| app.policy.officer_role(*f))
        .any(|r| cur.roles.iter().any(|h| h == r));
    let scope = match scope::of(&facts) {
        Some(s) => s,
        None if acts => Scope::All,
        None => {
            return Err(AppError::refused(
                "console_not_permitted",
                "コンソールを利用できるのはセキュリティ担当、ヘルプデスク、監査人と所属長です",
                "the console is for security officers, the helpdesk, the auditor and heads of section (所属長)",
            ))
        }
    };
    let helpdesk = !acts && facts.holds(OfficerFunction::Helpdesk);
    Ok(Reader { login: cur.account.login_id.clone(), facts, scope, acts, helpdesk })
}
