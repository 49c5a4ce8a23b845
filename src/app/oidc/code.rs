//! The `authorization_code` grant: a code is good once, for the client it was issued to, with the
//! same redirect URI and the PKCE verifier of its challenge. A second use revokes everything issued
//! from the first (RFC 6749 §4.1.2). The account and the session must still be good now, the
//! session's idle time-out included (`person_standing`, R-AU-11).

use super::issue::{self, TokenResponse};
use super::{end_timed_out, err, is_time_out, person_standing, token_event, unapproved_refused, OidcError};
use crate::app::signin::{token_digest, Origin};
use crate::app::App;
use crate::store::{self, oidc::Family};
use serde_json::json;
use tobira_domain::audit::Outcome;
use tobira_domain::oidc::{pkce, ErrorCode};
use tobira_domain::policy::{Client, GrantType};

pub struct CodeRequest {
    pub code: String,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
}

pub async fn exchange(
    app: &App,
    client: &Client,
    req: CodeRequest,
    origin: &Origin,
) -> Result<TokenResponse, OidcError> {
    if !client.allows(GrantType::AuthorizationCode) {
        return Err(err(ErrorCode::UnauthorizedClient, "this client may not use authorization_code"));
    }
    unapproved_refused(app, client)?;
    let (app2, client, origin) = (app.clone(), client.clone(), origin.clone());
    let now = app.clock.now_ms();
    let id = token_digest(&req.code);
    app.db_with(move |c| {
        let app = &app2;
        let Some(code) = store::oidc::code(c, &id)? else {
            return Err(err(ErrorCode::InvalidGrant, "the code is not valid"));
        };
        if code.client_id != *client.id.get_ref() {
            return Err(err(ErrorCode::InvalidGrant, "the code was issued to another client"));
        }
        if code.used_at.is_some() {
            // Replayed: whatever the first redemption issued is revoked.
            store::write_tx(c, |c| -> Result<(), OidcError> {
                let revoked = match &code.family_id {
                    Some(f) => store::oidc::revoke_family(c, f, "code_reused", now)?,
                    None => false,
                };
                let e = token_event(&origin, &client, "token.code_reused", json!({ "family": code.family_id, "family_revoked": revoked })).with_outcome(Outcome::Denied);
                store::audit::append(c, now, vec![e])?;
                Ok(())
            })?;
            return Err(err(ErrorCode::InvalidGrant, "the code was used already"));
        }
        if code.expires_at <= now {
            return Err(err(ErrorCode::InvalidGrant, "the code has expired"));
        }
        if req.redirect_uri.as_deref() != Some(code.redirect_uri.as_str()) {
            return Err(err(ErrorCode::InvalidGrant, "redirect_uri does not match the authorization request"));
        }
        if !req.code_verifier.as_deref().is_some_and(|v| pkce::verify(v, &code.code_challenge)) {
            return Err(err(ErrorCode::InvalidGrant, "code_verifier does not match the code_challenge"));
        }
        let account = store::accounts::by_id(c, &code.account_id)?.ok_or_else(|| err(ErrorCode::InvalidGrant, "the code is not valid"))?;
        let sess = store::sessions::by_id(c, &code.session_id)?.ok_or_else(|| err(ErrorCode::InvalidGrant, "the code is not valid"))?;
        let standing = store::oidc::session_standing(c, &sess.id)?.ok_or_else(|| err(ErrorCode::InvalidGrant, "the code is not valid"))?;
        if let Err(why) = person_standing(&app.policy, &standing, now) {
            if is_time_out(why) {
                store::write_tx(c, |c| end_timed_out(c, &sess.id, &account.id, why, &origin, now))?;
            }
            return Err(err(ErrorCode::InvalidGrant, "the sign-in behind the code has ended"));
        }
        let important = app.policy.system(client.system.get_ref()).is_some_and(|s| s.important);
        let refresh_until = (now + i64::from(client.connection_minutes(&app.policy.oidc, important)) * 60_000).min(sess.expires_at);
        let family = Family {
            id: store::new_id(),
            client_id: client.id.get_ref().clone(),
            account_id: account.id.clone(),
            session_id: sess.id.clone(),
            scope: code.scope.clone(),
            auth_time: code.auth_time,
            factors: code.factors.clone(),
            created_at: now,
            expires_at: refresh_until,
            revoked_at: None,
            revoked_reason: None,
            logout_sent_at: None,
        };
        let refresh = if client.allows(GrantType::RefreshToken) { Some(crate::app::signin::new_token()?) } else { None };
        let facts = issue::facts(c, app, &client, &family, now)?;
        let response = issue::mint(app, &client, &family, &facts, code.nonce.as_deref(), refresh.as_ref().map(|r| r.0.clone()), now)?;
        store::write_tx(c, |c| -> Result<(), OidcError> {
            if !store::oidc::use_code(c, &id, &family.id, now)? {
                return Err(err(ErrorCode::InvalidGrant, "the code was used already"));
            }
            store::oidc::insert_family(c, &family)?;
            if let Some((_, digest)) = &refresh {
                store::oidc::insert_refresh(c, digest, &family.id, now, refresh_until)?;
            }
            let e = token_event(
                &origin,
                &client,
                "token.issued",
                json!({
                    "grant": "authorization_code", "account": account.login_id, "family": family.id, "scope": family.scope,
                    "refresh": refresh.is_some(), "roles": facts.roles, "elevations": facts.elevations,
                }),
            );
            store::audit::append(c, now, vec![e])?;
            Ok(())
        })?;
        Ok(response)
    })
    .await
}
