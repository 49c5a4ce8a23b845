//! Server-rendered pages for staff: sign-in, step two and step-up, a joiner's enrollment link,
//! forced and voluntary password changes, enrolment of second factors, the account page, the
//! security officer's pages (authenticator returns, shared-ID users) and the privileged elevations
//! and eligibility consoles, and the held HR-sync plans console (`/sync/holds`).
//! Japanese first (`?lang=en` switches, remembered in a cookie). Templates live in `templates/`
//! beside these handlers; the only script is `/static/tobira.js` for the WebAuthn ceremony (the CSP
//! forbids inline code).
//!
//! Invariants: every POST carries the CSRF token of its double-submit cookie (SameSite=Strict); the
//! session cookie is HttpOnly, Secure and SameSite=Lax and holds a random value whose digest is the
//! session id; every handler asks [`guard`], which calls the one authorization function.

pub mod account;
pub mod console;
pub mod console_act;
pub mod console_approvals;
pub mod console_audit;
pub mod console_gate;
pub mod console_ops_text;
pub mod console_privileged;
pub mod console_privileged_forms;
pub mod console_provisioning;
pub mod console_text;
pub mod eligibility;
pub mod enroll;
pub mod factors;
pub mod holds;
pub mod officer;
pub mod onboarding;
pub mod onboarding_text;
pub mod password;
pub mod privileged;
pub mod requests;
pub mod review;
pub mod signin;
pub mod sync_holds;
pub mod text;

use crate::app::signin::authz::{self, Denied, Need};
use crate::app::signin::session::Current;
use crate::app::signin::SigninError;
use crate::app::App;
use crate::http::error::ApiError;
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use text::{Text, EN, JA};

pub use crate::http::csrf::{check_csrf, csrf_ok};
pub use crate::http::session::{client_ip, current, origin, CSRF_COOKIE, SESSION_COOKIE};

const LANG_COOKIE: &str = "tobira_lang";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(account::home))
        .route("/signin", web::get().to(signin::page))
        .route("/signin", web::post().to(signin::submit))
        .route("/signin/passkey/options", web::post().to(signin::passkey_options))
        .route("/signin/passkey", web::post().to(signin::passkey_finish))
        .route("/signin/second", web::get().to(signin::second_page))
        .route("/signin/second/totp", web::post().to(signin::second_totp))
        .route("/signin/second/key/options", web::post().to(signin::second_key_options))
        .route("/signin/second/key", web::post().to(signin::second_key_finish))
        .route("/signout", web::post().to(signin::sign_out))
        .route("/enroll", web::get().to(enroll::page))
        .route("/enroll", web::post().to(enroll::submit))
        .route("/account", web::get().to(account::page))
        .route("/account/sessions/end", web::post().to(account::end_session))
        .route("/account/password", web::get().to(password::page))
        .route("/account/password", web::post().to(password::submit))
        .route("/account/enrol", web::get().to(factors::enrol_page))
        .route("/account/totp", web::get().to(factors::totp_page))
        .route("/account/totp", web::post().to(factors::totp_submit))
        .route("/account/keys/options", web::post().to(factors::key_options))
        .route("/account/keys", web::post().to(factors::key_finish))
        .route("/account/credentials/remove", web::post().to(factors::remove))
        .route("/review", web::get().to(review::inbox))
        .route("/review/decide", web::post().to(review::submit))
        .route("/review/campaigns", web::get().to(review::campaigns))
        .route("/review/campaigns", web::post().to(review::start))
        .route("/review/exceptions", web::get().to(review::exceptions))
        .route("/review/exceptions", web::post().to(review::request_exception))
        .route("/review/exceptions/decide", web::post().to(review::decide_exception))
        .route("/review/reports", web::get().to(review::reports))
        .route("/review/reports/{name}", web::get().to(review::reports))
        .route("/static/tobira.js", web::get().to(script))
        .route("/static/tobira.css", web::get().to(style))
        .configure(officer::routes)
        .configure(console::routes)
        .configure(console_act::routes)
        .configure(console_audit::routes)
        .configure(console_approvals::routes)
        .configure(console_privileged::routes)
        .configure(console_privileged_forms::routes)
        .configure(console_provisioning::routes)
        .configure(privileged::routes)
        .configure(eligibility::routes)
        .configure(requests::routes)
        .configure(sync_holds::routes)
        .configure(onboarding::routes)
        .configure(holds::routes);
}

async fn script() -> HttpResponse {
    HttpResponse::Ok().content_type("text/javascript; charset=utf-8").body(include_str!("../static/tobira.js"))
}

async fn style() -> HttpResponse {
    HttpResponse::Ok().content_type("text/css; charset=utf-8").body(include_str!("../static/tobira.css"))
}

/// What every page template gets: the words, the CSRF token and the municipality's name.
pub struct Ctx {
    pub t: &'static Text,
    pub csrf: String,
    pub municipality: String,
    /// The CSRF cookie to set when the browser has none yet.
    new_csrf: Option<String>,
}

