//! The UserInfo endpoint (OIDC Core §5.3): what the access token's scope allows, about the person
//! as they are now (roles in force now, for the token's system only).

use super::introspect::{check_access_token, Inactive};
use super::OidcError;
use crate::app::App;
use crate::store;
use serde_json::Value;
use tobira_domain::oidc::claims;

pub async fn userinfo(app: &App, token: &str) -> Result<Result<Value, Inactive>, OidcError> {
    let claims_in = match check_access_token(app, token).await? {
        Ok(c) => c,
        Err(e) => return Ok(Err(e)),
    };
    let (Some(sub), Some(client)) = (
        claims_in.get("sub").and_then(Value::as_str),
        claims_in.get("client_id").and_then(Value::as_str).and_then(|c| app.policy.client(c)),
    ) else {
        return Ok(Err(Inactive::Invalid));
    };
    if claims_in.get("fam").is_none() {
        // A client_credentials token has no person behind it.
        return Ok(Err(Inactive::Invalid));
    }
    let scope: Vec<String> = claims_in
        .get("scope")
        .and_then(Value::as_str)
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    if !scope.iter().any(|s| s == "openid") {
        return Ok(Err(Inactive::Invalid));
    }
    let (sub, now, app2, client) = (sub.to_string(), app.clock.now_ms(), app.clone(), client.clone());
    let found = app
        .db(move |c| {
            let Some(subject) = store::oidc::subject(c, &sub)? else { return Ok(None) };
            let held: Vec<String> =
                super::issue::token_grants(c, &app2, &sub, now)?.into_iter().map(|g| g.role_id).collect();
            Ok(Some((subject, claims::visible_roles(&app2.policy, &client, &held))))
        })
        .await?;
    Ok(match found {
        Some((subject, roles)) => Ok(Value::Object(claims::person_claims(&subject, &scope, &roles))),
        None => Err(Inactive::PersonGone),
    })
}
