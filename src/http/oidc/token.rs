//! `POST /oauth/token`: client authentication, then the grant (one use case per grant).

use super::{basic_used, credentials, form, oauth_error, respond};
use crate::app::oidc::{self, client_credentials, code, refresh};
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::pages::origin;
use actix_web::{web, HttpRequest, HttpResponse};
use tobira_domain::oidc::{ErrorCode, OAuthError};

pub async fn token(req: HttpRequest, app: web::Data<App>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let basic = basic_used(&req);
    let f = match form(&body) {
        Ok(f) => f,
        Err(e) => return Ok(oauth_error(&e, basic)),
    };
    let creds = match credentials(&req, &f) {
        Ok(c) => c,
        Err(e) => return Ok(oauth_error(&e, basic)),
    };
    let origin = origin(&req, &app);
    let client = match oidc::authenticate(&app, &creds, &origin).await {
        Ok(c) => c,
        Err(e) => return respond(e, basic),
    };
    let get = |k: &str| f.get(k).map(String::as_str);
    let result = match get("grant_type") {
        Some("authorization_code") => match get("code") {
            Some(c) => code::exchange(&app, client, code::CodeRequest { code: c.to_string(), redirect_uri: get("redirect_uri").map(String::from), code_verifier: get("code_verifier").map(String::from) }, &origin).await,
            None => Err(OAuthError::new(ErrorCode::InvalidRequest, "code is required").into()),
        },
        Some("refresh_token") => match get("refresh_token") {
            Some(t) => refresh::exchange(&app, client, t, get("scope"), &origin).await,
            None => Err(OAuthError::new(ErrorCode::InvalidRequest, "refresh_token is required").into()),
        },
        Some("client_credentials") => client_credentials::issue(&app, client, get("scope"), &origin).await,
        Some(_) => Err(OAuthError::new(ErrorCode::UnsupportedGrantType, "grant_type is not supported").into()),
        None => Err(OAuthError::new(ErrorCode::InvalidRequest, "grant_type is required").into()),
    };
    match result {
        Ok(r) => Ok(HttpResponse::Ok().insert_header(("Pragma", "no-cache")).json(r)),
        Err(e) => respond(e, basic),
    }
}
