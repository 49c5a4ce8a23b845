//! `/signin` (password or passkey, with the policy's banner, R-AU-11), `/signin/second` (step two
//! and step-up: TOTP or a key) and `/signout`.

use super::{
    ceremony_error, check_csrf, guard, origin, redirect, session_cookie, signin_message, Answer, CsrfForm, Ctx,
};
use crate::app::signin::authz::Need;
use crate::app::signin::{factors, passkey, password};
use crate::app::App;
use crate::http::error::ApiError;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use serde_json::json;
use webauthn_rs::prelude::PublicKeyCredential;

#[derive(Template)]
#[template(path = "signin.html")]
struct SigninPage<'a> {
    c: &'a Ctx,
    cont: &'a str,
    banner: &'a str,
    error: Option<String>,
    /// After an enrollment link set the password (R-AU-06).
    enrolled: bool,
}

fn render_signin(
    req: &HttpRequest,
    app: &App,
    error: Option<String>,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, ApiError> {
    let c = Ctx::new(req, app)?;
    let banner = if c.t.lang == "ja" { &app.policy.signin.banner } else { &app.policy.signin.banner_en };
    let cont = super::continuation(req);
    let enrolled = req.query_string().split('&').any(|kv| kv == "enrolled=1");
    let mut res = c.render(req, &SigninPage { c: &c, cont: &cont.query, banner, error, enrolled })?;
    *res.status_mut() = status;
    Ok(res)
}

pub async fn page(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    render_signin(&req, &app, None, actix_web::http::StatusCode::OK)
}

#[derive(Deserialize)]
pub struct SigninForm {
    #[serde(default)]
    csrf: String,
    login_id: String,
    password: String,
}

pub async fn submit(
    req: HttpRequest,
    app: web::Data<App>,
    form: web::Form<SigninForm>,
) -> Result<HttpResponse, ApiError> {
    check_csrf(&req, Some(&form.csrf))?;
    match password::sign_in(&app, &form.login_id, &form.password, &origin(&req, &app)).await {
        Ok(token) => Ok(HttpResponse::SeeOther()
            .cookie(session_cookie(token))
            .insert_header(("Location", super::continuation(&req).or("/account")))
            .finish()),
        Err(e) => {
            let status = crate::http::error::signin_status(&e);
            let message = signin_message(super::lang(&req), e)?;
            render_signin(&req, &app, Some(message), status)
        }
    }
}

pub async fn passkey_options(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    check_csrf(&req, None)?;
    let (handle, options) = passkey::start(&app).await?;
    Ok(HttpResponse::Ok().json(json!({ "handle": handle, "options": options })))
}

pub async fn passkey_finish(
    req: HttpRequest,
    app: web::Data<App>,
    body: web::Json<Answer<PublicKeyCredential>>,
) -> Result<HttpResponse, ApiError> {
    check_csrf(&req, None)?;
    match passkey::finish(&app, &body.handle, &body.credential, &origin(&req, &app)).await {
        Ok(token) => Ok(HttpResponse::Ok()
            .cookie(session_cookie(token))
            .json(json!({ "next": super::continuation(&req).or("/account") }))),
        Err(e) => ceremony_error(&req, e),
    }
}

#[derive(Template)]
#[template(path = "second.html")]
struct SecondPage<'a> {
    c: &'a Ctx,
    cont: &'a str,
    reauth: bool,
    need: u8,
    has_totp: bool,
    has_key: bool,
    error: Option<String>,
}

async fn render_second(
    req: &HttpRequest,
    app: &App,
    cur: &crate::app::signin::session::Current,
    error: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let c = Ctx::new(req, app)?;
    let listed = factors::listed(app, cur.account.id.clone()).await?;
    let need = app.policy.service_system().map_or(1, |s| app.policy.required_factor_kinds(s));
    let cont = super::continuation(req);
    let page = SecondPage {
        c: &c,
        cont: &cont.query,
        reauth: cont.query.starts_with("?then="),
        need,
        has_totp: listed.iter().any(|l| l.kind == "totp"),
        has_key: listed.iter().any(|l| l.kind == "webauthn"),
        error,
    };
    c.render(req, &page)
}

pub async fn second_page(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let cur = match guard(&req, &app, Need::SignedIn).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    render_second(&req, &app, &cur, None).await
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf: String,
    code: String,
}

pub async fn second_totp(
    req: HttpRequest,
    app: web::Data<App>,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, ApiError> {
    check_csrf(&req, Some(&form.csrf))?;
    let cur = match guard(&req, &app, Need::SignedIn).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    match factors::verify_totp(&app, &cur, &form.code, &origin(&req, &app)).await {
        Ok(()) => Ok(redirect(super::continuation(&req).or("/account"))),
        Err(e) => {
            let message = signin_message(super::lang(&req), e)?;
            let mut res = render_second(&req, &app, &cur, Some(message)).await?;
            *res.status_mut() = actix_web::http::StatusCode::UNAUTHORIZED;
            Ok(res)
        }
    }
}

pub async fn second_key_options(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    check_csrf(&req, None)?;
    let cur = match guard(&req, &app, Need::SignedIn).await? {
        Ok(c) => c,
        Err(_) => return Err(ApiError::Unauthorized("sign in first".into())),
    };
    match factors::start_key_stepup(&app, &cur).await {
        Ok((handle, options)) => Ok(HttpResponse::Ok().json(json!({ "handle": handle, "options": options }))),
        Err(e) => ceremony_error(&req, e),
    }
}

pub async fn second_key_finish(
    req: HttpRequest,
    app: web::Data<App>,
    body: web::Json<Answer<PublicKeyCredential>>,
) -> Result<HttpResponse, ApiError> {
    check_csrf(&req, None)?;
    let cur = match guard(&req, &app, Need::SignedIn).await? {
        Ok(c) => c,
        Err(_) => return Err(ApiError::Unauthorized("sign in first".into())),
    };
    match factors::finish_key_stepup(&app, &cur, &body.handle, &body.credential, &origin(&req, &app)).await {
        Ok(()) => Ok(HttpResponse::Ok().json(json!({ "next": super::continuation(&req).or("/account") }))),
        Err(e) => ceremony_error(&req, e),
    }
}

pub async fn sign_out(
    req: HttpRequest,
    app: web::Data<App>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ApiError> {
    check_csrf(&req, Some(&form.csrf))?;
    if let Ok(cur) = guard(&req, &app, Need::SignedIn).await? {
        crate::app::signin::session::sign_out(&app, &cur, &origin(&req, &app)).await?;
    }
    Ok(HttpResponse::SeeOther().cookie(super::cleared_session_cookie()).insert_header(("Location", "/signin")).finish())
}
