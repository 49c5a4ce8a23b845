//! `/console/privileged`: privileged and development IDs with their holders, state and last use;
//! eligibility per system (the report's), active elevations, the pending elevations the reader may
//! decide (approve or deny, with a note), the delegates (代行者) with the CISO's approve and refuse
//! buttons, and every elevation as `tobira report privileged` lists it (R-PR-01…R-PR-09, R-RV-04);
//! the forms that create accounts and nominate or end delegates post to
//! [`super::console_privileged_forms`].
//!
//! Invariants: a full session and the console reader first; the page renders what
//! `app::console::privileged` returns (which refuses anyone but officers and the auditor, and audits
//! the reading); each button posts with its CSRF token to the same application function as
//! `/api/privileged/…` (`elevation::decide`, `delegation::decide`), whose rules decide.

use super::console_ops_text::{self as ot, OpsText};
use super::Ctx;
use crate::app::console::privileged;
use crate::app::privileged::{delegation, elevation};
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::forms::field;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde_json::Value;

const PAGE: &str = "/console/privileged";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(PAGE, web::get().to(page))
        .route("/console/privileged/elevations/{id}/decide", web::post().to(decide_elevation))
        .route("/console/privileged/delegations/{id}/decide", web::post().to(decide_delegate));
}

pub struct AccountRow {
    pub login_id: String,
    pub holder: String,
    pub state: &'static str,
    pub code: String,
    pub kinds: Vec<&'static str>,
    pub last_use: String,
    pub valid_until: String,
    pub responsible: String,
}

pub struct SystemBlock {
    pub id: String,
    pub name: String,
    pub cap: String,
    pub holders_now: String,
    /// (account, role, granted by, since, revoked, last sign-in, last elevation, unused)
    pub rows: Vec<[String; 7]>,
    pub unused: Vec<bool>,
}

pub struct ElevationRow {
    pub id: String,
    pub login: String,
    pub role: String,
    pub minutes: i32,
    pub reason: String,
    pub started: String,
    pub ends: String,
    pub break_glass: bool,
}

pub struct DelegateRow {
    pub id: String,
    pub principal: String,
    pub delegate: String,
    pub nominated_by: String,
    pub reason: String,
    pub period: String,
    pub status: String,
    pub decided_by: String,
}

#[derive(Template)]
#[template(path = "console_privileged.html")]
struct PrivilegedPage<'a> {
    c: &'a Ctx,
    o: &'static OpsText,
    accounts: Vec<AccountRow>,
    systems: Vec<SystemBlock>,
    active: Vec<ElevationRow>,
    to_decide: Vec<ElevationRow>,
    delegates: Vec<DelegateRow>,
    decides_delegates: bool,
    /// A security officer: the account forms are shown (the server decides regardless).
    acts: bool,
    /// The authorities a delegate may be nominated for: (`principal`, words).
    principals: Vec<(String, String)>,
    /// The report's elevations: (account, role, status, minutes, requested, decided by, started, ended, flags)
    report: Vec<[String; 9]>,
    notice: Option<String>,
    error: Option<String>,
}

