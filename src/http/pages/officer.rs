//! The security officer's console pages: `/officer/returns`, the authenticators listed for return
//! with a form to record each as returned, destroyed or lost, and the record of what was handed
//! back (a returned one may then be recorded as destroyed) (R-LC-15, R-AU-12); `/officer/shared-ids`,
//! each shared ID's users and who permitted them, with forms to add and remove a user (R-AU-08).
//!
//! Invariants: security officers only (`Need::Officer`, as the officer API); every change goes
//! through the same application function as the API (`app::returns`, `app::shared_ids`) and comes
//! back to its page with a notice (post/redirect/get); a refusal shows the application's message.

use super::{guard, redirect, Ctx};
use crate::app::returns::Returns;
use crate::app::shared_ids::SharedIds;
use crate::app::signin::authz::Need;
use crate::app::{App, AppError};
use crate::http::error::ApiError;
use crate::http::forms::field;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use tobira_domain::lifecycle::handback::{AuthenticatorKind, ReturnStatus};
use tobira_domain::lifecycle::Reason;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/officer/returns", web::get().to(returns_page))
        .route("/officer/returns", web::post().to(record))
        .route("/officer/shared-ids", web::get().to(shared_page))
        .route("/officer/shared-ids/users", web::post().to(add_user))
        .route("/officer/shared-ids/users/remove", web::post().to(remove_user));
}

/// Back to `path` with a notice, or an error when `ok` is false.
pub(super) fn back(path: &str, ok: bool, text: &str) -> HttpResponse {
    let q = url::form_urlencoded::Serializer::new(String::new())
        .append_pair(if ok { "notice" } else { "error" }, text)
        .finish();
    redirect(&format!("{path}?{q}"))
}

/// Back to `path` with `e` as the error when it is a refusal an officer can correct ([`refusal`]);
/// any other failure stays an error.
pub(super) fn back_refused(path: &str, e: AppError) -> Result<HttpResponse, ApiError> {
    Ok(back(path, false, &refusal(e)?))
}

/// The notice and the error a redirect carried.
pub(super) fn outcome(req: &HttpRequest) -> (Option<String>, Option<String>) {
    let q: Vec<(String, String)> = url::form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect();
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).filter(|v| !v.is_empty());
    (get("notice"), get("error"))
}

/// The refusals an officer can correct (a second record, an unknown person, an HR directory that
/// does not answer…) as their message in both languages; any other failure stays an error.
pub(super) fn refusal(e: AppError) -> Result<String, ApiError> {
    if let AppError::Directory(m) = e {
        return Ok(format!("人事ディレクトリを読めません / the HR directory: {m}"));
    }
    let e = ApiError::from(e);
    e.shown().ok_or(e)
}

pub struct DueRow {
    pub id: String,
    pub employee_number: String,
    pub name: String,
    pub login: String,
    pub kind: &'static str,
    pub label: String,
    pub why: String,
    pub listed_at: String,
}

pub struct RecordRow {
    pub id: String,
    pub employee_number: String,
    pub name: String,
    pub login: String,
    pub kind: &'static str,
    pub label: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub recorded_by: String,
    pub recorded_at: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "officer_returns.html")]
struct ReturnsPage<'a> {
    c: &'a Ctx,
    notice: Option<String>,
    error: Option<String>,
    due: Vec<DueRow>,
    records: Vec<RecordRow>,
}

/// The kind's label; a kind this version does not know is shown as not recorded.
fn kind_label(ja: bool, kind: &str) -> &'static str {
    let k = AuthenticatorKind::parse(kind).unwrap_or(AuthenticatorKind::Unrecorded);
    if ja {
        k.ja()
    } else {
        k.en()
    }
}

fn status_label(ja: bool, s: ReturnStatus) -> &'static str {
    if ja {
        s.ja()
    } else {
        s.en()
    }
}

/// `/officer/returns`: what is due for return, then what was recorded, newest first.
pub async fn returns_page(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    if let Err(r) = guard(&req, &app, Need::Officer).await? {
        return Ok(r);
    }
    let shown = Returns(&app)
        .shown(vec![ReturnStatus::Due, ReturnStatus::Returned, ReturnStatus::Destroyed, ReturnStatus::Lost])
        .await?;
    let c = Ctx::new(&req, &app)?;
    let ja = c.t.lang == "ja";
    let (mut due, mut records) = (Vec::new(), Vec::new());
    for s in shown {
        let r = s.record;
        let (name, login, kind) =
            (s.name.unwrap_or_else(|| "—".into()), s.login_id.unwrap_or_else(|| "—".into()), kind_label(ja, &r.kind));
        match ReturnStatus::parse(&r.status) {
            Some(ReturnStatus::Due) => {
                let why = Reason::label_of_code(&r.listed_reason)
                    .map_or_else(|| r.listed_reason.clone(), |(j, e)| if ja { j } else { e }.to_string());
                due.push(DueRow {
                    listed_at: c.when(r.listed_at),
                    id: r.id,
                    employee_number: r.employee_number,
                    name,
                    login,
                    kind,
                    label: r.label,
                    why,
                });
            }
            Some(st) => records.push((
                r.recorded_at.unwrap_or(0),
                RecordRow {
                    status: st.as_str(),
                    status_label: status_label(ja, st),
                    recorded_by: r.recorded_by.unwrap_or_default(),
                    recorded_at: r.recorded_at.map_or_else(|| "—".into(), |t| c.when(t)),
                    note: r.note.unwrap_or_default(),
                    id: r.id,
                    employee_number: r.employee_number,
                    name,
                    login,
                    kind,
                    label: r.label,
                },
            )),
            None => {}
        }
    }
    records.sort_by_key(|r| std::cmp::Reverse(r.0));
    let records = records.into_iter().map(|(_, r)| r).collect();
    let (notice, error) = outcome(&req);
    c.render(&req, &ReturnsPage { c: &c, notice, error, due, records })
}

