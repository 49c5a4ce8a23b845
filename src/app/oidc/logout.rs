//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): with a valid `id_token_hint` for
//! the person's current session, tobira signs them out and sends the browser to a registered
//! `post_logout_redirect_uri`; without one it asks the person to confirm. Signing out ends the
//! session, and with it every token family issued from it.

use super::{issuer, public_sid};
use crate::app::signin::session::{self, Current};
use crate::app::signin::Origin;
use crate::app::{App, AppError};
use serde::Deserialize;
use serde_json::Value;
use tobira_domain::oidc::authorize::PageError;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct LogoutRequest {
    pub id_token_hint: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub client_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogoutNext {
    Redirect(String),
    /// No proof the request came from the person's own system: ask before signing out (the
    /// confirmation comes back through [`confirmed`] with the same request).
    Confirm,
    /// Signed out (or was not signed in), nowhere registered to go back to.
    Done,
    /// The request cannot be honoured as asked.
    Page(PageError),
}

/// A logout request checked: the claims of a valid hint (signed by tobira, for this issuer), and
/// the registered address to go back to, with the client's `state`.
struct Checked {
    hint: Option<Value>,
    back: Option<String>,
}

fn check(app: &App, req: &LogoutRequest) -> Result<Result<Checked, PageError>, AppError> {
    // An expired hint still names who it was for (OIDC allows it); the signature must be ours.
    let hint = req
        .id_token_hint
        .as_deref()
        .and_then(|t| app.keys.verify(t).ok())
        .map(|(_, c)| c)
        .filter(|c| c.get("iss").and_then(Value::as_str) == Some(issuer(app).as_str()));
    let client_id = hint
        .as_ref()
        .and_then(|c| c.get("aud").and_then(Value::as_str).map(str::to_string))
        .or_else(|| req.client_id.clone());
    if req.client_id.is_some() && hint.is_some() && req.client_id != client_id {
        return Ok(Err(PageError::LogoutClientMismatch));
    }
    let back = match &req.post_logout_redirect_uri {
        None => None,
        Some(uri) => {
            let registered = client_id
                .as_deref()
                .and_then(|c| app.policy.client(c))
                .is_some_and(|c| c.post_logout_redirect_uris.iter().any(|u| u.get_ref() == uri));
            if !registered {
                return Ok(Err(PageError::LogoutUriNotRegistered));
            }
            let mut u = url::Url::parse(uri).map_err(|e| {
                AppError::invalid(
                    "post_logout_uri_invalid",
                    format!("サインアウト後の戻り先 URI を解釈できません：{e}"),
                    e.to_string(),
                )
            })?;
            if let Some(s) = &req.state {
                u.query_pairs_mut().append_pair("state", s);
            }
            Some(u.to_string())
        }
    };
    Ok(Ok(Checked { hint, back }))
}

pub async fn end_session(
    app: &App,
    req: &LogoutRequest,
    cur: Option<&Current>,
    origin: &Origin,
) -> Result<LogoutNext, AppError> {
    let Checked { hint, back } = match check(app, req)? {
        Ok(c) => c,
        Err(e) => return Ok(LogoutNext::Page(e)),
    };
    let Some(hint) = hint else {
        return Ok(if cur.is_some() {
            LogoutNext::Confirm
        } else {
            back.map_or(LogoutNext::Done, LogoutNext::Redirect)
        });
    };
    if let Some(cur) = cur {
        let same = hint.get("sid").and_then(Value::as_str) == Some(public_sid(&cur.session.id).as_str());
        if !same {
            return Ok(LogoutNext::Confirm);
        }
        session::sign_out(app, cur, origin).await?;
    }
    Ok(back.map_or(LogoutNext::Done, LogoutNext::Redirect))
}

/// The person confirmed the sign-out that `req` asked for: the session ends, and the browser goes
/// back to the registered address, if the request named one.
pub async fn confirmed(
    app: &App,
    req: &LogoutRequest,
    cur: Option<&Current>,
    origin: &Origin,
) -> Result<LogoutNext, AppError> {
    let back = match check(app, req)? {
        Ok(c) => c.back,
        Err(e) => return Ok(LogoutNext::Page(e)),
    };
    if let Some(cur) = cur {
        session::sign_out(app, cur, origin).await?;
    }
    Ok(back.map_or(LogoutNext::Done, LogoutNext::Redirect))
}