/// A report cell as text ("—" when absent).
fn cell(v: &Value, key: &str) -> String {
    match &v[key] {
        Value::Null => "—".into(),
        Value::String(s) if s.is_empty() => "—".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `/console/privileged`.
pub async fn page(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let (cur, reader) = match super::console_gate::entry(&req, &app).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let v = match privileged::overview(&app, &reader, &cur, &super::origin(&req, &app)).await {
        Ok(v) => v,
        Err(e) => return super::console_gate::refused(&req, &app, e),
    };
    let c = Ctx::new(&req, &app)?;
    let (o, k) = (ot::of(c.t), super::console_text::of(c.t));
    let when = |ms: Option<i64>| ms.map_or_else(|| o.never.to_string(), |m| c.when(m));
    let accounts = v
        .accounts
        .iter()
        .map(|l| {
            let a = &l.account;
            let kinds = [
                (a.is_privileged, o.kind_privileged),
                (a.is_development, o.kind_development),
                (a.is_vendor, o.kind_vendor),
            ]
            .into_iter()
            .filter(|(on, _)| *on)
            .map(|(_, w)| w)
            .collect();
            AccountRow {
                login_id: a.login_id.clone(),
                holder: l.holder.as_ref().map_or_else(|| "—".into(), |(en, name)| format!("{name}（{en}）")),
                state: super::console_text::status(k, &a.status),
                code: a.status.clone(),
                kinds,
                last_use: when(a.last_login_at),
                valid_until: a.expires_at.map_or_else(|| "—".into(), |m| c.when(m)),
                responsible: l
                    .development
                    .as_ref()
                    .map_or_else(|| "—".into(), |d| format!("{} / {}", d.responsible, d.worker)),
            }
        })
        .collect();
    let systems = v.report["systems"]
        .as_array()
        .map(|s| {
            s.iter()
                .map(|s| {
                    let elig = s["eligibility"].as_array().cloned().unwrap_or_default();
                    SystemBlock {
                        id: cell(s, "system"),
                        name: cell(s, "name"),
                        cap: cell(s, "cap"),
                        holders_now: cell(s, "holders_now"),
                        unused: elig.iter().map(|e| e["unused"].as_bool().unwrap_or(false)).collect(),
                        rows: elig
                            .iter()
                            .map(|e| {
                                ["account", "role", "granted_by", "since", "revoked", "last_sign_in", "last_elevation"]
                                    .map(|key| cell(e, key))
                            })
                            .collect(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let el = |e: &crate::app::privileged::Elevation, login: &str| ElevationRow {
        id: e.id.clone(),
        login: login.to_string(),
        role: e.role_id.clone(),
        minutes: e.minutes,
        reason: e.reason.clone(),
        started: when(e.starts_at),
        ends: when(e.ends_at),
        break_glass: e.break_glass,
    };
    let active = v.active.iter().map(|(e, login)| el(e, login)).collect();
    let to_decide = v.to_decide.iter().map(|a| el(&a.elevation, &a.requester)).collect();
    let delegates = v
        .delegations
        .iter()
        .map(|d| DelegateRow {
            id: d.id.clone(),
            principal: d.principal.clone(),
            delegate: d.delegate_employee_number.clone(),
            nominated_by: d.nominated_by.clone(),
            reason: d.reason.clone(),
            period: format!("{} – {}", c.when(d.valid_from), c.when(d.valid_until)),
            status: d.status.clone(),
            decided_by: d.decided_by.clone().unwrap_or_else(|| "—".into()),
        })
        .collect();
    let n = app.policy.console.privileged_list_size as usize;
    let report = v.report["elevations"]
        .as_array()
        .map(|els| {
            els.iter()
                .rev()
                .take(n)
                .map(|e| {
                    let mut flags = Vec::new();
                    if e["break_glass"].as_bool() == Some(true) {
                        flags.push(o.break_glass);
                    }
                    if e["review_required"].as_bool() == Some(true) {
                        flags.push(o.review_pending);
                    }
                    let [a, b, st, m, r, d, s, en] =
                        ["account", "role", "status", "minutes", "requested", "decided_by", "started", "ended"]
                            .map(|key| cell(e, key));
                    [a, b, st, m, r, d, s, en, flags.join("・")]
                })
                .collect()
        })
        .unwrap_or_default();
    let (notice, error) = super::officer::outcome(&req);
    let principals = super::console_privileged_forms::principals(&app.policy, &reader.facts, o);
    let page = PrivilegedPage {
        c: &c,
        o,
        accounts,
        systems,
        active,
        to_decide,
        delegates,
        decides_delegates: v.decides_delegates,
        acts: reader.acts,
        principals,
        report,
        notice,
        error,
    };
    c.render(&req, &page)
}

/// Approves or denies a pending elevation (`decision` = `approve` | `deny`), with a note: the same
/// function as `POST /api/privileged/elevations/{id}/approve`.
pub async fn decide_elevation(
    req: HttpRequest,
    app: web::Data<App>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let bad = |_: &str| ot::of(super::lang(&req)).decision_required.to_string();
    let (f, cur, yes) = match super::officer::posted_decision(&req, &app, &body, PAGE, "deny", bad).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let o = ot::of(super::lang(&req));
    match elevation::decide(&app, &cur, &id, yes, &field(&f, "note"), &super::origin(&req, &app)).await {
        Ok(e) => {
            Ok(super::officer::back(PAGE, true, &format!("{}: {} — {}", o.elevation_decided, e.role_id, e.status)))
        }
        Err(e) => super::officer::back_refused(PAGE, e),
    }
}

/// Approves or refuses a nomination of a delegate (`decision` = `approve` | `refuse`): the same
/// function as `POST /api/privileged/delegations/{id}/approve`; the CISO decides (R-PR-03).
pub async fn decide_delegate(
    req: HttpRequest,
    app: web::Data<App>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let bad = |_: &str| ot::of(super::lang(&req)).decision_required.to_string();
    let (_, cur, yes) = match super::officer::posted_decision(&req, &app, &body, PAGE, "refuse", bad).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let o = ot::of(super::lang(&req));
    match delegation::decide(&app, &cur, &id, yes, &super::origin(&req, &app)).await {
        Ok(d) => {
            Ok(super::officer::back(PAGE, true, &format!("{}: {} — {}", o.delegate_decided, d.principal, d.status)))
        }
        Err(e) => super::officer::back_refused(PAGE, e),
    }
}
