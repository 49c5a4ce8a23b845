//! The console's JSON API (same session cookie as the pages): `GET /api/console/people` finds people
//! as `/console/people` does, and `GET /api/audit/events` reads the audit log as `/console/audit`
//! does (R-LG-11, R-RV-09); the CSV export is `/console/audit.csv`. Officer actions are the officer
//! API's (`/api/officer/accounts/{login}/…`).
//!
//! Invariant: each route is a thin adapter over `app::console`; no session is 401, a session without
//! console scope is 403 (audited by the app for the audit log).

use crate::app::console::{self, audit, search};
use crate::app::signin::authz::{self, Need};
use crate::app::signin::session::Current;
use crate::app::App;
use crate::http::error::{ApiError, Failures};
use crate::http::session::{self, origin};
use actix_web::{get, web, HttpRequest, HttpResponse};
use tobira_domain::audit::AuditRecord;

/// One page of audit records, newest first.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    /// Sealed records: `seq`, `occurred_at`, `actor`, `action`, `target`, `outcome`, `source_ip`,
    /// `request_id`, `details`, `prev_hash`, `hash`.
    #[schema(value_type = Vec<Object>)]
    pub records: Vec<AuditRecord>,
    /// The `before` of the next page, when there is one.
    pub next_before: Option<i64>,
    pub page_size: u32,
}

async fn signed_in(req: &HttpRequest, app: &App) -> Result<Current, ApiError> {
    let cur = session::current(req, app).await?;
    match authz::authorize(&app.policy, cur, Need::Full, app.clock.now_ms()) {
        Ok(authorized) => Ok(authorized.into_session()),
        Err(d) => Err(d.into()),
    }
}

#[utoipa::path(responses((status = 200, description = "One page of people found, each with their accounts (R-LG-11 context).", body = search::Found), Failures), security(("session" = [])))]
#[get("/console/people")]
pub(crate) async fn people(
    req: HttpRequest,
    app: web::Data<App>,
    q: web::Query<search::Query>,
) -> Result<HttpResponse, ApiError> {
    let cur = signed_in(&req, &app).await?;
    let reader = console::reader(&app, &cur).await?;
    Ok(HttpResponse::Ok().json(search::search(&app, &reader, &q).await?))
}

#[utoipa::path(responses((status = 200, description = "One page of audit records, newest first: `records`, `next_before`, `page_size` (R-LG-11, R-RV-09).", body = AuditPage), Failures), security(("session" = [])))]
#[get("/audit/events")]
pub(crate) async fn events(
    req: HttpRequest,
    app: web::Data<App>,
    q: web::Query<audit::Query>,
) -> Result<HttpResponse, ApiError> {
    let cur = signed_in(&req, &app).await?;
    let p = audit::read(&app, &cur, &q, &origin(&req, &app)).await?;
    Ok(HttpResponse::Ok().json(AuditPage { records: p.records, next_before: p.next, page_size: p.page_size }))
}
