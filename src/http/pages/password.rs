//! `/account/password`: change the password, forced when it is temporary (R-AU-06) or expired
//! (R-AU-07); every rule it breaks is listed (R-AU-05).

use super::{check_csrf, guard, origin, redirect, signin_message, Ctx};
use crate::app::signin::authz::Need;
use crate::app::signin::password::{self, ChangeError};
use crate::app::App;
use crate::http::error::ApiError;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage<'a> {
    c: &'a Ctx,
    cont: &'a str,
    forced: bool,
    done: bool,
    problems: Vec<String>,
    min: u32,
    max: u32,
}

fn render(
    req: &HttpRequest,
    app: &App,
    cur: &crate::app::signin::session::Current,
    problems: Vec<String>,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, ApiError> {
    let c = Ctx::new(req, app)?;
    let rule = app.policy.password.for_account(cur.account.is_privileged);
    let cont = super::continuation(req);
    let page = PasswordPage {
        c: &c,
        cont: &cont.query,
        forced: cur.password_due,
        done: false,
        problems,
        min: *rule.min_length.get_ref(),
        max: *rule.max_length.get_ref(),
    };
    let mut res = c.render(req, &page)?;
    *res.status_mut() = status;
    Ok(res)
}

pub async fn page(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let cur = match guard(&req, &app, Need::SignedIn).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    render(&req, &app, &cur, Vec::new(), actix_web::http::StatusCode::OK)
}

#[derive(Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    csrf: String,
    current: String,
    new: String,
    repeat: String,
}

pub async fn submit(
    req: HttpRequest,
    app: web::Data<App>,
    form: web::Form<ChangeForm>,
) -> Result<HttpResponse, ApiError> {
    check_csrf(&req, Some(&form.csrf))?;
    let cur = match guard(&req, &app, Need::SignedIn).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let t = super::lang(&req);
    let problems = match password::change(&app, &cur, &form.current, &form.new, &form.repeat, &origin(&req, &app)).await
    {
        Ok(()) => return Ok(redirect(super::continuation(&req).or("/account?done=password"))),
        Err(ChangeError::WrongCurrent) => vec![t.wrong_current.to_string()],
        Err(ChangeError::Mismatch) => vec![t.mismatch.to_string()],
        Err(ChangeError::Rules(p)) => p.iter().map(|p| if t.lang == "ja" { p.ja() } else { p.en() }).collect(),
        Err(ChangeError::Signin(e)) => vec![signin_message(t, e)?],
    };
    render(&req, &app, &cur, problems, actix_web::http::StatusCode::UNPROCESSABLE_ENTITY)
}
