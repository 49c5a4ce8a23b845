//! The elevations console, `/privileged/elevations` (R-PR-02, R-PR-07, R-PR-08, R-AC-02): the
//! privileged roles the signed-in account is eligible for, a form to ask for an elevation within
//! the policy's limits, the account's elevations with their times (JST) and an "end now" button for
//! an active one; for an approver, the requests waiting for their decision (approve, or deny with a
//! reason) and the self-review and break-glass elevations waiting for their review afterwards.
//!
//! Invariants: a full session, as the privileged API; every change goes through the same
//! application function as the API (`app::privileged::elevation`), so the rules (eligibility, fresh
//! factors, durations, who approves, never the asker) are the domain's; every form comes back to
//! the page with a notice (post/redirect/get), a refusal with the application's message.

use super::officer::{back, back_refused, outcome};
use super::{guard, Ctx};
use crate::app::privileged::elevation::{self, Asked, Request};
use crate::app::privileged::{status, Elevation};
use crate::app::signin::authz::Need;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::forms::field;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

const PAGE: &str = "/privileged/elevations";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(PAGE, web::get().to(page))
        .route(PAGE, web::post().to(ask))
        .route("/privileged/elevations/decide", web::post().to(decide))
        .route("/privileged/elevations/end", web::post().to(end))
        .route("/privileged/elevations/review", web::post().to(review));
}

pub struct RoleRow {
    pub role: String,
    pub name: String,
    pub system: String,
    pub granted_by: String,
    pub since: String,
}

pub struct ElevationRow {
    pub id: String,
    pub requester: String,
    pub role: String,
    pub name: String,
    pub status: String,
    pub status_label: &'static str,
    pub minutes: i32,
    pub reason: String,
    pub ticket: String,
    pub break_glass: bool,
    pub requested_at: String,
    pub lapses_at: String,
    pub starts_at: String,
    pub ends_at: String,
    pub decided_by: String,
    pub note: String,
    pub review: &'static str,
}

#[derive(Template)]
#[template(path = "privileged_elevations.html")]
struct ElevationsPage<'a> {
    c: &'a Ctx,
    notice: Option<String>,
    error: Option<String>,
    eligible: Vec<RoleRow>,
    mine: Vec<ElevationRow>,
    to_decide: Vec<ElevationRow>,
    to_review: Vec<ElevationRow>,
    approver: bool,
    max_minutes: u32,
    break_glass: bool,
    break_glass_max: u32,
    require_ticket: bool,
    reauth_minutes: u32,
}

fn status_label(c: &Ctx, s: &str) -> &'static str {
    let t = c.t;
    match s {
        status::PENDING => t.el_pending,
        status::ACTIVE => t.el_active,
        status::DENIED => t.el_denied,
        status::LAPSED => t.el_lapsed,
        status::EXPIRED => t.el_expired,
        status::ENDED => t.el_ended,
        _ => t.el_unknown,
    }
}

fn row(c: &Ctx, app: &App, el: Elevation, requester: String) -> ElevationRow {
    let at = |ms: Option<i64>| ms.map_or_else(|| "—".to_string(), |m| c.when(m));
    let review = match (el.review_required, el.reviewed_by.is_some()) {
        (false, _) => "",
        (true, false) => c.t.review_waiting,
        (true, true) => c.t.review_done,
    };
    ElevationRow {
        name: app.policy.role(&el.role_id).map_or_else(|| el.role_id.clone(), |r| r.name.clone()),
        status_label: status_label(c, &el.status),
        requested_at: c.when(el.requested_at),
        lapses_at: c.when(el.lapses_at),
        starts_at: at(el.starts_at),
        ends_at: at(el.ends_at),
        decided_by: el.decided_by.unwrap_or_default(),
        note: el.decision_note.unwrap_or_default(),
        id: el.id,
        requester,
        role: el.role_id,
        status: el.status,
        minutes: el.minutes,
        reason: el.reason,
        ticket: el.ticket,
        break_glass: el.break_glass,
        review,
    }
}

