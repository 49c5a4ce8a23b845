//! The review API (JSON, session cookie, CSRF token in `X-CSRF-Token` for changes): the reviewer's
//! inbox and decisions, campaigns, restoring dormant accounts, the exceptions register, the reports
//! (JSON or CSV, cut to what the reader may see), the audit-usage search and a review run by hand.
//!
//! Invariant: every route signs the caller in through [`caller`]; who may do what beyond that is
//! decided in `app::review` (reviewer, restorer and approver entitlements; readers).

use crate::app::review::campaign::Decided;
use crate::app::review::service::Reviewer;
use crate::app::review::table::{Format, Table};
use crate::app::review::{exceptions, job};
use crate::app::signin::authz::Need;
use crate::app::signin::session::Current;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::pages::origin;
use crate::http::privileged::caller;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use tobira_domain::review::campaign::{Decision, Scope};
use tobira_domain::time_util::end_of_jst_day;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/review")
            .route("/inbox", web::get().to(inbox))
            .route("/decisions", web::post().to(decide))
            .route("/campaigns", web::get().to(campaigns))
            .route("/campaigns", web::post().to(create_campaign))
            .route("/dormant/{login}/restore", web::post().to(restore))
            .route("/exceptions", web::post().to(request_exception))
            .route("/exceptions/{id}/{verdict}", web::post().to(decide_exception))
            .route("/reports/{name}", web::get().to(report))
            .route("/run", web::post().to(run))
            .route("/audit-usage", web::get().to(audit_usage)),
    );
}

/// The caller as a reviewer (functions, departments, delegations, origin).
pub(crate) async fn reviewer(req: &HttpRequest, app: &App, mutating: bool) -> Result<(Current, Reviewer), ApiError> {
    let (cur, _) = caller(req, app, Need::Full, mutating).await?;
    let r = Reviewer::of(app, &cur.account, origin(req, app)).await?;
    Ok((cur, r))
}

async fn inbox(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let (_, r) = reviewer(&req, &app, false).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": r.inbox(&app).await? })))
}

#[derive(Deserialize)]
pub struct Decide {
    pub items: Vec<String>,
    pub decision: String,
    #[serde(default)]
    pub comment: String,
}

async fn decide(req: HttpRequest, app: web::Data<App>, body: web::Json<Decide>) -> Result<HttpResponse, ApiError> {
    let (_, r) = reviewer(&req, &app, true).await?;
    let out = decide_items(&app, &r, body.into_inner()).await?;
    let status = if out.iter().all(|d| d.ok) { actix_web::http::StatusCode::OK } else { actix_web::http::StatusCode::FORBIDDEN };
    Ok(HttpResponse::build(status).json(json!({ "results": out })))
}

/// Shared by the API and the reviewer page.
pub(crate) async fn decide_items(app: &App, r: &Reviewer, d: Decide) -> Result<Vec<Decided>, ApiError> {
    let decision = Decision::parse(&d.decision).ok_or_else(|| ApiError::BadRequest("decision must be keep or remove".into()))?;
    Ok(r.decide(app, d.items, decision, d.comment).await?)
}

async fn campaigns(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    report_as(&req, &app, "campaigns", Format::Json).await
}

#[derive(Deserialize)]
pub struct NewCampaign {
    pub kind: String,
    #[serde(default)]
    pub key: String,
}

async fn create_campaign(req: HttpRequest, app: web::Data<App>, body: web::Json<NewCampaign>) -> Result<HttpResponse, ApiError> {
    let (cur, _) = caller(&req, &app, Need::Officer, true).await?;
    let scope = Scope::parse(&body.kind, body.key.trim()).ok_or_else(|| ApiError::BadRequest("kind must be system, department, transfer or city".into()))?;
    let r = Reviewer::of(&app, &cur.account, origin(&req, &app)).await?;
    Ok(HttpResponse::Created().json(r.create_campaign(&app, scope).await?))
}

async fn restore(req: HttpRequest, app: web::Data<App>, login: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let (_, r) = reviewer(&req, &app, true).await?;
    r.restore(&app, login.into_inner()).await?;
    Ok(HttpResponse::Ok().json(json!({ "restored": true })))
}

