//! `/console/holds`: the CISO's legal holds (R-LG-06): create one (a JST date range, the people or
//! systems concerned, a reason, a case number), release one with a reason, and download a hold's
//! CSIRT export as a tar archive (the same files as `tobira audit export`, with MANIFEST.sha256).
//!
//! Invariants: every POST checks the CSRF token; the CISO check is the app's (anyone else is refused
//! and the refusal audited); creating, releasing, reading and exporting are audited there.

use super::{guard, Ctx};
use crate::app::legal_hold::Hold;
use crate::app::legal_hold::{Actor, Holds};
use crate::app::signin::authz::Need;
use crate::app::{App, AppError};
use crate::http::error::ApiError;
use crate::http::forms::field;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use tobira_domain::audit_hold::{parse_subjects, NewHold};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/console/holds", web::get().to(page))
        .route("/console/holds", web::post().to(create))
        .route("/console/holds/{id}/release", web::post().to(release))
        .route("/console/holds/{id}/export", web::get().to(export));
}

const PAGE: &str = "/console/holds";

pub struct Row {
    pub id: String,
    pub case_number: String,
    pub range: String,
    pub subjects: String,
    pub reason: String,
    pub created: String,
    /// When and by whom it was released, if it was.
    pub released: Option<String>,
}

#[derive(Template)]
#[template(path = "holds.html")]
struct HoldsPage<'a> {
    c: &'a Ctx,
    rows: Vec<Row>,
    notice: Option<String>,
    error: Option<String>,
}

fn row(c: &Ctx, h: &Hold) -> Row {
    Row {
        id: h.id.clone(),
        case_number: h.case_number.clone(),
        range: format!("{} – {}", c.when(h.from_at), c.when(h.until_at)),
        subjects: h.subject_list().join(", "),
        reason: h.reason.clone(),
        created: format!("{} {}", c.when(h.created_at), h.created_by),
        released: h.released_at.map(|r| {
            format!(
                "{} {} — {}",
                c.when(r),
                h.released_by.clone().unwrap_or_default(),
                h.release_reason.clone().unwrap_or_default()
            )
        }),
    }
}

fn actor(cur: &crate::app::signin::session::Current) -> Actor {
    Actor { login: cur.account.login_id.clone(), operator: None }
}

pub async fn page(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let cur = match guard(&req, &app, Need::Full).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let holds = match Holds(&app, actor(&cur), super::origin(&req, &app)).list().await {
        Ok(h) => h,
        Err(e) => return super::console_gate::refused(&req, &app, e),
    };
    let c = Ctx::new(&req, &app)?;
    let rows = holds.iter().map(|h| row(&c, h)).collect();
    let (notice, error) = super::officer::outcome(&req);
    c.render(&req, &HoldsPage { c: &c, rows, notice, error })
}

fn done(r: Result<String, AppError>) -> Result<HttpResponse, ApiError> {
    match r {
        Ok(n) => Ok(super::officer::back(PAGE, true, &n)),
        Err(e) => super::officer::back_refused(PAGE, e),
    }
}

pub async fn create(req: HttpRequest, app: web::Data<App>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let (f, cur) = match super::posted(&req, &app, &body, Need::Full).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let holds = Holds(&app, actor(&cur), super::origin(&req, &app));
    let made = async {
        let h = NewHold {
            case_number: field(&f, "case_number"),
            reason: field(&f, "reason"),
            from_at: crate::app::dates::first_day(&field(&f, "from"), "from")?,
            until_at: crate::app::dates::last_day(&field(&f, "until"), "until")?,
            subjects: parse_subjects(&field(&f, "subjects")),
        };
        holds.create(h).await
    }
    .await;
    match made {
        Err(e @ AppError::Refused(_)) => super::console_gate::refused(&req, &app, e),
        r => done(r.map(|h| format!("保全しました / hold created: {} ({})", h.case_number, h.id))),
    }
}

pub async fn release(
    req: HttpRequest,
    app: web::Data<App>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (f, cur) = match super::posted(&req, &app, &body, Need::Full).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let (id, reason) = (id.into_inner(), field(&f, "reason"));
    let shown = id.clone();
    match Holds(&app, actor(&cur), super::origin(&req, &app)).release(id, reason).await {
        Err(e @ AppError::Refused(_)) => super::console_gate::refused(&req, &app, e),
        r => done(r.map(|()| format!("解除しました / released: {shown}"))),
    }
}

/// The hold's CSIRT export as `hold-ID.tar`.
pub async fn export(req: HttpRequest, app: web::Data<App>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let cur = match guard(&req, &app, Need::Full).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let now = app.clock.now_ms();
    let b = match Holds(&app, actor(&cur), super::origin(&req, &app)).export(id.into_inner()).await {
        Ok(b) => b,
        Err(e) => return super::console_gate::refused(&req, &app, e),
    };
    let name = format!("hold-{}", b.hold_id);
    let body = crate::app::bundle::tar(&b.files, &name, now / 1000);
    Ok(HttpResponse::Ok()
        .content_type("application/x-tar")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}.tar\"")))
        .insert_header(("Cache-Control", "no-store"))
        .body(body))
}
