//! Authorization requests (authorization code flow with PKCE): checking them, and the decision at
//! the door once the person's session is known.
//!
//! Invariants: nothing is redirected to a URI that is not registered, exactly, for the client; a
//! request with `prompt=none` never shows a page; the system's zone and classification decide the
//! factor kinds (R-AU-02) and networks (R-ZN-03), `acr_values` can only raise them.

use super::{kinds_of_acr, parse_scope, pkce, ErrorCode, OAuthError, OFFLINE_ACCESS};
use crate::authn::access::Decision;
use crate::policy::{Client, GrantType};
use serde::{Deserialize, Serialize};

/// The query of `/oauth/authorize` as received.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RawAuthorize {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub response_mode: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    pub acr_values: Option<String>,
    pub request: Option<String>,
    pub request_uri: Option<String>,
}

/// A checked request, kept server-side while the person signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizeRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: Vec<String>,
    /// Scope values asked for and not granted (unknown ones, OIDC Core §3.1.2.1, and
    /// `offline_access` for a client without the refresh grant): recorded, never an error.
    #[serde(default)]
    pub ignored_scopes: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub prompt_none: bool,
    pub prompt_login: bool,
    /// Seconds.
    pub max_age: Option<i64>,
    /// Kinds demanded through `acr_values` (the first of tobira's values), if any.
    pub acr_kinds: Option<u8>,
    /// UTC milliseconds when the request arrived.
    pub requested_at: i64,
}

/// Why the person is shown a page of tobira's instead of going back to the business system. The
/// pages say each in Japanese and English (`http::pages::text`); nothing here is shown raw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageError {
    /// `client_id` names no registered client.
    UnknownClient,
    /// `redirect_uri` is missing or not registered, exactly, for the client.
    RedirectUri,
    /// The query cannot be read at all.
    Unreadable,
    /// The waiting request is gone: too old, used, or never made.
    Expired,
    /// The client or its system left the policy while the request waited.
    ClientGone,
    /// The system needs `need` factor kinds, the person has no second factor, and may not enrol one
    /// themselves (`signin.first_factor_self_enrollment = false`).
    NoSecondFactor { need: u8 },
    /// Logout: `client_id` and the `id_token_hint` name different clients.
    LogoutClientMismatch,
    /// Logout: `post_logout_redirect_uri` is not registered for the client.
    LogoutUriNotRegistered,
}

/// Why a request fails: before the redirect URI is trusted the person is told on a page; after, the
/// client hears it at its redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    Page(PageError),
    Redirect { redirect_uri: String, state: Option<String>, error: OAuthError },
}

const MAX_PARAM: usize = 1024;

fn bounded(name: &str, v: &Option<String>) -> Result<(), OAuthError> {
    match v {
        Some(s) if s.len() > MAX_PARAM => {
            Err(OAuthError::new(ErrorCode::InvalidRequest, format!("{name} is longer than {MAX_PARAM} bytes")))
        }
        _ => Ok(()),
    }
}

/// Checks a request against the client's registration.
pub fn validate(raw: &RawAuthorize, client: Option<&Client>, now: i64) -> Result<AuthorizeRequest, AuthorizeError> {
    let Some(client) = client else { return Err(AuthorizeError::Page(PageError::UnknownClient)) };
    let Some(redirect_uri) = raw.redirect_uri.clone().filter(|r| client.redirect_allowed(r)) else {
        return Err(AuthorizeError::Page(PageError::RedirectUri));
    };
    let fail = |error: OAuthError| AuthorizeError::Redirect {
        redirect_uri: redirect_uri.clone(),
        state: raw.state.clone().filter(|s| s.len() <= MAX_PARAM),
        error,
    };
    for (n, v) in [
        ("state", &raw.state),
        ("nonce", &raw.nonce),
        ("scope", &raw.scope),
        ("acr_values", &raw.acr_values),
        ("prompt", &raw.prompt),
    ] {
        bounded(n, v).map_err(fail)?;
    }
    if !client.allows(GrantType::AuthorizationCode) {
        return Err(fail(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use the authorization code flow",
        )));
    }
    if raw.request.is_some() || raw.request_uri.is_some() {
        return Err(fail(OAuthError::new(ErrorCode::InvalidRequest, "request objects are not supported")));
    }
    match raw.response_type.as_deref() {
        Some("code") => {}
        None => return Err(fail(OAuthError::new(ErrorCode::InvalidRequest, "response_type is required"))),
        Some(_) => {
            return Err(fail(OAuthError::new(
                ErrorCode::UnsupportedResponseType,
                "only response_type=code is supported",
            )))
        }
    }
    if raw.response_mode.as_deref().is_some_and(|m| m != "query") {
        return Err(fail(OAuthError::new(ErrorCode::InvalidRequest, "only response_mode=query is supported")));
    }
    let mut scope = parse_scope(raw.scope.as_deref().unwrap_or(""));
    if !client.allows(GrantType::RefreshToken) && scope.granted.iter().any(|s| s == OFFLINE_ACCESS) {
        scope.granted.retain(|s| s != OFFLINE_ACCESS);
        scope.ignored.push(OFFLINE_ACCESS.into());
    }
    let code_challenge =
        pkce::check_challenge(raw.code_challenge.as_deref(), raw.code_challenge_method.as_deref()).map_err(fail)?;
    let prompts: Vec<&str> = raw.prompt.as_deref().unwrap_or("").split(' ').filter(|p| !p.is_empty()).collect();
    if let Some(p) = prompts.iter().find(|p| !["none", "login", "consent", "select_account"].contains(p)) {
        return Err(fail(OAuthError::new(
            ErrorCode::InvalidRequest,
            format!("prompt `{}` is not supported", p.chars().take(20).collect::<String>()),
        )));
    }
    let prompt_none = prompts.contains(&"none");
    if prompt_none && prompts.len() > 1 {
        return Err(fail(OAuthError::new(
            ErrorCode::InvalidRequest,
            "prompt=none cannot be combined with other values",
        )));
    }
    let max_age = match raw.max_age.as_deref() {
        None | Some("") => None,
        Some(v) => Some(v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            fail(OAuthError::new(ErrorCode::InvalidRequest, "max_age must be a non-negative integer"))
        })?),
    };
    let acr_kinds = raw.acr_values.as_deref().unwrap_or("").split(' ').find_map(kinds_of_acr);
    Ok(AuthorizeRequest {
        client_id: client.id.get_ref().clone(),
        redirect_uri: redirect_uri.clone(),
        scope: scope.granted,
        ignored_scopes: scope.ignored,
        state: raw.state.clone(),
        nonce: raw.nonce.clone().filter(|n| !n.is_empty()),
        code_challenge,
        prompt_none,
        prompt_login: prompts.contains(&"login"),
        max_age,
        acr_kinds,
        requested_at: now,
    })
}

