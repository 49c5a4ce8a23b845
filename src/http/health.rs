//! Liveness and readiness. `/readyz` answers 200 only when the database answers and a policy is
//! loaded; it never shows database text.

use super::error::ApiError;
use crate::app::App;
use actix_web::{web, HttpResponse};
use serde_json::json;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

pub async fn readyz(app: web::Data<App>) -> Result<HttpResponse, ApiError> {
    let db = app.db(|c| Ok(crate::store::ping(c)?)).await;
    match db {
        Ok(()) => Ok(HttpResponse::Ok().json(json!({
            "status": "ready",
            "database": "ok",
            "policy_digest": app.policy.digest,
        }))),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: database unreachable");
            Err(ApiError::Unavailable("database unreachable".into()))
        }
    }
}
