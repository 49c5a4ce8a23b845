//! `/oauth/authorize` (and its resumption from the sign-in pages) and `/oauth/logout`.

use crate::app::oidc::authorize::{self as az, Next};
use crate::app::oidc::logout::{self, LogoutNext, LogoutRequest};
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::pages::{cleared_session_cookie, current, message_text, origin, Ctx};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use tobira_domain::oidc::authorize::RawAuthorize;

fn found(to: &str) -> HttpResponse {
    HttpResponse::Found().insert_header((header::LOCATION, to)).finish()
}

fn respond(req: &HttpRequest, app: &App, next: Next) -> Result<HttpResponse, ApiError> {
    Ok(match next {
        Next::Redirect(u) => found(&u),
        Next::SignIn(h) => found(&format!("/signin?continue={h}")),
        Next::StepUp(h) => found(&format!("/signin/second?continue={h}")),
        Next::ChangePassword(h) => found(&format!("/account/password?continue={h}")),
        Next::Page(m) => {
            let t = crate::http::pages::lang(req);
            return message_text(req, app, StatusCode::BAD_REQUEST, t.authorize_title, &m);
        }
    })
}

pub async fn authorize(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let Ok(raw) = web::Query::<RawAuthorize>::from_query(req.query_string()) else {
        let t = crate::http::pages::lang(&req);
        return message_text(&req, &app, StatusCode::BAD_REQUEST, t.authorize_title, "the request's parameters cannot be read");
    };
    let cur = current(&req, &app).await?;
    let next = az::start(&app, &raw, cur.as_ref(), &origin(&req, &app)).await?;
    respond(&req, &app, next)
}

#[derive(serde::Deserialize)]
pub struct ResumeQuery {
    h: String,
}

pub async fn resume(req: HttpRequest, app: web::Data<App>, q: web::Query<ResumeQuery>) -> Result<HttpResponse, ApiError> {
    let cur = current(&req, &app).await?;
    let next = az::resume(&app, &q.h, cur.as_ref(), &origin(&req, &app)).await?;
    respond(&req, &app, next)
}

#[derive(Template)]
#[template(path = "logout.html")]
struct LogoutPage<'a> {
    c: &'a Ctx,
}

pub async fn logout(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let t = crate::http::pages::lang(&req);
    let Ok(q) = web::Query::<LogoutRequest>::from_query(req.query_string()) else {
        return message_text(&req, &app, StatusCode::BAD_REQUEST, t.error_title, "the request's parameters cannot be read");
    };
    let cur = current(&req, &app).await?;
    match logout::end_session(&app, &q, cur.as_ref(), &origin(&req, &app)).await? {
        LogoutNext::Redirect(u) => Ok(HttpResponse::Found().cookie(cleared_session_cookie()).insert_header((header::LOCATION, u)).finish()),
        LogoutNext::Done => {
            let mut res = message_text(&req, &app, StatusCode::OK, t.sign_out, t.signed_out)?;
            res.add_removal_cookie(&cleared_session_cookie()).map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok(res)
        }
        LogoutNext::Confirm => {
            let c = Ctx::new(&req, &app)?;
            c.render(&req, &LogoutPage { c: &c })
        }
        LogoutNext::Page(m) => message_text(&req, &app, StatusCode::BAD_REQUEST, t.error_title, &m),
    }
}
