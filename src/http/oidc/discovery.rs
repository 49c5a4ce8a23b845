//! `/.well-known/openid-configuration` (OpenID Connect Discovery 1.0) and the JWK Set.

use crate::app::oidc::issuer;
use crate::app::App;
use actix_web::{web, HttpResponse};
use serde_json::json;
use tobira_domain::oidc::{acr_values_supported, SCOPES};

const AUTH_METHODS: [&str; 3] = ["client_secret_basic", "client_secret_post", "private_key_jwt"];
const ASSERTION_ALGS: [&str; 4] = ["ES256", "EdDSA", "RS256", "PS256"];

pub async fn configuration(app: web::Data<App>) -> HttpResponse {
    let iss = issuer(&app);
    let url = |p: &str| format!("{iss}{p}");
    HttpResponse::Ok().insert_header(("Cache-Control", "public, max-age=300")).json(json!({
        "issuer": iss,
        "authorization_endpoint": url("/oauth/authorize"),
        "token_endpoint": url("/oauth/token"),
        "userinfo_endpoint": url("/oauth/userinfo"),
        "jwks_uri": url("/oauth/jwks"),
        "introspection_endpoint": url("/oauth/introspect"),
        "revocation_endpoint": url("/oauth/revoke"),
        "end_session_endpoint": url("/oauth/logout"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256", "EdDSA", "RS256"],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
        "introspection_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": SCOPES,
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "amr", "nonce", "sid", "name", "name#ja-Kana-JP", "name#ja-Hani-JP", "preferred_username", "employee_number", "department", "email", "email_verified", "roles"],
        "acr_values_supported": acr_values_supported(),
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
        "ui_locales_supported": ["ja", "en"],
    }))
}

pub async fn jwks(app: web::Data<App>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/jwk-set+json")
        .insert_header(("Cache-Control", "public, max-age=60"))
        .body(app.keys.jwks().as_str().to_string())
}
