//! `/console/approvals`: officer actions awaiting a second person (R-AC-02), with who asked, what,
//! on whom, why and how long ago; approve or refuse buttons, each with a reason, only where the reader
//! may decide (never their own request nor an action on their own account). The decision is the
//! officer API's (`POST /api/officer/requests/{id}/approve`), through `app::console::approvals`.
//!
//! Invariants: a full session and the console reader first; every POST checks its CSRF token
//! ([`super::posted`]); a forged decision (the requester's, the target's, staff's) is refused by the
//! decision's own check, audited there, and answered 403; a temporary password or enrolment URL the
//! approval yields is shown once on its own page, never in a URL.

use super::console_ops_text::{self as ot, OpsText};
use super::Ctx;
use crate::app::console::approvals;
use crate::app::{App, AppError};
use crate::http::error::ApiError;
use crate::http::forms::field;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

const PAGE: &str = "/console/approvals";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(PAGE, web::get().to(page)).route("/console/approvals/{id}/decide", web::post().to(decide));
}

pub struct Row {
    pub id: String,
    pub kind: &'static str,
    pub code: String,
    pub login_id: String,
    pub person: String,
    pub requested_by: String,
    pub requested_at: String,
    pub age: String,
    pub reason: String,
    pub may_decide: bool,
    pub why_not: String,
}

#[derive(Template)]
#[template(path = "console_approvals.html")]
struct ApprovalsPage<'a> {
    c: &'a Ctx,
    o: &'static OpsText,
    rows: Vec<Row>,
    notice: Option<String>,
    error: Option<String>,
}

/// `/console/approvals`: the open requests, oldest first.
pub async fn page(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let (_, reader) = match super::console_gate::entry(&req, &app).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let list = match approvals::pending(&app, &reader, &super::origin(&req, &app)).await {
        Ok(l) => l,
        Err(e) => return super::console_gate::refused(&req, &app, e),
    };
    let c = Ctx::new(&req, &app)?;
    let o = ot::of(c.t);
    let now = app.clock.now_ms();
    let rows = list
        .into_iter()
        .map(|w| Row {
            kind: ot::kind(o, &w.kind),
            person: w.person.map(|(en, name)| format!("{name}（{en}）")).unwrap_or_else(|| "—".into()),
            requested_at: c.when(w.requested_at),
            age: ot::age(o, now - w.requested_at),
            why_not: w.why_not.unwrap_or_default(),
            id: w.id,
            code: w.kind,
            login_id: w.login_id,
            requested_by: w.requested_by,
            reason: w.reason,
            may_decide: w.may_decide,
        })
        .collect();
    let (notice, error) = super::officer::outcome(&req);
    c.render(&req, &ApprovalsPage { c: &c, o, rows, notice, error })
}

/// Approves or refuses one request (`decision` = `approve` | `refuse`), with a reason.
pub async fn decide(
    req: HttpRequest,
    app: web::Data<App>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let bad = |_: &str| ot::of(super::lang(&req)).decision_required.to_string();
    let (f, cur, approve) = match super::officer::posted_decision(&req, &app, &body, PAGE, "refuse", bad).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let o = ot::of(super::lang(&req));
    match approvals::decide(&app, &cur, &id, approve, &field(&f, "reason"), &super::origin(&req, &app)).await {
        Ok(v) => {
            let result = v.result.unwrap_or_default();
            let shown = match (result.temporary_password, result.url) {
                (Some(p), _) => Some((o.secret_password_lead, p)),
                (None, Some(u)) => Some((o.secret_link_lead, u)),
                _ => None,
            };
            match shown {
                // Shown once, on its own page: never in a URL.
                Some((lead, value)) => {
                    super::console_act::secret(&req, &app, o.secret_title, lead, &value, (PAGE, o.back_to_approvals))
                }
                None => Ok(super::officer::back(
                    PAGE,
                    true,
                    &format!("{}: {}", if approve { o.approved_notice } else { o.refused_notice }, id.as_str()),
                )),
            }
        }
        Err(e @ (AppError::Refused(_) | AppError::Rule(_))) => super::console_gate::refused(&req, &app, e),
        Err(e) => super::officer::back_refused(PAGE, e),
    }
}
