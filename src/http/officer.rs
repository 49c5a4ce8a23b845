//! The security officer's API (JSON, same session cookie as the pages, CSRF token in the
//! `X-CSRF-Token` header): locked accounts and unlocking, password resets, enrollment links,
//! revoking a credential, ending sessions, suspending and reinstating (R-AU-06, R-AU-12, R-AU-19,
//! R-AC-03, R-AC-08); authenticators listed for return and their record (R-LC-15, R-AU-12); the
//! users of shared IDs (R-AU-08).
//!
//! Officer actions on officers, the CISO, auditors and privileged IDs answer 202 with a request
//! that a second person approves at `/api/officer/requests/{id}/approve` (R-AC-02).
//!
//! Invariant: every route goes through [`officer`], which asks the one authorization function for
//! `Need::Officer` (an ordinary session gets 403, none gets 401); deciding a request needs a full
//! session and the four-eyes rule's consent.

use crate::app::officer::{self as ops, four_eyes};
use crate::app::shared_ids::SharedIds;
use crate::app::signin::authz::{self, Need};
use crate::app::signin::session::Current;
use crate::app::words::Words;
use crate::app::App;
use crate::http::csrf::check_csrf;
use crate::http::error::{ApiError, Failures, Referred};
use crate::http::officer_bodies::*;
use crate::http::session::{self, origin};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tobira_domain::lifecycle::handback::ReturnStatus;

async fn officer(req: &HttpRequest, app: &App, mutating: bool) -> Result<Current, ApiError> {
    if mutating {
        check_csrf(req, None)?;
    }
    let cur = session::current(req, app).await?;
    match authz::authorize(&app.policy, cur, Need::Officer, app.clock.now_ms()) {
        Ok(authorized) => Ok(authorized.into_session()),
        Err(d) => Err(d.into()),
    }
}

/// A full session of anyone: whether they may decide is the four-eyes rule's to say (the CISO
/// decides without being a security officer).
async fn signed_in(req: &HttpRequest, app: &App) -> Result<Current, ApiError> {
    check_csrf(req, None)?;
    let cur = session::current(req, app).await?;
    match authz::authorize(&app.policy, cur, Need::Full, app.clock.now_ms()) {
        Ok(authorized) => Ok(authorized.into_session()),
        Err(d) => Err(d.into()),
    }
}

/// Officer actions on powerful accounts waiting for a second person (R-AC-02).
#[utoipa::path(responses((status = 200, description = "`requests`: officer actions waiting for a second person (R-AC-02).", body = OpenRequests), Failures), security(("session" = [])))]
#[get("/officer/requests")]
pub(crate) async fn requests(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    officer(&req, &app, false).await?;
    Ok(HttpResponse::Ok().json(OpenRequests { requests: four_eyes::open(&app).await? }))
}

/// `approve` (the action takes effect, its result is in the answer) or `refuse`.
#[utoipa::path(responses((status = 200, description = "The decided request; when approved, the action's result.", body = four_eyes::Decided), Failures), security(("session" = [], "csrf" = [])))]
#[post("/officer/requests/{id}/{verdict}")]
pub(crate) async fn decide_request(
    req: HttpRequest,
    app: web::Data<App>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let cur = signed_in(&req, &app).await?;
    let approve = match path.1.as_str() {
        "approve" => true,
        "refuse" => false,
        _ => {
            return Err(ApiError::BadRequest(
                Words::new("approve（承認）または refuse（却下）を指定してください", "approve or refuse")
                    .coded("unknown_decision"),
            ))
        }
    };
    Ok(HttpResponse::Ok().json(four_eyes::decide(&app, &cur, &path.0, approve, &origin(&req, &app)).await?))
}

#[derive(utoipa::ToSchema, Deserialize, Default)]
pub struct Reason {
    #[serde(default)]
    reason: String,
}

#[utoipa::path(responses((status = 200, description = "`locked`: the accounts locked now.", body = Locked), Failures), security(("session" = [])))]
#[get("/officer/lockouts")]
pub(crate) async fn lockouts(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    officer(&req, &app, false).await?;
    Ok(HttpResponse::Ok().json(Locked { locked: ops::locked(&app).await? }))
}

#[utoipa::path(request_body = Option<Reason>, responses((status = 200, description = "`login_id`, `was_locked`.", body = Unlocked), Failures, Referred), security(("session" = [], "csrf" = [])))]
#[post("/officer/accounts/{login}/unlock")]
pub(crate) async fn unlock(
    req: HttpRequest,
    app: web::Data<App>,
    login: web::Path<String>,
    body: Option<web::Json<Reason>>,
) -> Result<HttpResponse, ApiError> {
    let cur = officer(&req, &app, true).await?;
    let reason = body.map(|b| b.into_inner().reason).unwrap_or_default();
    let was_locked = ops::unlock(&app, &cur, &login, &reason, &origin(&req, &app)).await?;
    Ok(HttpResponse::Ok().json(Unlocked { login_id: login.into_inner(), was_locked }))
}

