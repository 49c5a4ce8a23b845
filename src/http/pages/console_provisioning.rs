//! `/console/provisioning`: one row per provisioned system (waiting and stopped items, the oldest
//! waiting item's age, the last reconciliation's drift or error), and `/console/provisioning/{system}`:
//! its waiting and stopped items a page at a time, with the security officer's "queue the stopped
//! items again" form (`POST /console/provisioning/{system}/retry`, a reason required; R-LC-03).
//!
//! Invariants: every handler asks [`guard`] for a full session (the POST: [`super::posted`], CSRF
//! and `Need::Officer`), then the app's `console::reader`; the data and the retry come from
//! `app::console::provisioning` only (the retry is `tobira provisioning retry`'s function, audited).

use super::console_text::{self as ct, ConsoleText};
use super::Ctx;
use crate::app::console::provisioning as prov;
use crate::app::signin::authz::Need;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::forms::field;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/console/provisioning", web::get().to(list_page))
        .route("/console/provisioning/{system}", web::get().to(system_page))
        .route("/console/provisioning/{system}/retry", web::post().to(retry));
}

/// A system's line as words: (id, name, waiting, stopped, oldest age, last run, drift or error).
pub struct Line {
    pub system: String,
    pub name: String,
    pub pending: i64,
    pub stopped: i64,
    pub oldest: i64,
    pub last: String,
    pub drift: String,
    pub failed: bool,
}

fn line(c: &Ctx, k: &ConsoleText, r: &prov::SystemRow) -> Line {
    let (last, drift, failed) = match &r.last {
        None => (k.prov_never.to_string(), String::new(), false),
        Some(l) => match &l.error {
            Some(e) => (c.when(l.ran_at), format!("{}: {e}", k.prov_failed), true),
            None => {
                let held = if l.held.is_empty() { String::new() } else { format!(" ({}: {})", k.prov_held, l.held) };
                (
                    c.when(l.ran_at),
                    format!(
                        "{} {}・{} {}・{} {}{held}",
                        k.prov_orphans, l.orphans, k.prov_missing, l.missing, k.prov_wrong, l.wrong
                    ),
                    false,
                )
            }
        },
    };
    Line {
        system: r.system.clone(),
        name: r.name.clone(),
        pending: r.queue.pending,
        stopped: r.queue.stopped,
        oldest: r.oldest_age_seconds,
        last,
        drift,
        failed,
    }
}

#[derive(Template)]
#[template(path = "console_provisioning.html")]
struct ListPage<'a> {
    c: &'a Ctx,
    k: &'static ConsoleText,
    lines: Vec<Line>,
}

/// (queued, login, operation, why, status code, status word, attempts, last error)
type ItemRow = (String, String, String, String, String, &'static str, i64, String);

#[derive(Template)]
#[template(path = "console_provisioning_system.html")]
struct SystemPage<'a> {
    c: &'a Ctx,
    k: &'static ConsoleText,
    l: Line,
    items: Vec<ItemRow>,
    page: u32,
    prev: Option<String>,
    next: Option<String>,
    acts: bool,
    notice: Option<String>,
    error: Option<String>,
}

/// `/console/provisioning`: every provisioned system's queue and last reconciliation.
pub async fn list_page(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let (_, reader) = match super::console_gate::entry(&req, &app).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let ja = super::lang(&req).lang == "ja";
    let rows = match prov::overview(&app, &reader, ja).await {
        Ok(r) => r,
        Err(e) => return super::console_gate::refused(&req, &app, e),
    };
    let c = Ctx::new(&req, &app)?;
    let k = ct::of(c.t);
    let lines = rows.iter().map(|r| line(&c, k, r)).collect();
    c.render(&req, &ListPage { c: &c, k, lines })
}

/// `/console/provisioning/{system}?page=N`: the system's waiting and stopped items.
pub async fn system_page(
    req: HttpRequest,
    app: web::Data<App>,
    system: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (_, reader) = match super::console_gate::entry(&req, &app).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let page = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse::<u32>().ok())
        .unwrap_or(1);
    let ja = super::lang(&req).lang == "ja";
    let v = match prov::system(&app, &reader, &system, page, ja).await {
        Ok(v) => v,
        Err(e) => return super::console_gate::refused(&req, &app, e),
    };
    let c = Ctx::new(&req, &app)?;
    let k = ct::of(c.t);
    let items = v
        .items
        .iter()
        .map(|i| {
            let word = if i.status == crate::app::provisioning::STOPPED { k.prov_stopped } else { k.prov_pending };
            (
                c.when(i.created_at),
                i.login.clone(),
                i.event.clone(),
                i.why.clone(),
                i.status.clone(),
                word,
                i.attempts,
                i.last_error.clone().unwrap_or_default(),
            )
        })
        .collect();
    let link = |p: u32| format!("/console/provisioning/{}?page={p}", v.row.system);
    let (notice, error) = super::officer::outcome(&req);
    let page = SystemPage {
        c: &c,
        k,
        l: line(&c, k, &v.row),
        items,
        page: v.page,
        prev: (v.page > 1).then(|| link(v.page - 1)),
        next: v.has_next.then(|| link(v.page + 1)),
        acts: reader.acts,
        notice,
        error,
    };
    c.render(&req, &page)
}

/// `POST /console/provisioning/{system}/retry`: a security officer queues the stopped items again.
pub async fn retry(
    req: HttpRequest,
    app: web::Data<App>,
    system: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (f, _, reader) = match super::console_gate::posted_entry(&req, &app, &body, Need::Officer).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let k = ct::of(super::lang(&req));
    let back = format!(
        "/console/provisioning/{}",
        url::form_urlencoded::byte_serialize(system.as_bytes()).collect::<String>()
    );
    let reason = field(&f, "reason");
    if reason.trim().is_empty() {
        return Ok(super::officer::back(&back, false, k.reason_required));
    }
    match prov::retry(&app, &reader, &system, &reason).await {
        Ok(n) => Ok(super::officer::back(&back, true, &format!("{}: {n} {}", k.done, k.prov_retried))),
        Err(e) => super::officer::back_refused(&back, e),
    }
}
