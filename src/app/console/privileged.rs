//! The console's privileged-ID page (R-PR-01…R-PR-09, R-RV-04): privileged and development accounts
//! with their holders, state and last use; the privileged report (`tobira report privileged`:
//! eligibility per system with its cap, elevations, delegations); active elevations; the pending
//! elevations the reader may decide (the elevations console's own rule); and the delegates (代行者),
//! with whether the reader decides nominations (`[approvals] delegate`, the CISO).
//!
//! Invariants: read by the security officers, the CISO's office and the auditor only (as the report);
//! every reading and refusal is audited (`console.privileged_viewed`); decisions are not made here but
//! by `app::privileged::{elevation, delegation}`, the API's own functions.

use super::Reader;
use crate::app::privileged::{elevation, report};
use crate::app::signin::session::Current;
use crate::app::signin::Origin;
use crate::app::{App, AppError};
use crate::store::{
    self,
    console_privileged::Listed,
    privileged::{status, Delegation, Elevation},
};
use serde_json::{json, Value};
use tobira_domain::approval::{self, Concerning};
use tobira_domain::audit::Outcome;
use tobira_domain::console::scope::READ_ALL;

/// What the page shows.
#[derive(Debug, Clone)]
pub struct Overview {
    pub accounts: Vec<Listed>,
    /// `report::build`'s answer, as `GET /api/privileged/report` gives it.
    pub report: Value,
    /// Active elevations, with the login of the account elevated.
    pub active: Vec<(Elevation, String)>,
    /// Pending elevations the reader may decide.
    pub to_decide: Vec<elevation::Asked>,
    /// Delegations, newest first.
    pub delegations: Vec<Delegation>,
    /// The reader decides nominations of delegates.
    pub decides_delegates: bool,
}

/// The page's content for `reader`; refused (and audited) for anyone but officers and the auditor.
pub async fn overview(app: &App, reader: &Reader, cur: &Current, origin: &Origin) -> Result<Overview, AppError> {
    let ev = origin.event(reader.login.clone(), "console.privileged_viewed", "privileged");
    if !READ_ALL.iter().any(|f| reader.facts.holds(*f)) && !reader.acts {
        app.audit
            .record(
                ev.with_outcome(Outcome::Denied).with_details(json!({ "refused": "not an officer or the auditor" })),
            )
            .await?;
        return Err(AppError::refused(
            "privileged_page_not_permitted",
            "特権IDの画面を利用できるのはセキュリティ担当、CISO等と監査人です",
            "the privileged-ID page is for security officers, the CISO's office and the auditor",
        ));
    }
    let (policy, now, n) = (app.policy.clone(), app.clock.now_ms(), app.policy.console.privileged_list_size as usize);
    let (accounts, report, active, mut delegations) = app
        .db(move |c| {
            let accounts = store::console_privileged::privileged_and_development(c, n as i64)?;
            let report = report::build(c, &policy, now)?;
            let mut active = Vec::new();
            for e in store::privileged::elevations_with(c, status::ACTIVE)?.into_iter().take(n) {
                let login =
                    store::accounts::by_id(c, &e.account_id)?.map_or_else(|| e.account_id.clone(), |a| a.login_id);
                active.push((e, login));
            }
            let delegations = store::privileged::all_delegations(c)?;
            Ok((accounts, report, active, delegations))
        })
        .await?;
    delegations.reverse();
    delegations.truncate(n);
    let mut to_decide = elevation::console(app, cur).await?.to_decide;
    to_decide.truncate(n);
    let decides_delegates =
        approval::check(&app.policy, &app.policy.approvals.delegate, &reader.facts, Concerning::default()).is_ok();
    app.audit.record(ev.with_details(json!({ "accounts": accounts.len() }))).await?;
    Ok(Overview { accounts, report, active, to_decide, delegations, decides_delegates })
}
