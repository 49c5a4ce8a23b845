//! `/review`: the reviewer's inbox in Japanese (person, role, system, last use, why the grant
//! exists, deadline), decided one or many at a time; `/review/campaigns`: campaign progress and the
//! reviewers with open items, for officers and the auditor, with a form to start a campaign
//! (security officers only); `/review/reports`: the reports in the console (R-RV-05, R-RV-06, R-RV-09).

use super::{guard, redirect, Ctx};
use crate::app::review::campaign::InboxRow;
use crate::app::review::service::Reviewer;
use crate::app::review::table::Table;
use crate::app::signin::authz::{self, Need};
use crate::app::signin::session::Current;
use crate::app::words::Words;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::forms::field;
use crate::http::review::{decide_items, readable, reviewer, Decide};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use tobira_domain::review::campaign::Scope;

pub struct Row {
    pub item: String,
    pub login: String,
    pub employee_number: Option<String>,
    pub name: String,
    pub system_name: String,
    pub role: String,
    pub role_name: String,
    pub source: &'static str,
    pub reason: Option<String>,
    pub last_used: String,
    pub deadline: String,
    pub escalated: bool,
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage<'a> {
    c: &'a Ctx,
    notice: Option<String>,
    rows: Vec<Row>,
}

fn source_label(ja: bool, s: &str) -> &'static str {
    match (s, ja) {
        ("request", true) => "申請・承認",
        ("request", false) => "requested and approved",
        ("birthright", true) => "人事情報（所属・職）",
        ("birthright", false) => "HR record (department, post)",
        ("delegate", true) => "代行者",
        ("delegate", false) => "delegate",
        ("bootstrap", true) => "初期設定",
        ("bootstrap", false) => "bootstrap",
        (_, true) => "その他",
        _ => "other",
    }
}

fn row(c: &Ctx, r: InboxRow) -> Row {
    let ja = c.t.lang == "ja";
    Row {
        source: source_label(ja, &r.source),
        last_used: r.last_sign_in.map_or_else(|| "—".into(), |t| c.when(t)),
        deadline: c.when(r.deadline),
        item: r.item,
        login: r.login,
        employee_number: r.employee_number,
        name: r.name.unwrap_or_default(),
        system_name: r.system_name,
        role: r.role,
        role_name: r.role_name,
        reason: r.reason,
        escalated: r.escalated,
    }
}

pub async fn inbox(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    if let Err(r) = guard(&req, &app, Need::Full).await? {
        return Ok(r);
    }
    let (_, r) = reviewer(&req, &app, false).await?;
    let rows = r.inbox(&app).await?;
    let c = Ctx::new(&req, &app)?;
    let notice = notice(&req, &c);
    let rows = rows.into_iter().map(|r| row(&c, r)).collect();
    c.render(&req, &ReviewPage { c: &c, notice, rows })
}

fn notice(req: &HttpRequest, c: &Ctx) -> Option<String> {
    let q: Vec<(String, String)> = url::form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect();
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let mut parts = Vec::new();
    if let Some(n) = get("decided") {
        parts.push(format!("{n} {}", c.t.decided_n));
    }
    if let Some(n) = get("refused").filter(|n| n != "0") {
        parts.push(format!("{n} {}: {}", c.t.refused_n, get("why").unwrap_or_default()));
    }
    if let Some(n) = get("started") {
        parts.push(format!("{} ({n})", c.t.start));
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// A posted form ([`super::posted`]) with the caller as a reviewer.
async fn posted(
    req: &HttpRequest,
    app: &App,
    body: &[u8],
    need: Need,
) -> Result<Result<(Vec<(String, String)>, Current, Reviewer), HttpResponse>, ApiError> {
    let (f, cur) = match super::posted(req, app, body, need).await? {
        Ok(v) => v,
        Err(r) => return Ok(Err(r)),
    };
    let r = Reviewer::of(app, &cur.account, super::origin(req, app)).await?;
    Ok(Ok((f, cur, r)))
}

pub async fn submit(req: HttpRequest, app: web::Data<App>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let (f, _, r) = match posted(&req, &app, &body, Need::Full).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let items: Vec<String> = f.iter().filter(|(k, _)| k == "item").map(|(_, v)| v.clone()).collect();
    if items.is_empty() {
        return Ok(redirect("/review?decided=0"));
    }
    let out = decide_items(&app, &r, Decide { items, decision: field(&f, "decision"), comment: field(&f, "comment") })
        .await?;
    let ok = out.iter().filter(|d| d.ok).count();
    let ja = super::lang(&req).lang == "ja";
    let why = out.iter().find_map(|d| if ja { d.error_ja.clone() } else { d.error.clone() }).unwrap_or_default();
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("decided", &ok.to_string())
        .append_pair("refused", &(out.len() - ok).to_string())
        .append_pair("why", &why)
        .finish();
    Ok(redirect(&format!("/review?{q}")))
}

pub struct CampaignRow {
    pub id: String,
    pub title: String,
    pub status: String,
    pub deadline: String,
    pub items: i64,
    pub kept: i64,
    pub removed: i64,
    pub open: i64,
    pub escalated: i64,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "campaigns.html")]
struct CampaignsPage<'a> {
    c: &'a Ctx,
    notice: Option<String>,
    campaigns: Vec<CampaignRow>,
    reviewers: Vec<(String, String, usize, bool)>,
    officer: bool,
    systems: Vec<(String, String)>,
}

