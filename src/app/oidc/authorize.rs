//! The authorization endpoint: checks the request, then decides at the door with the person's
//! session — sign in, step up, change the password, or a code for the client. A request that has to
//! wait for the person is kept server-side under a handle (never in the browser), and resumed
//! from the sign-in pages.
//!
//! Invariant: the browser is sent only to an exactly registered redirect URI, or to tobira's own
//! pages with a handle.

use super::{issuer, OidcError};
use crate::app::signin::factors::{put_challenge_for, take_challenge};
use crate::app::signin::session::Current;
use crate::app::signin::{target, Origin};
use crate::app::{App, AppError};
use crate::store::{self, oidc::AuthCode, StoreError};
use serde_json::json;
use tobira_domain::audit::Outcome;
use tobira_domain::authn::access::{self, Decision};
use tobira_domain::oidc::authorize::{
    self as rules, AuthorizeError, AuthorizeRequest, Door, PageError, RawAuthorize, SessionView,
};
use tobira_domain::oidc::OAuthError;

const KIND: &str = "authorize";

/// Where the browser goes next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// To the client's redirect URI, with a code or an error.
    Redirect(String),
    /// A page for the person: the request cannot go back to any client.
    Page(PageError),
    /// A page that says why the request cannot go on, with the way back to the client (its
    /// redirect URI with the error) for the person to follow.
    Explain {
        why: PageError,
        back: String,
    },
    /// The person acts first; the request waits under the handle.
    SignIn(String),
    StepUp(String),
    ChangePassword(String),
    /// Enrol a first second factor.
    Enrol(String),
    /// The onboarding page first (R-LC-11), then back to the request under this handle.
    Onboarding(String),
}

/// `redirect_uri` with `params` added to its query, and `iss` (RFC 9207).
fn back_to(app: &App, redirect_uri: &str, params: &[(&str, &str)]) -> Result<String, AppError> {
    let mut u = url::Url::parse(redirect_uri).map_err(|e| {
        AppError::invalid(
            "redirect_uri_invalid",
            format!("戻り先 URI {redirect_uri} を解釈できません：{e}"),
            format!("redirect URI {redirect_uri}: {e}"),
        )
    })?;
    {
        let mut q = u.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
        q.append_pair("iss", &issuer(app));
    }
    Ok(u.to_string())
}

fn error_redirect(app: &App, redirect_uri: &str, state: Option<&str>, e: &OAuthError) -> Result<String, AppError> {
    let mut p = vec![("error", e.code.as_str()), ("error_description", e.description.as_str())];
    if let Some(s) = state {
        p.push(("state", s));
    }
    back_to(app, redirect_uri, &p)
}

async fn refused(
    app: &App,
    origin: &Origin,
    client_id: &str,
    account: Option<&str>,
    e: &OAuthError,
) -> Result<(), AppError> {
    let ev = origin
        .event(account.unwrap_or("anonymous"), "oidc.authorize_refused", format!("client:{client_id}"))
        .with_outcome(Outcome::Denied)
        .with_details(json!({ "error": e.code.as_str(), "reason": e.description, "account": account }));
    app.audit.record(ev).await?;
    Ok(())
}

/// A new authorization request.
pub async fn start(app: &App, raw: &RawAuthorize, cur: Option<&Current>, origin: &Origin) -> Result<Next, AppError> {
    let client = raw.client_id.as_deref().and_then(|c| app.policy.client(c));
    match rules::validate(raw, client, app.clock.now_ms()) {
        Ok(req) => decide(app, req, cur, origin).await,
        Err(AuthorizeError::Page(m)) => Ok(Next::Page(m)),
        Err(AuthorizeError::Redirect { redirect_uri, state, error }) => {
            refused(
                app,
                origin,
                raw.client_id.as_deref().unwrap_or(""),
                cur.map(|c| c.account.login_id.as_str()),
                &error,
            )
            .await?;
            Ok(Next::Redirect(error_redirect(app, &redirect_uri, state.as_deref(), &error)?))
        }
    }
}

/// A waiting request, after the person signed in, stepped up or changed their password.
pub async fn resume(app: &App, handle: &str, cur: Option<&Current>, origin: &Origin) -> Result<Next, AppError> {
    let state = match take_challenge(app, handle, KIND, None).await {
        Ok(s) => s,
        Err(crate::app::signin::SigninError::App(e)) => return Err(e),
        Err(_) => return Ok(Next::Page(PageError::Expired)),
    };
    let req: AuthorizeRequest = serde_json::from_str(&state)
        .map_err(|e| StoreError::Integrity(format!("stored authorization request: {e}")))?;
    decide(app, req, cur, origin).await
}

