//! The access-request API (JSON, session cookie, CSRF token in `X-CSRF-Token`, R-LC-02, R-AC-02):
//! `GET /api/requests` (what one may ask for, one's own requests, the queue waiting for one's
//! decision), `POST /api/requests` (ask), `POST /api/requests/{id}/approve|refuse` (decide the next
//! step, with a note) and `POST /api/requests/{id}/withdraw`.
//!
//! Invariant: the same application functions as the pages (`app::requests`); the caller is signed in
//! through [`crate::http::caller::caller`], the one authorization check of the JSON APIs.

use crate::app::requests::AccessRequest;
use crate::app::requests::{self, decide, view, NewRequest};
use crate::app::signin::authz::Need;
use crate::app::App;
use crate::http::bodies::Note;
use crate::http::caller::caller;
use crate::http::error::{ApiError, Failures};
use crate::http::session::origin;
use actix_web::{get, post, web, HttpRequest, HttpResponse};

#[utoipa::path(responses((status = 200, description = "What one may ask for, one's own requests and the queue waiting for one's decision.", body = view::Console), Failures), security(("session" = [])))]
#[get("/requests")]
pub(crate) async fn list(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let (cur, _) = caller(&req, &app, Need::Full, false).await?;
    Ok(HttpResponse::Ok().json(view::console(&app, &cur).await?))
}

#[utoipa::path(request_body = NewRequest, responses((status = 201, description = "The request made (R-LC-02).", body = AccessRequest), Failures), security(("session" = [], "csrf" = [])))]
#[post("/requests")]
pub(crate) async fn ask(
    req: HttpRequest,
    app: web::Data<App>,
    body: web::Json<NewRequest>,
) -> Result<HttpResponse, ApiError> {
    let (cur, _) = caller(&req, &app, Need::Full, true).await?;
    let made = requests::ask(&app, &cur, body.into_inner(), &origin(&req, &app)).await?;
    Ok(HttpResponse::Created().json(made))
}

#[utoipa::path(request_body = Option<Note>, responses((status = 200, description = "The request after the decision.", body = AccessRequest), Failures), security(("session" = [], "csrf" = [])))]
#[post("/requests/{id}/approve")]
pub(crate) async fn approve(
    req: HttpRequest,
    app: web::Data<App>,
    id: web::Path<String>,
    body: Option<web::Json<Note>>,
) -> Result<HttpResponse, ApiError> {
    decide_with(req, app, id, body, true).await
}

#[utoipa::path(request_body = Option<Note>, responses((status = 200, description = "The request after the decision.", body = AccessRequest), Failures), security(("session" = [], "csrf" = [])))]
#[post("/requests/{id}/refuse")]
pub(crate) async fn refuse(
    req: HttpRequest,
    app: web::Data<App>,
    id: web::Path<String>,
    body: Option<web::Json<Note>>,
) -> Result<HttpResponse, ApiError> {
    decide_with(req, app, id, body, false).await
}

async fn decide_with(
    req: HttpRequest,
    app: web::Data<App>,
    id: web::Path<String>,
    body: Option<web::Json<Note>>,
    yes: bool,
) -> Result<HttpResponse, ApiError> {
    let (cur, _) = caller(&req, &app, Need::Full, true).await?;
    let note = Note::text(body);
    let r = decide::decide(&app, &cur, &id, yes, &note, &origin(&req, &app)).await?;
    Ok(HttpResponse::Ok().json(r))
}

#[utoipa::path(responses((status = 200, description = "The request, withdrawn.", body = AccessRequest), Failures), security(("session" = [], "csrf" = [])))]
#[post("/requests/{id}/withdraw")]
pub(crate) async fn withdraw(
    req: HttpRequest,
    app: web::Data<App>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (cur, _) = caller(&req, &app, Need::Full, true).await?;
    Ok(HttpResponse::Ok().json(requests::withdraw(&app, &cur, &id, &origin(&req, &app)).await?))
}