pub async fn campaigns(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let cur = match guard(&req, &app, Need::Full).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let r = Reviewer::of(&app, &cur.account, super::origin(&req, &app)).await?;
    let now = app.clock.now_ms();
    let Some((rows, reviewers)) = r.overview(&app).await? else {
        return super::message(&req, &app, actix_web::http::StatusCode::FORBIDDEN, |t| (t.error_title, t.forbidden));
    };
    let c = Ctx::new(&req, &app)?;
    let campaigns = rows
        .into_iter()
        .map(|p| CampaignRow {
            deadline: c.when(p.campaign.deadline),
            id: p.campaign.id,
            title: p.campaign.title,
            status: p.campaign.status,
            items: p.items,
            kept: p.kept,
            removed: p.removed + p.removed_at_deadline,
            open: p.open,
            escalated: p.escalated,
            overdue: p.overdue,
        })
        .collect();
    let officer = authz::authorize(&app.policy, Some(&cur), Need::Officer, now).is_ok();
    let systems = app.policy.systems.iter().map(|s| (s.id.get_ref().clone(), s.name.clone())).collect();
    let notice = notice(&req, &c);
    c.render(&req, &CampaignsPage { c: &c, notice, campaigns, reviewers, officer, systems })
}

pub async fn start(req: HttpRequest, app: web::Data<App>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let (f, _, r) = match posted(&req, &app, &body, Need::Officer).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let (system, department) = (field(&f, "system"), field(&f, "department"));
    let scope = if !system.trim().is_empty() {
        Scope::System(system.trim().into())
    } else if !department.trim().is_empty() {
        Scope::Department(department.trim().into())
    } else if field(&f, "city") == "1" {
        Scope::City
    } else {
        return Err(ApiError::BadRequest(
            Words::new("システム、所属、全庁のいずれかを選んでください", "choose a system, a department or city-wide")
                .coded("unknown_scope"),
        ));
    };
    let made = r.create_campaign(&app, scope).await?;
    Ok(redirect(&format!("/review/campaigns?started={}", made.items)))
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage<'a> {
    c: &'a Ctx,
    reports: Vec<(&'static str, &'static str)>,
    current: String,
    table: Option<Table>,
    headings: Vec<&'static str>,
    summary: Vec<(String, String)>,
    rows: Vec<Vec<String>>,
}

/// `/review/reports` and `/review/reports/{name}`: the review reports in the console, as a table with
/// a CSV download, cut to what the reader may see (R-RV-06).
pub async fn reports(
    req: HttpRequest,
    app: web::Data<App>,
    name: Option<web::Path<String>>,
) -> Result<HttpResponse, ApiError> {
    if let Err(r) = guard(&req, &app, Need::Full).await? {
        return Ok(r);
    }
    let c = Ctx::new(&req, &app)?;
    let t = c.t;
    let reports = vec![
        ("dormant", t.report_dormant),
        ("grants", t.report_grants),
        ("passwords", t.report_passwords),
        ("exceptions", t.report_exceptions),
        ("findings", t.report_findings),
        ("campaigns", t.report_campaigns),
        ("compliance", t.report_compliance),
        ("vendors", t.report_vendors),
    ];
    let current = name.map(|n| n.into_inner()).unwrap_or_default();
    let table = if current.is_empty() {
        None
    } else if !reports.iter().any(|r| r.0 == current) {
        return Err(ApiError::NotFound);
    } else {
        let (_, r) = reviewer(&req, &app, false).await?;
        match readable(&app, &r, &current, 30).await {
            Ok(t) => Some(t),
            Err(ApiError::Forbidden(_)) => {
                return super::message(&req, &app, actix_web::http::StatusCode::FORBIDDEN, |t| {
                    (t.error_title, t.forbidden)
                })
            }
            Err(e) => return Err(e),
        }
    };
    let (headings, summary, rows) = match &table {
        Some(tb) => (tb.columns.iter().map(|(_, h)| *h).collect(), tb.summary_text(), tb.cells()),
        None => (Vec::new(), Vec::new(), Vec::new()),
    };
    c.render(&req, &ReportsPage { c: &c, reports, current, table, headings, summary, rows })
}

