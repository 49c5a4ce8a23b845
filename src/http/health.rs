//! Liveness and readiness. `/readyz` answers 200 only when the database answers and a policy is
//! loaded; it never shows database text. `/metrics` serves the Prometheus figures to the networks
//! of `http.metrics_from`.

use super::error::ApiError;
use crate::app::App;
use actix_web::{web, HttpResponse};
use serde_json::json;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

pub async fn readyz(app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    match crate::app::clock_check::ready(&app).await {
        Ok(skew) => Ok(HttpResponse::Ok().json(json!({
            "status": "ready",
            "database": "ok",
            "policy_digest": app.policy.digest,
            "clock_skew_ms": skew,
            "clock_in_step": skew.map(|s| s.abs() <= i64::from(app.policy.audit.max_clock_skew_ms)),
        }))),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: database unreachable");
            Err(ApiError::Unavailable("database unreachable".into()))
        }
    }
}

/// `/metrics` in the Prometheus text format, for peers in `http.metrics_from` only (the TCP peer,
/// never a forwarded address); others get 404 as if it did not exist (R-LG-08).
pub async fn metrics(req: actix_web::HttpRequest, app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let peer = req.peer_addr().map(|a| a.ip());
    let allowed = peer.is_some_and(|ip| app.peers.may_read_metrics(ip));
    if !allowed {
        return Err(ApiError::NotFound);
    }
    let text = crate::app::metrics::text(&app).await?;
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(text))
}