/// `/privileged/elevations`: what the person may elevate with and ask for, their elevations, and
/// what waits for their decision or review.
pub async fn page(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let cur = match guard(&req, &app, Need::Full).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let console = elevation::console(&app, &cur).await?;
    let c = Ctx::new(&req, &app)?;
    let ja = c.t.lang == "ja";
    let eligible = console
        .eligible
        .into_iter()
        .map(|e| {
            let system = app.policy.system(&e.system_id).map_or_else(
                || e.system_id.clone(),
                |s| if ja || s.name_en.is_empty() { s.name.clone() } else { s.name_en.clone() },
            );
            let name = app.policy.role(&e.role_id).map_or_else(|| e.role_id.clone(), |r| r.name.clone());
            RoleRow { since: c.when(e.created_at), role: e.role_id, name, system, granted_by: e.granted_by }
        })
        .collect();
    let login = cur.account.login_id.clone();
    let mine = console.mine.into_iter().map(|e| row(&c, &app, e, login.clone())).collect();
    let asked = |v: Vec<Asked>| v.into_iter().map(|a| row(&c, &app, a.elevation, a.requester)).collect::<Vec<_>>();
    let (to_decide, to_review) = (asked(console.to_decide), asked(console.to_review));
    let rules = &app.policy.privileged;
    let (notice, error) = outcome(&req);
    let p = ElevationsPage {
        c: &c,
        notice,
        error,
        eligible,
        mine,
        to_decide,
        to_review,
        approver: console.approver,
        max_minutes: rules.max_elevation_minutes,
        break_glass: rules.break_glass,
        break_glass_max: rules.break_glass_max_minutes,
        require_ticket: rules.require_ticket,
        reauth_minutes: rules.elevation_reauth_minutes,
    };
    c.render(&req, &p)
}

/// Asks for an elevation (the same function as `POST /api/privileged/elevations`).
pub async fn ask(req: HttpRequest, app: web::Data<App>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let (f, cur) = match super::posted(&req, &app, &body, Need::Full).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let t = super::lang(&req);
    let Ok(minutes) = field(&f, "minutes").trim().parse::<u32>() else {
        return Ok(back(PAGE, false, t.el_minutes_number));
    };
    let r = Request {
        role: field(&f, "role"),
        minutes,
        reason: field(&f, "reason"),
        ticket: field(&f, "ticket"),
        break_glass: field(&f, "break_glass") == "on",
    };
    match elevation::request(&app, &cur, r, &super::origin(&req, &app)).await {
        Ok(el) => {
            let done = if el.status == status::ACTIVE { t.el_started } else { t.el_requested };
            Ok(back(PAGE, true, &format!("{done}: {} ({} {})", el.role_id, el.minutes, t.minutes)))
        }
        Err(e) => back_refused(PAGE, e),
    }
}

/// Approves or denies a pending request (`decision` = `approve` | `deny`), with a note.
pub async fn decide(req: HttpRequest, app: web::Data<App>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let t = super::lang(&req);
    let (f, cur, yes) = match super::officer::posted_decision(&req, &app, &body, PAGE, "deny", |other| {
        format!("{} (`{other}`)", t.el_choose_decision)
    })
    .await?
    {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    match elevation::decide(&app, &cur, &field(&f, "id"), yes, &field(&f, "note"), &super::origin(&req, &app)).await {
        Ok(el) => Ok(back(
            PAGE,
            true,
            &format!(
                "{}: {} — {}",
                if yes { t.el_approved } else { t.el_denied_notice },
                el.role_id,
                el.decided_by.unwrap_or_default()
            ),
        )),
        Err(e) => back_refused(PAGE, e),
    }
}

/// Ends an active elevation now: its holder, or a security officer (as the API decides).
pub async fn end(req: HttpRequest, app: web::Data<App>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let (f, cur) = match super::posted(&req, &app, &body, Need::Full).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let t = super::lang(&req);
    match elevation::end(
        &app,
        &cur,
        &field(&f, "id"),
        super::eligibility::is_officer(&app, &cur),
        &super::origin(&req, &app),
    )
    .await
    {
        Ok(el) => Ok(back(PAGE, true, &format!("{}: {}", t.el_ended_notice, el.role_id))),
        Err(e) => back_refused(PAGE, e),
    }
}

/// Records the after-the-fact review of a self-review or break-glass elevation.
pub async fn review(req: HttpRequest, app: web::Data<App>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let (f, cur) = match super::posted(&req, &app, &body, Need::Full).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let t = super::lang(&req);
    match elevation::review(&app, &cur, &field(&f, "id"), &field(&f, "note"), &super::origin(&req, &app)).await {
        Ok(el) => Ok(back(PAGE, true, &format!("{}: {}", t.el_reviewed_notice, el.role_id))),
        Err(e) => back_refused(PAGE, e),
    }
}