#[derive(utoipa::ToSchema, Deserialize, Default)]
pub struct Reset {
    /// The staff member supervising a vendor's change of a privileged ID, where the policy allows that
    /// at all (R-PR-04): their employee number and a one-time code from their own authenticator.
    #[serde(default)]
    supervision: Option<crate::app::privileged::accounts::Supervision>,
    #[serde(default)]
    reason: String,
}

#[utoipa::path(request_body = Option<Reset>, responses((status = 200, description = "`login_id`, `temporary_password` (shown once), `must_change_password`.", body = PasswordReset), Failures, Referred), security(("session" = [], "csrf" = [])))]
#[post("/officer/accounts/{login}/password-reset")]
pub(crate) async fn reset(
    req: HttpRequest,
    app: web::Data<App>,
    login: web::Path<String>,
    body: Option<web::Json<Reset>>,
) -> Result<HttpResponse, ApiError> {
    let cur = officer(&req, &app, true).await?;
    let body = body.map(|b| b.into_inner()).unwrap_or_default();
    let temporary =
        ops::reset_password(&app, &cur, &login, body.supervision.as_ref(), &body.reason, &origin(&req, &app)).await?;
    Ok(HttpResponse::Ok().json(PasswordReset {
        login_id: login.into_inner(),
        temporary_password: temporary,
        must_change_password: true,
    }))
}

/// A new enrollment link (R-AU-06); the URL is in the answer once, for hand-over when the person
/// has no mail address.
#[utoipa::path(request_body = Option<Reason>, responses((status = 200, description = "`login_id`, `url` (once), `expires_at`, `mailed`, `revoked_previous` (R-AU-06).", body = EnrollmentLink), Failures, Referred), security(("session" = [], "csrf" = [])))]
#[post("/officer/accounts/{login}/enrollment-link")]
pub(crate) async fn enrollment_link(
    req: HttpRequest,
    app: web::Data<App>,
    login: web::Path<String>,
    body: Option<web::Json<Reason>>,
) -> Result<HttpResponse, ApiError> {
    let cur = officer(&req, &app, true).await?;
    let reason = body.map(|b| b.into_inner().reason).unwrap_or_default();
    let r = ops::enrollment_link(&app, &cur, &login, &reason, &origin(&req, &app)).await?;
    Ok(HttpResponse::Ok().json(EnrollmentLink {
        login_id: login.into_inner(),
        url: r.url,
        expires_at: r.expires_at,
        mailed: r.mailed,
        revoked_previous: r.revoked_previous,
    }))
}

#[utoipa::path(responses((status = 200, description = "`login_id`, `credentials`: the account's factors.", body = Credentials), Failures), security(("session" = [])))]
#[get("/officer/accounts/{login}/credentials")]
pub(crate) async fn credentials(
    req: HttpRequest,
    app: web::Data<App>,
    login: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    officer(&req, &app, false).await?;
    Ok(HttpResponse::Ok()
        .json(Credentials { credentials: ops::credentials(&app, &login).await?, login_id: login.into_inner() }))
}

#[utoipa::path(request_body = Option<Reason>, responses((status = 200, description = "`login_id`, `credential`, `sessions_ended`.", body = CredentialRevoked), Failures, Referred), security(("session" = [], "csrf" = [])))]
#[post("/officer/accounts/{login}/credentials/{id}/revoke")]
pub(crate) async fn revoke(
    req: HttpRequest,
    app: web::Data<App>,
    path: web::Path<(String, String)>,
    body: Option<web::Json<Reason>>,
) -> Result<HttpResponse, ApiError> {
    let cur = officer(&req, &app, true).await?;
    let reason =
        body.map(|b| b.into_inner().reason).filter(|r| !r.trim().is_empty()).unwrap_or_else(|| "reported_lost".into());
    let ended = ops::revoke_credential(&app, &cur, &path.0, &path.1, &reason, &origin(&req, &app)).await?;
    Ok(HttpResponse::Ok().json(CredentialRevoked {
        login_id: path.0.clone(),
        credential: path.1.clone(),
        sessions_ended: ended,
    }))
}

