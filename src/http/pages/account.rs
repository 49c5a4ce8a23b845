//! `/account`: the signed-in person's page: previous sign-in and sign-out and failed attempts since
//! (R-AU-11), which business systems this session may use from here (R-AU-02, R-ZN-03), factors,
//! open sessions (end any of them) and recent sign-ins; links to the consoles the person may use.

use super::{check_csrf, guard, origin, redirect, Ctx};
use crate::app::signin::authz::{self, Need};
use crate::app::signin::{factors, session};
use crate::app::words::Words;
use crate::app::App;
use crate::http::error::ApiError;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use tobira_domain::authn::access::{self, Decision};

pub struct SystemRow {
    pub id: String,
    pub name: String,
    pub zone: String,
    pub decision: &'static str,
    pub status: &'static str,
}

pub struct FactorRow {
    pub id: String,
    pub kind: &'static str,
    pub name: String,
    pub created: String,
    pub last_used: String,
}

pub struct SessionRow {
    pub id: String,
    pub started: String,
    pub source: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    c: &'a Ctx,
    login_id: &'a str,
    notice: Option<&'a str>,
    previous_sign_in: String,
    last_sign_out: String,
    failures: Vec<(String, String)>,
    systems: Vec<SystemRow>,
    factors: Vec<FactorRow>,
    sessions: Vec<SessionRow>,
    recent: Vec<(String, String, String)>,
    /// A security officer: the officer's console links are shown.
    officer: bool,
    /// Eligible for a privileged role, holding elevations, or deciding them: the elevations link.
    elevations: bool,
    /// Manages a system's privileged holders (owner, CISO, security officer): the eligibility link.
    eligibility: bool,
    /// May use the console (officers, the helpdesk, the auditor, a 所属長): its link's words.
    console: Option<&'static str>,
}

pub async fn home() -> HttpResponse {
    redirect("/account")
}

pub async fn page(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let cur = match guard(&req, &app, Need::Full).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let c = Ctx::new(&req, &app)?;
    let t = c.t;
    let history = session::history(&app, &cur).await?;
    let listed = factors::listed(&app, cur.account.id.clone()).await?;
    let policy = &app.policy;
    let systems = policy
        .systems
        .iter()
        .map(|s| {
            let (decision, status) = match access::decide(policy, s, &cur.kinds, cur.whence(policy)) {
                Decision::Allowed => ("allowed", t.allowed),
                Decision::StepUp { .. } => ("step_up", t.needs_step_up),
                Decision::NetworkRefused { .. } => ("network_refused", t.network_refused),
                Decision::NotApproved => ("not_approved", t.not_approved),
            };
            let zone = policy.zone(s.zone.get_ref()).map_or_else(|| s.zone.get_ref().clone(), |z| z.name.clone());
            let name = if t.lang == "ja" || s.name_en.is_empty() { s.name.clone() } else { s.name_en.clone() };
            SystemRow { id: s.id.get_ref().clone(), name, zone, decision, status }
        })
        .collect();
    let when = |ms: Option<i64>| ms.map_or_else(|| t.none_yet.to_string(), |m| c.when(m));
    let officer = authz::authorize(policy, Some(&cur), Need::Officer, app.clock.now_ms()).is_ok();
    let elevations = crate::app::privileged::elevation::console(&app, &cur).await?.concerns();
    let eligibility = !crate::app::privileged::eligibility::console(&app, &cur, officer).await?.is_empty();
    let console =
        crate::app::console::reader(&app, &cur).await.is_ok().then(|| super::console_ops_text::of(t).console_link);
    let page = AccountPage {
        c: &c,
        login_id: &cur.account.login_id,
        notice: query_notice(&req, t),
        previous_sign_in: when(history.previous_sign_in),
        last_sign_out: when(history.last_sign_out),
        failures: history
            .failures_since
            .iter()
            .map(|r| (c.when(r.occurred_at), r.event.source_ip.clone().unwrap_or_default()))
            .collect(),
        systems,
        factors: listed
            .into_iter()
            .map(|l| FactorRow {
                id: l.id,
                kind: if l.kind == "totp" { "TOTP" } else { "WebAuthn" },
                name: l.name,
                created: c.when(l.created_at),
                last_used: when(l.last_used_at),
            })
            .collect(),
        sessions: history
            .sessions
            .iter()
            .map(|s| SessionRow {
                id: s.id[..16].to_string(),
                started: c.when(s.created_at),
                source: s.source_ip.clone().unwrap_or_default(),
                current: s.id == cur.session.id,
            })
            .collect(),
        recent: history
            .recent
            .iter()
            .map(|r| {
                (
                    c.when(r.occurred_at),
                    super::console_text::methods(t.lang == "ja", &r.event.details),
                    r.event.source_ip.clone().unwrap_or_default(),
                )
            })
            .collect(),
        officer,
        elevations,
        eligibility,
        console,
    };
    c.render(&req, &page)
}

fn query_notice(req: &HttpRequest, t: &'static super::text::Text) -> Option<&'static str> {
    req.query_string().split('&').any(|kv| kv == "done=password").then_some(t.password_changed)
}

#[derive(Deserialize)]
pub struct EndForm {
    #[serde(default)]
    csrf: String,
    id: String,
}

/// Ends one of the person's own other sessions.
pub async fn end_session(
    req: HttpRequest,
    app: web::Data<App>,
    form: web::Form<EndForm>,
) -> Result<HttpResponse, ApiError> {
    check_csrf(&req, Some(&form.csrf))?;
    let cur = match guard(&req, &app, Need::Full).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    if form.id.len() != 16 || !form.id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::BadRequest(
            Words::new("セッションIDは16桁の16進数です", "session id is 16 hex digits").coded("session_id_malformed"),
        ));
    }
    session::end_own(&app, &cur, form.id.clone(), origin(&req, &app)).await?;
    Ok(redirect("/account"))
}
