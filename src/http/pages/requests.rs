//! The access-request pages (R-LC-02, R-AC-01, R-AC-02): `/requests`, where a member of staff sees
//! the roles they may ask for, asks with a reason and an end date, and follows (or withdraws) their
//! requests; `/requests/queue`, where an approver sees the requests waiting for their step and
//! approves or refuses each with a note.
//!
//! Invariants: a full session, as the JSON API; every change goes through the same application
//! function as the API (`app::requests`), so who may ask and decide is the domain's rule; each form
//! comes back to its page with a notice or the refusal's message (post/redirect/get); times in JST.

use super::officer::{back, back_refused, outcome};
use super::{guard, Ctx};
use crate::app::requests::{self, decide, view, NewRequest};
use crate::app::signin::authz::Need;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::forms::field;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use tobira_domain::access_request::status;

const PAGE: &str = "/requests";
const QUEUE: &str = "/requests/queue";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(PAGE, web::get().to(page))
        .route(PAGE, web::post().to(ask))
        .route("/requests/withdraw", web::post().to(withdraw))
        .route(QUEUE, web::get().to(queue))
        .route("/requests/queue/decide", web::post().to(decide_step));
}

pub struct Row {
    pub id: String,
    pub requester: String,
    pub role: String,
    pub name: String,
    pub system: String,
    pub reason: String,
    pub contract: String,
    pub status: String,
    pub status_label: &'static str,
    pub from: String,
    pub until: String,
    pub requested_at: String,
    pub lapses_at: String,
    pub progress: String,
    pub decisions: Vec<String>,
}

fn label(c: &Ctx, s: &str) -> &'static str {
    let t = c.t;
    match s {
        status::ASKED => t.ar_asked,
        status::GRANTED => t.ar_granted,
        status::REFUSED => t.ar_refused,
        status::LAPSED => t.ar_lapsed,
        status::WITHDRAWN => t.ar_withdrawn,
        _ => t.el_unknown,
    }
}

fn row(c: &Ctx, app: &App, s: view::Shown) -> Row {
    let r = s.request;
    let steps = tobira_domain::access_request::parse_steps(&r.steps);
    let decisions = s
        .decisions
        .iter()
        .map(|d| {
            format!(
                "{} {}: {}（{}）{}",
                c.when(d.decided_at),
                d.approver,
                if d.approve { c.t.approve } else { c.t.refuse },
                d.decided_by,
                if d.note.is_empty() { String::new() } else { format!(" — {}", d.note) }
            )
        })
        .collect();
    Row {
        name: app.policy.role(&r.role_id).map_or_else(|| r.role_id.clone(), |x| x.name.clone()),
        system: app.policy.system(&r.system_id).map_or_else(
            || r.system_id.clone(),
            |x| if c.t.lang == "ja" || x.name_en.is_empty() { x.name.clone() } else { x.name_en.clone() },
        ),
        status_label: label(c, &r.status),
        from: c.when(r.valid_from),
        until: c.when(r.valid_until),
        requested_at: c.when(r.requested_at),
        lapses_at: c.when(r.lapses_at),
        progress: format!(
            "{}/{} ({})",
            r.steps_done,
            steps.len(),
            steps.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(" → ")
        ),
        contract: r.contract_id.unwrap_or_default(),
        requester: s.requester,
        id: r.id,
        role: r.role_id,
        reason: r.reason,
        status: r.status,
        decisions,
    }
}

#[derive(Template)]
#[template(path = "requests.html")]
struct RequestsPage<'a> {
    c: &'a Ctx,
    notice: Option<String>,
    error: Option<String>,
    requestable: Vec<view::Requestable>,
    mine: Vec<Row>,
    queue_count: usize,
}

#[derive(Template)]
#[template(path = "requests_queue.html")]
struct QueuePage<'a> {
    c: &'a Ctx,
    notice: Option<String>,
    error: Option<String>,
    queue: Vec<Row>,
}

/// `/requests`: what one may ask for, the form, and one's requests.
pub async fn page(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let cur = match guard(&req, &app, Need::Full).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let con = view::console(&app, &cur).await?;
    let c = Ctx::new(&req, &app)?;
    let (notice, error) = outcome(&req);
    let mine = con.mine.into_iter().map(|s| row(&c, &app, s)).collect();
    c.render(
        &req,
        &RequestsPage { c: &c, notice, error, requestable: con.requestable, mine, queue_count: con.queue.len() },
    )
}

/// `/requests/queue`: the requests waiting for the signed-in approver's step.
pub async fn queue(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let cur = match guard(&req, &app, Need::Full).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let con = view::console(&app, &cur).await?;
    let c = Ctx::new(&req, &app)?;
    let (notice, error) = outcome(&req);
    let queue = con.queue.into_iter().map(|s| row(&c, &app, s)).collect();
    c.render(&req, &QueuePage { c: &c, notice, error, queue })
}

/// Asks for a role (the same function as `POST /api/requests`).
pub async fn ask(req: HttpRequest, app: web::Data<App>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let (f, cur) = match super::posted(&req, &app, &body, Need::Full).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let t = super::lang(&req);
    let new = NewRequest {
        role: field(&f, "role"),
        reason: field(&f, "reason"),
        from: field(&f, "from"),
        until: field(&f, "until"),
        contract: field(&f, "contract"),
    };
    match requests::ask(&app, &cur, new, &super::origin(&req, &app)).await {
        Ok(r) => Ok(back(PAGE, true, &format!("{}: {}", t.ar_asked_notice, r.role_id))),
        Err(e) => back_refused(PAGE, e),
    }
}

/// Withdraws one's own open request.
pub async fn withdraw(req: HttpRequest, app: web::Data<App>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let (f, cur) = match super::posted(&req, &app, &body, Need::Full).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let t = super::lang(&req);
    match requests::withdraw(&app, &cur, &field(&f, "id"), &super::origin(&req, &app)).await {
        Ok(r) => Ok(back(PAGE, true, &format!("{}: {}", t.ar_withdrawn_notice, r.role_id))),
        Err(e) => back_refused(PAGE, e),
    }
}

/// Approves or refuses the next step of a request (`decision` = `approve` | `refuse`), with a note.
pub async fn decide_step(req: HttpRequest, app: web::Data<App>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let t = super::lang(&req);
    let (f, cur, yes) = match super::officer::posted_decision(&req, &app, &body, QUEUE, "refuse", |other| {
        format!("{} (`{other}`)", t.el_choose_decision)
    })
    .await?
    {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    match decide::decide(&app, &cur, &field(&f, "id"), yes, &field(&f, "note"), &super::origin(&req, &app)).await {
        Ok(r) => {
            let done = match r.status.as_str() {
                status::GRANTED => t.ar_granted_notice,
                status::REFUSED => t.ar_refused_notice,
                _ => t.ar_step_notice,
            };
            Ok(back(QUEUE, true, &format!("{done}: {} ({})", r.role_id, r.id)))
        }
        Err(e) => back_refused(QUEUE, e),
    }
}
