//! The operator's console pages: `/console/people`, finding a person (paged), and
//! `/console/people/{id}`, the person's page with the officer's buttons (posted to [`super::console_act`]).
//! Readers: security officers, the CISO's office and the auditor (everyone), a 所属長 (their own
//! sections' people; anyone else is "not found" to them).
//!
//! Invariants: every handler goes in through [`super::console_gate`] (a full session, then the app's
//! `console::reader`); the pages only render what `app::console` returns; dates in JST; sign-in
//! methods as words.

use super::console_gate::{entry, refused};
use super::console_text::{self as ct, ConsoleText};
use super::Ctx;
use crate::app::console::{person, search};
use crate::app::App;
use crate::http::error::ApiError;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use tobira_domain::console::scope::Scope;

mod account;

use account::{block, AccountBlock};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/console/people", web::get().to(search_page)).route("/console/people/{id}", web::get().to(person_page));
}

pub struct AccountCell {
    pub login_id: String,
    pub status: &'static str,
    pub code: String,
    pub flags: Vec<&'static str>,
}

pub struct Row {
    pub id: String,
    pub employee_number: String,
    pub name_kanji: String,
    pub name_kana: String,
    pub department: String,
    pub hr_status: String,
    pub accounts: Vec<AccountCell>,
}

#[derive(Template)]
#[template(path = "console_search.html")]
struct SearchPage<'a> {
    c: &'a Ctx,
    k: &'static ConsoleText,
    /// The console's navigation words.
    o: &'static super::console_ops_text::OpsText,
    q: &'a search::Query,
    statuses: Vec<(&'static str, &'static str)>,
    section_only: bool,
    rows: Vec<Row>,
    page: u32,
    prev: Option<String>,
    next: Option<String>,
}

fn flags(k: &ConsoleText, privileged: bool, shared: bool, vendor: bool, development: bool) -> Vec<&'static str> {
    [(privileged, k.privileged), (shared, k.shared), (vendor, k.vendor), (development, k.development)]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, w)| w)
        .collect()
}

fn page_link(q: &search::Query, page: u32) -> String {
    let s = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("q", &q.q)
        .append_pair("department", &q.department)
        .append_pair("status", &q.status)
        .append_pair("page", &page.to_string())
        .finish();
    format!("/console/people?{s}")
}

/// `/console/people`: the search form and one page of results.
pub async fn search_page(
    req: HttpRequest,
    app: web::Data<App>,
    q: web::Query<search::Query>,
) -> Result<HttpResponse, ApiError> {
    let (_, reader) = match entry(&req, &app).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let q = q.into_inner();
    let found = match search::search(&app, &reader, &q).await {
        Ok(f) => f,
        Err(e) => return refused(&req, &app, e),
    };
    let c = Ctx::new(&req, &app)?;
    let k = ct::of(c.t);
    let rows = found
        .people
        .into_iter()
        .map(|p| Row {
            accounts: p
                .accounts
                .into_iter()
                .map(|a| AccountCell {
                    status: ct::status(k, &a.status),
                    flags: flags(k, a.is_privileged, a.is_shared, a.is_vendor, a.is_development),
                    code: a.status,
                    login_id: a.login_id,
                })
                .collect(),
            id: p.id,
            employee_number: p.employee_number,
            name_kanji: p.name_kanji,
            name_kana: p.name_kana,
            department: p.department.unwrap_or_default(),
            hr_status: p.hr_status,
        })
        .collect();
    let prev = (found.page > 1).then(|| page_link(&q, found.page - 1));
    let next = found.has_next.then(|| page_link(&q, found.page + 1));
    let page = SearchPage {
        c: &c,
        k,
        o: super::console_ops_text::of(c.t),
        q: &q,
        statuses: vec![
            ("active", k.st_active),
            ("suspended", k.st_suspended),
            ("disabled", k.st_disabled),
            ("deleted", k.st_deleted),
        ],
        section_only: reader.scope != Scope::All,
        rows,
        page: found.page,
        prev,
        next,
    };
    c.render(&req, &page)
}