#[utoipa::path(request_body = Option<Reason>, responses((status = 200, description = "`login_id`, `sessions_ended`.", body = SessionsEnded), Failures, Referred), security(("session" = [], "csrf" = [])))]
#[post("/officer/accounts/{login}/sessions/end")]
pub(crate) async fn end_sessions(
    req: HttpRequest,
    app: web::Data<App>,
    login: web::Path<String>,
    body: Option<web::Json<Reason>>,
) -> Result<HttpResponse, ApiError> {
    let cur = officer(&req, &app, true).await?;
    let reason = body
        .map(|b| b.into_inner().reason)
        .filter(|r| !r.trim().is_empty())
        .unwrap_or_else(|| "ended_by_officer".into());
    let ended = ops::end_sessions(&app, &cur, &login, &reason, &origin(&req, &app)).await?;
    Ok(HttpResponse::Ok().json(SessionsEnded { login_id: login.into_inner(), sessions_ended: ended }))
}

#[utoipa::path(request_body = Reason, responses((status = 200, description = "`login_id`, `status` (`suspended`), `sessions_ended`.", body = Suspended), Failures, Referred), security(("session" = [], "csrf" = [])))]
#[post("/officer/accounts/{login}/suspend")]
pub(crate) async fn suspend(
    req: HttpRequest,
    app: web::Data<App>,
    login: web::Path<String>,
    body: web::Json<Reason>,
) -> Result<HttpResponse, ApiError> {
    let cur = officer(&req, &app, true).await?;
    let ended = ops::suspend(&app, &cur, &login, &body.reason, &origin(&req, &app)).await?;
    Ok(HttpResponse::Ok().json(Suspended { login_id: login.into_inner(), status: "suspended", sessions_ended: ended }))
}

#[utoipa::path(request_body = Option<Reason>, responses((status = 200, description = "`login_id`, `status` (`active`).", body = Reinstated), Failures, Referred), security(("session" = [], "csrf" = [])))]
#[post("/officer/accounts/{login}/reinstate")]
pub(crate) async fn reinstate(
    req: HttpRequest,
    app: web::Data<App>,
    login: web::Path<String>,
    body: Option<web::Json<Reason>>,
) -> Result<HttpResponse, ApiError> {
    let cur = officer(&req, &app, true).await?;
    let reason = body.map(|b| b.into_inner().reason).unwrap_or_default();
    ops::reinstate(&app, &cur, &login, &reason, &origin(&req, &app)).await?;
    Ok(HttpResponse::Ok().json(Reinstated { login_id: login.into_inner(), status: "active" }))
}

#[derive(utoipa::ToSchema, Deserialize)]
pub struct RemoteAccess {
    /// Employee number of the approver (the head of the person's section, or whom the policy names).
    approved_by: String,
    /// Last day of the grant, `YYYY-MM-DD` (JST): it ends at the end of that day.
    #[schema(format = Date, example = "2027-03-31")]
    until: String,
    reason: String,
}

/// Records a telework / remote-access grant (R-ZN-11).
#[utoipa::path(request_body = RemoteAccess, responses((status = 200, description = "`login_id`, `grant`, `valid_until` (R-ZN-11).", body = RemoteAccessGranted), Failures, Referred), security(("session" = [], "csrf" = [])))]
#[post("/officer/accounts/{login}/remote-access")]
pub(crate) async fn remote_access(
    req: HttpRequest,
    app: web::Data<App>,
    login: web::Path<String>,
    body: web::Json<RemoteAccess>,
) -> Result<HttpResponse, ApiError> {
    let cur = officer(&req, &app, true).await?;
    let until = crate::app::dates::last_day(&body.until, "until")?;
    let id = crate::app::officer::remote_access::grant(
        &app,
        &cur,
        &login,
        &body.approved_by,
        until,
        &body.reason,
        &origin(&req, &app),
    )
    .await?;
    Ok(HttpResponse::Ok().json(RemoteAccessGranted { login_id: login.into_inner(), grant: id, valid_until: until }))
}

#[utoipa::path(responses((status = 200, description = "`login_id`, `grants_revoked`.", body = RemoteAccessRevoked), Failures, Referred), security(("session" = [], "csrf" = [])))]
#[post("/officer/accounts/{login}/remote-access/revoke")]
pub(crate) async fn remote_access_revoke(
    req: HttpRequest,
    app: web::Data<App>,
    login: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let cur = officer(&req, &app, true).await?;
    let n = crate::app::officer::remote_access::revoke(&app, &cur, &login, &origin(&req, &app)).await?;
    Ok(HttpResponse::Ok().json(RemoteAccessRevoked { login_id: login.into_inner(), grants_revoked: n }))
}

#[derive(utoipa::IntoParams, Deserialize, Default)]
pub struct ReturnsQuery {
    /// `due`, `returned`, `destroyed` or `lost`; every return when absent.
    #[serde(default)]
    status: Option<String>,
}

