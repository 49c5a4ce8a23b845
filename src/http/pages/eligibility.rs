//! The eligibility console, `/privileged/eligibility` (R-PR-01, R-PR-09, R-PR-04): for each system
//! whose privileged holders the signed-in person manages (its owner or their delegate, the
//! 統括情報セキュリティ責任者, a security officer), the system's cap, the holders in force (account,
//! person, role, named by, since, reason) each with a revoke button, and a form to name a holder
//! (a privileged login, a role of that system, a reason).
//!
//! Invariants: a full session, as the privileged API; every change goes through the same
//! application function as the API (`app::privileged::eligibility`), so the rules (the cap, only
//! the owner names operators, a privileged account, never a vendor, never oneself) are the
//! domain's and refusals are audited there; every form comes back to the page with a notice
//! (post/redirect/get), a refusal with the application's message.

use super::officer::{back, back_refused, outcome};
use super::{guard, Ctx};
use crate::app::privileged::eligibility::{self, Managed};
use crate::app::signin::authz::{self, Need};
use crate::app::signin::session::Current;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::forms::field;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

const PAGE: &str = "/privileged/eligibility";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(PAGE, web::get().to(page))
        .route(PAGE, web::post().to(grant))
        .route("/privileged/eligibility/revoke", web::post().to(revoke));
}

/// Whether `cur` is a security officer's session (who may revoke any eligibility, as the API lets).
pub(super) fn is_officer(app: &App, cur: &Current) -> bool {
    authz::authorize(&app.policy, Some(cur), Need::Officer, app.clock.now_ms()).is_ok()
}

pub struct HolderRow {
    pub id: String,
    pub login: String,
    pub person: String,
    pub role: String,
    pub role_name: String,
    pub granted_by: String,
    pub since: String,
    pub reason: String,
}

pub struct SystemRow {
    pub id: String,
    pub name: String,
    pub cap: u32,
    pub people: usize,
    /// (role id, role name)
    pub roles: Vec<(String, String)>,
    pub holders: Vec<HolderRow>,
}

#[derive(Template)]
#[template(path = "privileged_eligibility.html")]
struct EligibilityPage<'a> {
    c: &'a Ctx,
    notice: Option<String>,
    error: Option<String>,
    systems: Vec<SystemRow>,
}

fn system_row(c: &Ctx, app: &App, m: Managed) -> SystemRow {
    let role_name = |id: &str| app.policy.role(id).map_or_else(|| id.to_string(), |r| r.name.clone());
    let name = app.policy.system(&m.system_id).map_or_else(
        || m.system_id.clone(),
        |s| if c.t.lang == "ja" || s.name_en.is_empty() { s.name.clone() } else { s.name_en.clone() },
    );
    let holders = m
        .holders
        .into_iter()
        .map(|h| {
            let e = h.eligibility;
            HolderRow {
                role_name: role_name(&e.role_id),
                since: c.when(e.created_at),
                person: h.person.unwrap_or_else(|| "—".into()),
                login: h.login,
                id: e.id,
                role: e.role_id,
                granted_by: e.granted_by,
                reason: e.reason,
            }
        })
        .collect();
    SystemRow {
        name,
        cap: m.cap,
        people: m.people,
        roles: m.roles.iter().map(|r| (r.clone(), role_name(r))).collect(),
        holders,
        id: m.system_id,
    }
}

/// `/privileged/eligibility`: the systems the person manages, their holders and the naming form.
pub async fn page(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let cur = match guard(&req, &app, Need::Full).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let managed = eligibility::console(&app, &cur, is_officer(&app, &cur)).await?;
    let c = Ctx::new(&req, &app)?;
    let systems = managed.into_iter().map(|m| system_row(&c, &app, m)).collect();
    let (notice, error) = outcome(&req);
    c.render(&req, &EligibilityPage { c: &c, notice, error, systems })
}

/// Names a holder (the same function as `POST /api/privileged/eligibility`).
pub async fn grant(req: HttpRequest, app: web::Data<App>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let (f, cur) = match super::posted(&req, &app, &body, Need::Full).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let t = super::lang(&req);
    let (account, role) = (field(&f, "account").trim().to_string(), field(&f, "role"));
    match eligibility::grant(&app, &cur, &account, &role, &field(&f, "reason"), &super::origin(&req, &app)).await {
        Ok(_) => Ok(back(PAGE, true, &format!("{}: {account} — {role}", t.eg_granted))),
        Err(e) => back_refused(PAGE, e),
    }
}

/// Ends an eligibility (the same function as `POST /api/privileged/eligibility/{id}/revoke`); the
/// holder's active elevations of that role end with it.
pub async fn revoke(req: HttpRequest, app: web::Data<App>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let (f, cur) = match super::posted(&req, &app, &body, Need::Full).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let t = super::lang(&req);
    match eligibility::revoke(&app, &cur, &field(&f, "id"), is_officer(&app, &cur), &super::origin(&req, &app)).await {
        Ok(ended) => Ok(back(PAGE, true, &format!("{} ({}: {ended})", t.eg_revoked, t.eg_elevations_ended))),
        Err(e) => back_refused(PAGE, e),
    }
}