#[derive(Template)]
#[template(path = "console_person.html")]
struct PersonPage<'a> {
    c: &'a Ctx,
    k: &'static ConsoleText,
    v: &'a person::PersonView,
    departments: Vec<(String, String, &'static str)>,
    synced: String,
    accounts: Vec<AccountBlock>,
    requests: Vec<(String, String, String, String, String)>,
    reviews: Vec<(String, String, String, String)>,
    /// (seq, when, actor, action, outcome, details)
    trail: Vec<(i64, String, String, String, String, String)>,
    older: Option<String>,
    acts: bool,
    /// The helpdesk: unlock and enrolment link on staff accounts only.
    helpdesk: bool,
    helpdesk_note: &'static str,
    buttons: Vec<(&'static str, &'static str)>,
    notice: Option<String>,
    error: Option<String>,
}

/// Whether the person holds an officer function or a privileged ID through any account (then the
/// helpdesk is offered no button on any of their accounts, as the server's rule refuses them).
fn beyond_staff(app: &App, v: &person::PersonView) -> bool {
    let officer_roles: Vec<&str> = app.policy.officers.values().map(|o| o.role.get_ref().as_str()).collect();
    v.accounts.iter().any(|a| {
        a.account.is_privileged
            || a.grants.iter().any(|g| g.revoked_at.is_none() && officer_roles.contains(&g.role_id.as_str()))
    })
}

/// The officer's buttons that take only a reason: (action, label).
fn buttons(k: &'static ConsoleText) -> Vec<(&'static str, &'static str)> {
    vec![
        ("unlock", k.act_unlock),
        ("reset", k.act_reset),
        ("enrol", k.act_enrol),
        ("suspend", k.act_suspend),
        ("reinstate", k.act_reinstate),
        ("end_sessions", k.act_end_sessions),
        ("remote_revoke", k.act_remote_revoke),
    ]
}

/// `/console/people/{id}`: the person's page; `?before=SEQ` pages the trail.
pub async fn person_page(
    req: HttpRequest,
    app: web::Data<App>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (_, reader) = match entry(&req, &app).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let before = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "before")
        .and_then(|(_, v)| v.parse::<i64>().ok());
    let v = match person::view(&app, &reader, &id, before, &super::origin(&req, &app)).await {
        Ok(v) => v,
        Err(e) => return refused(&req, &app, e),
    };
    let c = Ctx::new(&req, &app)?;
    let k = ct::of(c.t);
    let departments = v
        .departments
        .iter()
        .map(|(code, name, m)| {
            (code.clone(), name.clone(), if m == "primary" { k.membership_primary } else { k.membership_concurrent })
        })
        .collect();
    let staff = !beyond_staff(&app, &v);
    let accounts = v.accounts.iter().map(|a| AccountBlock { staff, ..block(&c, k, a) }).collect();
    let requests = v
        .requests
        .iter()
        .map(|r| (r.id.clone(), r.kind.clone(), r.login_id.clone(), r.requested_by.clone(), c.when(r.requested_at)))
        .collect();
    let reviews = v
        .reviews
        .iter()
        .map(|r| (r.login_id.clone(), r.system_id.clone(), r.role_id.clone(), c.when(r.deadline)))
        .collect();
    let trail = v
        .trail
        .iter()
        .map(|r| {
            (
                r.seq,
                c.when(r.occurred_at),
                r.event.actor.clone(),
                r.event.action.clone(),
                r.event.outcome.as_str().to_string(),
                r.event.details.get("reason").and_then(|x| x.as_str()).unwrap_or("").to_string(),
            )
        })
        .collect();
    let older = v.trail_next.map(|s| format!("/console/people/{}?before={s}", v.person.id));
    let (notice, error) = super::officer::outcome(&req);
    let page = PersonPage {
        c: &c,
        k,
        synced: c.when(v.person.updated_at),
        v: &v,
        departments,
        accounts,
        requests,
        reviews,
        trail,
        older,
        acts: reader.acts,
        helpdesk: reader.helpdesk,
        helpdesk_note: super::console_ops_text::of(c.t).helpdesk_note,
        buttons: buttons(k),
        notice,
        error,
    };
    c.render(&req, &page)
}
