//! The OpenID Connect provider's HTTP face: discovery, JWKS, authorize, token, userinfo,
//! introspection, revocation and logout.
//!
//! Invariants: bad client input gets the specification's error response (JSON with `error` and
//! `error_description`, the status the RFCs name), never a 500; a failure of tobira itself is a 500
//! with an error id (the one mapping in `http::error`); request bodies are parsed here, duplicated
//! parameters refused (RFC 6749 §3.2).

mod authorize;
mod discovery;
mod endpoints;
mod token;

use crate::app::oidc::{assertion, Credentials, OidcError};
use crate::http::error::ApiError;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;
use std::collections::HashMap;
use tobira_domain::oidc::{ErrorCode, OAuthError};
use tobira_domain::policy::ClientAuth;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/.well-known/openid-configuration", web::get().to(discovery::configuration))
        .route("/oauth/jwks", web::get().to(discovery::jwks))
        .route("/oauth/authorize", web::get().to(authorize::authorize))
        .route("/oauth/authorize/resume", web::get().to(authorize::resume))
        .route("/oauth/token", web::post().to(token::token))
        .route("/oauth/userinfo", web::get().to(endpoints::userinfo))
        .route("/oauth/userinfo", web::post().to(endpoints::userinfo))
        .route("/oauth/introspect", web::post().to(endpoints::introspect))
        .route("/oauth/revoke", web::post().to(endpoints::revoke))
        .route("/oauth/logout", web::get().to(authorize::logout))
        .route("/oauth/logout", web::post().to(authorize::logout_confirmed));
}

/// The status an error code is answered with at the token-type endpoints.
fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
        ErrorCode::InvalidToken => StatusCode::UNAUTHORIZED,
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// The JSON error response of RFC 6749 §5.2.
pub fn oauth_error(e: &OAuthError, basic_used: bool) -> HttpResponse {
    let mut res = HttpResponse::build(status_of(e.code));
    if e.code == ErrorCode::InvalidClient && basic_used {
        res.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"tobira\""));
    }
    res.json(serde_json::json!({ "error": e.code.as_str(), "error_description": e.description }))
}

/// Spec errors become their responses; tobira's own failures go to the one error mapping.
pub fn respond(e: OidcError, basic_used: bool) -> Result<HttpResponse, ApiError> {
    match e {
        OidcError::OAuth(o) => Ok(oauth_error(&o, basic_used)),
        OidcError::App(a) => Err(a.into()),
    }
}

/// A form body as a map; a parameter given twice is an error.
pub fn form(body: &[u8]) -> Result<HashMap<String, String>, OAuthError> {
    let mut out = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        if out.insert(k.to_string(), v.to_string()).is_some() {
            return Err(OAuthError::new(
                ErrorCode::InvalidRequest,
                format!("parameter `{}` is given more than once", k.chars().take(40).collect::<String>()),
            ));
        }
    }
    Ok(out)
}

fn pct_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
}

/// The client's credentials from HTTP Basic or the body; both at once is an error (RFC 6749 §2.3).
pub fn credentials(req: &HttpRequest, form: &HashMap<String, String>) -> Result<Credentials, OAuthError> {
    let basic = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")));
    let in_body = form.contains_key("client_secret") || form.contains_key("client_assertion");
    match basic {
        Some(b) => {
            if in_body {
                return Err(OAuthError::new(ErrorCode::InvalidRequest, "use one client authentication method"));
            }
            let raw =
                base64::engine::general_purpose::STANDARD.decode(b.trim()).ok().and_then(|d| String::from_utf8(d).ok());
            let Some((id, secret)) = raw.as_deref().and_then(|r| r.split_once(':')) else {
                return Err(OAuthError::new(ErrorCode::InvalidClient, "malformed Basic credentials"));
            };
            let id = pct_decode(id);
            if form.get("client_id").is_some_and(|f| *f != id) {
                return Err(OAuthError::new(
                    ErrorCode::InvalidRequest,
                    "client_id differs from the authenticated client",
                ));
            }
            Ok(Credentials {
                client_id: Some(id),
                secret: Some(pct_decode(secret)),
                assertion: None,
                method: Some(ClientAuth::ClientSecretBasic),
            })
        }
        None if form.contains_key("client_assertion") => {
            if form.contains_key("client_secret") {
                return Err(OAuthError::new(ErrorCode::InvalidRequest, "use one client authentication method"));
            }
            if form.get("client_assertion_type").map(String::as_str) != Some(assertion::ASSERTION_TYPE) {
                return Err(OAuthError::new(
                    ErrorCode::InvalidRequest,
                    "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ));
            }
            let assertion = form.get("client_assertion").cloned().unwrap_or_default();
            let claimed = assertion::claimed_client(&assertion);
            if form.get("client_id").is_some_and(|f| Some(f) != claimed.as_ref()) {
                return Err(OAuthError::new(
                    ErrorCode::InvalidRequest,
                    "client_id differs from the assertion's issuer",
                ));
            }
            Ok(Credentials {
                client_id: claimed,
                secret: None,
                assertion: Some(assertion),
                method: Some(ClientAuth::PrivateKeyJwt),
            })
        }
        None => Ok(Credentials {
            client_id: form.get("client_id").cloned(),
            secret: form.get("client_secret").cloned(),
            assertion: None,
            method: form.contains_key("client_secret").then_some(ClientAuth::ClientSecretPost),
        }),
    }
}

pub fn basic_used(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("basic "))
}
