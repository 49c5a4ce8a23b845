//! The console's way in, shared by its pages: a full session and the app's reader (or the page to
//! answer instead), the same for a posted form, and a refusal shown as a page with the status
//! `http/error.rs` gives it.

use super::guard;
use crate::app::console::{self, Reader};
use crate::app::signin::authz::Need;
use crate::app::signin::session::Current;
use crate::app::{App, AppError};
use crate::http::error::ApiError;
use actix_web::ResponseError;
use actix_web::{HttpRequest, HttpResponse};

/// A refusal or a miss as the page the reader sees; other failures stay errors.
pub(crate) fn refused(req: &HttpRequest, app: &App, e: AppError) -> Result<HttpResponse, ApiError> {
    let e = ApiError::from(e);
    match e.shown() {
        Some(text) => super::message_text(req, app, e.status_code(), super::lang(req).error_title, &text),
        None => Err(e),
    }
}

/// The console's way in: a full session ([`guard`]) and the app's reader, or the page to answer
/// instead (the sign-in for a missing session, the refusal for someone the console is not for).
pub(crate) async fn entry(req: &HttpRequest, app: &App) -> Result<Result<(Current, Reader), HttpResponse>, ApiError> {
    let cur = match guard(req, app, Need::Full).await? {
        Ok(c) => c,
        Err(r) => return Ok(Err(r)),
    };
    reader_for(req, app, cur).await
}

/// The same for a posted console form: its CSRF token checked, its fields, the session at `need`
/// and the reader.
pub(crate) async fn posted_entry(
    req: &HttpRequest,
    app: &App,
    body: &[u8],
    need: Need,
) -> Result<Result<(Vec<(String, String)>, Current, Reader), HttpResponse>, ApiError> {
    let (f, cur) = match super::posted(req, app, body, need).await? {
        Ok(v) => v,
        Err(r) => return Ok(Err(r)),
    };
    Ok(reader_for(req, app, cur).await?.map(|(cur, reader)| (f, cur, reader)))
}

async fn reader_for(
    req: &HttpRequest,
    app: &App,
    cur: Current,
) -> Result<Result<(Current, Reader), HttpResponse>, ApiError> {
    match console::reader(app, &cur).await {
        Ok(r) => Ok(Ok((cur, r))),
        Err(e) => refused(req, app, e).map(Err),
    }
}
