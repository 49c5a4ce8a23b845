//! `/console/audit`: the audit log for the auditor, the security officers and the CISO's office
//! (R-LG-11, R-RV-09): a filter form (person, account, action, outcome, system, source address, days
//! in JST), one page of records newest first with a link to the older ones (keyset on `seq`), and
//! `/console/audit.csv`, the same selection as CSV (UTF-8 with BOM). Staff are refused.
//!
//! Invariant: the page renders what `app::console::audit` returns, which audits every reading and
//! refusal first.

use super::console_text::{self as ct, ConsoleText};
use super::{guard, Ctx};
use crate::app::console::audit;
use crate::app::signin::authz::Need;
use crate::app::App;
use crate::http::error::ApiError;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/console/audit", web::get().to(page)).route("/console/audit.csv", web::get().to(csv));
}

/// (seq, when, actor, action, target, outcome, from, details)
type Line = (i64, String, String, String, String, String, String, String);

#[derive(Template)]
#[template(path = "console_audit.html")]
struct AuditPage<'a> {
    c: &'a Ctx,
    k: &'static ConsoleText,
    q: &'a audit::Query,
    systems: Vec<(String, String)>,
    outcomes: [&'static str; 3],
    lines: Vec<Line>,
    older: Option<String>,
    csv: String,
}

fn query_string(q: &audit::Query, before: Option<i64>) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("person", &q.person),
        ("account", &q.account),
        ("action", &q.action),
        ("outcome", &q.outcome),
        ("system", &q.system),
        ("source", &q.source),
        ("from", &q.from),
        ("to", &q.to),
        ("reason", &q.reason),
    ] {
        if !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    if let Some(b) = before {
        s.append_pair("before", &b.to_string());
    }
    s.finish()
}

pub async fn page(
    req: HttpRequest,
    app: web::Data<App>,
    q: web::Query<audit::Query>,
) -> Result<HttpResponse, ApiError> {
    let cur = match guard(&req, &app, Need::Full).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let q = q.into_inner();
    let p = match audit::read(&app, &cur, &q, &super::origin(&req, &app)).await {
        Ok(p) => p,
        Err(e) => return super::console_gate::refused(&req, &app, e),
    };
    let c = Ctx::new(&req, &app)?;
    let k = ct::of(c.t);
    let lines = p
        .records
        .iter()
        .map(|r| {
            let e = &r.event;
            (
                r.seq,
                c.when(r.occurred_at),
                e.actor.clone(),
                e.action.clone(),
                e.target.clone(),
                e.outcome.as_str().to_string(),
                e.source_ip.clone().unwrap_or_default(),
                ct::details(&e.details),
            )
        })
        .collect();
    let systems = app
        .policy
        .systems
        .iter()
        .map(|s| {
            (
                s.id.get_ref().clone(),
                if c.t.lang == "ja" || s.name_en.is_empty() { s.name.clone() } else { s.name_en.clone() },
            )
        })
        .collect();
    let older = p.next.map(|b| format!("/console/audit?{}", query_string(&q, Some(b))));
    let csv = format!("/console/audit.csv?{}", query_string(&q, None));
    c.render(
        &req,
        &AuditPage { c: &c, k, q: &q, systems, outcomes: ["success", "failure", "denied"], lines, older, csv },
    )
}

/// The selection as CSV (UTF-8 with BOM).
pub async fn csv(req: HttpRequest, app: web::Data<App>, q: web::Query<audit::Query>) -> Result<HttpResponse, ApiError> {
    let cur = match guard(&req, &app, Need::Full).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let q = q.into_inner();
    match audit::export(&app, &cur, &q, &super::origin(&req, &app)).await {
        Ok(records) => Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header(("Content-Disposition", "attachment; filename=\"tobira-audit.csv\""))
            .body(audit::csv(&records))),
        Err(e) => super::console_gate::refused(&req, &app, e),
    }
}