#[derive(Deserialize)]
pub struct NewException {
    #[serde(flatten)]
    pub exception: exceptions::NewException,
    /// Last day, `YYYY-MM-DD` (JST).
    pub until: String,
}

async fn request_exception(req: HttpRequest, app: web::Data<App>, body: web::Json<NewException>) -> Result<HttpResponse, ApiError> {
    let (_, r) = reviewer(&req, &app, true).await?;
    let NewException { mut exception, until } = body.into_inner();
    let day = time::Date::parse(until.trim(), time::macros::format_description!("[year]-[month]-[day]")).map_err(|_| ApiError::BadRequest("until must be YYYY-MM-DD".into()))?;
    exception.valid_until = end_of_jst_day(day);
    Ok(HttpResponse::Created().json(json!({ "id": r.request_exception(&app, exception).await? })))
}

#[derive(Deserialize, Default)]
pub struct Note {
    #[serde(default)]
    pub note: String,
}

async fn decide_exception(req: HttpRequest, app: web::Data<App>, path: web::Path<(String, String)>, body: Option<web::Json<Note>>) -> Result<HttpResponse, ApiError> {
    let (_, r) = reviewer(&req, &app, true).await?;
    let (id, verdict) = path.into_inner();
    let verdict: exceptions::Verdict = serde_json::from_value(json!(verdict)).map_err(|_| ApiError::BadRequest("verdict must be approve, refuse, end or reviewed".into()))?;
    let note = body.map(|b| b.into_inner().note).unwrap_or_default();
    Ok(HttpResponse::Ok().json(json!({ "standing": r.decide_exception(&app, id, verdict, note).await? })))
}

#[derive(Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    pub format: Option<Format>,
    #[serde(default)]
    pub days: Option<u32>,
}

async fn report(req: HttpRequest, app: web::Data<App>, name: web::Path<String>, q: web::Query<ReportQuery>) -> Result<HttpResponse, ApiError> {
    let format = q.format.unwrap_or(Format::Json);
    report_days(&req, &app, &name, format, q.days.unwrap_or(30)).await
}

async fn report_as(req: &HttpRequest, app: &App, name: &str, format: Format) -> Result<HttpResponse, ApiError> {
    report_days(req, app, name, format, 30).await
}

/// A report the reviewer may read, cut to what they may see.
pub(crate) async fn readable(app: &App, r: &Reviewer, name: &str, days: u32) -> Result<Table, ApiError> {
    let t = r.report(app, name.to_string(), days).await?;
    t.ok_or_else(|| ApiError::Forbidden("this report is for officers, auditors and (for their own section) 所属長".into()))
}

async fn report_days(req: &HttpRequest, app: &App, name: &str, format: Format, days: u32) -> Result<HttpResponse, ApiError> {
    let (_, r) = reviewer(req, app, false).await?;
    let t = readable(app, &r, name, days).await?;
    Ok(match format {
        Format::Csv => HttpResponse::Ok().content_type("text/csv; charset=utf-8").insert_header(("Content-Disposition", format!("attachment; filename=\"tobira-{name}.csv\""))).body(t.to_csv()),
        Format::Table => HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(t.to_text()),
        Format::Json => HttpResponse::Ok().json(t),
    })
}

async fn run(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    caller(&req, &app, Need::Officer, true).await?;
    let ctx = job::Ctx::of(&app);
    match job::run_now(&ctx, app.clock.now_ms()).await? {
        Some(r) => Ok(HttpResponse::Ok().json(r)),
        None => Err(ApiError::Conflict("a review run is in progress on another node".into())),
    }
}

#[derive(Deserialize)]
pub struct UsageQuery {
    pub login: String,
    #[serde(default)]
    pub days: Option<u32>,
    #[serde(default)]
    pub reason: String,
}

/// A person's usage in the audit log (R-LG-11): only for `approvals.audit_search`, with a reason,
/// and the search itself is audited, refused or not.
async fn audit_usage(req: HttpRequest, app: web::Data<App>, q: web::Query<UsageQuery>) -> Result<HttpResponse, ApiError> {
    let (_, r) = reviewer(&req, &app, false).await?;
    let q = q.into_inner();
    let records = r.search_usage(&app, q.login.clone(), q.days.unwrap_or(30), q.reason).await?;
    Ok(HttpResponse::Ok().json(json!({ "login": q.login, "records": records })))
}
