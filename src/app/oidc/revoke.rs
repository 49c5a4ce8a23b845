//! Token revocation (RFC 7009): a client revokes its own access or refresh tokens; revoking a
//! refresh token revokes its family (the access tokens issued from it stop at introspection and
//! userinfo). Unknown tokens and other clients' tokens are answered the same way, with success.

use super::{token_event, OidcError};
use crate::app::signin::{token_digest, Origin};
use crate::app::App;
use crate::store;
use serde_json::{json, Value};
use tobira_domain::policy::Client;

pub async fn revoke(app: &App, client: &Client, token: &str, origin: &Origin) -> Result<(), OidcError> {
    let now = app.clock.now_ms();
    let event = |what: &str, id: &str| token_event(origin, client, "token.revoked", json!({ "kind": what, "id": id }));
    if token.contains('.') {
        let Ok((_, claims)) = app.keys.verify(token) else { return Ok(()) };
        if claims.get("client_id").and_then(Value::as_str) != Some(client.id.get_ref().as_str()) {
            return Ok(());
        }
        let jti = claims.get("jti").and_then(Value::as_str).unwrap_or_default().to_string();
        let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0) * 1000;
        let (cid, e) = (client.id.get_ref().clone(), event("access_token", &jti));
        app.db(move |c| {
            store::write_tx(c, |c| {
                store::oidc::revoke_access_token(c, &jti, &cid, exp, now)?;
                store::audit::append(c, now, vec![e])?;
                Ok(())
            })
        })
        .await?;
        return Ok(());
    }
    let (id, cid) = (token_digest(token), client.id.get_ref().clone());
    let origin = origin.clone();
    let client = client.clone();
    app.db(move |c| {
        let Some((_, _, family)) = store::oidc::refresh(c, &id)? else { return Ok(()) };
        if family.client_id != cid {
            return Ok(());
        }
        store::write_tx(c, |c| {
            if store::oidc::revoke_family(c, &family.id, "revoked_by_client", now)? {
                let e = token_event(
                    &origin,
                    &client,
                    "token.revoked",
                    json!({ "kind": "refresh_token", "family": family.id }),
                );
                store::audit::append(c, now, vec![e])?;
            }
            Ok(())
        })
    })
    .await?;
    Ok(())
}
