//! The review's use cases as the web adapters call them: each is a method of the signed-in
//! [`Reviewer`] and runs in its own transaction on the pool, so http chooses no transaction and never
//! sees a connection. The in-transaction functions stay in their modules for the scheduled jobs and
//! the command line.

use super::campaign::{self, Created, Decided, InboxRow, Progress};
use super::exceptions::{self, NewException, Verdict};
use super::readers::{self, Reader};
use super::table::Table;
use super::{dormant, reports, Actor};
use crate::app::privileged;
use crate::app::signin::Origin;
use crate::app::{approvers, App, AppError};
use crate::store::{self, accounts::Account};
use serde_json::json;
use tobira_domain::approval::ApproverFacts;
use tobira_domain::audit::{AuditRecord, Outcome};
use tobira_domain::review::campaign::{Decision, Scope};
use tobira_domain::review::exception::Standing;
use tobira_domain::review::DAY_MS;

/// A signed-in person acting in the review: what they are (functions, departments, delegations),
/// their login (the audit actor) and where the request came from.
#[derive(Debug, Clone)]
pub struct Reviewer {
    pub facts: ApproverFacts,
    pub login: String,
    pub origin: Origin,
}

/// The campaigns page: every campaign's progress and the reviewers still to decide (login, name,
/// open items, overdue).
pub type Overview = (Vec<Progress>, Vec<(String, String, usize, bool)>);

/// Days a report or a usage search may reach back (ten years).
const MAX_DAYS: u32 = 3660;

impl Reviewer {
    /// The reviewer behind `account`, as of now.
    pub async fn of(app: &App, account: &Account, origin: Origin) -> Result<Reviewer, AppError> {
        let (policy, acc, now) = (app.policy.clone(), account.clone(), app.clock.now_ms());
        let facts = app.db(move |c| approvers::of_account(c, &policy, &acc, now)).await?;
        Ok(Reviewer { facts, login: account.login_id.clone(), origin })
    }

    /// The items waiting for this reviewer's decision.
    pub async fn inbox(&self, app: &App) -> Result<Vec<InboxRow>, AppError> {
        let (policy, facts) = (app.policy.clone(), self.facts.clone());
        app.db(move |c| campaign::inbox(c, &policy, &facts)).await
    }

    /// Keeps or removes the named items (1 to 1000); each item's outcome on its own.
    pub async fn decide(
        &self,
        app: &App,
        items: Vec<String>,
        decision: Decision,
        comment: String,
    ) -> Result<Vec<Decided>, AppError> {
        if items.is_empty() || items.len() > 1000 {
            return Err(AppError::invalid(
                "item_count_out_of_range",
                "項目は1件から1000件までで指定してください",
                "name 1 to 1000 items",
            ));
        }
        let (policy, me, now) = (app.policy.clone(), self.clone(), app.clock.now_ms());
        app.db(move |c| campaign::decide(c, &policy, &me.actor(), &items, decision, comment.trim(), now)).await
    }

    /// Starts a campaign over `scope` (officers; the caller checks).
    pub async fn create_campaign(&self, app: &App, scope: Scope) -> Result<Created, AppError> {
        let (policy, me, now) = (app.policy.clone(), self.clone(), app.clock.now_ms());
        app.db(move |c| campaign::create(c, &policy, &scope, &me.login, Some(&me.origin), now)).await
    }

    /// Every campaign's progress and the reviewers still to decide; `None` when this reviewer may
    /// not read every report.
    pub async fn overview(&self, app: &App) -> Result<Option<Overview>, AppError> {
        let (policy, facts, now) = (app.policy.clone(), self.facts.clone(), app.clock.now_ms());
        app.db(move |c| {
            if readers::reader(c, &facts)? != Some(Reader::All) {
                return Ok(None);
            }
            let mut rows = Vec::new();
            for k in store::review::campaigns(c)? {
                rows.push(campaign::progress(c, k, now)?);
            }
            Ok(Some((rows, campaign::pending_reviewers(c, &policy, now)?)))
        })
        .await
    }

