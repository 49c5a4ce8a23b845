//! JSON request bodies that several APIs share (the privileged IDs, access requests, review):
//! kept apart from the OpenAPI document, which lists them, so no API module imports another.

use actix_web::web;
use serde::Deserialize;

/// The optional body of a decision (approve, deny, refuse, review): a note for the record.
#[derive(utoipa::ToSchema, Deserialize, Default)]
pub struct Note {
    #[serde(default)]
    pub note: String,
}

impl Note {
    /// The note of an optional body; empty when there is none.
    pub fn text(body: Option<web::Json<Note>>) -> String {
        body.map(|b| b.into_inner().note).unwrap_or_default()
    }
}