async fn decide(app: &App, req: AuthorizeRequest, cur: Option<&Current>, origin: &Origin) -> Result<Next, AppError> {
    let Some(system) = app.policy.client(&req.client_id).and_then(|c| app.policy.system(c.system.get_ref())) else {
        return Ok(Next::Page(PageError::ClientGone));
    };
    let now = app.clock.now_ms();
    let (view, decision) = match cur {
        Some(c) => {
            let view = SessionView {
                auth_time: c.session.created_at,
                kinds: c.kinds.len(),
                password_due: c.password_due,
                has_second_factor: c.has_second_factor,
                may_enrol: app.policy.signin.first_factor_self_enrollment,
                onboarding_due: c.onboarding_due,
            };
            (Some(view), access::decide(&app.policy, system, &c.kinds, c.whence(&app.policy)))
        }
        None => (None, Decision::Allowed),
    };
    // The request waits for the person under a handle, for the policy's `oidc.login_minutes`.
    let wait = async |req: &AuthorizeRequest| {
        let state = serde_json::to_string(req)?;
        put_challenge_for(app, None, KIND, state, app.policy.oidc.login_minutes.saturating_mul(60)).await
    };
    match rules::door(&req, view, &decision, now) {
        Door::SignIn => Ok(Next::SignIn(wait(&req).await?)),
        Door::StepUp => Ok(Next::StepUp(wait(&req).await?)),
        Door::ChangePassword => Ok(Next::ChangePassword(wait(&req).await?)),
        Door::Enrol => Ok(Next::Enrol(wait(&req).await?)),
        Door::Onboarding => Ok(Next::Onboarding(wait(&req).await?)),
        Door::NoSecondFactor { need, error } => {
            refused(app, origin, &req.client_id, cur.map(|c| c.account.login_id.as_str()), &error).await?;
            Ok(Next::Explain {
                why: PageError::NoSecondFactor { need },
                back: error_redirect(app, &req.redirect_uri, req.state.as_deref(), &error)?,
            })
        }
        Door::Refuse(e) => {
            refused(app, origin, &req.client_id, cur.map(|c| c.account.login_id.as_str()), &e).await?;
            Ok(Next::Redirect(error_redirect(app, &req.redirect_uri, req.state.as_deref(), &e)?))
        }
        Door::Issue => {
            // `door` issues only for a session; without one the person signs in first.
            let Some(cur) = cur.cloned() else { return Ok(Next::SignIn(wait(&req).await?)) };
            let (code, id) = crate::app::signin::new_token()?;
            let row = AuthCode {
                id,
                client_id: req.client_id.clone(),
                account_id: cur.account.id.clone(),
                session_id: cur.session.id.clone(),
                redirect_uri: req.redirect_uri.clone(),
                code_challenge: req.code_challenge.clone(),
                scope: req.scope.join(" "),
                nonce: req.nonce.clone(),
                auth_time: cur.session.created_at,
                factors: cur.session.factors.clone(),
                created_at: now,
                expires_at: now + i64::from(app.policy.oidc.code_seconds) * 1_000,
                used_at: None,
                family_id: None,
            };
            let ev = origin.event(cur.account.login_id.clone(), "oidc.code_issued", target(&cur.account.login_id)).with_details(json!({
                "client": req.client_id, "scope": row.scope, "ignored_scopes": req.ignored_scopes, "kinds": cur.kinds.len(), "network": cur.network,
            }));
            let issued = app
                .db(move |c| {
                    store::write_tx(c, |c| {
                        if store::oidc::locked_now(c, &row.account_id, now)? {
                            return Ok(false);
                        }
                        store::oidc::insert_code(c, &row)?;
                        store::audit::append(c, now, vec![ev])?;
                        Ok(true)
                    })
                })
                .await?;
            if !issued {
                let e =
                    OAuthError::new(tobira_domain::oidc::ErrorCode::AccessDenied, "the account is locked (R-AU-11)");
                refused(app, origin, &req.client_id, Some(&cur.account.login_id), &e).await?;
                return Ok(Next::Redirect(error_redirect(app, &req.redirect_uri, req.state.as_deref(), &e)?));
            }
            let mut params = vec![("code", code.as_str())];
            if let Some(s) = req.state.as_deref() {
                params.push(("state", s));
            }
            Ok(Next::Redirect(back_to(app, &req.redirect_uri, &params)?))
        }
    }
}

impl From<OidcError> for AppError {
    fn from(e: OidcError) -> Self {
        match e {
            OidcError::App(a) => a,
            OidcError::OAuth(o) => AppError::invalid(
                "oidc_request_invalid",
                format!("OIDC の要求を受け付けられません：{o}"),
                o.to_string(),
            ),
        }
    }
}
