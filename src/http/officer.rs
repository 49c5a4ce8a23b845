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
use crate::app::returns::Returns;
use crate::app::shared_ids::SharedIds;
use crate::app::signin::authz::{self, Denied, Need};
use crate::app::signin::session::Current;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::pages::{self, check_csrf, origin};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use tobira_domain::lifecycle::handback::ReturnStatus;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/officer")
            .route("/lockouts", web::get().to(lockouts))
            .route("/requests", web::get().to(requests))
            .route("/requests/{id}/{verdict}", web::post().to(decide_request))
            .route("/accounts/{login}/unlock", web::post().to(unlock))
            .route("/accounts/{login}/password-reset", web::post().to(reset))
            .route("/accounts/{login}/enrollment-link", web::post().to(enrollment_link))
            .route("/accounts/{login}/credentials", web::get().to(credentials))
            .route("/accounts/{login}/credentials/{id}/revoke", web::post().to(revoke))
            .route("/accounts/{login}/sessions/end", web::post().to(end_sessions))
            .route("/accounts/{login}/suspend", web::post().to(suspend))
            .route("/accounts/{login}/reinstate", web::post().to(reinstate))
            .route("/accounts/{login}/remote-access", web::post().to(remote_access))
            .route("/accounts/{login}/remote-access/revoke", web::post().to(remote_access_revoke))
            .route("/returns", web::get().to(returns))
            .route("/returns/{id}", web::post().to(record_return))
            .route("/shared-ids/{login}/users", web::get().to(shared_users))
            .route("/shared-ids/{login}/users", web::post().to(shared_add))
            .route("/shared-ids/{login}/users/{employee_number}/remove", web::post().to(shared_remove)),
    );
}

async fn officer(req: &HttpRequest, app: &App, mutating: bool) -> Result<Current, ApiError> {
    if mutating {
        check_csrf(req, None)?;
    }
    let cur = pages::current(req, app).await?;
    match authz::authorize(&app.policy, cur.as_ref(), Need::Officer, app.clock.now_ms()) {
        Ok(_) => Ok(cur.expect("authorized means signed in")),
        Err(Denied::SignIn) => Err(ApiError::Unauthorized("sign in first".into())),
        Err(d) => Err(ApiError::Forbidden(format!("a security officer's session with the required factors is needed: {d}"))),
    }
}

/// A full session of anyone: whether they may decide is the four-eyes rule's to say (the CISO
/// decides without being a security officer).
async fn signed_in(req: &HttpRequest, app: &App) -> Result<Current, ApiError> {
    check_csrf(req, None)?;
    let cur = pages::current(req, app).await?;
    match authz::authorize(&app.policy, cur.as_ref(), Need::Full, app.clock.now_ms()) {
        Ok(_) => Ok(cur.expect("authorized means signed in")),
        Err(Denied::SignIn) => Err(ApiError::Unauthorized("sign in first".into())),
        Err(d) => Err(ApiError::Forbidden(format!("a session with the required factors is needed: {d}"))),
    }
}

/// Officer actions on powerful accounts waiting for a second person (R-AC-02).
async fn requests(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    officer(&req, &app, false).await?;
    Ok(HttpResponse::Ok().json(json!({ "requests": four_eyes::open(&app).await? })))
}

/// `approve` (the action takes effect, its result is in the answer) or `refuse`.
async fn decide_request(req: HttpRequest, app: web::Data<App>, path: web::Path<(String, String)>) -> Result<HttpResponse, ApiError> {
    let cur = signed_in(&req, &app).await?;
    let approve = match path.1.as_str() {
        "approve" => true,
        "refuse" => false,
        _ => return Err(ApiError::BadRequest("approve or refuse".into())),
    };
    Ok(HttpResponse::Ok().json(four_eyes::decide(&app, &cur, &path.0, approve, &origin(&req, &app)).await?))
}

#[derive(Deserialize, Default)]
pub struct Reason {
    #[serde(default)]
    reason: String,
}

async fn lockouts(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    officer(&req, &app, false).await?;
    Ok(HttpResponse::Ok().json(json!({ "locked": ops::locked(&app).await? })))
}

async fn unlock(req: HttpRequest, app: web::Data<App>, login: web::Path<String>, body: Option<web::Json<Reason>>) -> Result<HttpResponse, ApiError> {
    let cur = officer(&req, &app, true).await?;
    let reason = body.map(|b| b.into_inner().reason).unwrap_or_default();
    let was_locked = ops::unlock(&app, &cur, &login, &reason, &origin(&req, &app)).await?;
    Ok(HttpResponse::Ok().json(json!({ "login_id": *login, "was_locked": was_locked })))
}

