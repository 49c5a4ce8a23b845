//! The privileged-ID API (JSON, session cookie, CSRF token in `X-CSRF-Token`): privileged accounts
//! (security officers), eligibility (system owners), elevations (holders ask, approvers decide),
//! delegates (principals nominate, the CISO approves) and the report (R-PR-01…R-PR-09).
//!
//! Invariant: every route signs the caller in through [`caller`] (`http/caller.rs`), which asks the one authorization
//! function; who may do what beyond that is the domain's decision, made in `app::privileged`.

use crate::app::dates::{first_day, last_day};
use crate::app::privileged::{accounts, delegation, development, elevation, eligibility};
use crate::app::privileged::{Delegation, Elevation};
use crate::app::signin::authz::Need;
use crate::app::words::Words;
use crate::app::App;
use crate::http::bodies::Note;
use crate::http::caller::caller;
use crate::http::error::{ApiError, Failures};
use crate::http::session::origin;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

#[derive(utoipa::ToSchema, Deserialize)]
pub struct NewAccount {
    employee_number: String,
}

#[utoipa::path(request_body = NewAccount, responses((status = 201, description = "The privileged account made (R-PR-01); the temporary password is shown once.", body = accounts::Created), Failures), security(("session" = [], "csrf" = [])))]
#[post("/privileged/accounts")]
pub(crate) async fn create_account(
    req: HttpRequest,
    app: web::Data<App>,
    body: web::Json<NewAccount>,
) -> Result<HttpResponse, ApiError> {
    let (cur, _) = caller(&req, &app, Need::Officer, true).await?;
    let made = accounts::create(&app, &cur, &body.employee_number, &origin(&req, &app)).await?;
    Ok(HttpResponse::Created().json(made))
}

#[derive(utoipa::ToSchema, Deserialize)]
pub struct NewDevelopment {
    #[serde(flatten)]
    id: development::NewDevelopmentId,
    /// Last day, `YYYY-MM-DD` (JST).
    #[schema(format = Date, example = "2027-03-31")]
    until: String,
}

/// A development account made, with its temporary password.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DevelopmentCreated {
    login_id: String,
    /// Shown once, for hand-over.
    temporary_password: String,
    /// UTC milliseconds: the end of the last day (JST).
    valid_until: i64,
}

#[utoipa::path(request_body = NewDevelopment, responses((status = 201, description = "`login_id`, `temporary_password` (once), `valid_until`.", body = DevelopmentCreated), Failures), security(("session" = [], "csrf" = [])))]
#[post("/privileged/development-accounts")]
pub(crate) async fn create_development(
    req: HttpRequest,
    app: web::Data<App>,
    body: web::Json<NewDevelopment>,
) -> Result<HttpResponse, ApiError> {
    let (cur, _) = caller(&req, &app, Need::Officer, true).await?;
    let NewDevelopment { id, until } = body.into_inner();
    let (login, until) = (id.login_id.clone(), last_day(&until, "until")?);
    let temporary = development::create(&app, &cur, id, until, &origin(&req, &app)).await?;
    Ok(HttpResponse::Created().json(DevelopmentCreated {
        login_id: login,
        temporary_password: temporary,
        valid_until: until,
    }))
}

#[derive(utoipa::ToSchema, Deserialize)]
pub struct Grant {
    account: String,
    role: String,
    #[serde(default)]
    reason: String,
}

/// An eligibility granted.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Granted {
    eligibility: String,
    account: String,
    role: String,
}

#[utoipa::path(request_body = Grant, responses((status = 201, description = "`eligibility`, `account`, `role`.", body = Granted), Failures), security(("session" = [], "csrf" = [])))]
#[post("/privileged/eligibility")]
pub(crate) async fn grant(
    req: HttpRequest,
    app: web::Data<App>,
    body: web::Json<Grant>,
) -> Result<HttpResponse, ApiError> {
    let (cur, _) = caller(&req, &app, Need::Full, true).await?;
    let id = eligibility::grant(&app, &cur, &body.account, &body.role, &body.reason, &origin(&req, &app)).await?;
    let Grant { account, role, .. } = body.into_inner();
    Ok(HttpResponse::Created().json(Granted { eligibility: id, account, role }))
}

