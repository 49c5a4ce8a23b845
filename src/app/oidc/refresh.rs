//! The `refresh_token` grant with rotation: each refresh token is good once and is replaced; a
//! second use revokes the whole family (every token from that sign-in). A refresh answers for the
//! account and the session as they are now, so a retired or suspended person's refresh fails at
//! once (R-LC-03), and counts as activity of the session only while the session is within its idle
//! window: past it the session has ended and the refresh is refused (R-AU-11, R-PR-07).

use super::issue::{self, TokenResponse};
use super::{end_timed_out, err, is_time_out, person_standing, token_event, unapproved_refused, OidcError};
use crate::app::signin::{token_digest, Origin};
use crate::app::App;
use crate::store;
use serde_json::json;
use tobira_domain::audit::Outcome;
use tobira_domain::oidc::refresh::{self as rotation, Presented, RefreshCheck};
use tobira_domain::oidc::ErrorCode;
use tobira_domain::policy::{Client, GrantType};

pub async fn exchange(
    app: &App,
    client: &Client,
    token: &str,
    scope: Option<&str>,
    origin: &Origin,
) -> Result<TokenResponse, OidcError> {
    if !client.allows(GrantType::RefreshToken) {
        return Err(err(ErrorCode::UnauthorizedClient, "this client may not use refresh_token"));
    }
    unapproved_refused(app, client)?;
    let (app2, client, origin) = (app.clone(), client.clone(), origin.clone());
    let (id, now, scope) = (token_digest(token), app.clock.now_ms(), scope.map(str::to_string));
    app.db_with(move |c| {
        let app = &app2;
        let invalid = |why: &str| err(ErrorCode::InvalidGrant, format!("the refresh token is not valid ({why})"));
        // A second use: the whole family is revoked, and that is a security event of its own.
        let reused = |c: &mut store::DbConnection, family: &str| -> Result<OidcError, OidcError> {
            store::write_tx(c, |c| -> Result<(), OidcError> {
                let revoked = store::oidc::revoke_family(c, family, "refresh_reused", now)?;
                let e = token_event(&origin, &client, "token.refresh_reused", json!({ "family": family, "family_revoked": revoked })).with_outcome(Outcome::Denied);
                store::audit::append(c, now, vec![e])?;
                Ok(())
            })?;
            Ok(invalid("used before; every token of its sign-in is revoked"))
        };
        let Some((expires_at, used_at, family)) = store::oidc::refresh(c, &id)? else { return Err(invalid("unknown")) };
        let presented = Presented { token_client: &family.client_id, presenting_client: client.id.get_ref(), used_at, family_revoked: family.revoked_at.is_some(), expires_at };
        match rotation::check(presented, now) {
            RefreshCheck::Rotate => {}
            RefreshCheck::Reused => return Err(reused(c, &family.id)?),
            RefreshCheck::Expired => return Err(invalid("expired")),
            RefreshCheck::Revoked => return Err(invalid("revoked")),
            RefreshCheck::WrongClient => return Err(invalid("issued to another client")),
        }
        let standing = store::oidc::standing(c, &family.id)?.ok_or_else(|| err(ErrorCode::InvalidGrant, "the refresh token is not valid"))?;
        if let Err(why) = person_standing(&app.policy, &standing, now) {
            if is_time_out(why) {
                // Past the idle window the session is dead: ended here, told to the systems by the
                // back-channel logout, and its cookie opens nothing any more (R-AU-11, R-PR-07).
                store::write_tx(c, |c| end_timed_out(c, &family.session_id, &family.account_id, why, &origin, now))?;
            }
            return Err(invalid(why));
        }
        if let Some(s) = &scope {
            let granted: Vec<&str> = family.scope.split(' ').collect();
            if s.split(' ').filter(|x| !x.is_empty()).any(|x| !granted.contains(&x)) {
                return Err(err(ErrorCode::InvalidScope, "a refresh cannot widen the scope"));
            }
        }
        let (new_token, new_id) = crate::app::signin::new_token()?;
        let facts = issue::facts(c, app, &client, &family, now)?;
        let response = issue::mint(app, &client, &family, &facts, None, Some(new_token), now)?;
        let raced = store::write_tx(c, |c| -> Result<bool, OidcError> {
            if !store::oidc::use_refresh(c, &id, now)? {
                return Ok(true);
            }
            store::oidc::insert_refresh(c, &new_id, &family.id, now, family.expires_at)?;
            store::sessions::touch(c, &family.session_id, now)?;
            let e = token_event(
                &origin,
                &client,
                "token.issued",
                json!({ "grant": "refresh_token", "account": facts.subject.login_id, "family": family.id, "roles": facts.roles, "elevations": facts.elevations }),
            );
            store::audit::append(c, now, vec![e])?;
            Ok(false)
        })?;
        if raced {
            // Two redemptions raced: the loser is a second use.
            return Err(reused(c, &family.id)?);
        }
        Ok(response)
    })
    .await
}
