//! The one authorization check of the JSON APIs: the caller's session, authorized for what the route
//! needs (`app::signin::authz`), with the CSRF token checked first on a mutating request. The
//! privileged-ID, review and access-request APIs call it; it depends on none of them.

use crate::app::signin::authz::{self, Need};
use crate::app::signin::session::Current;
use crate::app::App;
use crate::http::csrf::check_csrf;
use crate::http::error::ApiError;
use crate::http::session;
use actix_web::HttpRequest;

/// The caller's session, authorized for `need`; and whether it is a security officer's.
pub(crate) async fn caller(
    req: &HttpRequest,
    app: &App,
    need: Need,
    mutating: bool,
) -> Result<(Current, bool), ApiError> {
    if mutating {
        check_csrf(req, None)?;
    }
    let cur = session::current(req, app).await?;
    let now = app.clock.now_ms();
    let cur = authz::authorize(&app.policy, cur, need, now).map_err(ApiError::from)?.into_session();
    let officer = authz::authorize(&app.policy, Some(&cur), Need::Officer, now).is_ok();
    Ok((cur, officer))
}