/// Records a listed authenticator (`id`) as `action` with an optional `note`, through the same
/// function as the officer API; its credential is revoked there.
pub async fn record(req: HttpRequest, app: web::Data<App>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let (f, cur) = match super::posted(&req, &app, &body, Need::Officer).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let t = super::lang(&req);
    let action = field(&f, "action");
    let Some(to) = ReturnStatus::parse(&action) else {
        return Ok(back(
            "/officer/returns",
            false,
            &format!("処置を選んでください / choose returned, destroyed or lost (`{action}`)"),
        ));
    };
    match Returns(&app)
        .record(field(&f, "id"), to, Some(field(&f, "note")), cur.account.login_id.clone(), super::origin(&req, &app))
        .await
    {
        Ok(r) => {
            let revoked = if r.credential_revoked { format!("（{}）", t.credential_revoked) } else { String::new() };
            let st = status_label(t.lang == "ja", to);
            Ok(back("/officer/returns", true, &format!("{}: {} — {st}{revoked}", t.recorded_notice, r.record.label)))
        }
        Err(e) => back_refused("/officer/returns", e),
    }
}

pub struct SharedRow {
    pub login: String,
    pub users: Vec<UserRow>,
}

pub struct UserRow {
    pub employee_number: String,
    pub name: String,
    pub permitted_by: String,
    pub added_by: String,
    pub added_at: String,
}

#[derive(Template)]
#[template(path = "officer_shared.html")]
struct SharedPage<'a> {
    c: &'a Ctx,
    notice: Option<String>,
    error: Option<String>,
    shared: Vec<SharedRow>,
}

/// `/officer/shared-ids`: every shared ID and its current users, with who permitted each.
pub async fn shared_page(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    if let Err(r) = guard(&req, &app, Need::Officer).await? {
        return Ok(r);
    }
    let all = SharedIds(&app).overview().await?;
    let c = Ctx::new(&req, &app)?;
    let shared = all
        .into_iter()
        .map(|(login, users)| SharedRow {
            login,
            users: users
                .into_iter()
                .map(|u| UserRow {
                    added_at: c.when(u.added_at),
                    employee_number: u.employee_number,
                    name: u.name,
                    permitted_by: u.permitted_by,
                    added_by: u.added_by,
                })
                .collect(),
        })
        .collect();
    let (notice, error) = outcome(&req);
    c.render(&req, &SharedPage { c: &c, notice, error, shared })
}

/// Registers a user of a shared ID with who permitted it (the same function as the API).
pub async fn add_user(req: HttpRequest, app: web::Data<App>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let (f, cur) = match super::posted(&req, &app, &body, Need::Officer).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let t = super::lang(&req);
    let (login, en, by) = (
        field(&f, "login"),
        field(&f, "employee_number").trim().to_string(),
        field(&f, "permitted_by").trim().to_string(),
    );
    match SharedIds(&app)
        .add(login.clone(), en.clone(), by, cur.account.login_id.clone(), super::origin(&req, &app))
        .await
    {
        Ok(()) => Ok(back("/officer/shared-ids", true, &format!("{}: {login} — {en}", t.user_added))),
        Err(e) => back_refused("/officer/shared-ids", e),
    }
}

/// Ends a user's use of a shared ID (the same function as the API).
pub async fn remove_user(req: HttpRequest, app: web::Data<App>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let (f, cur) = match super::posted(&req, &app, &body, Need::Officer).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let t = super::lang(&req);
    let (login, en, reason) = (field(&f, "login"), field(&f, "employee_number"), field(&f, "reason"));
    match SharedIds(&app)
        .remove(login.clone(), en.clone(), reason, cur.account.login_id.clone(), super::origin(&req, &app))
        .await
    {
        Ok(()) => Ok(back("/officer/shared-ids", true, &format!("{}: {login} — {en}", t.user_removed))),
        Err(e) => back_refused("/officer/shared-ids", e),
    }
}

/// A posted decision form (`decision` = `approve` | `no`): the form, the signed-in person and whether
/// it approves. Any other decision goes back to `page` with the error `bad` makes of it.
pub(super) async fn posted_decision(
    req: &HttpRequest,
    app: &App,
    body: &[u8],
    page: &str,
    no: &str,
    bad: impl FnOnce(&str) -> String,
) -> Result<Result<(Vec<(String, String)>, crate::app::signin::session::Current, bool), HttpResponse>, ApiError> {
    let (f, cur) = match super::posted(req, app, body, Need::Full).await? {
        Ok(v) => v,
        Err(r) => return Ok(Err(r)),
    };
    let yes = match field(&f, "decision").as_str() {
        "approve" => true,
        d if d == no => false,
        other => return Ok(Err(back(page, false, &bad(other)))),
    };
    Ok(Ok((f, cur, yes)))
}
