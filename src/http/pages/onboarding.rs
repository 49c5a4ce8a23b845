//! `/account/onboarding`: the person reads the city's rules (the policy's text and version) and
//! confirms them (R-LC-11); `/console/people/{id}/onboarding`: the confirmations and trainings of a
//! person's accounts, and the officer's button that records a training (with a reason).
//!
//! Invariants: the page is the only one an account owing its onboarding may reach (the one
//! authorization function sends every other page there, keeping a business system's `?continue=`);
//! every POST checks the CSRF token; recording a training needs `Need::Officer`, the person visible
//! to the officer, and is refused for the officer's own person (in the app function).

use super::onboarding_text::{self as ot, OnboardingText};
use super::{guard, redirect, Ctx};
use crate::app::console::person;
use crate::app::onboarding;
use crate::app::signin::authz::Need;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::forms::field;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/account/onboarding", web::get().to(page))
        .route("/account/onboarding", web::post().to(submit))
        .route("/console/people/{id}/onboarding", web::get().to(console_page))
        .route("/console/people/{id}/onboarding", web::post().to(record_training));
}

#[derive(Template)]
#[template(path = "onboarding.html")]
struct Page<'a> {
    c: &'a Ctx,
    k: &'static OnboardingText,
    cont: &'a str,
    version: &'a str,
    sha256: String,
    /// The rules text, one entry per line.
    lines: Vec<&'a str>,
    /// The rules are confirmed; training is still awaited.
    waiting: bool,
    error: Option<String>,
}

async fn render(req: &HttpRequest, app: &App, waiting: bool, error: Option<String>) -> Result<HttpResponse, ApiError> {
    let c = Ctx::new(req, app)?;
    let o = &app.policy.onboarding;
    let cont = super::continuation(req);
    let page = Page {
        c: &c,
        k: ot::of(c.t),
        cont: &cont.query,
        version: &o.rules_version,
        sha256: o.text_sha256(),
        lines: o.rules_text.trim().lines().collect(),
        waiting,
        error,
    };
    let mut res = c.render(req, &page)?;
    if page.error.is_some() {
        *res.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
    }
    Ok(res)
}

/// What the signed-in account owes now.
async fn owed(
    app: &App,
    cur: &crate::app::signin::session::Current,
) -> Result<tobira_domain::policy::onboarding::Owed, ApiError> {
    Ok(onboarding::owed_now(app, &cur.account).await?)
}

pub async fn page(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let cur = match guard(&req, &app, Need::Onboarding).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let owes = owed(&app, &cur).await?;
    if !owes.any() {
        return Ok(redirect(super::continuation(&req).or("/account")));
    }
    render(&req, &app, !owes.rules, None).await
}

pub async fn submit(req: HttpRequest, app: web::Data<App>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let (f, cur) = match super::posted(&req, &app, &body, Need::Onboarding).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let k = ot::of(super::lang(&req));
    if field(&f, "agree") != "yes" {
        return render(&req, &app, false, Some(k.must_agree.into())).await;
    }
    match onboarding::confirm(&app, &cur, &field(&f, "version"), &field(&f, "sha256"), &super::origin(&req, &app)).await
    {
        Ok(()) => {}
        Err(crate::app::AppError::Invalid(w)) => return render(&req, &app, false, Some(w.to_string())).await,
        Err(e) => return Err(e.into()),
    }
    // Training may still be owed: the page says so; otherwise on to what was asked for.
    let owes = owed(&app, &cur).await?;
    if owes.any() {
        return Ok(redirect(&super::keep_waiting(&req, "/account/onboarding")));
    }
    Ok(redirect(super::continuation(&req).or("/account")))
}

pub struct AccountRows {
    pub login_id: String,
    pub owes: Vec<&'static str>,
    /// (kind, version, digest, when, by, note)
    pub rows: Vec<(&'static str, String, String, String, String, String)>,
}

#[derive(Template)]
#[template(path = "console_onboarding.html")]
struct ConsolePage<'a> {
    c: &'a Ctx,
    k: &'static OnboardingText,
    id: &'a str,
    name: &'a str,
    required: bool,
    accounts: Vec<AccountRows>,
    acts: bool,
    notice: Option<String>,
    error: Option<String>,
}

/// `/console/people/{id}/onboarding`: the person's confirmations and trainings, per account.
pub async fn console_page(
    req: HttpRequest,
    app: web::Data<App>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (_, reader) = match super::console_gate::entry(&req, &app).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let v = match person::view(&app, &reader, &id, None, &super::origin(&req, &app)).await {
        Ok(v) => v,
        Err(e) => return super::console_gate::refused(&req, &app, e),
    };
    let c = Ctx::new(&req, &app)?;
    let k = ot::of(c.t);
    let mut accounts = Vec::new();
    for a in &v.accounts {
        let owes = onboarding::owed_now(&app, &a.account).await?;
        let records = onboarding::records(&app, &a.account.id).await?;
        let rows = records
            .into_iter()
            .map(|r| {
                let kind = if r.kind == crate::app::onboarding::TRAINING { k.kind_training } else { k.kind_rules };
                (
                    kind,
                    r.rules_version.unwrap_or_default(),
                    r.text_sha256.unwrap_or_default(),
                    c.when(r.recorded_at),
                    r.recorded_by,
                    r.note.unwrap_or_default(),
                )
            })
            .collect();
        let owes = [(owes.rules, k.kind_rules), (owes.training, k.kind_training)]
            .into_iter()
            .filter(|(o, _)| *o)
            .map(|(_, l)| l)
            .collect();
        accounts.push(AccountRows { login_id: a.account.login_id.clone(), owes, rows });
    }
    let (notice, error) = super::officer::outcome(&req);
    let page = ConsolePage {
        c: &c,
        k,
        id: &v.person.id,
        name: &v.person.name_kanji,
        required: app.policy.onboarding.required,
        accounts,
        acts: reader.acts,
        notice,
        error,
    };
    c.render(&req, &page)
}

/// `POST /console/people/{id}/onboarding`: an officer records a training (with a reason).
pub async fn record_training(
    req: HttpRequest,
    app: web::Data<App>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (f, cur, reader) = match super::console_gate::posted_entry(&req, &app, &body, Need::Officer).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let o = super::origin(&req, &app);
    let back = format!("/console/people/{id}/onboarding");
    let v = match person::view(&app, &reader, &id, None, &o).await {
        Ok(v) => v,
        Err(e) => return super::console_gate::refused(&req, &app, e),
    };
    let login = field(&f, "login");
    if !v.accounts.iter().any(|a| a.account.login_id == login) {
        return Ok(super::officer::back(&back, false, &format!("見つかりません / not found: {login}")));
    }
    let k = ot::of(super::lang(&req));
    match onboarding::record_training(&app, &cur, &login, &field(&f, "reason"), &o).await {
        Ok(()) => Ok(super::officer::back(&back, true, &format!("{}: {} — {login}", k.recorded, k.kind_training))),
        Err(e) => super::officer::back_refused(&back, e),
    }
}
