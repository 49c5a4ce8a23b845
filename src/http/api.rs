//! The `/api` route table: one list both mounts every JSON route and documents it in OpenAPI 3.1,
//! served at `GET /api/openapi.json` (public; it holds no secrets). Each handler carries its method
//! and path once, in its actix attribute (`#[get("/officer/lockouts")]`, relative to `/api`), and its
//! parameters, bodies, responses and security in `#[utoipa::path]`; adding a route is one line in
//! [`table!`] (docs/api.md).
//!
//! Invariants: every `/api` route is mounted here and nowhere else: the scope answers 404 for
//! anything not in the table, so a route mounted elsewhere under `/api` is never reached; a handler
//! in the table without `#[utoipa::path]` does not compile; malformed JSON bodies, queries and path
//! parameters answer 400 with the same [`ErrorBody`] as every other failure.

use crate::app::words::Words;
use crate::http::error::{ApiError, AwaitingApproval, ErrorBody};
use crate::http::{console, officer, privileged, requests, review};
use actix_web::{get, web, HttpResponse};
use std::sync::LazyLock;
use utoipa::openapi::path::{Operation, PathsBuilder};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The security schemes the handlers name: the session cookie of the pages, and the CSRF token in a
/// header for every change.
struct Security;

impl Modify for Security {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        let session = ApiKeyValue::with_description(
            crate::http::session::SESSION_COOKIE,
            "The session cookie set by signing in at /signin.",
        );
        components.add_security_scheme("session", SecurityScheme::ApiKey(ApiKey::Cookie(session)));
        let csrf = ApiKeyValue::with_description(
            "X-CSRF-Token",
            "The CSRF token bound to the session (the `csrf-token` meta tag of any page); required on every POST.",
        );
        components.add_security_scheme("csrf", SecurityScheme::ApiKey(ApiKey::Header(csrf)));
    }
}

/// The table. Each entry is `module::handler`; the handler's attributes give its method and path.
macro_rules! table {
    ($($module:ident :: $handler:ident),+ $(,)?) => {
        /// Mounts every route of the table under `/api`; anything else there is 404.
        pub fn mount(cfg: &mut web::ServiceConfig) {
            let bad = |ja: String, en: String| actix_web::Error::from(ApiError::BadRequest(Words::new(ja, en)));
            cfg.service(
                web::scope("/api")
                    .app_data(web::JsonConfig::default().error_handler(move |e, _| bad(format!("JSON の本文が正しくありません：{e}"), format!("the JSON body is not valid: {e}"))))
                    .app_data(web::QueryConfig::default().error_handler(move |e, _| bad(format!("クエリが正しくありません：{e}"), format!("the query is not valid: {e}"))))
                    .app_data(web::PathConfig::default().error_handler(move |e, _| bad(format!("パスが正しくありません：{e}"), format!("the path is not valid: {e}"))))
                    $( .service($module::$handler) )+
                    .default_service(web::to(crate::http::error::not_found)),
            );
        }

        #[derive(OpenApi)]
        #[openapi(
            info(title = "tobira", description = "The JSON API of tobira (paths relative to the server root). Sign in at /signin; send the session cookie, and the CSRF token in `X-CSRF-Token` on every POST."),
            paths($($module::$handler),+),
            components(schemas(ErrorBody, AwaitingApproval)),
            modifiers(&Security)
        )]
        struct Table;
    };
}

table![
    doc::openapi_json,
    console::people,
    console::events,
    officer::lockouts,
    officer::requests,
    officer::decide_request,
    officer::unlock,
    officer::reset,
    officer::enrollment_link,
    officer::credentials,
    officer::revoke,
    officer::end_sessions,
    officer::suspend,
    officer::reinstate,
    officer::remote_access,
    officer::remote_access_revoke,
    officer::returns,
    officer::record_return,
    officer::shared_users,
    officer::shared_add,
    officer::shared_remove,
    privileged::create_account,
    privileged::create_development,
    privileged::grant,
    privileged::revoke,
    privileged::list,
    privileged::ask,
    privileged::approve,
    privileged::deny,
    privileged::end,
    privileged::review,
    privileged::nominate,
    privileged::approve_delegate,
    privileged::refuse_delegate,
    privileged::end_delegate,
    privileged::show_report,
    requests::list,
    requests::ask,
    requests::approve,
    requests::refuse,
    requests::withdraw,
    review::inbox,
    review::decide,
    review::campaigns,
    review::create_campaign,
    review::restore,
    review::request_exception,
    review::decide_exception,
    review::report,
    review::run,
    review::audit_usage,
];

/// This module, for the table's own entry.
mod doc {
    #[doc(hidden)]
    pub(crate) use super::__path_openapi_json;
    pub(crate) use super::openapi_json;
}

/// The document: the table's paths under `/api`, each operation tagged with its area (the first
/// segment) and named `area.handler` so that operation ids are unique.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Table::openapi();
    let mut paths = PathsBuilder::new();
    for (path, mut item) in std::mem::take(&mut doc.paths.paths) {
        let area = path.trim_start_matches('/').split('/').next().unwrap_or_default().to_string();
        let ops: [&mut Option<Operation>; 3] = [&mut item.get, &mut item.post, &mut item.delete];
        for op in ops.into_iter().flatten() {
            op.tags = Some(vec![area.clone()]);
            op.operation_id = op.operation_id.take().map(|id| format!("{area}.{id}"));
        }
        paths = paths.path(format!("/api{path}"), item);
    }
    doc.paths = paths.build();
    doc
}

static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    document().to_json().unwrap_or_else(|e| format!("{{\"error\":\"internal_error\",\"message_en\":\"{e}\"}}"))
});

/// This document. Public: it names routes and types, never data or secrets.
#[utoipa::path(responses((status = 200, description = "The OpenAPI 3.1 document of every /api route.", content_type = "application/json", body = Object)))]
#[get("/openapi.json")]
pub(crate) async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(DOCUMENT.as_str())
}
