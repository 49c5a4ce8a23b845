//! The console's JSON API (same session cookie as the pages): `GET /api/console/people` finds people
//! as `/console/people` does, and `GET /api/audit/events` reads the audit log as `/console/audit`
//! does (R-LG-11, R-RV-09); the CSV export is `/console/audit.csv`. Officer actions are the officer
//! API's (`/api/officer/accounts/{login}/…`).
//!
//! Invariant: each route is a thin adapter over `app::console`; no session is 401, a session without
//! console scope is 403 (audited by the app for the audit log).

use crate::app::console::{self, audit, search};
use crate::app::signin::authz::{self, Denied, Need};
use crate::app::signin::session::Current;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::pages::{self, origin};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/console/people", web::get().to(people)).route("/api/audit/events", web::get().to(events));
}

async fn signed_in(req: &HttpRequest, app: &App) -> Result<Current, ApiError> {
    let cur = pages::current(req, app).await?;
    match authz::authorize(&app.policy, cur.as_ref(), Need::Full, app.clock.now_ms()) {
        Ok(_) => Ok(cur.expect("authorized means signed in")),
        Err(Denied::SignIn) => Err(ApiError::Unauthorized("sign in first".into())),
        Err(_) => Err(ApiError::Forbidden("a session with the required factors is needed".into())),
    }
}

async fn people(req: HttpRequest, app: web::Data<App>, q: web::Query<search::Query>) -> Result<HttpResponse, ApiError> {
    let cur = signed_in(&req, &app).await?;
    let reader = console::reader(&app, &cur).await?;
    Ok(HttpResponse::Ok().json(search::search(&app, &reader, &q).await?))
}

async fn events(req: HttpRequest, app: web::Data<App>, q: web::Query<audit::Query>) -> Result<HttpResponse, ApiError> {
    let cur = signed_in(&req, &app).await?;
    let p = audit::read(&app, &cur, &q, &origin(&req, &app)).await?;
    Ok(HttpResponse::Ok().json(json!({ "records": p.records, "next_before": p.next, "page_size": p.page_size })))
}
