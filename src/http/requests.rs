//! The access-request API (JSON, session cookie, CSRF token in `X-CSRF-Token`, R-LC-02, R-AC-02):
//! `GET /api/requests` (what one may ask for, one's own requests, the queue waiting for one's
//! decision), `POST /api/requests` (ask), `POST /api/requests/{id}/approve|refuse` (decide the next
//! step, with a note) and `POST /api/requests/{id}/withdraw`.
//!
//! Invariant: the same application functions as the pages (`app::requests`); the caller is signed in
//! through [`crate::http::privileged::caller`], the one authorization check of the JSON APIs.

use crate::app::requests::{self, decide, view, NewRequest};
use crate::app::signin::authz::Need;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::pages::origin;
use crate::http::privileged::caller;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/requests")
            .route("", web::get().to(list))
            .route("", web::post().to(ask))
            .route("/{id}/approve", web::post().to(approve))
            .route("/{id}/refuse", web::post().to(refuse))
            .route("/{id}/withdraw", web::post().to(withdraw)),
    );
}

async fn list(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let (cur, _) = caller(&req, &app, Need::Full, false).await?;
    Ok(HttpResponse::Ok().json(view::console(&app, &cur).await?))
}

async fn ask(req: HttpRequest, app: web::Data<App>, body: web::Json<NewRequest>) -> Result<HttpResponse, ApiError> {
    let (cur, _) = caller(&req, &app, Need::Full, true).await?;
    let made = requests::ask(&app, &cur, body.into_inner(), &origin(&req, &app)).await?;
    Ok(HttpResponse::Created().json(made))
}

#[derive(Deserialize, Default)]
pub struct Note {
    #[serde(default)]
    note: String,
}

async fn approve(req: HttpRequest, app: web::Data<App>, id: web::Path<String>, body: Option<web::Json<Note>>) -> Result<HttpResponse, ApiError> {
    decide_with(req, app, id, body, true).await
}

async fn refuse(req: HttpRequest, app: web::Data<App>, id: web::Path<String>, body: Option<web::Json<Note>>) -> Result<HttpResponse, ApiError> {
    decide_with(req, app, id, body, false).await
}

async fn decide_with(req: HttpRequest, app: web::Data<App>, id: web::Path<String>, body: Option<web::Json<Note>>, yes: bool) -> Result<HttpResponse, ApiError> {
    let (cur, _) = caller(&req, &app, Need::Full, true).await?;
    let note = body.map(|b| b.into_inner().note).unwrap_or_default();
    let r = decide::decide(&app, &cur, &id, yes, &note, &origin(&req, &app)).await?;
    Ok(HttpResponse::Ok().json(r))
}

async fn withdraw(req: HttpRequest, app: web::Data<App>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let (cur, _) = caller(&req, &app, Need::Full, true).await?;
    Ok(HttpResponse::Ok().json(requests::withdraw(&app, &cur, &id, &origin(&req, &app)).await?))
}