#[derive(Deserialize, Default)]
pub struct Reset {
    /// The staff member supervising a vendor's change of a privileged ID, where the policy allows that
    /// at all (R-PR-04): their employee number and a one-time code from their own authenticator.
    #[serde(default)]
    supervision: Option<crate::app::privileged::accounts::Supervision>,
    #[serde(default)]
    reason: String,
}

async fn reset(req: HttpRequest, app: web::Data<App>, login: web::Path<String>, body: Option<web::Json<Reset>>) -> Result<HttpResponse, ApiError> {
    let cur = officer(&req, &app, true).await?;
    let body = body.map(|b| b.into_inner()).unwrap_or_default();
    let temporary = ops::reset_password(&app, &cur, &login, body.supervision.as_ref(), &body.reason, &origin(&req, &app)).await?;
    Ok(HttpResponse::Ok().json(json!({ "login_id": *login, "temporary_password": temporary, "must_change_password": true })))
}

/// A new enrollment link (R-AU-06); the URL is in the answer once, for hand-over when the person
/// has no mail address.
async fn enrollment_link(req: HttpRequest, app: web::Data<App>, login: web::Path<String>, body: Option<web::Json<Reason>>) -> Result<HttpResponse, ApiError> {
    let cur = officer(&req, &app, true).await?;
    let reason = body.map(|b| b.into_inner().reason).unwrap_or_default();
    let r = ops::enrollment_link(&app, &cur, &login, &reason, &origin(&req, &app)).await?;
    Ok(HttpResponse::Ok().json(json!({ "login_id": *login, "url": r.url, "expires_at": r.expires_at, "mailed": r.mailed, "revoked_previous": r.revoked_previous })))
}

async fn credentials(req: HttpRequest, app: web::Data<App>, login: web::Path<String>) -> Result<HttpResponse, ApiError> {
    officer(&req, &app, false).await?;
    Ok(HttpResponse::Ok().json(json!({ "login_id": *login, "credentials": ops::credentials(&app, &login).await? })))
}

async fn revoke(req: HttpRequest, app: web::Data<App>, path: web::Path<(String, String)>, body: Option<web::Json<Reason>>) -> Result<HttpResponse, ApiError> {
    let cur = officer(&req, &app, true).await?;
    let reason = body.map(|b| b.into_inner().reason).filter(|r| !r.trim().is_empty()).unwrap_or_else(|| "reported_lost".into());
    let ended = ops::revoke_credential(&app, &cur, &path.0, &path.1, &reason, &origin(&req, &app)).await?;
    Ok(HttpResponse::Ok().json(json!({ "login_id": path.0, "credential": path.1, "sessions_ended": ended })))
}

async fn end_sessions(req: HttpRequest, app: web::Data<App>, login: web::Path<String>, body: Option<web::Json<Reason>>) -> Result<HttpResponse, ApiError> {
    let cur = officer(&req, &app, true).await?;
    let reason = body.map(|b| b.into_inner().reason).filter(|r| !r.trim().is_empty()).unwrap_or_else(|| "ended_by_officer".into());
    let ended = ops::end_sessions(&app, &cur, &login, &reason, &origin(&req, &app)).await?;
    Ok(HttpResponse::Ok().json(json!({ "login_id": *login, "sessions_ended": ended })))
}

async fn suspend(req: HttpRequest, app: web::Data<App>, login: web::Path<String>, body: web::Json<Reason>) -> Result<HttpResponse, ApiError> {
    let cur = officer(&req, &app, true).await?;
    let ended = ops::suspend(&app, &cur, &login, &body.reason, &origin(&req, &app)).await?;
    Ok(HttpResponse::Ok().json(json!({ "login_id": *login, "status": "suspended", "sessions_ended": ended })))
}

async fn reinstate(req: HttpRequest, app: web::Data<App>, login: web::Path<String>, body: Option<web::Json<Reason>>) -> Result<HttpResponse, ApiError> {
    let cur = officer(&req, &app, true).await?;
    let reason = body.map(|b| b.into_inner().reason).unwrap_or_default();
    ops::reinstate(&app, &cur, &login, &reason, &origin(&req, &app)).await?;
    Ok(HttpResponse::Ok().json(json!({ "login_id": *login, "status": "active" })))
}

#[derive(Deserialize)]
pub struct RemoteAccess {
    /// Employee number of the approver (the head of the person's section, or whom the policy names).
    approved_by: String,
    /// Last day of the grant, `YYYY-MM-DD` (JST): it ends at the end of that day.
    until: String,
    reason: String,
}