fn return_status(s: &str) -> Result<ReturnStatus, ApiError> {
    ReturnStatus::parse(s).ok_or_else(|| {
        ApiError::BadRequest(
            Words::new(
                format!("不明な状態 `{s}` です。due、returned、destroyed、lost のいずれかを指定してください"),
                format!("unknown status `{s}`: due, returned, destroyed or lost"),
            )
            .coded("unknown_return_status"),
        )
    })
}

/// Authenticators listed for return (R-LC-15).
#[utoipa::path(responses((status = 200, description = "`returns`: authenticators listed for return (R-LC-15).", body = Returns), Failures), security(("session" = [])))]
#[get("/officer/returns")]
pub(crate) async fn returns(
    req: HttpRequest,
    app: web::Data<App>,
    q: web::Query<ReturnsQuery>,
) -> Result<HttpResponse, ApiError> {
    officer(&req, &app, false).await?;
    let status = q.status.as_deref().map(return_status).transpose()?;
    let list = crate::app::returns::Returns(&app).list(status).await?;
    Ok(HttpResponse::Ok().json(Returns { returns: list }))
}

#[derive(utoipa::ToSchema, Deserialize)]
pub struct RecordReturn {
    /// `returned`, `destroyed` or `lost`.
    #[schema(pattern = "^(returned|destroyed|lost)$", example = "returned")]
    action: String,
    #[serde(default)]
    note: Option<String>,
}

/// Records a listed authenticator as returned, destroyed or lost (R-AU-12); its credential is revoked.
#[utoipa::path(request_body = RecordReturn, responses((status = 200, description = "The recorded return; its credential is revoked (R-AU-12).", body = crate::app::returns::Recorded), Failures), security(("session" = [], "csrf" = [])))]
#[post("/officer/returns/{id}")]
pub(crate) async fn record_return(
    req: HttpRequest,
    app: web::Data<App>,
    id: web::Path<String>,
    body: web::Json<RecordReturn>,
) -> Result<HttpResponse, ApiError> {
    let cur = officer(&req, &app, true).await?;
    let to = return_status(&body.action)?;
    let r = crate::app::returns::Returns(&app)
        .record(id.into_inner(), to, body.into_inner().note, cur.account.login_id.clone(), origin(&req, &app))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

#[utoipa::path(responses((status = 200, description = "`login_id`, `users`: the people who use the shared ID (R-AU-08).", body = SharedUsers), Failures), security(("session" = [])))]
#[get("/officer/shared-ids/{login}/users")]
pub(crate) async fn shared_users(
    req: HttpRequest,
    app: web::Data<App>,
    login: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    officer(&req, &app, false).await?;
    let users = SharedIds(&app).list(login.clone()).await?;
    Ok(HttpResponse::Ok().json(SharedUsers { login_id: login.into_inner(), users }))
}

#[derive(utoipa::ToSchema, Deserialize)]
pub struct SharedAdd {
    employee_number: String,
    /// Employee number of the 情報システム管理者 who permitted the use.
    permitted_by: String,
}

#[utoipa::path(request_body = SharedAdd, responses((status = 200, description = "`login_id`, `added`.", body = SharedAdded), Failures), security(("session" = [], "csrf" = [])))]
#[post("/officer/shared-ids/{login}/users")]
pub(crate) async fn shared_add(
    req: HttpRequest,
    app: web::Data<App>,
    login: web::Path<String>,
    body: web::Json<SharedAdd>,
) -> Result<HttpResponse, ApiError> {
    let cur = officer(&req, &app, true).await?;
    let b = body.into_inner();
    let en = b.employee_number.clone();
    SharedIds(&app)
        .add(login.clone(), b.employee_number, b.permitted_by, cur.account.login_id.clone(), origin(&req, &app))
        .await?;
    Ok(HttpResponse::Ok().json(SharedAdded { login_id: login.into_inner(), added: en }))
}

#[utoipa::path(request_body = Option<Reason>, responses((status = 200, description = "`login_id`, `removed`.", body = SharedRemoved), Failures), security(("session" = [], "csrf" = [])))]
#[post("/officer/shared-ids/{login}/users/{employee_number}/remove")]
pub(crate) async fn shared_remove(
    req: HttpRequest,
    app: web::Data<App>,
    path: web::Path<(String, String)>,
    body: Option<web::Json<Reason>>,
) -> Result<HttpResponse, ApiError> {
    let cur = officer(&req, &app, true).await?;
    let (login, en) = path.into_inner();
    let reason = body.map(|b| b.into_inner().reason).unwrap_or_default();
    SharedIds(&app).remove(login.clone(), en.clone(), reason, cur.account.login_id.clone(), origin(&req, &app)).await?;
    Ok(HttpResponse::Ok().json(SharedRemoved { login_id: login, removed: en }))
}