/// An eligibility revoked, with the elevations it ended.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Revoked {
    eligibility: String,
    /// Always `true`.
    revoked: bool,
    elevations_ended: usize,
}

#[utoipa::path(responses((status = 200, description = "`eligibility`, `revoked`, `elevations_ended`.", body = Revoked), Failures), security(("session" = [], "csrf" = [])))]
#[post("/privileged/eligibility/{id}/revoke")]
pub(crate) async fn revoke(
    req: HttpRequest,
    app: web::Data<App>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (cur, officer) = caller(&req, &app, Need::Full, true).await?;
    let ended = eligibility::revoke(&app, &cur, &id, officer, &origin(&req, &app)).await?;
    Ok(HttpResponse::Ok().json(Revoked { eligibility: id.into_inner(), revoked: true, elevations_ended: ended }))
}

/// The caller's own elevations and those waiting for their decision.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Elevations {
    mine: Vec<Elevation>,
    to_decide: Vec<Elevation>,
}

#[utoipa::path(responses((status = 200, description = "`mine` and `to_decide`: elevations.", body = Elevations), Failures), security(("session" = [])))]
#[get("/privileged/elevations")]
pub(crate) async fn list(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let (cur, _) = caller(&req, &app, Need::Full, false).await?;
    let (mine, to_decide) = elevation::visible(&app, &cur).await?;
    Ok(HttpResponse::Ok().json(Elevations { mine, to_decide }))
}

#[utoipa::path(request_body = elevation::Request, responses((status = 201, description = "The elevation asked for.", body = Elevation), Failures), security(("session" = [], "csrf" = [])))]
#[post("/privileged/elevations")]
pub(crate) async fn ask(
    req: HttpRequest,
    app: web::Data<App>,
    body: web::Json<elevation::Request>,
) -> Result<HttpResponse, ApiError> {
    let (cur, _) = caller(&req, &app, Need::Full, true).await?;
    let el = elevation::request(&app, &cur, body.into_inner(), &origin(&req, &app)).await?;
    Ok(HttpResponse::Created().json(el))
}

async fn decide(
    req: HttpRequest,
    app: web::Data<App>,
    id: web::Path<String>,
    body: Option<web::Json<Note>>,
    yes: bool,
) -> Result<HttpResponse, ApiError> {
    let (cur, _) = caller(&req, &app, Need::Full, true).await?;
    let note = Note::text(body);
    Ok(HttpResponse::Ok().json(elevation::decide(&app, &cur, &id, yes, &note, &origin(&req, &app)).await?))
}

#[utoipa::path(request_body = Option<Note>, responses((status = 200, description = "The elevation.", body = Elevation), Failures), security(("session" = [], "csrf" = [])))]
#[post("/privileged/elevations/{id}/approve")]
pub(crate) async fn approve(
    req: HttpRequest,
    app: web::Data<App>,
    id: web::Path<String>,
    body: Option<web::Json<Note>>,
) -> Result<HttpResponse, ApiError> {
    decide(req, app, id, body, true).await
}

#[utoipa::path(request_body = Option<Note>, responses((status = 200, description = "The elevation.", body = Elevation), Failures), security(("session" = [], "csrf" = [])))]
#[post("/privileged/elevations/{id}/deny")]
pub(crate) async fn deny(
    req: HttpRequest,
    app: web::Data<App>,
    id: web::Path<String>,
    body: Option<web::Json<Note>>,
) -> Result<HttpResponse, ApiError> {
    decide(req, app, id, body, false).await
}

#[utoipa::path(request_body = Option<Note>, responses((status = 200, description = "The elevation, reviewed.", body = Elevation), Failures), security(("session" = [], "csrf" = [])))]
#[post("/privileged/elevations/{id}/review")]
pub(crate) async fn review(
    req: HttpRequest,
    app: web::Data<App>,
    id: web::Path<String>,
    body: Option<web::Json<Note>>,
) -> Result<HttpResponse, ApiError> {
    let (cur, _) = caller(&req, &app, Need::Full, true).await?;
    let note = Note::text(body);
    Ok(HttpResponse::Ok().json(elevation::review(&app, &cur, &id, &note, &origin(&req, &app)).await?))
}