impl Ctx {
    pub fn new(req: &HttpRequest, app: &App) -> Result<Ctx, ApiError> {
        let t = lang(req);
        let municipality =
            if t.lang == "ja" { app.policy.municipality.name.clone() } else { app.policy.municipality.name_en.clone() };
        // Bound to the session when there is one; the cookie follows, so it always holds the token.
        let cookie = req.cookie(CSRF_COOKIE).map(|c| c.value().to_string());
        let (csrf, new_csrf) = match crate::http::csrf::expected(req) {
            Some(v) if cookie.as_deref() == Some(v.as_str()) => (v, None),
            Some(v) => (v.clone(), Some(v)),
            None => {
                let (v, _) = crate::app::signin::new_token().map_err(ApiError::from)?;
                (v.clone(), Some(v))
            }
        };
        Ok(Ctx { t, csrf, municipality, new_csrf })
    }

    /// A rendered page with the CSRF (and language) cookies it needs.
    pub fn render(&self, req: &HttpRequest, page: &impl Template) -> Result<HttpResponse, ApiError> {
        let html = page.render().map_err(|e| ApiError::Internal(format!("template: {e}")))?;
        let mut res = HttpResponse::Ok();
        res.content_type("text/html; charset=utf-8");
        if let Some(v) = &self.new_csrf {
            res.cookie(crate::http::csrf::cookie(v.clone()));
        }
        if let Some(l) = query_lang(req) {
            res.cookie(
                Cookie::build(LANG_COOKIE, l)
                    .path("/")
                    .same_site(SameSite::Lax)
                    .max_age(CookieDuration::days(365))
                    .finish(),
            );
        }
        Ok(res.body(html))
    }

    pub fn when(&self, ms: i64) -> String {
        tobira_domain::time_util::jst_display(ms)
    }
}

fn query_lang(req: &HttpRequest) -> Option<&'static str> {
    req.query_string().split('&').find_map(|kv| match kv {
        "lang=en" => Some("en"),
        "lang=ja" => Some("ja"),
        _ => None,
    })
}

/// Japanese unless `?lang=en` or the language cookie says English.
pub fn lang(req: &HttpRequest) -> &'static Text {
    let chosen = query_lang(req).map(str::to_string).or_else(|| req.cookie(LANG_COOKIE).map(|c| c.value().to_string()));
    if chosen.as_deref() == Some("en") {
        &EN
    } else {
        &JA
    }
}

fn cookie(name: &'static str, value: String, same_site: SameSite) -> Cookie<'static> {
    Cookie::build(name, value).path("/").http_only(true).secure(true).same_site(same_site).finish()
}

/// The session cookie for a new session (no Max-Age: it ends with the browser; the server enforces
/// the policy's time-outs).
pub fn session_cookie(token: String) -> Cookie<'static> {
    cookie(SESSION_COOKIE, token, SameSite::Lax)
}

/// A cookie that removes the session cookie.
pub fn cleared_session_cookie() -> Cookie<'static> {
    let mut c = cookie(SESSION_COOKIE, String::new(), SameSite::Lax);
    c.make_removal();
    c
}

/// The waiting authorization request a sign-in page continues (`?continue=HANDLE`), if the handle
/// is well-formed: the query suffix to carry on the page's forms, and where to go once done.
pub struct Continue {
    pub query: String,
    pub next: Option<String>,
}

pub fn continuation(req: &HttpRequest) -> Continue {
    let handle = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "continue")
        .map(|(_, v)| v.into_owned())
        .filter(|h| h.len() == 43 && h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    // A re-authentication returns to the page that asked for it (a fixed list, never a URL).
    let then = url::form_urlencoded::parse(req.query_string().as_bytes()).find(|(k, _)| k == "then").and_then(
        |(_, v)| match v.as_ref() {
            "enrol" => Some(("enrol", "/account/enrol")),
            "account" => Some(("account", "/account")),
            _ => None,
        },
    );
    match (handle, then) {
        (Some(h), _) => {
            Continue { query: format!("?continue={h}"), next: Some(format!("/oauth/authorize/resume?h={h}")) }
        }
        (None, Some((name, path))) => Continue { query: format!("?then={name}"), next: Some(path.to_string()) },
        (None, None) => Continue { query: String::new(), next: None },
    }
}

impl Continue {
    /// Where to go after the page's step: the waiting request, or `otherwise`.
    pub fn or<'a>(&'a self, otherwise: &'a str) -> &'a str {
        self.next.as_deref().unwrap_or(otherwise)
    }
}

pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to)).finish()
}

/// `path` with the business system's waiting request of this page, if it has one: a session that
/// timed out (or must first change its password, step up or enrol) does not lose the request.
pub fn keep_waiting(req: &HttpRequest, path: &str) -> String {
    let cont = continuation(req);
    if cont.query.starts_with("?continue=") {
        format!("{path}{}", cont.query)
    } else {
        path.to_string()
    }
}

