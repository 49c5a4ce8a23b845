//! The review API (JSON, session cookie, CSRF token in `X-CSRF-Token` for changes): the reviewer's
//! inbox and decisions, campaigns, restoring dormant accounts, the exceptions register, the reports
//! (JSON or CSV, cut to what the reader may see), the audit-usage search and a review run by hand.
//!
//! Invariant: every route signs the caller in through [`caller`]; who may do what beyond that is
//! decided in `app::review` (reviewer, restorer and approver entitlements; readers).

use crate::app::review::campaign;
use crate::app::review::service::Reviewer;
use crate::app::review::table::{Format, Table};
use crate::app::review::{exceptions, job};
use crate::app::signin::authz::Need;
use crate::app::signin::session::Current;
use crate::app::words::Words;
use crate::app::App;
use crate::http::bodies::Note;
use crate::http::caller::caller;
use crate::http::error::{ApiError, ErrorBody, Failures};
use crate::http::session::origin;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tobira_domain::audit::AuditRecord;
use tobira_domain::review::campaign::{Decision, Scope};
use tobira_domain::review::exception::Standing;

/// The caller as a reviewer (functions, departments, delegations, origin).
pub(crate) async fn reviewer(req: &HttpRequest, app: &App, mutating: bool) -> Result<(Current, Reviewer), ApiError> {
    let (cur, _) = caller(req, app, Need::Full, mutating).await?;
    let r = Reviewer::of(app, &cur.account, origin(req, app)).await?;
    Ok((cur, r))
}

/// What the caller reviews now.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Inbox {
    items: Vec<campaign::InboxRow>,
}

#[utoipa::path(responses((status = 200, description = "`items`: what the caller reviews.", body = Inbox), Failures), security(("session" = [])))]
#[get("/review/inbox")]
pub(crate) async fn inbox(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let (_, r) = reviewer(&req, &app, false).await?;
    Ok(HttpResponse::Ok().json(Inbox { items: r.inbox(&app).await? }))
}

#[derive(utoipa::ToSchema, Deserialize)]
pub struct Decide {
    pub items: Vec<String>,
    #[schema(pattern = "^(keep|remove)$", example = "keep")]
    pub decision: String,
    #[serde(default)]
    pub comment: String,
}

#[utoipa::path(request_body = Decide, responses((status = 200, description = "`results`, one per item, all decided.", body = Decisions), Failures), security(("session" = [], "csrf" = [])))]
#[post("/review/decisions")]
pub(crate) async fn decide(
    req: HttpRequest,
    app: web::Data<App>,
    body: web::Json<Decide>,
) -> Result<HttpResponse, ApiError> {
    let (_, r) = reviewer(&req, &app, true).await?;
    let out = decide_items(&app, &r, body.into_inner()).await?;
    if out.iter().all(|d| d.ok) {
        return Ok(HttpResponse::Ok().json(Decisions { results: out }));
    }
    // A failure like any other (the error body), with each item's outcome beside it.
    let error = ErrorBody {
        error: "items_refused",
        message: "決定できない項目があります。".into(),
        message_en: "some items were refused; see results".into(),
        error_id: None,
    };
    Ok(HttpResponse::Forbidden().json(Refused { error, results: out }))
}

/// Every item decided.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Decisions {
    pub results: Vec<campaign::Decided>,
}

/// The 403 when any item was refused: an [`ErrorBody`] with each item's outcome.
#[derive(serde::Serialize)]
struct Refused {
    #[serde(flatten)]
    error: ErrorBody,
    results: Vec<campaign::Decided>,
}

/// Shared by the API and the reviewer page.
pub(crate) async fn decide_items(app: &App, r: &Reviewer, d: Decide) -> Result<Vec<campaign::Decided>, ApiError> {
    let decision = Decision::parse(&d.decision).ok_or_else(|| {
        ApiError::BadRequest(
            Words::new(
                "decision には keep（継続）または remove（削除）を指定してください",
                "decision must be keep or remove",
            )
            .coded("unknown_decision"),
        )
    })?;
    Ok(r.decide(app, d.items, decision, d.comment).await?)
}