/// Records a telework / remote-access grant (R-ZN-11).
async fn remote_access(req: HttpRequest, app: web::Data<App>, login: web::Path<String>, body: web::Json<RemoteAccess>) -> Result<HttpResponse, ApiError> {
    let cur = officer(&req, &app, true).await?;
    let day = tobira_domain::hr::parse_date(&body.until, tobira_domain::policy::directory::DateFormat::Iso).ok_or_else(|| ApiError::BadRequest("until must be a date, YYYY-MM-DD".into()))?;
    let until = tobira_domain::time_util::end_of_jst_day(day);
    let id = crate::app::officer::remote_access::grant(&app, &cur, &login, &body.approved_by, until, &body.reason, &origin(&req, &app)).await?;
    Ok(HttpResponse::Ok().json(json!({ "login_id": *login, "grant": id, "valid_until": until })))
}

async fn remote_access_revoke(req: HttpRequest, app: web::Data<App>, login: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let cur = officer(&req, &app, true).await?;
    let n = crate::app::officer::remote_access::revoke(&app, &cur, &login, &origin(&req, &app)).await?;
    Ok(HttpResponse::Ok().json(json!({ "login_id": *login, "grants_revoked": n })))
}

#[derive(Deserialize, Default)]
pub struct ReturnsQuery {
    /// `due`, `returned`, `destroyed` or `lost`; every return when absent.
    #[serde(default)]
    status: Option<String>,
}

fn return_status(s: &str) -> Result<ReturnStatus, ApiError> {
    ReturnStatus::parse(s).ok_or_else(|| ApiError::BadRequest(format!("unknown status `{s}`: due, returned, destroyed or lost")))
}

/// Authenticators listed for return (R-LC-15).
async fn returns(req: HttpRequest, app: web::Data<App>, q: web::Query<ReturnsQuery>) -> Result<HttpResponse, ApiError> {
    officer(&req, &app, false).await?;
    let status = q.status.as_deref().map(return_status).transpose()?;
    let list = Returns(&app).list(status).await?;
    Ok(HttpResponse::Ok().json(json!({ "returns": list })))
}

#[derive(Deserialize)]
pub struct RecordReturn {
    /// `returned`, `destroyed` or `lost`.
    action: String,
    #[serde(default)]
    note: Option<String>,
}

/// Records a listed authenticator as returned, destroyed or lost (R-AU-12); its credential is revoked.
async fn record_return(req: HttpRequest, app: web::Data<App>, id: web::Path<String>, body: web::Json<RecordReturn>) -> Result<HttpResponse, ApiError> {
    let cur = officer(&req, &app, true).await?;
    let to = return_status(&body.action)?;
    let r = Returns(&app).record(id.into_inner(), to, body.into_inner().note, cur.account.login_id.clone(), origin(&req, &app)).await?;
    Ok(HttpResponse::Ok().json(r))
}

async fn shared_users(req: HttpRequest, app: web::Data<App>, login: web::Path<String>) -> Result<HttpResponse, ApiError> {
    officer(&req, &app, false).await?;
    let users = SharedIds(&app).list(login.clone()).await?;
    Ok(HttpResponse::Ok().json(json!({ "login_id": *login, "users": users })))
}

#[derive(Deserialize)]
pub struct SharedAdd {
    employee_number: String,
    /// Employee number of the 情報システム管理者 who permitted the use.
    permitted_by: String,
}

async fn shared_add(req: HttpRequest, app: web::Data<App>, login: web::Path<String>, body: web::Json<SharedAdd>) -> Result<HttpResponse, ApiError> {
    let cur = officer(&req, &app, true).await?;
    let b = body.into_inner();
    let en = b.employee_number.clone();
    SharedIds(&app).add(login.clone(), b.employee_number, b.permitted_by, cur.account.login_id.clone(), origin(&req, &app)).await?;
    Ok(HttpResponse::Ok().json(json!({ "login_id": *login, "added": en })))
}

async fn shared_remove(req: HttpRequest, app: web::Data<App>, path: web::Path<(String, String)>, body: Option<web::Json<Reason>>) -> Result<HttpResponse, ApiError> {
    let cur = officer(&req, &app, true).await?;
    let (login, en) = path.into_inner();
    let reason = body.map(|b| b.into_inner().reason).unwrap_or_default();
    SharedIds(&app).remove(login.clone(), en.clone(), reason, cur.account.login_id.clone(), origin(&req, &app)).await?;
    Ok(HttpResponse::Ok().json(json!({ "login_id": login, "removed": en })))
}