#[derive(Template)]
#[template(path = "exceptions.html")]
struct ExceptionsPage<'a> {
    c: &'a Ctx,
    notice: Option<String>,
    /// (id, standing, cells) when the reader may see the register.
    register: Option<Vec<(String, String, Vec<String>)>>,
    headings: Vec<&'static str>,
    approver: bool,
    /// The reader may declare an emergency (`approvals.exception_emergency`).
    emergency: bool,
}

/// `/review/exceptions`: the register (for its readers) with the approvers' buttons, and the
/// request form for anyone signed in (R-AC-04).
pub async fn exceptions(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    if let Err(r) = guard(&req, &app, Need::Full).await? {
        return Ok(r);
    }
    let (_, r) = reviewer(&req, &app, false).await?;
    let policy = app.policy.clone();
    let approver =
        tobira_domain::approval::check(&policy, &policy.approvals.exception, &r.facts, Default::default()).is_ok();
    let emergency =
        tobira_domain::approval::check(&policy, &policy.approvals.exception_emergency, &r.facts, Default::default())
            .is_ok();
    let table = readable(&app, &r, "exceptions", 30).await.ok();
    let c = Ctx::new(&req, &app)?;
    let headings = table.as_ref().map(|t| t.columns.iter().map(|(_, h)| *h).collect()).unwrap_or_default();
    let register = table.map(|t| {
        let cells = t.cells();
        t.rows
            .iter()
            .zip(cells)
            .map(|(r, cells)| {
                (
                    r["id"].as_str().unwrap_or_default().to_string(),
                    r["standing"].as_str().unwrap_or_default().to_string(),
                    cells,
                )
            })
            .collect()
    });
    let q: Vec<(String, String)> = url::form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect();
    let notice = q.iter().find(|(k, _)| k == "notice").map(|(_, v)| v.clone());
    c.render(&req, &ExceptionsPage { c: &c, notice, register, headings, approver, emergency })
}

fn back_to_exceptions(text: &str) -> HttpResponse {
    redirect(&format!(
        "/review/exceptions?{}",
        url::form_urlencoded::Serializer::new(String::new()).append_pair("notice", text).finish()
    ))
}

pub async fn request_exception(
    req: HttpRequest,
    app: web::Data<App>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (f, _, r) = match posted(&req, &app, &body, Need::Full).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let Ok(valid_until) = crate::app::dates::last_day(&field(&f, "until"), "until") else {
        return Ok(back_to_exceptions("期限の日付を YYYY-MM-DD で入力してください / the last day must be YYYY-MM-DD"));
    };
    let new = crate::app::review::exceptions::NewException {
        rule: field(&f, "rule"),
        subjects: field(&f, "subjects").lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect(),
        reason: field(&f, "reason"),
        valid_until,
        emergency: field(&f, "emergency") == "1",
    };
    match r.request_exception(&app, new).await {
        Ok(id) => Ok(back_to_exceptions(&format!("申請しました / requested: {id}"))),
        Err(e) => super::officer::refusal(e).map(|why| back_to_exceptions(&why)),
    }
}

pub async fn decide_exception(
    req: HttpRequest,
    app: web::Data<App>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (f, _, r) = match posted(&req, &app, &body, Need::Full).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let verdict: crate::app::review::exceptions::Verdict =
        serde_json::from_value(serde_json::json!(field(&f, "verdict"))).map_err(|_| {
            ApiError::BadRequest(Words::new("不明な判定です", "unknown verdict").coded("unknown_verdict"))
        })?;
    match r.decide_exception(&app, field(&f, "id"), verdict, String::new()).await {
        Ok(s) => Ok(back_to_exceptions(&format!("{} → {}", field(&f, "id"), s.as_str()))),
        Err(e) => super::officer::refusal(e).map(|why| back_to_exceptions(&why)),
    }
}
