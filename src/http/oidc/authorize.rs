//! `/oauth/authorize` (and its resumption from the sign-in pages) and `/oauth/logout`.
//!
//! Leaving for a business system after a form: the sign-in pages keep `form-action 'self'` in their
//! CSP, and Chromium applies `form-action` to every redirect that follows a form submission, so a
//! 303 → 302 chain from a posted form to the relying party is blocked. The way out is a same-origin
//! step: a posted form goes to tobira's own `/oauth/authorize/resume` (or answers the logout
//! confirmation itself), which answers with a small page that moves on to the registered redirect
//! URI by `<meta http-equiv="refresh">` (no script), with a link for the rare browser that does not
//! follow it. That navigation is not a form submission, so no CSP widening is needed: the pages'
//! `form-action` stays `'self'` and names no relying party. A request straight from the business
//! system (no form in between) is answered with a plain 302 as before.

use crate::app::oidc::authorize::{self as az, Next};
use crate::app::oidc::logout::{self, LogoutNext, LogoutRequest};
use crate::app::App;
use crate::http::csrf::check_csrf;
use crate::http::error::ApiError;
use crate::http::pages::{cleared_session_cookie, lang, message_back, message_text, Ctx};
use crate::http::session::{current, origin};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use tobira_domain::oidc::authorize::{PageError, RawAuthorize};

fn found(to: &str) -> HttpResponse {
    HttpResponse::Found().insert_header((header::LOCATION, to)).finish()
}

#[derive(Template)]
#[template(path = "to_system.html")]
struct ToSystem<'a> {
    c: &'a Ctx,
    to: &'a str,
}

/// The same-origin step to a business system after a form (see the module's header).
fn to_system(req: &HttpRequest, app: &App, to: &str) -> Result<HttpResponse, ApiError> {
    let c = Ctx::new(req, app)?;
    c.render(req, &ToSystem { c: &c, to })
}

fn page(req: &HttpRequest, app: &App, e: PageError, back: Option<&str>) -> Result<HttpResponse, ApiError> {
    let t = lang(req);
    message_back(req, app, StatusCode::BAD_REQUEST, t.authorize_title, &t.page_error(e), back)
}

/// How a redirect to the business system is made: straight (`302`) for a request that came from
/// it, or through the same-origin step for one resumed after tobira's own forms.
#[derive(Clone, Copy)]
enum Leave {
    Straight,
    AfterForm,
}

fn respond(req: &HttpRequest, app: &App, next: Next, leave: Leave) -> Result<HttpResponse, ApiError> {
    Ok(match next {
        Next::Redirect(u) => match leave {
            Leave::Straight => found(&u),
            Leave::AfterForm => return to_system(req, app, &u),
        },
        Next::SignIn(h) => found(&format!("/signin?continue={h}")),
        Next::StepUp(h) => found(&format!("/signin/second?continue={h}")),
        Next::ChangePassword(h) => found(&format!("/account/password?continue={h}")),
        Next::Enrol(h) => found(&format!("/account/enrol?continue={h}")),
        Next::Onboarding(h) => found(&format!("/account/onboarding?continue={h}")),
        Next::Page(e) => return page(req, app, e, None),
        Next::Explain { why, back } => return page(req, app, why, Some(&back)),
    })
}

pub async fn authorize(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let Ok(raw) = web::Query::<RawAuthorize>::from_query(req.query_string()) else {
        return page(&req, &app, PageError::Unreadable, None);
    };
    let cur = current(&req, &app).await?;
    let next = az::start(&app, &raw, cur.as_ref(), &origin(&req, &app)).await?;
    respond(&req, &app, next, Leave::Straight)
}

#[derive(serde::Deserialize)]
pub struct ResumeQuery {
    h: String,
}

/// Reached only from tobira's own pages (after a posted form, or the passkey script's navigation).
pub async fn resume(
    req: HttpRequest,
    app: web::Data<App>,
    q: web::Query<ResumeQuery>,
) -> Result<HttpResponse, ApiError> {
    let cur = current(&req, &app).await?;
    let next = az::resume(&app, &q.h, cur.as_ref(), &origin(&req, &app)).await?;
    respond(&req, &app, next, Leave::AfterForm)
}

#[derive(Template)]
#[template(path = "logout.html")]
struct LogoutPage<'a> {
    c: &'a Ctx,
    /// The business system's request, carried through the confirmation unchanged (and checked again).
    request: &'a str,
}

fn logout_answer(req: &HttpRequest, app: &App, next: LogoutNext, leave: Leave) -> Result<HttpResponse, ApiError> {
    let t = lang(req);
    let mut res = match next {
        LogoutNext::Redirect(u) => match leave {
            Leave::Straight => found(&u),
            Leave::AfterForm => to_system(req, app, &u)?,
        },
        LogoutNext::Done => message_text(req, app, StatusCode::OK, t.sign_out, t.signed_out)?,
        LogoutNext::Confirm => {
            let c = Ctx::new(req, app)?;
            return c.render(req, &LogoutPage { c: &c, request: req.query_string() });
        }
        LogoutNext::Page(e) => return message_text(req, app, StatusCode::BAD_REQUEST, t.error_title, &t.page_error(e)),
    };
    res.add_removal_cookie(&cleared_session_cookie()).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(res)
}

pub async fn logout(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let Ok(q) = web::Query::<LogoutRequest>::from_query(req.query_string()) else {
        let t = lang(&req);
        return message_text(&req, &app, StatusCode::BAD_REQUEST, t.error_title, &t.page_error(PageError::Unreadable));
    };
    let cur = current(&req, &app).await?;
    let next = logout::end_session(&app, &q, cur.as_ref(), &origin(&req, &app)).await?;
    logout_answer(&req, &app, next, Leave::Straight)
}

#[derive(serde::Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    request: String,
}

/// The person confirmed a sign-out a business system asked for without proof of the session.
pub async fn logout_confirmed(
    req: HttpRequest,
    app: web::Data<App>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, ApiError> {
    check_csrf(&req, Some(&form.csrf))?;
    let Ok(q) = web::Query::<LogoutRequest>::from_query(&form.request) else {
        let t = lang(&req);
        return message_text(&req, &app, StatusCode::BAD_REQUEST, t.error_title, &t.page_error(PageError::Unreadable));
    };
    let cur = current(&req, &app).await?;
    let next = logout::confirmed(&app, &q, cur.as_ref(), &origin(&req, &app)).await?;
    logout_answer(&req, &app, next, Leave::AfterForm)
}
