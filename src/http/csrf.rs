//! CSRF tokens (issue 18): before sign-in the token is a random nonce kept in the `__Host-` CSRF
//! cookie (double submit); once the browser holds a session cookie the token is the MAC of that
//! session's id under a key derived from the master key, so a token learnt or planted before the
//! sign-in is worth nothing after it, and no other session's token works.
//!
//! Invariant: pages render and POSTs are checked against the same [`expected`] token; a response that
//! sets a new session cookie also sets the CSRF cookie bound to it ([`bind_new_session`]).

use crate::app::signin::token_digest;
use crate::app::words::Words;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::session::{CSRF_COOKIE, SESSION_COOKIE};
use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest};

const PURPOSE: &str = "csrf-session";

/// The token bound to the session whose cookie value is `session_token`.
pub fn for_session(app: &App, session_token: &str) -> String {
    app.master_key.mac(PURPOSE, token_digest(session_token).as_bytes())
}

/// The token a POST of this request must carry: bound to its session, or the pre-session nonce.
pub fn expected(req: &HttpRequest) -> Option<String> {
    let app = req.app_data::<web::Data<App>>()?;
    match req.cookie(SESSION_COOKIE).filter(|c| !c.value().is_empty()) {
        Some(s) => Some(for_session(app, s.value())),
        None => req.cookie(CSRF_COOKIE).map(|c| c.value().to_string()).filter(|v| v.len() >= 32),
    }
}

/// The CSRF cookie holding `token` (HttpOnly: pages carry the token in their forms and meta tag).
pub fn cookie(token: String) -> Cookie<'static> {
    Cookie::build(CSRF_COOKIE, token).path("/").http_only(true).secure(true).same_site(SameSite::Strict).finish()
}

/// Sets the CSRF cookie bound to a session cookie the response sets (a sign-in).
pub async fn bind_new_session<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let app = req.app_data::<web::Data<App>>().cloned();
    let mut res = next.call(req).await?;
    let new_session = res
        .response()
        .cookies()
        .find(|c| c.name() == SESSION_COOKIE && !c.value().is_empty())
        .map(|c| c.value().to_string());
    if let (Some(token), Some(app)) = (new_session, app) {
        res.response_mut().add_cookie(&cookie(for_session(&app, &token)))?;
    }
    Ok(res)
}

/// Whether `submitted` is this request's CSRF token: the one bound to its session, or before
/// sign-in the CSRF cookie's nonce (constant-time comparison).
pub fn csrf_ok(req: &HttpRequest, submitted: &str) -> bool {
    let Some(expected) = expected(req) else { return false };
    tobira_domain::time_util::constant_time_eq(expected.as_bytes(), submitted.as_bytes())
}

/// Refuses a POST without the right CSRF token (from the form field or the `X-CSRF-Token` header).
pub fn check_csrf(req: &HttpRequest, form_token: Option<&str>) -> Result<(), ApiError> {
    let header = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok());
    if form_token.or(header).is_some_and(|t| csrf_ok(req, t)) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(Words::new(
            "フォームの有効期限が切れたか、このサイトから送信されたものではありません（CSRF）。ページを再読み込みしてください",
            "the form has expired or did not come from this site (CSRF); reload the page",
        ).coded("csrf")))
    }
}
