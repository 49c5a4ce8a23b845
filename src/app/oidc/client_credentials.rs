//! The `client_credentials` grant for batch jobs and RPA (R-AC-05): the client acts for itself, its
//! owner named in the policy; the token's audience is its own system. Nothing is stored but the
//! audit record, committed (group commit) before the token is returned.

use super::issue::{alg, TokenResponse};
use super::{err, issuer, system_approved, token_event, OidcError};
use crate::app::signin::Origin;
use crate::app::App;
use serde_json::json;
use tobira_domain::oidc::claims::{self, AccessFor, Stamp};
use tobira_domain::oidc::{parse_scope, ErrorCode};
use tobira_domain::policy::{Client, GrantType};

pub async fn issue(
    app: &App,
    client: &Client,
    scope: Option<&str>,
    origin: &Origin,
) -> Result<TokenResponse, OidcError> {
    let refusal = if !client.allows(GrantType::ClientCredentials) {
        Some(err(ErrorCode::UnauthorizedClient, "this client may not use client_credentials"))
    } else if !system_approved(app, client) {
        Some(err(ErrorCode::UnauthorizedClient, "the client's system is not approved to connect (R-AC-10)"))
    } else {
        // Person scopes mean nothing without a person; values tobira does not know are ignored.
        (!parse_scope(scope.unwrap_or("")).granted.is_empty())
            .then(|| err(ErrorCode::InvalidScope, "client_credentials tokens carry no person scopes"))
    };
    if let Some(r) = refusal {
        return Err(r);
    }
    let now = app.clock.now_ms();
    let iss = issuer(app);
    let lifetime_s = i64::from(client.access_minutes(&app.policy.oidc)) * 60;
    let jti = crate::app::signin::new_id()?;
    let stamp = Stamp { issuer: &iss, now_s: now / 1000, lifetime_s, jti: &jti };
    let at = claims::access_token(
        stamp,
        AccessFor { system: client.system.get_ref(), client_id: client.id.get_ref(), scope: &[], person: None },
    );
    let access_token = app.keys.sign(alg(*client.access_token_alg.get_ref()), "at+jwt", &at)?;
    let ev = token_event(
        origin,
        client,
        "token.issued",
        json!({ "grant": "client_credentials", "jti": jti, "owner": client.owner, "exp": now / 1000 + lifetime_s }),
    );
    app.audit.record(ev).await?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: lifetime_s,
        refresh_token: None,
        id_token: None,
        scope: String::new(),
    })
}
