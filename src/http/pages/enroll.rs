//! `/enroll?token=…`: a joiner's enrollment link (R-AU-06). GET shows the form to choose a
//! password (twice) under the password rules; POST sets it and sends the person to sign in.
//!
//! Invariants: an unknown, used, revoked or expired token, and one whose account cannot sign in,
//! all get the same page and status (404), so trying tells nothing; a malformed token never reaches
//! the database; the token is never logged (the access log writes no query strings, and the page
//! sends no Referer).

use super::{check_csrf, origin, redirect, Ctx};
use crate::app::enrollment::{self, EnrollError, Opened};
use crate::app::App;
use crate::http::error::ApiError;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "joiner_link.html")]
struct EnrollPage<'a> {
    c: &'a Ctx,
    token: &'a str,
    login_id: &'a str,
    expires_at: i64,
    problems: Vec<String>,
    min: u32,
    max: u32,
}

/// A token as issued: 32 bytes in base64url without padding.
fn well_formed(token: &str) -> bool {
    token.len() == 43 && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The one refusal, in both languages (the link may have come to someone who reads either).
fn closed(req: &HttpRequest, app: &App) -> Result<HttpResponse, ApiError> {
    use super::text::{EN, JA};
    let title = format!("{} / {}", JA.enroll_closed_title, EN.enroll_closed_title);
    let body = format!("{} / {}", JA.enroll_closed, EN.enroll_closed);
    super::message_text(req, app, StatusCode::NOT_FOUND, &title, &body)
}

fn render(
    req: &HttpRequest,
    app: &App,
    token: &str,
    o: &Opened,
    problems: Vec<String>,
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    let c = Ctx::new(req, app)?;
    let page = EnrollPage {
        c: &c,
        token,
        login_id: &o.login_id,
        expires_at: o.expires_at,
        problems,
        min: o.min_length,
        max: o.max_length,
    };
    let mut res = c.render(req, &page)?;
    *res.status_mut() = status;
    Ok(res)
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

pub async fn page(req: HttpRequest, app: web::Data<App>, q: web::Query<TokenQuery>) -> Result<HttpResponse, ApiError> {
    if !well_formed(&q.token) {
        return closed(&req, &app);
    }
    match enrollment::open(&app, &q.token).await {
        Ok(o) => render(&req, &app, &q.token, &o, Vec::new(), StatusCode::OK),
        Err(EnrollError::App(e)) => Err(e.into()),
        Err(_) => closed(&req, &app),
    }
}

#[derive(Deserialize)]
pub struct EnrollForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
    new: String,
    repeat: String,
}

pub async fn submit(
    req: HttpRequest,
    app: web::Data<App>,
    form: web::Form<EnrollForm>,
) -> Result<HttpResponse, ApiError> {
    check_csrf(&req, Some(&form.csrf))?;
    if !well_formed(&form.token) {
        return closed(&req, &app);
    }
    let t = super::lang(&req);
    let problems = match enrollment::complete(&app, &form.token, &form.new, &form.repeat, &origin(&req, &app)).await {
        Ok(_) => return Ok(redirect("/signin?enrolled=1")),
        Err(EnrollError::Closed) => return closed(&req, &app),
        Err(EnrollError::Mismatch) => vec![t.mismatch.to_string()],
        Err(EnrollError::Rules(p)) => p.iter().map(|p| if t.lang == "ja" { p.ja() } else { p.en() }).collect(),
        Err(EnrollError::App(e)) => return Err(e.into()),
    };
    // The link is still open: the form again, with what was wrong.
    match enrollment::open(&app, &form.token).await {
        Ok(o) => render(&req, &app, &form.token, &o, problems, StatusCode::UNPROCESSABLE_ENTITY),
        Err(EnrollError::App(e)) => Err(e.into()),
        Err(_) => closed(&req, &app),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_issued_token_shapes_are_looked_up() {
        assert!(well_formed(&"A".repeat(43)));
        assert!(well_formed("abcdefghijklmnopqrstuvwxyz-_ABCDEFGHIJ01234"));
        assert!(!well_formed(&"A".repeat(42)));
        assert!(!well_formed(&"A".repeat(44)));
        assert!(!well_formed("abcdefghijklmnopqrstuvwxyz+/ABCDEFGHIJ01234"));
        assert!(!well_formed(""));
    }
}