    /// Brings a dormant account back (its 所属長 or an officer).
    pub async fn restore(&self, app: &App, login: String) -> Result<(), AppError> {
        let (policy, me, now) = (app.policy.clone(), self.clone(), app.clock.now_ms());
        app.db(move |c| dormant::restore(c, &policy, &me.facts, &me.login, &login, &me.origin, now)).await
    }

    /// Asks for an exception to a rule; returns its id.
    pub async fn request_exception(&self, app: &App, exception: NewException) -> Result<String, AppError> {
        let (policy, me, now) = (app.policy.clone(), self.clone(), app.clock.now_ms());
        app.db(move |c| exceptions::request(c, &policy, &me.facts, &me.login, &exception, &me.origin, now)).await
    }

    /// Approves, refuses, ends or marks reviewed the exception `id`.
    pub async fn decide_exception(
        &self,
        app: &App,
        id: String,
        verdict: Verdict,
        note: String,
    ) -> Result<Standing, AppError> {
        let (policy, me, now) = (app.policy.clone(), self.clone(), app.clock.now_ms());
        app.db(move |c| exceptions::decide(c, &policy, &me.actor(), &id, verdict, note.trim(), now)).await
    }

    /// The report `name` over the last `days`, cut to what this reviewer may see; `None` when they
    /// may not read it at all.
    pub async fn report(&self, app: &App, name: String, days: u32) -> Result<Option<Table>, AppError> {
        let (policy, facts, now) = (app.policy.clone(), self.facts.clone(), app.clock.now_ms());
        app.db(move |c| {
            let Some(r) = readers::reader(c, &facts)? else { return Ok(None) };
            if matches!(r, Reader::Section(_)) && !readers::about_people(&name) {
                return Ok(None);
            }
            let t = reports::over_days(c, &policy, &name, days.min(MAX_DAYS), now)?;
            Ok(readers::cut(&r, t))
        })
        .await
    }

    /// The privileged report (R-RV-04); `None` when this reviewer may not read every report (officers
    /// and the auditor may).
    pub async fn privileged_report(&self, app: &App) -> Result<Option<privileged::report::PrivilegedReport>, AppError> {
        let (policy, facts, now) = (app.policy.clone(), self.facts.clone(), app.clock.now_ms());
        app.db(move |c| {
            if readers::reader(c, &facts)? == Some(Reader::All) {
                privileged::report::report(c, &policy, now).map(Some)
            } else {
                Ok(None)
            }
        })
        .await
    }

    /// A person's usage in the audit log over the last `days` (R-LG-11): only for
    /// `approvals.audit_search`, with a reason; the search itself is audited, refused or not.
    pub async fn search_usage(
        &self,
        app: &App,
        login: String,
        days: u32,
        reason: String,
    ) -> Result<Vec<AuditRecord>, AppError> {
        let allowed = readers::may_search_audit(&app.policy, &self.facts);
        let now = app.clock.now_ms();
        let from = now - i64::from(days.min(MAX_DAYS)) * DAY_MS;
        let mut e = self
            .origin
            .event(self.login.clone(), "audit.searched", format!("account:{login}"))
            .with_details(json!({ "from": from, "reason": reason }));
        if !allowed || reason.trim().is_empty() {
            let (ja, why) = if allowed {
                ("検索には理由が必要です", "a search needs a reason")
            } else {
                (
                    "利用状況を検索できるのはCISO、統括情報セキュリティ責任者とCISOが指名した人です（R-LG-11）",
                    "searching usage is for the CISO, the 統括情報セキュリティ責任者 and those the CISO names (R-LG-11)",
                )
            };
            e = e.with_outcome(Outcome::Denied);
            e.details["refused"] = json!(why);
            app.audit.record(e).await?;
            return Err(if allowed {
                AppError::invalid("no_reason", ja, why)
            } else {
                AppError::refused("usage_search_not_permitted", ja, why)
            });
        }
        app.audit.record(e).await?;
        app.db(move |c| Ok(store::audit::usage_of(c, &login, from, now, 5000)?)).await
    }

    fn actor(&self) -> Actor<'_> {
        Actor { facts: &self.facts, login: &self.login, origin: &self.origin }
    }
}
