//! Token introspection (RFC 7662) for the systems, and the one check every presented access token
//! goes through: signed by a published key of tobira's, typed `at+jwt`, issued here, not expired,
//! not revoked, and, for a person's token, the account and session still good now (R-LC-03).
//!
//! Invariant: a system learns about a token only if it is the token's audience; for anything else
//! the answer is `{"active": false}`, as for a token that does not exist.

use super::standing::{Question, Standing};
use super::{issuer, person_standing, OidcError};
use crate::app::signin::token_digest;
use crate::app::{App, AppError};
use crate::store;
use serde_json::{json, Value};
use tobira_domain::oidc::refresh::{self as rotation, Presented, RefreshCheck};
use tobira_domain::policy::Client;

/// Why a presented access token is not good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inactive {
    Invalid,
    Expired,
    Revoked,
    PersonGone,
}

/// The claims of a good access token.
pub async fn check_access_token(app: &App, token: &str) -> Result<Result<Value, Inactive>, AppError> {
    let Ok((header, claims)) = app.keys.verify(token) else { return Ok(Err(Inactive::Invalid)) };
    let now = app.clock.now_ms();
    if header.get("typ").and_then(Value::as_str) != Some("at+jwt")
        || claims.get("iss").and_then(Value::as_str) != Some(issuer(app).as_str())
    {
        return Ok(Err(Inactive::Invalid));
    }
    if claims.get("exp").and_then(Value::as_i64).is_none_or(|e| e * 1000 <= now) {
        return Ok(Err(Inactive::Expired));
    }
    let jti = claims.get("jti").and_then(Value::as_str).unwrap_or_default().to_string();
    let family = claims.get("fam").and_then(Value::as_str).map(str::to_string);
    Ok(match app.standing.check(Question { jti, family }).await? {
        Standing::Good => Ok(claims),
        Standing::Revoked => Err(Inactive::Revoked),
        Standing::Unknown => Err(Inactive::Invalid),
        Standing::PersonGone => Err(Inactive::PersonGone),
    })
}

fn inactive() -> Value {
    json!({ "active": false })
}

/// The introspection answer for `caller` about `token` (an access or refresh token).
pub async fn introspect(app: &App, caller: &Client, token: &str) -> Result<Value, OidcError> {
    if token.contains('.') {
        let claims = match check_access_token(app, token).await? {
            Ok(c) => c,
            Err(_) => return Ok(inactive()),
        };
        if claims.get("aud").and_then(Value::as_str) != Some(caller.system.get_ref().as_str()) {
            return Ok(inactive());
        }
        let mut out = json!({ "active": true, "token_type": "Bearer" });
        for k in ["scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti", "acr", "auth_time", "roles"] {
            if let Some(v) = claims.get(k) {
                out[k] = v.clone();
            }
        }
        return Ok(out);
    }
    let (id, now, caller_id, policy) =
        (token_digest(token), app.clock.now_ms(), caller.id.get_ref().clone(), app.policy.clone());
    let answer = app
        .db(move |c| {
            let Some((expires_at, used_at, family)) = store::oidc::refresh(c, &id)? else { return Ok(None) };
            let presented = Presented { token_client: &family.client_id, presenting_client: &caller_id, used_at, family_revoked: family.revoked_at.is_some(), expires_at };
            if rotation::check(presented, now) != RefreshCheck::Rotate {
                return Ok(None);
            }
            let good = store::oidc::standing(c, &family.id)?.is_some_and(|s| person_standing(&policy, &s, now).is_ok());
            Ok(good.then(|| json!({ "active": true, "token_type": "refresh_token", "client_id": family.client_id, "sub": family.account_id, "scope": family.scope, "exp": expires_at / 1000 })))
        })
        .await?;
    Ok(answer.unwrap_or_else(inactive))
}