#[utoipa::path(responses((status = 200, description = "The elevation, ended.", body = Elevation), Failures), security(("session" = [], "csrf" = [])))]
#[post("/privileged/elevations/{id}/end")]
pub(crate) async fn end(
    req: HttpRequest,
    app: web::Data<App>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (cur, officer) = caller(&req, &app, Need::Full, true).await?;
    Ok(HttpResponse::Ok().json(elevation::end(&app, &cur, &id, officer, &origin(&req, &app)).await?))
}

#[derive(utoipa::ToSchema, Deserialize)]
pub struct Nominate {
    principal: String,
    delegate: String,
    /// First and last day, `YYYY-MM-DD` (JST): from the start of the first to the end of the last.
    #[schema(format = Date, example = "2027-03-01")]
    from: String,
    #[schema(format = Date, example = "2027-03-31")]
    until: String,
    reason: String,
}

#[utoipa::path(request_body = Nominate, responses((status = 201, description = "The delegation nominated (代行者).", body = Delegation), Failures), security(("session" = [], "csrf" = [])))]
#[post("/privileged/delegations")]
pub(crate) async fn nominate(
    req: HttpRequest,
    app: web::Data<App>,
    body: web::Json<Nominate>,
) -> Result<HttpResponse, ApiError> {
    let (cur, _) = caller(&req, &app, Need::Full, true).await?;
    let (from, until) = (first_day(&body.from, "from")?, last_day(&body.until, "until")?);
    let n = delegation::Nominate {
        principal: body.principal.clone(),
        delegate: body.delegate.clone(),
        from,
        until,
        reason: body.reason.clone(),
    };
    Ok(HttpResponse::Created().json(delegation::nominate(&app, &cur, n, &origin(&req, &app)).await?))
}

#[utoipa::path(responses((status = 200, description = "The delegation.", body = Delegation), Failures), security(("session" = [], "csrf" = [])))]
#[post("/privileged/delegations/{id}/approve")]
pub(crate) async fn approve_delegate(
    req: HttpRequest,
    app: web::Data<App>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (cur, _) = caller(&req, &app, Need::Full, true).await?;
    Ok(HttpResponse::Ok().json(delegation::decide(&app, &cur, &id, true, &origin(&req, &app)).await?))
}

#[utoipa::path(responses((status = 200, description = "The delegation.", body = Delegation), Failures), security(("session" = [], "csrf" = [])))]
#[post("/privileged/delegations/{id}/refuse")]
pub(crate) async fn refuse_delegate(
    req: HttpRequest,
    app: web::Data<App>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (cur, _) = caller(&req, &app, Need::Full, true).await?;
    Ok(HttpResponse::Ok().json(delegation::decide(&app, &cur, &id, false, &origin(&req, &app)).await?))
}

#[utoipa::path(responses((status = 200, description = "The delegation, ended.", body = Delegation), Failures), security(("session" = [], "csrf" = [])))]
#[post("/privileged/delegations/{id}/end")]
pub(crate) async fn end_delegate(
    req: HttpRequest,
    app: web::Data<App>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (cur, _) = caller(&req, &app, Need::Full, true).await?;
    Ok(HttpResponse::Ok().json(delegation::end(&app, &cur, &id, &origin(&req, &app)).await?))
}

/// The privileged report, for officers and the auditor (R-RV-04, R-RV-09).
#[utoipa::path(responses((status = 200, description = "The privileged report (R-RV-04, R-RV-09).", body = crate::app::privileged::report::PrivilegedReport), Failures), security(("session" = [])))]
#[get("/privileged/report")]
pub(crate) async fn show_report(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let (_, reviewer) = crate::http::review::reviewer(&req, &app, false).await?;
    let report = reviewer.privileged_report(&app).await?;
    report.map(|r| HttpResponse::Ok().json(r)).ok_or_else(|| {
        ApiError::Forbidden(
            Words::new(
                "特権IDの報告を閲覧できるのはセキュリティ担当と監査人です",
                "the privileged report is for officers and auditors",
            )
            .coded("privileged_report_not_permitted"),
        )
    })
}
