//! UserInfo (bearer token), introspection (RFC 7662) and revocation (RFC 7009).

use super::{basic_used, credentials, form, oauth_error, respond};
use crate::app::oidc::{self, introspect as inspect, revoke as rev, userinfo as info};
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::session::origin;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use tobira_domain::oidc::{ErrorCode, OAuthError};

fn bearer_error(description: &str) -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((
            header::WWW_AUTHENTICATE,
            format!("Bearer error=\"invalid_token\", error_description=\"{description}\""),
        ))
        .json(serde_json::json!({ "error": "invalid_token", "error_description": description }))
}

pub async fn userinfo(req: HttpRequest, app: web::Data<App>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let from_header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let from_body = form(&body).ok().and_then(|f| f.get("access_token").cloned());
    let Some(token) = from_header.or(from_body) else {
        return Ok(HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"tobira\""))
            .finish());
    };
    match info::userinfo(&app, token.trim()).await {
        Ok(Ok(claims)) => Ok(HttpResponse::Ok().json(claims)),
        Ok(Err(_)) => Ok(bearer_error("the access token is not valid")),
        Err(e) => respond(e, false),
    }
}

/// Authenticates the calling system; its client id and the `token` parameter, or the response
/// that refuses the call.
async fn authed(req: &HttpRequest, app: &App, body: &[u8]) -> Result<Result<(String, String), HttpResponse>, ApiError> {
    let basic = basic_used(req);
    let fm = match form(body) {
        Ok(f) => f,
        Err(e) => return Ok(Err(oauth_error(&e, basic))),
    };
    let creds = match credentials(req, &fm) {
        Ok(c) => c,
        Err(e) => return Ok(Err(oauth_error(&e, basic))),
    };
    let client = match oidc::authenticate(app, &creds, &origin(req, app)).await {
        Ok(c) => c.id.get_ref().clone(),
        Err(e) => return respond(e, basic).map(Err),
    };
    match fm.get("token") {
        Some(t) => Ok(Ok((client, t.clone()))),
        None => Ok(Err(oauth_error(&OAuthError::new(ErrorCode::InvalidRequest, "token is required"), basic))),
    }
}

pub async fn introspect(req: HttpRequest, app: web::Data<App>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let (id, token) = match authed(&req, &app, &body).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let client = app.policy.client(&id).ok_or(ApiError::NotFound)?;
    match inspect::introspect(&app, client, &token).await {
        Ok(v) => Ok(HttpResponse::Ok().json(v)),
        Err(e) => respond(e, basic_used(&req)),
    }
}

pub async fn revoke(req: HttpRequest, app: web::Data<App>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let (id, token) = match authed(&req, &app, &body).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let client = app.policy.client(&id).ok_or(ApiError::NotFound)?;
    match rev::revoke(&app, client, &token, &origin(&req, &app)).await {
        Ok(()) => Ok(HttpResponse::Ok().finish()),
        Err(e) => respond(e, basic_used(&req)),
    }
}