/// What the door needs to know of the person's session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionView {
    /// When the session's first factor was proved (UTC ms): the `auth_time`.
    pub auth_time: i64,
    pub kinds: usize,
    pub password_due: bool,
    pub has_second_factor: bool,
    /// Whether the person may enrol a first second factor themselves
    /// (`signin.first_factor_self_enrollment`).
    pub may_enrol: bool,
    /// The person still owes the onboarding confirmation or training (R-LC-11).
    pub onboarding_due: bool,
}

/// The outcome at the door.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Door {
    Issue,
    SignIn,
    ChangePassword,
    StepUp,
    /// No second factor yet, and the person may enrol one: enrolment, then back to the request.
    Enrol,
    /// The account waits for the person's confirmation of the rules (or their training): the
    /// onboarding page first, then back to the request (R-LC-11).
    Onboarding,
    /// No second factor, no self-enrolment: the person is told why (and may go back to the client).
    NoSecondFactor {
        need: u8,
        error: OAuthError,
    },
    Refuse(OAuthError),
}

/// Decides what happens to `req` for `session` (none: not signed in), given the access decision for
/// the client's system from where the person is (`access`, computed for the session's kinds).
pub fn door(req: &AuthorizeRequest, session: Option<SessionView>, access: &Decision, now: i64) -> Door {
    let interact = |d: Door, code: ErrorCode, why: &str| {
        if req.prompt_none {
            Door::Refuse(OAuthError::new(code, why))
        } else {
            d
        }
    };
    let Some(s) = session else { return interact(Door::SignIn, ErrorCode::LoginRequired, "no sign-in session") };
    // A sign-in made after the request arrived satisfies both `prompt=login` and `max_age` (even
    // `max_age=0`, which would otherwise never be met once any time has passed).
    let fresh = s.auth_time >= req.requested_at;
    if req.prompt_login && !fresh {
        return Door::SignIn;
    }
    if !fresh && req.max_age.is_some_and(|m| now - s.auth_time > m.saturating_mul(1000)) {
        return interact(Door::SignIn, ErrorCode::LoginRequired, "the sign-in is older than max_age");
    }
    if s.password_due {
        return interact(Door::ChangePassword, ErrorCode::InteractionRequired, "the password must be changed first");
    }
    let have = u8::try_from(s.kinds).unwrap_or(u8::MAX);
    let need = match access {
        Decision::NotApproved => {
            return Door::Refuse(OAuthError::new(
                ErrorCode::AccessDenied,
                "the system is not approved to connect (R-AC-10)",
            ))
        }
        Decision::NetworkRefused { .. } => {
            return Door::Refuse(OAuthError::new(
                ErrorCode::AccessDenied,
                "the system cannot be used from this network (R-ZN-03)",
            ))
        }
        Decision::StepUp { need, .. } => *need,
        Decision::Allowed => have,
    }
    .max(req.acr_kinds.unwrap_or(0));
    if have >= need {
        if s.onboarding_due {
            return interact(
                Door::Onboarding,
                ErrorCode::InteractionRequired,
                "the person must first confirm the rules (onboarding)",
            );
        }
        return Door::Issue;
    }
    if req.prompt_none {
        return Door::Refuse(OAuthError::new(ErrorCode::InteractionRequired, "more factor kinds are needed"));
    }
    if s.has_second_factor {
        Door::StepUp
    } else if s.may_enrol {
        Door::Enrol
    } else {
        Door::NoSecondFactor {
            need,
            error: OAuthError::new(
                ErrorCode::UnmetAuthenticationRequirements,
                format!("the system needs {need} factor kinds and the person has no second factor"),
            ),
        }
    }
}

#[cfg(test)]
mod tests;
