//! The held HR-sync plans console, `/sync/holds` (R-LC-01, R-LC-03, R-AC-02): for a person the
//! policy's `[approvals] sync_hold` names, each held plan with the limits it exceeded, its steps
//! counted per kind, the people it touches, and the difference a fresh read of the directory makes
//! since it was held; an approve and a discard button.
//!
//! Invariants: a full session (the kinds of factor the policy requires) and the CSRF token on
//! every form (`posted`); approval goes through `app::sync::approval::approve_signed_in`, the same
//! re-read, re-plan and checks as `tobira sync --approve`, so the runner, an unnamed person and a
//! stale hold are refused there and audited; every form comes back with a notice (post/redirect/get).

use super::officer::{back, outcome};
use super::{guard, Ctx};
use crate::app::signin::authz::Need;
use crate::app::sync::approval::{self as sync_approval, HeldView};
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::forms::field;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use std::collections::BTreeMap;
use tobira_domain::lifecycle::hold::employee_number;
use tobira_domain::lifecycle::Step;

const PAGE: &str = "/sync/holds";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(PAGE, web::get().to(page))
        .route("/sync/holds/approve", web::post().to(approve))
        .route("/sync/holds/discard", web::post().to(discard));
}

/// A step kind's label, Japanese or English.
fn kind_label(kind: &str, ja: bool) -> String {
    let (j, e) = match kind {
        "save_person" => ("人事情報の保存", "HR data saved"),
        "create_account" => ("アカウント作成", "account created"),
        "reenable" => ("アカウント再開", "account re-enabled"),
        "suspend" => ("アカウント停止", "account suspended"),
        "disable" => ("アカウント無効化", "account disabled"),
        "grant" => ("権限付与", "role granted"),
        "revoke" => ("権限削除", "role revoked"),
        "flag_for_review" => ("所属長の確認へ", "flagged for review"),
        "list_for_return" => ("認証媒体の返却", "authenticator to return"),
        "shared_password_due" => ("共用IDのPW変更", "shared ID password due"),
        other => (other, other),
    };
    (if ja { j } else { e }).to_string()
}

fn counts(steps: &[Step], ja: bool) -> Vec<(String, usize)> {
    let mut m = BTreeMap::<&str, usize>::new();
    for s in steps {
        *m.entry(s.action.kind()).or_default() += 1;
    }
    m.into_iter().map(|(k, n)| (kind_label(k, ja), n)).collect()
}

/// Each person a list of steps touches, with what happens to them.
fn people(steps: &[Step], ja: bool) -> Vec<(String, String)> {
    let mut m = BTreeMap::<&str, Vec<String>>::new();
    for s in steps {
        let kinds = m.entry(employee_number(&s.action)).or_default();
        let label = kind_label(s.action.kind(), ja);
        if !kinds.contains(&label) {
            kinds.push(label);
        }
    }
    m.into_iter().map(|(en, k)| (en.to_string(), k.join("、"))).collect()
}

pub struct HoldRow {
    pub id: String,
    pub held_since: String,
    pub planned_at: String,
    pub ran_by: String,
    /// The directory state it was planned against: the read method, whether it read everyone, the
    /// high-water mark.
    pub basis: String,
    pub limits: Vec<String>,
    pub counts: Vec<(String, usize)>,
    pub people: Vec<(String, String)>,
    /// The difference since the hold, or why it could not be worked out.
    pub since: Result<Since, String>,
}

/// A held plan against a fresh read: steps that still hold, the people who no longer go (with
/// what would have happened to them), and steps new since the hold.
pub struct Since {
    pub still: usize,
    pub dropped: Vec<(String, String)>,
    pub new: usize,
}

fn row(c: &Ctx, v: HeldView) -> HoldRow {
    let ja = c.t.lang == "ja";
    HoldRow {
        held_since: c.when(v.first_held_at),
        planned_at: c.when(v.run.created_at),
        ran_by: v.ran_by.join(", "),
        basis: format!(
            "{}{}{}",
            v.basis.method,
            if v.basis.complete { " (full)" } else { "" },
            v.basis.high_water.as_deref().map(|h| format!(", high-water {h}")).unwrap_or_default()
        ),
        limits: v.run.hold_reason.clone().unwrap_or_default().split("; ").map(str::to_string).collect(),
        counts: counts(&v.plan.steps, ja),
        people: people(&v.plan.steps, ja),
        since: v.since.map(|r| Since { still: r.apply.len(), dropped: people(&r.dropped, ja), new: r.new.len() }),
        id: v.run.id,
    }
}

#[derive(Template)]
#[template(path = "sync_holds.html")]
struct HoldsPage<'a> {
    c: &'a Ctx,
    notice: Option<String>,
    error: Option<String>,
    entitled: bool,
    holds: Vec<HoldRow>,
}

/// `/sync/holds`: the held plans, for those who may decide them.
pub async fn page(req: HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let cur = match guard(&req, &app, Need::Full).await? {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let (entitled, held) = sync_approval::console(&app, &cur).await?;
    let c = Ctx::new(&req, &app)?;
    let holds = held.into_iter().map(|v| row(&c, v)).collect();
    let (notice, error) = outcome(&req);
    c.render(&req, &HoldsPage { c: &c, notice, error, entitled, holds })
}

/// Approves a held plan (re-read, re-planned, only what still holds applied).
pub async fn approve(req: HttpRequest, app: web::Data<App>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let (f, cur) = match super::posted(&req, &app, &body, Need::Full).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let t = super::lang(&req);
    match sync_approval::approve_signed_in(&app, &cur, &field(&f, "run")).await {
        Ok(done) => {
            let r = &done.recheck;
            Ok(back(
                PAGE,
                true,
                &format!(
                    "{}: {} {}, {} {}, {} {}",
                    t.sh_approved,
                    t.sh_still_holds,
                    r.apply.len(),
                    t.sh_no_longer_holds,
                    r.dropped.len(),
                    t.sh_new_since,
                    r.new.len()
                ),
            ))
        }
        Err(e) => super::officer::back_refused(PAGE, e),
    }
}

/// Discards a held plan.
pub async fn discard(req: HttpRequest, app: web::Data<App>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let (f, cur) = match super::posted(&req, &app, &body, Need::Full).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let t = super::lang(&req);
    match sync_approval::discard_signed_in(&app, &cur, &field(&f, "run")).await {
        Ok(()) => Ok(back(PAGE, true, t.sh_discarded)),
        Err(e) => super::officer::back_refused(PAGE, e),
    }
}
