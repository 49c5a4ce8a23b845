//! OpenID Connect Back-Channel Logout: when a sign-in ends — sign-out, time-out, an officer's
//! suspension, a leaver disabled by the HR sync — every business system that received tokens from
//! it is sent a signed logout token, so its own session ends too (R-LC-03).
//!
//! One job finds the ended sign-ins from the database, whatever ended them, so no path that ends a
//! session can forget to notify; it first ends the sessions left idle past their limit, which no
//! request would otherwise notice. With several nodes a lease lets one node deliver per round. A
//! system that cannot be reached is retried every round until its tokens would have expired anyway;
//! every delivery and every abandonment is audited.

use super::issue::alg;
use super::{issuer, public_sid};
use crate::app::{App, AppError};
use crate::store::{self, oidc::Family};
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;
use tobira_domain::audit::{AuditEvent, Outcome};
use tobira_domain::authn::session as limits;
use tobira_domain::policy::Policy;

pub const JOB: &str = "oidc-backchannel-logout";
const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// The HTTP client for deliveries: the system trust store, plus the city's CA when configured.
pub fn http_client(app: &App) -> Result<reqwest::Client, AppError> {
    let mut b = reqwest::Client::builder()
        .timeout(Duration::from_secs(app.config.oidc.backchannel_timeout_seconds.max(1)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("tobira-backchannel-logout");
    let ca = &app.config.oidc.backchannel_ca_file;
    if !ca.is_empty() {
        let pem = std::fs::read(ca).map_err(|e| {
            AppError::invalid(
                "backchannel_ca_invalid",
                format!("oidc.backchannel_ca_file {ca} を読めません：{e}"),
                format!("oidc.backchannel_ca_file {ca}: {e}"),
            )
        })?;
        for cert in reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            AppError::invalid(
                "backchannel_ca_invalid",
                format!("oidc.backchannel_ca_file {ca} の証明書を読めません：{e}"),
                format!("oidc.backchannel_ca_file {ca}: {e}"),
            )
        })? {
            b = b.add_root_certificate(cert);
        }
    }
    b.build().map_err(|e| {
        AppError::invalid(
            "backchannel_client_invalid",
            format!("バックチャネル・ログアウト用の HTTP クライアントを作成できません：{e}"),
            format!("back-channel HTTP client: {e}"),
        )
    })
}

/// The logout token for `family`'s sign-in, for its client (OIDC Back-Channel Logout §2.4).
fn logout_token(app: &App, family: &Family, now: i64) -> Result<String, AppError> {
    let client = app.policy.client(&family.client_id).ok_or_else(|| {
        AppError::invalid(
            "client_left_policy",
            "この業務システム（クライアント）はポリシーから外れています",
            "the client left the policy",
        )
    })?;
    let jti = crate::app::signin::new_id()?;
    let claims = json!({
        "iss": issuer(app), "aud": family.client_id, "iat": now / 1000, "exp": now / 1000 + 120, "jti": jti,
        "sub": family.account_id, "sid": public_sid(&family.session_id), "events": { EVENT: {} },
    });
    Ok(app.keys.sign(alg(client.id_token_alg), "logout+jwt", &claims)?)
}

/// Ends the sessions nobody has used within their idle limit (R-AU-11, R-PR-07), so a sign-in left
/// idle is reported like one signed out, without waiting for someone to present its cookie or
/// tokens. At most 500 per kind and round; the next round takes the rest.
pub fn end_idle_sessions(c: &mut store::DbConnection, policy: &Policy, now: i64) -> Result<usize, AppError> {
    let (mut ended, origin) = (0, crate::app::signin::Origin::default());
    for privileged in [false, true] {
        let rule = limits::rule(&policy.session, privileged);
        let cutoff = now - i64::from(*rule.idle_minutes.get_ref()) * 60_000;
        for s in store::sessions::idle_since(c, privileged, cutoff, now, 500)? {
            if store::write_tx(c, |c| {
                super::end_timed_out(c, &s.id, &s.account_id, limits::Expiry::Idle.as_str(), &origin, now)
            })? {
                ended += 1;
            }
        }
    }
    Ok(ended)
}

/// One delivery round; returns how many systems were told.
pub async fn run_once(app: &App, http: &reqwest::Client, node: &str) -> Result<usize, AppError> {
    let with_uri: Vec<String> = app
        .policy
        .clients
        .iter()
        .filter(|c| c.backchannel_logout_uri.is_some())
        .map(|c| c.id.get_ref().clone())
        .collect();
    if with_uri.is_empty() {
        return Ok(0);
    }
    let (now, node, every, policy) = (
        app.clock.now_ms(),
        node.to_string(),
        app.config.oidc.backchannel_every_seconds as i64 * 1000,
        app.policy.clone(),
    );
    let due = app
        .db(move |c| {
            if !store::write_tx(c, |c| store::leases::try_acquire(c, JOB, &node, now, every * 5 + 30_000))? {
                return Ok(Vec::new());
            }
            end_idle_sessions(c, &policy, now)?;
            Ok(store::oidc::logout_due(c, &with_uri, now, 200)?)
        })
        .await?;
    // One logout token per system and sign-in, however many families it holds.
    let mut groups: BTreeMap<(String, String), Vec<Family>> = BTreeMap::new();
    for f in due {
        groups.entry((f.client_id.clone(), f.session_id.clone())).or_default().push(f);
    }
    let mut told = 0;
    for ((client_id, session_id), families) in groups {
        let Some(uri) =
            app.policy.client(&client_id).and_then(|c| c.backchannel_logout_uri.as_ref()).map(|u| u.get_ref().clone())
        else {
            continue;
        };
        let token = logout_token(app, &families[0], now)?;
        let result = http.post(&uri).form(&[("logout_token", token.as_str())]).send().await;
        let status = result.as_ref().ok().map(|r| r.status().as_u16());
        let delivered = status.is_some_and(|s| s == 200 || s == 204);
        let expired = families.iter().all(|f| f.expires_at <= now);
        if !delivered && !expired {
            tracing::warn!(client = %client_id, status = ?status, error = ?result.as_ref().err().map(|e| e.to_string()), "back-channel logout not delivered; retrying next round");
            continue;
        }
        told += usize::from(delivered);
        let ids: Vec<String> = families.iter().map(|f| f.id.clone()).collect();
        let event = AuditEvent::new("system:oidc", if delivered { "oidc.backchannel_logout" } else { "oidc.backchannel_logout_abandoned" }, format!("client:{client_id}"))
            .with_outcome(if delivered { Outcome::Success } else { Outcome::Failure })
            .with_details(json!({ "sid": public_sid(&session_id), "account": families[0].account_id, "families": ids.len(), "status": status }));
        app.db(move |c| {
            store::write_tx(c, |c| {
                store::oidc::mark_logout_sent(c, &ids, now)?;
                store::audit::append(c, now, vec![event])?;
                Ok(())
            })
        })
        .await?;
    }
    Ok(told)
}