#[utoipa::path(responses((status = 200, description = "The campaigns report.", body = Table), Failures), security(("session" = [])))]
#[get("/review/campaigns")]
pub(crate) async fn campaigns(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    report_as(&req, &app, "campaigns", Format::Json).await
}

#[derive(utoipa::ToSchema, Deserialize)]
pub struct NewCampaign {
    #[schema(pattern = "^(system|department|transfer|city)$", example = "city")]
    pub kind: String,
    #[serde(default)]
    pub key: String,
}

#[utoipa::path(request_body = NewCampaign, responses((status = 201, description = "The campaign made.", body = campaign::Created), Failures), security(("session" = [], "csrf" = [])))]
#[post("/review/campaigns")]
pub(crate) async fn create_campaign(
    req: HttpRequest,
    app: web::Data<App>,
    body: web::Json<NewCampaign>,
) -> Result<HttpResponse, ApiError> {
    let (cur, _) = caller(&req, &app, Need::Officer, true).await?;
    let scope = Scope::parse(&body.kind, body.key.trim()).ok_or_else(|| {
        ApiError::BadRequest(
            Words::new(
                "kind には system、department、transfer、city のいずれかを指定してください",
                "kind must be system, department, transfer or city",
            )
            .coded("unknown_scope"),
        )
    })?;
    let r = Reviewer::of(&app, &cur.account, origin(&req, &app)).await?;
    Ok(HttpResponse::Created().json(r.create_campaign(&app, scope).await?))
}

/// A dormant account restored.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Restored {
    /// Always `true`.
    restored: bool,
}

#[utoipa::path(responses((status = 200, description = "`restored`.", body = Restored), Failures), security(("session" = [], "csrf" = [])))]
#[post("/review/dormant/{login}/restore")]
pub(crate) async fn restore(
    req: HttpRequest,
    app: web::Data<App>,
    login: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (_, r) = reviewer(&req, &app, true).await?;
    r.restore(&app, login.into_inner()).await?;
    Ok(HttpResponse::Ok().json(Restored { restored: true }))
}

/// An exception asked for through the API: the application's request with its last day as a date.
#[derive(utoipa::ToSchema, Deserialize)]
#[schema(as = ExceptionRequest)]
pub struct NewException {
    #[serde(flatten)]
    pub exception: exceptions::NewException,
    /// Last day, `YYYY-MM-DD` (JST).
    #[schema(format = Date, example = "2027-03-31")]
    pub until: String,
}

/// The exception asked for.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ExceptionAsked {
    id: String,
}

#[utoipa::path(request_body = NewException, responses((status = 201, description = "`id` of the exception asked for.", body = ExceptionAsked), Failures), security(("session" = [], "csrf" = [])))]
#[post("/review/exceptions")]
pub(crate) async fn request_exception(
    req: HttpRequest,
    app: web::Data<App>,
    body: web::Json<NewException>,
) -> Result<HttpResponse, ApiError> {
    let (_, r) = reviewer(&req, &app, true).await?;
    let NewException { mut exception, until } = body.into_inner();
    exception.valid_until = crate::app::dates::last_day(&until, "until")?;
    Ok(HttpResponse::Created().json(ExceptionAsked { id: r.request_exception(&app, exception).await? }))
}

/// Where the exception stands after the decision.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ExceptionDecided {
    standing: Standing,
}

#[utoipa::path(request_body = Option<Note>, responses((status = 200, description = "`standing`: the exception after the decision.", body = ExceptionDecided), Failures), security(("session" = [], "csrf" = [])))]
#[post("/review/exceptions/{id}/{verdict}")]
pub(crate) async fn decide_exception(
    req: HttpRequest,
    app: web::Data<App>,
    path: web::Path<(String, String)>,
    body: Option<web::Json<Note>>,
) -> Result<HttpResponse, ApiError> {
    let (_, r) = reviewer(&req, &app, true).await?;
    let (id, verdict) = path.into_inner();
    let verdict: exceptions::Verdict = serde_json::from_value(json!(verdict)).map_err(|_| {
        ApiError::BadRequest(
            Words::new(
                "verdict には approve、refuse、end、reviewed のいずれかを指定してください",
                "verdict must be approve, refuse, end or reviewed",
            )
            .coded("unknown_verdict"),
        )
    })?;
    let note = Note::text(body);
    Ok(HttpResponse::Ok().json(ExceptionDecided { standing: r.decide_exception(&app, id, verdict, note).await? }))
}

