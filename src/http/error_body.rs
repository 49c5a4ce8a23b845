//! The bodies [`super::error::ApiError`] answers with, as types: they are what the error mapping
//! serializes and what the OpenAPI document describes (`/api/openapi.json`), so the two cannot
//! differ. [`Failures`] lists every failure status any `/api` route may answer; [`Referred`] is the
//! 202 of an officer action that waits for a second person (R-AC-02).

use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::openapi::{Content, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{IntoResponses, ToSchema};

/// A failure: a stable code, a Japanese message for the person and the English detail.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// The refusal's own stable code (`separation_of_duties`, `login_id_taken`, `decided_meanwhile`,
    /// …; docs/api.md lists them), or the kind of failure: `bad_request` (a malformed body, query or
    /// path), `not_found`, `unauthorized`, `forbidden`, `conflict`, `unavailable`, `busy`,
    /// `too_many_attempts`, `internal_error`.
    #[schema(value_type = String, example = "forbidden")]
    pub error: &'static str,
    /// For the person, in Japanese.
    pub message: String,
    /// In English, with the detail.
    pub message_en: String,
    /// Only on `internal_error`: the id under which the cause is logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_id: Option<String>,
}

/// An officer action recorded as a request that takes effect when a second person approves.
#[derive(Serialize, ToSchema)]
pub struct AwaitingApproval {
    /// Always `awaiting_approval`.
    #[schema(value_type = String, example = "awaiting_approval")]
    pub status: &'static str,
    /// The request's id, for `/api/officer/requests/{id}/approve`.
    pub request: String,
    #[schema(value_type = String)]
    pub message: &'static str,
    #[schema(value_type = String)]
    pub message_en: &'static str,
    /// The console page where a second person approves it.
    #[schema(value_type = String, example = "/console/approvals")]
    pub approve_at: &'static str,
}

fn json(description: &str, schema: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", Content::new(Some(Ref::from_schema_name(schema))))
        .build()
        .into()
}

/// Every failure an `/api` route may answer, each with an [`ErrorBody`].
pub struct Failures;

impl IntoResponses for Failures {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        [
            ("400", "The request is not valid (the message says why)."),
            ("401", "No session: sign in first."),
            ("403", "Not allowed: the session lacks the role or factors, or the CSRF token is missing or wrong."),
            ("404", "No such thing."),
            ("409", "Not possible in the current state."),
            ("429", "Too many failures from this address (`Retry-After`)."),
            ("500", "An internal error; the body carries the id under which it is logged."),
            ("503", "Busy or temporarily unavailable (`Retry-After` when busy)."),
        ]
        .into_iter()
        .map(|(status, description)| (status.to_string(), json(description, "ErrorBody")))
        .collect()
    }
}

/// The 202 of an officer action on an officer, the CISO, an auditor or a privileged ID.
pub struct Referred;

impl IntoResponses for Referred {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        BTreeMap::from([(
            "202".to_string(),
            json("Recorded as a request that a second person approves (R-AC-02).", "AwaitingApproval"),
        )])
    }
}
