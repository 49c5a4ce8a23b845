//! `POST /oauth/token`: client authentication, then the grant (one use case per grant).

use super::{basic_used, credentials, form, oauth_error, respond};
use crate::app::oidc;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::session::origin;
use actix_web::{web, HttpRequest, HttpResponse};

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
    let result = oidc::token::grant(&app, client, &f, &origin).await;
    match result {
        Ok(r) => Ok(HttpResponse::Ok().insert_header(("Pragma", "no-cache")).json(r)),
        Err(e) => respond(e, basic),
    }
}
