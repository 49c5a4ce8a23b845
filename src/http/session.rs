//! What the pages and the JSON APIs both read from a browser's request: the cookie names, the
//! client's address (through trusted proxies only), the request's [`Origin`] for the audit log, and
//! the live session behind the session cookie. The pages and the APIs depend on this module; it
//! depends on neither.

use crate::app::signin::session::{self, Current};
use crate::app::signin::Origin;
use crate::app::App;
use crate::http::error::ApiError;
use crate::http::request::RequestId;
use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest};
use std::net::IpAddr;

/// The cookie names, in one place (the browser tests read them). `__Host-`: set only with `Secure`,
/// `Path=/` and no `Domain`, so no other host (a sibling subdomain) can plant or overwrite them.
pub const SESSION_COOKIE: &str = "__Host-tobira_session";
pub const CSRF_COOKIE: &str = "__Host-tobira_csrf";
/// The client address: the TCP peer, or the last address a trusted proxy added to
/// `X-Forwarded-For` (R-ZN-09 decisions depend on it, so untrusted headers are ignored).
pub fn client_ip(req: &HttpRequest, app: &App) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|a| a.ip())?;
    let trusted = |ip: IpAddr| app.peers.is_trusted_proxy(ip);
    if !trusted(peer) {
        return Some(peer);
    }
    let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok()).unwrap_or("");
    // Walk from the right: the first address not of a trusted proxy is the client.
    let mut hops = forwarded.split(',').rev().filter_map(|s| s.trim().parse::<IpAddr>().ok());
    let mut last = peer;
    for ip in hops.by_ref() {
        last = ip;
        if !trusted(ip) {
            break;
        }
    }
    Some(last)
}

pub fn origin(req: &HttpRequest, app: &App) -> Origin {
    Origin {
        ip: client_ip(req, app),
        user_agent: req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_string),
        request_id: req.extensions().get::<RequestId>().map(|r| r.0.clone()),
    }
}

/// The live session of the request, if any.
pub async fn current(req: &HttpRequest, app: &App) -> Result<Option<Current>, ApiError> {
    let Some(token) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    Ok(session::current(app, &token, &origin(req, app)).await?)
}
