//! The officer's buttons on a person's page (`POST /console/people/{id}/act`): unlock, password
//! reset, enrolment link, suspend, reinstate, revoke a credential, end sessions, remote access grant
//! and revoke, each with a reason (R-AU-12, R-AC-03, R-AC-08, R-ZN-11).
//!
//! The helpdesk (`[officers.helpdesk]`) presses only unlock and enrolment link, on staff accounts
//! ([`crate::app::console::helpdesk`]).
//!
//! Invariants: security officers (as the officer API) or the helpdesk for its two actions, anyone
//! else refused; the CSRF token checked ([`super::posted`]); the account acted on must belong to the
//! person of the page, whom the officer may see; every action calls the same app function as `/api/officer/…`, so four eyes
//! (R-AC-02) and the vendor guard apply: a request awaiting a second person comes back as such. A
//! temporary password or enrolment URL is shown once on its own page, never put in a URL.

use super::console_text as ct;
use crate::app::console::{helpdesk, person};
use crate::app::officer::{self as ops, remote_access};
use crate::app::signin::authz::Need;
use crate::app::{App, AppError};
use crate::http::error::ApiError;
use crate::http::forms::field;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

/// What the button asked for, once checked against the page's person.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/console/people/{id}/act", web::post().to(act));
}

pub async fn act(
    req: HttpRequest,
    app: web::Data<App>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (f, cur, reader) = match super::console_gate::posted_entry(&req, &app, &body, Need::Full).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let (t, o) = (super::lang(&req), super::origin(&req, &app));
    let k = ct::of(t);
    let page = format!("/console/people/{id}");
    // The account must be one of this person's (and the person visible to the officer).
    let v = match person::view(&app, &reader, &id, None, &o).await {
        Ok(v) => v,
        Err(e) => return super::console_gate::refused(&req, &app, e),
    };
    let (login, action, reason) = (field(&f, "login"), field(&f, "action"), field(&f, "reason").trim().to_string());
    if !v.accounts.iter().any(|a| a.account.login_id == login) {
        return Ok(super::officer::back(&page, false, &format!("見つかりません / not found: {login}")));
    }
    if reason.is_empty() {
        return Ok(super::officer::back(&page, false, k.reason_required));
    }
    if !reader.acts {
        // The helpdesk's two actions on staff; anyone else who reads the console acts on nothing.
        if !reader.helpdesk {
            return super::console_gate::refused(
                &req,
                &app,
                AppError::refused(
                    "console_actions_not_permitted",
                    "この操作ボタンを使えるのはセキュリティ担当とヘルプデスクです",
                    "the buttons are for security officers and the helpdesk",
                ),
            );
        }
        let outcome = match helpdesk::act(&app, &reader, &cur, &login, &action, &reason, &o).await {
            Ok(helpdesk::Done::Unlocked) => Ok(Done::Notice(format!("{}: {} — {login}", k.done, k.act_unlock))),
            Ok(helpdesk::Done::Link(r)) => Ok(Done::Secret(
                k.link_title,
                format!("{} {}\n{}", k.link_lead, tobira_domain::time_util::jst_display(r.expires_at), r.url),
            )),
            Err(e) => Err(e),
        };
        return answer(&req, &app, k, &page, outcome);
    }
    let done = |what: &str| Ok(Done::Notice(format!("{}: {what} — {login}", k.done)));
    let outcome: Result<Done, AppError> = async {
        match action.as_str() {
            "unlock" => {
                ops::unlock(&app, &cur, &login, &reason, &o).await?;
                done(k.act_unlock)
            }
            "reset" => {
                let temporary = ops::reset_password(&app, &cur, &login, None, &reason, &o).await?;
                Ok(Done::Secret(k.temporary_title, format!("{}\n{temporary}", k.temporary_lead)))
            }
            "enrol" => {
                let r = ops::enrollment_link(&app, &cur, &login, &reason, &o).await?;
                let body =
                    format!("{} {}\n{}", k.link_lead, tobira_domain::time_util::jst_display(r.expires_at), r.url);
                Ok(Done::Secret(k.link_title, body))
            }
            "suspend" => {
                ops::suspend(&app, &cur, &login, &reason, &o).await?;
                done(k.act_suspend)
            }
            "reinstate" => {
                ops::reinstate(&app, &cur, &login, &reason, &o).await?;
                done(k.act_reinstate)
            }
            "end_sessions" => {
                ops::end_sessions(&app, &cur, &login, &reason, &o).await?;
                done(k.act_end_sessions)
            }
            "revoke" => {
                ops::revoke_credential(&app, &cur, &login, &field(&f, "credential"), &reason, &o).await?;
                done(k.act_revoke)
            }
            "remote_grant" => {
                let until = crate::app::dates::last_day(&field(&f, "until"), "until")?;
                remote_access::grant(&app, &cur, &login, field(&f, "approved_by").trim(), until, &reason, &o).await?;
                done(k.act_remote_grant)
            }
            "remote_revoke" => {
                remote_access::revoke(&app, &cur, &login, &o).await?;
                done(k.act_remote_revoke)
            }
            other => Err(AppError::invalid(
                "unknown_action",
                format!("不明な操作 `{other}` です"),
                format!("unknown action `{other}`"),
            )),
        }
    }
    .await;
    answer(&req, &app, k, &page, outcome)
}

/// The page an action's outcome leads to.
fn answer(
    req: &HttpRequest,
    app: &App,
    k: &'static ct::ConsoleText,
    page: &str,
    outcome: Result<Done, AppError>,
) -> Result<HttpResponse, ApiError> {
    match outcome {
        Ok(Done::Notice(n)) => Ok(super::officer::back(page, true, &n)),
        // Shown once, on its own page: never in a URL.
        Ok(Done::Secret(title, body)) => {
            let (lead, value) = body.split_once('\n').unwrap_or((body.as_str(), ""));
            secret(req, app, title, lead, value, (page, k.person_title))
        }
        Err(AppError::AwaitingApproval(request)) => {
            Ok(super::officer::back(page, true, &format!("{} {request}", k.awaiting)))
        }
        Err(e) => super::officer::back_refused(page, e),
    }
}

/// What an action leaves to show: a notice on the person's page, or a secret on a page of its own.
enum Done {
    Notice(String),
    Secret(&'static str, String),
}

#[derive(Template)]
#[template(path = "console_secret.html")]
struct SecretPage<'a> {
    c: &'a super::Ctx,
    title: &'a str,
    lead: &'a str,
    value: &'a str,
    back: &'a str,
    back_label: &'a str,
}

/// A secret (a temporary password, an enrolment URL) on a page of its own, shown once: never in a
/// URL, a redirect or a log (every page answers `Cache-Control: no-store`); `back` is where the
/// page's link leads and its words.
pub(super) fn secret(
    req: &HttpRequest,
    app: &App,
    title: &str,
    lead: &str,
    value: &str,
    back: (&str, &str),
) -> Result<HttpResponse, ApiError> {
    let c = super::Ctx::new(req, app)?;
    c.render(req, &SecretPage { c: &c, title, lead, value, back: back.0, back_label: back.1 })
}
