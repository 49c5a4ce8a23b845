//! Helpers for the OpenID Connect provider tests: a refresh-token grant posted as a client would.

use crate::oidc_rp::Op;

pub(crate) async fn refresh(op: &Op, client: &str, secret: &str, token: &str) -> (u16, serde_json::Value) {
    op.post_basic("/oauth/token", client, secret, &[("grant_type", "refresh_token"), ("refresh_token", token)]).await
}
