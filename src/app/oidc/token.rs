//! The token endpoint's dispatch: the grant the client asked for, and the one place where every
//! refusal at the token endpoint is audited (reuse of a code or refresh token is, in addition, an
//! event of its own with the revocation it caused).

use super::issue::TokenResponse;
use super::{client_credentials, code, err, refresh, token_event, OidcError};
use crate::app::signin::Origin;
use crate::app::App;
use serde_json::json;
use std::collections::HashMap;
use tobira_domain::audit::Outcome;
use tobira_domain::oidc::ErrorCode;
use tobira_domain::policy::Client;

pub async fn grant(
    app: &App,
    client: &Client,
    params: &HashMap<String, String>,
    origin: &Origin,
) -> Result<TokenResponse, OidcError> {
    let get = |k: &str| params.get(k).map(String::as_str);
    let grant = get("grant_type");
    let result = match grant {
        Some("authorization_code") => match get("code") {
            Some(c) => {
                code::exchange(
                    app,
                    client,
                    code::CodeRequest {
                        code: c.to_string(),
                        redirect_uri: get("redirect_uri").map(String::from),
                        code_verifier: get("code_verifier").map(String::from),
                    },
                    origin,
                )
                .await
            }
            None => Err(err(ErrorCode::InvalidRequest, "code is required")),
        },
        Some("refresh_token") => match get("refresh_token") {
            Some(t) => refresh::exchange(app, client, t, get("scope"), origin).await,
            None => Err(err(ErrorCode::InvalidRequest, "refresh_token is required")),
        },
        Some("client_credentials") => client_credentials::issue(app, client, get("scope"), origin).await,
        Some(_) => Err(err(ErrorCode::UnsupportedGrantType, "grant_type is not supported")),
        None => Err(err(ErrorCode::InvalidRequest, "grant_type is required")),
    };
    if let Err(OidcError::OAuth(e)) = &result {
        let shown_grant: String = grant.unwrap_or("(none)").chars().take(40).collect();
        let ev = token_event(
            origin,
            client,
            "token.refused",
            json!({ "grant": shown_grant, "error": e.code.as_str(), "reason": e.description }),
        )
        .with_outcome(Outcome::Denied);
        app.audit.record(ev).await?;
    }
    result
}
