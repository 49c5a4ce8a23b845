//! `/account/enrol`, `/account/totp`, `/account/keys…`, `/account/credentials/remove`: enrolling
//! and removing second factors. Removal ends the sessions that used the factor (R-AU-12).

use super::{ceremony_error, check_csrf, guard, origin, redirect, signin_message, Answer, Ctx};
use crate::app::signin::authz::{self, Need};
use crate::app::signin::factors;
use crate::app::App;
use crate::http::error::ApiError;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use serde_json::json;
use webauthn_rs::prelude::RegisterPublicKeyCredential;

#[derive(Template)]
#[template(path = "factor_add.html")]
struct EnrolPage<'a> {
    c: &'a Ctx,
    /// The waiting request of a business system, carried on to the enrolment forms.
    cont: &'a str,
    allowed: bool,
}

pub async fn enrol_page(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let cur = super::current(&req, &app).await?;
    if cur.is_none() {
        return Ok(redirect(&super::keep_waiting(&req, "/signin")));
    }
    // Anyone signed in but not allowed to enrol sees why, not a redirect loop; a session that
    // proved nothing recently is asked to first.
    let allowed = match authz::authorize(&app.policy, cur.as_ref(), Need::FactorChange, app.clock.now_ms()) {
        Ok(_) => true,
        Err(authz::Denied::Reauthenticate) => return Ok(redirect("/signin/second?then=enrol")),
        Err(authz::Denied::SignIn) if cur.as_ref().is_some_and(|c| !c.has_second_factor) => {
            return Ok(redirect(&super::keep_waiting(&req, "/signin")))
        }
        Err(_) => false,
    };
    let c = Ctx::new(&req, &app)?;
    let cont = super::continuation(&req);
    c.render(&req, &EnrolPage { c: &c, cont: &cont.query, allowed })
}

#[derive(Template)]
#[template(path = "totp.html")]
struct TotpPage<'a> {
    c: &'a Ctx,
    cont: &'a str,
    qr_svg: String,
    secret: String,
    handle: String,
    error: Option<String>,
}

async fn render_totp(
    req: &HttpRequest,
    app: &App,
    cur: &crate::app::signin::session::Current,
    error: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let e = factors::start_totp(app, cur).await?;
    let c = Ctx::new(req, app)?;
    let cont = super::continuation(req);
    c.render(
        req,
        &TotpPage { c: &c, cont: &cont.query, qr_svg: e.qr_svg, secret: e.secret_base32, handle: e.handle, error },
    )
}

pub async fn totp_page(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let cur = match guard(&req, &app, Need::FactorChange).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    render_totp(&req, &app, &cur, None).await
}

#[derive(Deserialize)]
pub struct TotpForm {
    #[serde(default)]
    csrf: String,
    handle: String,
    code: String,
    #[serde(default)]
    name: String,
}

pub async fn totp_submit(
    req: HttpRequest,
    app: web::Data<App>,
    form: web::Form<TotpForm>,
) -> Result<HttpResponse, ApiError> {
    check_csrf(&req, Some(&form.csrf))?;
    let cur = match guard(&req, &app, Need::FactorChange).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    match factors::finish_totp(&app, &cur, &form.handle, &form.code, &form.name, &origin(&req, &app)).await {
        Ok(()) => Ok(redirect(super::continuation(&req).or("/account"))),
        Err(e) => {
            // A new secret is issued with the error: the old one was taken.
            let message = signin_message(super::lang(&req), e)?;
            let mut res = render_totp(&req, &app, &cur, Some(message)).await?;
            *res.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
    }
}

pub async fn key_options(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    check_csrf(&req, None)?;
    let cur = match guard(&req, &app, Need::FactorChange).await? {
        Ok(c) => c,
        Err(_) => return Err(ApiError::Unauthorized("sign in (and verify) first".into())),
    };
    let (handle, options) = factors::start_key_registration(&app, &cur).await?;
    Ok(HttpResponse::Ok().json(json!({ "handle": handle, "options": options })))
}

pub async fn key_finish(
    req: HttpRequest,
    app: web::Data<App>,
    body: web::Json<Answer<RegisterPublicKeyCredential>>,
) -> Result<HttpResponse, ApiError> {
    check_csrf(&req, None)?;
    let cur = match guard(&req, &app, Need::FactorChange).await? {
        Ok(c) => c,
        Err(_) => return Err(ApiError::Unauthorized("sign in (and verify) first".into())),
    };
    match factors::finish_key_registration(&app, &cur, &body.handle, &body.credential, &body.name, &origin(&req, &app))
        .await
    {
        Ok(()) => Ok(HttpResponse::Ok().json(json!({ "next": super::continuation(&req).or("/account") }))),
        Err(e) => ceremony_error(&req, e),
    }
}

#[derive(Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    csrf: String,
    id: String,
}

pub async fn remove(
    req: HttpRequest,
    app: web::Data<App>,
    form: web::Form<RemoveForm>,
) -> Result<HttpResponse, ApiError> {
    check_csrf(&req, Some(&form.csrf))?;
    let cur = match guard(&req, &app, Need::FactorChange).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let ended = factors::remove_own(&app, &cur, form.id.clone(), origin(&req, &app)).await?;
    match ended {
        None => Err(ApiError::NotFound),
        // Removing the factor this session stood on ends it: back to sign-in.
        Some(_) if super::current(&req, &app).await?.is_none() => Ok(HttpResponse::SeeOther()
            .cookie(super::cleared_session_cookie())
            .insert_header(("Location", "/signin"))
            .finish()),
        Some(_) => Ok(redirect("/account")),
    }
}
