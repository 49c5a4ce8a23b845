//! HTTP adapter (actix-web only): routes, middleware and the one error-to-response mapping.
//!
//! Invariants: every response carries the security headers and an `X-Request-Id`; handlers turn
//! failures into [`error::ApiError`] and nothing else renders errors; the server calls nothing outside
//! its own zone at run time (R-ZN-04).

pub mod api;
pub mod bodies;
pub mod caller;
pub mod console;
pub mod csrf;
pub mod error;
pub mod error_body;
pub mod forms;
pub mod health;
pub mod officer;
pub mod officer_bodies;
pub mod oidc;
pub mod pages;
pub mod privileged;
pub mod request;
pub mod requests;
pub mod review;
pub mod session;

use actix_web::middleware::DefaultHeaders;
use actix_web::web;

/// The routes of the service.
pub fn routes(cfg: &mut web::ServiceConfig) {
    // Actix tries the routes in order, and the console's routes with `{id}` segments are regular
    // expressions: the endpoints business systems call on every sign-in and token come first.
    cfg.configure(oidc::routes)
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(health::metrics))
        .configure(api::mount)
        .configure(pages::routes)
        .default_service(web::to(error::not_found));
}

/// Security headers on every response. HSTS only when the public URL is https.
pub fn security_headers(https: bool) -> DefaultHeaders {
    let h = DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add(("Permissions-Policy", "camera=(), microphone=(), geolocation=()"))
        .add(("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"))
        .add(("Cache-Control", "no-store"));
    if https {
        h.add(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    } else {
        h
    }
}
