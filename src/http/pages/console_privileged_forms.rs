//! The forms of `/console/privileged` for what was JSON-only: a privileged ID for a person (R-PR-01),
//! a development ID with its responsible person and last day, a delegate nominated (代行者, R-PR-03)
//! and an approved delegation ended early.
//!
//! Invariants: each form posts with its CSRF token ([`super::posted`]) and calls the same application
//! function as `/api/privileged/…` (`accounts::create`, `development::create`,
//! `delegation::nominate`, `delegation::end`), whose rules decide: the accounts are for security
//! officers (`Need::Officer`, as the API), nominations and their end for whom the domain allows. Days
//! are read by [`crate::http::forms`] as the API reads them. A temporary password is shown once on a
//! page of its own ([`super::console_act::secret`]), never in a URL, a redirect, a log or an audit
//! record; refusals and bad input go back to the page as its error, and nothing is stored.

use super::console_ops_text::{self as ot, OpsText};
use crate::app::approvers;
use crate::app::dates::{first_day, last_day};
use crate::app::privileged::{accounts, delegation, development};
use crate::app::signin::authz::Need;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::forms::field;
use actix_web::{web, HttpRequest, HttpResponse};
use tobira_domain::approval::{ApproverFacts, Principal};
use tobira_domain::policy::Policy;
use tobira_domain::privileged::delegation as rules;

const PAGE: &str = "/console/privileged";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/console/privileged/accounts", web::post().to(create_account))
        .route("/console/privileged/development-accounts", web::post().to(create_development))
        .route("/console/privileged/delegations", web::post().to(nominate))
        .route("/console/privileged/delegations/{id}/end", web::post().to(end_delegation));
}

/// The authorities `reader` may nominate a delegate for (the domain's `holds`), as (`principal`
/// value, words): the officer functions they hold and the systems they own.
pub fn principals(policy: &Policy, reader: &ApproverFacts, o: &OpsText) -> Vec<(String, String)> {
    let officers = policy.officers.keys().map(|f| (Principal::Officer(*f), ot::function(o, *f).to_string()));
    let owners = policy
        .systems
        .iter()
        .map(|s| (Principal::SystemOwner(s.id.get_ref().clone()), format!("{}: {}", o.principal_owner, s.name)));
    officers
        .chain(owners)
        .filter(|(p, _)| rules::holds(policy, reader, p))
        .map(|(p, words)| (approvers::principal_key(&p), words))
        .collect()
}

/// The temporary password of a new account, once, on its own page.
fn shown_once(
    req: &HttpRequest,
    app: &App,
    title: &str,
    login: &str,
    password: &str,
) -> Result<HttpResponse, ApiError> {
    let o = ot::of(super::lang(req));
    let lead = format!("{}: {login} — {}", o.login_id, o.secret_password_lead);
    super::console_act::secret(req, app, title, &lead, password, (PAGE, o.back_to_privileged))
}

/// `POST /console/privileged/accounts`: the person's privileged ID (`employee_number`).
pub async fn create_account(req: HttpRequest, app: web::Data<App>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let (f, cur) = match super::posted(&req, &app, &body, Need::Officer).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    match accounts::create(&app, &cur, &field(&f, "employee_number"), &super::origin(&req, &app)).await {
        Ok(made) => shown_once(
            &req,
            &app,
            ot::of(super::lang(&req)).account_created_title,
            &made.login_id,
            &made.temporary_password,
        ),
        Err(e) => super::officer::back_refused(PAGE, e),
    }
}

/// `POST /console/privileged/development-accounts`: a development ID until its last day.
pub async fn create_development(
    req: HttpRequest,
    app: web::Data<App>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (f, cur) = match super::posted(&req, &app, &body, Need::Officer).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let until = match last_day(&field(&f, "until"), "until") {
        Ok(u) => u,
        Err(e) => return super::officer::back_refused(PAGE, e),
    };
    let id = development::NewDevelopmentId {
        login_id: field(&f, "login_id"),
        responsible: field(&f, "responsible"),
        worker: field(&f, "worker"),
        reason: field(&f, "reason"),
    };
    let login = id.login_id.trim().to_string();
    match development::create(&app, &cur, id, until, &super::origin(&req, &app)).await {
        Ok(temporary) => {
            shown_once(&req, &app, ot::of(super::lang(&req)).development_created_title, &login, &temporary)
        }
        Err(e) => super::officer::back_refused(PAGE, e),
    }
}

/// `POST /console/privileged/delegations`: a delegate nominated for a period, awaiting the CISO.
pub async fn nominate(req: HttpRequest, app: web::Data<App>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let (f, cur) = match super::posted(&req, &app, &body, Need::Full).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let period =
        first_day(&field(&f, "from"), "from").and_then(|from| Ok((from, last_day(&field(&f, "until"), "until")?)));
    let (from, until) = match period {
        Ok(p) => p,
        Err(e) => return super::officer::back_refused(PAGE, e),
    };
    let n = delegation::Nominate {
        principal: field(&f, "principal"),
        delegate: field(&f, "delegate"),
        from,
        until,
        reason: field(&f, "reason"),
    };
    match delegation::nominate(&app, &cur, n, &super::origin(&req, &app)).await {
        Ok(d) => Ok(super::officer::back(
            PAGE,
            true,
            &format!(
                "{}: {} — {}",
                ot::of(super::lang(&req)).nominated_notice,
                d.principal,
                d.delegate_employee_number
            ),
        )),
        Err(e) => super::officer::back_refused(PAGE, e),
    }
}

/// `POST /console/privileged/delegations/{id}/end`: an approved delegation ended now.
pub async fn end_delegation(
    req: HttpRequest,
    app: web::Data<App>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (_, cur) = match super::posted(&req, &app, &body, Need::Full).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    match delegation::end(&app, &cur, &id, &super::origin(&req, &app)).await {
        Ok(d) => Ok(super::officer::back(
            PAGE,
            true,
            &format!(
                "{}: {} — {}",
                ot::of(super::lang(&req)).delegation_ended,
                d.principal,
                d.delegate_employee_number
            ),
        )),
        Err(e) => super::officer::back_refused(PAGE, e),
    }
}