#[derive(utoipa::IntoParams, Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    pub format: Option<Format>,
    #[serde(default)]
    pub days: Option<u32>,
}

#[utoipa::path(responses((status = 200, description = "The report, cut to what the caller may see: JSON, CSV or text by `format`.", content((Table = "application/json"), (String = "text/csv"), (String = "text/plain"))), Failures), security(("session" = [])))]
#[get("/review/reports/{name}")]
pub(crate) async fn report(
    req: HttpRequest,
    app: web::Data<App>,
    name: web::Path<String>,
    q: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let format = q.format.unwrap_or(Format::Json);
    report_days(&req, &app, &name, format, q.days.unwrap_or(30)).await
}

async fn report_as(req: &HttpRequest, app: &App, name: &str, format: Format) -> Result<HttpResponse, ApiError> {
    report_days(req, app, name, format, 30).await
}

/// A report the reviewer may read, cut to what they may see.
pub(crate) async fn readable(app: &App, r: &Reviewer, name: &str, days: u32) -> Result<Table, ApiError> {
    let t = r.report(app, name.to_string(), days).await?;
    t.ok_or_else(|| {
        ApiError::Forbidden(
            Words::new(
                "この報告を閲覧できるのはセキュリティ担当、監査人と（自所属について）所属長です",
                "this report is for officers, auditors and (for their own section) 所属長",
            )
            .coded("report_not_permitted"),
        )
    })
}

async fn report_days(
    req: &HttpRequest,
    app: &App,
    name: &str,
    format: Format,
    days: u32,
) -> Result<HttpResponse, ApiError> {
    let (_, r) = reviewer(req, app, false).await?;
    let t = readable(app, &r, name, days).await?;
    Ok(match format {
        Format::Csv => HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header(("Content-Disposition", format!("attachment; filename=\"tobira-{name}.csv\"")))
            .body(t.to_csv()),
        Format::Table => HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(t.to_text()),
        Format::Json => HttpResponse::Ok().json(t),
    })
}

#[utoipa::path(responses((status = 200, description = "The review run's result.", body = job::RunReport), Failures), security(("session" = [], "csrf" = [])))]
#[post("/review/run")]
pub(crate) async fn run(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    caller(&req, &app, Need::Officer, true).await?;
    let ctx = job::Ctx::of(&app);
    match job::run_now(&ctx, app.clock.now_ms()).await? {
        Some(r) => Ok(HttpResponse::Ok().json(r)),
        None => Err(ApiError::Conflict(
            Words::new("別のノードで見直しの処理を実行中です", "a review run is in progress on another node")
                .coded("review_run_in_progress"),
        )),
    }
}

/// A person's usage in the audit log.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Usage {
    login: String,
    records: Vec<AuditRecord>,
}

#[derive(utoipa::IntoParams, Deserialize)]
pub struct UsageQuery {
    pub login: String,
    #[serde(default)]
    pub days: Option<u32>,
    #[serde(default)]
    pub reason: String,
}

/// A person's usage in the audit log (R-LG-11): only for `approvals.audit_search`, with a reason,
/// and the search itself is audited, refused or not.
#[utoipa::path(responses((status = 200, description = "`login`, `records`: the person's usage (R-LG-11); the search is audited.", body = Usage), Failures), security(("session" = [])))]
#[get("/review/audit-usage")]
pub(crate) async fn audit_usage(
    req: HttpRequest,
    app: web::Data<App>,
    q: web::Query<UsageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (_, r) = reviewer(&req, &app, false).await?;
    let q = q.into_inner();
    let records = r.search_usage(&app, q.login.clone(), q.days.unwrap_or(30), q.reason).await?;
    Ok(HttpResponse::Ok().json(Usage { login: q.login, records }))
}
