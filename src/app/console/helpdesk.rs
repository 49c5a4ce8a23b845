//! The helpdesk's actions from a person's console page (docs/console.md, "Who may use what"): unlock
//! a member of staff, or send them a new enrolment link; each through the officer API's own function
//! ([`crate::app::officer`]), so the vendor guard and four eyes stay in force behind it.
//!
//! Invariants: the domain's `console::helpdesk` rule decides on the target's person-wide facts
//! (read as four eyes reads them) before anything changes; a refusal is audited
//! (`console.helpdesk_refused`, outcome `denied`) and changes nothing; the action itself is audited
//! by the officer function with the helpdesk as its actor and the stated reason.

use super::Reader;
use crate::app::enrollment::Reissued;
use crate::app::officer::{self, four_eyes};
use crate::app::signin::session::Current;
use crate::app::signin::{target, Origin};
use crate::app::{App, AppError};
use crate::store;
use serde_json::json;
use tobira_domain::audit::Outcome;
use tobira_domain::console::helpdesk::{self as rule, Action};
use tobira_domain::four_eyes::Target;

/// What a helpdesk action leaves.
#[derive(Debug)]
pub enum Done {
    Unlocked,
    Link(Reissued),
}

/// The helpdesk's `action` (the console's name: `unlock` or `enrol`) on the account `login`.
pub async fn act(
    app: &App,
    reader: &Reader,
    cur: &Current,
    login: &str,
    action: &str,
    reason: &str,
    origin: &Origin,
) -> Result<Done, AppError> {
    if !reader.helpdesk {
        return Err(AppError::refused(
            "helpdesk_not_permitted",
            "この操作はヘルプデスクまたはセキュリティ担当が行います",
            "for the helpdesk or security officers",
        ));
    }
    let (policy, l, a, who, o, now) = (
        app.policy.clone(),
        login.to_string(),
        action.to_string(),
        reader.login.clone(),
        origin.clone(),
        app.clock.now_ms(),
    );
    let decided = app
        .db(move |c| {
            let acc = store::accounts::by_login_id(c, &l)?.ok_or_else(|| AppError::no_account(&l))?;
            let facts = four_eyes::person_wide(c, &policy, &acc, now)?;
            let t = Target {
                is_privileged: acc.is_privileged,
                functions: &facts.functions,
                person_key: &facts.employee_number,
                ever_had_credential: false,
            };
            match rule::may(&a, &t) {
                Ok(action) => Ok(Ok(action)),
                Err(why) => {
                    let ev = o
                        .event(who, "console.helpdesk_refused", target(&acc.login_id))
                        .with_outcome(Outcome::Denied)
                        .with_details(json!({ "action": a, "refused": why.to_string() }));
                    crate::app::audit_log::record_alone(c, now, ev)?;
                    Ok(Err(why))
                }
            }
        })
        .await?;
    match decided? {
        Action::Unlock => officer::unlock(app, cur, login, reason, origin).await.map(|_| Done::Unlocked),
        Action::EnrolmentLink => officer::enrollment_link(app, cur, login, reason, origin).await.map(Done::Link),
    }
}