/// The session if it may do what the route needs; otherwise the response that sends the person to
/// the right place (sign-in, password change, step-up, enrolment) or explains the refusal.
pub async fn guard(req: &HttpRequest, app: &App, need: Need) -> Result<Result<Current, HttpResponse>, ApiError> {
    let cur = current(req, app).await?;
    match authz::authorize(&app.policy, cur, need, app.clock.now_ms()) {
        Ok(authorized) => Ok(Ok(authorized.into_session())),
        Err(Denied::SignIn) => Ok(Err(redirect(&keep_waiting(req, "/signin")))),
        Err(Denied::ChangePassword) => Ok(Err(redirect(&keep_waiting(req, "/account/password")))),
        Err(Denied::StepUp { .. }) => Ok(Err(redirect(&keep_waiting(req, "/signin/second")))),
        Err(Denied::Reauthenticate) => Ok(Err(redirect(if req.path().starts_with("/account/credentials") {
            "/signin/second?then=account"
        } else {
            "/signin/second?then=enrol"
        }))),
        Err(Denied::Enrol) => Ok(Err(redirect(&keep_waiting(req, "/account/enrol")))),
        Err(Denied::Onboarding) => Ok(Err(redirect(&keep_waiting(req, "/account/onboarding")))),
        // Refused outright: the page explains, with the status the shared mapping gives.
        Err(d @ Denied::Network { .. }) => {
            Ok(Err(message(req, app, ApiError::from(d).status_code(), |t| (t.network_title, t.network_lead))?))
        }
        Err(d @ Denied::Forbidden) => {
            Ok(Err(message(req, app, ApiError::from(d).status_code(), |t| (t.error_title, t.forbidden))?))
        }
    }
}

/// A posted form's fields, once its CSRF token checks and the session may do what the route
/// needs; or the response that sends the person elsewhere (or refuses).
pub(super) async fn posted(
    req: &HttpRequest,
    app: &App,
    body: &[u8],
    need: Need,
) -> Result<Result<(Vec<(String, String)>, Current), HttpResponse>, ApiError> {
    let f = crate::http::forms::form(body);
    check_csrf(req, Some(&crate::http::forms::field(&f, "csrf")))?;
    Ok(guard(req, app, need).await?.map(|cur| (f, cur)))
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    c: &'a Ctx,
    title: &'a str,
    body: &'a str,
    /// A way back to the business system (its redirect URI with the error), if there is one.
    back: Option<&'a str>,
}

/// A page with one message of its own and a status code.
pub fn message_text(
    req: &HttpRequest,
    app: &App,
    status: actix_web::http::StatusCode,
    title: &str,
    body: &str,
) -> Result<HttpResponse, ApiError> {
    message_back(req, app, status, title, body, None)
}

/// [`message_text`], with a link back to the business system.
pub fn message_back(
    req: &HttpRequest,
    app: &App,
    status: actix_web::http::StatusCode,
    title: &str,
    body: &str,
    back: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    let c = Ctx::new(req, app)?;
    let mut res = c.render(req, &MessagePage { c: &c, title, body, back })?;
    *res.status_mut() = status;
    Ok(res)
}

/// A page with one message and a status code.
pub fn message(
    req: &HttpRequest,
    app: &App,
    status: actix_web::http::StatusCode,
    pick: impl Fn(&Text) -> (&'static str, &'static str),
) -> Result<HttpResponse, ApiError> {
    let c = Ctx::new(req, app)?;
    let (title, body) = pick(c.t);
    let mut res = c.render(req, &MessagePage { c: &c, title, body, back: None })?;
    *res.status_mut() = status;
    Ok(res)
}

/// A ceremony's answer from the page script: the handle of the server-side state and the browser's
/// credential (and, for a registration, the name the person gave the key).
#[derive(serde::Deserialize)]
pub struct Answer<T> {
    pub handle: String,
    pub credential: T,
    #[serde(default)]
    pub name: String,
}

/// A form with nothing but its CSRF token.
#[derive(serde::Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// A refused ceremony step as JSON for the page script.
pub fn ceremony_error(req: &HttpRequest, e: SigninError) -> Result<HttpResponse, ApiError> {
    let status = crate::http::error::signin_status(&e);
    let message = signin_message(lang(req), e)?;
    Ok(HttpResponse::build(status).json(serde_json::json!({ "error": "refused", "message": message })))
}

/// The sentence a page shows for a failed sign-in step.
pub fn signin_message(t: &Text, e: SigninError) -> Result<String, ApiError> {
    Ok(match e {
        SigninError::Invalid => t.invalid.into(),
        SigninError::Locked { until: Some(u) } => {
            format!("{} {}: {}", t.locked, t.locked_until, tobira_domain::time_util::jst_display(u))
        }
        SigninError::Locked { until: None } => t.locked.into(),
        SigninError::Unavailable(_) => t.unavailable.into(),
        SigninError::FactorRefused => t.factor_refused.into(),
        SigninError::Expired => t.expired_request.into(),
        SigninError::App(e) => return Err(e.into()),
    })
}
