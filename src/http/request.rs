//! Per-request context: a request id (taken from `X-Request-Id` when it is well-formed, otherwise
//! new), echoed in the response and written on one JSON log line per request with method, path (never
//! the query, which can hold codes and tokens), status and duration.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use std::future::{ready, Ready};
use std::time::Instant;

pub const HEADER: &str = "x-request-id";

/// The id of the request being served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

fn well_formed(id: &str) -> bool {
    (8..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl RequestId {
    pub fn of(req: &HttpRequest) -> Option<String> {
        req.extensions().get::<RequestId>().map(|r| r.0.clone())
    }
}

impl FromRequest for RequestId {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        ready(Ok(req
            .extensions()
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(|| RequestId(uuid::Uuid::new_v4().to_string()))))
    }
}

pub async fn context<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let id = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| well_formed(v))
        .map(String::from)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    // What the log line needs is kept only when the line is written (`log.level` info or finer).
    let logged = tracing::enabled!(tracing::Level::INFO)
        .then(|| (req.method().clone(), req.path().to_string(), req.peer_addr().map(|a| a.ip()), Instant::now()));
    let mut res = next.call(req).await?;
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HeaderName::from_static(HEADER), v);
    }
    if let Some((method, path, peer, started)) = logged {
        tracing::info!(
            request_id = %id,
            method = %method,
            path = %path,
            status = res.status().as_u16(),
            peer = %peer.map(|p| p.to_string()).unwrap_or_default(),
            duration_ms = started.elapsed().as_millis() as u64,
            "request"
        );
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ids_are_taken_from_clients() {
        assert!(well_formed("0b7e6a1c-1111-4c3b-9d7e-123456789abc"));
        assert!(!well_formed("short"));
        assert!(!well_formed("has space in it"));
        assert!(!well_formed("inject\r\nheader: x"));
        assert!(!well_formed(&"a".repeat(65)));
    }
}
