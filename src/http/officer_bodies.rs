//! The answers of the officer API (`/api/officer/…`), as the types the handlers serialize and the
//! OpenAPI document describes.

use crate::app::officer::LockedAccount;
use crate::app::signin::factors;
use crate::app::{returns::AuthenticatorReturn, shared_ids};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Locked {
    pub locked: Vec<LockedAccount>,
}

/// Officer actions waiting for a second person (R-AC-02).
#[derive(Serialize, ToSchema)]
pub struct OpenRequests {
    #[schema(value_type = Vec<Object>)]
    pub requests: Vec<serde_json::Value>,
}

#[derive(Serialize, ToSchema)]
pub struct Unlocked {
    pub login_id: String,
    pub was_locked: bool,
}

#[derive(Serialize, ToSchema)]
pub struct PasswordReset {
    pub login_id: String,
    /// Shown once, for hand-over.
    pub temporary_password: String,
    pub must_change_password: bool,
}

#[derive(Serialize, ToSchema)]
pub struct EnrollmentLink {
    pub login_id: String,
    /// Shown once, for hand-over when the person has no mail address.
    pub url: String,
    /// UTC milliseconds.
    pub expires_at: i64,
    pub mailed: bool,
    pub revoked_previous: usize,
}

#[derive(Serialize, ToSchema)]
pub struct Credentials {
    pub login_id: String,
    pub credentials: Vec<factors::Listed>,
}

#[derive(Serialize, ToSchema)]
pub struct CredentialRevoked {
    pub login_id: String,
    pub credential: String,
    pub sessions_ended: usize,
}

#[derive(Serialize, ToSchema)]
pub struct SessionsEnded {
    pub login_id: String,
    pub sessions_ended: usize,
}

#[derive(Serialize, ToSchema)]
pub struct Suspended {
    pub login_id: String,
    /// `suspended`.
    #[schema(value_type = String)]
    pub status: &'static str,
    pub sessions_ended: usize,
}

#[derive(Serialize, ToSchema)]
pub struct Reinstated {
    pub login_id: String,
    /// `active`.
    #[schema(value_type = String)]
    pub status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct RemoteAccessGranted {
    pub login_id: String,
    pub grant: String,
    /// UTC milliseconds: the end of the last day (JST).
    pub valid_until: i64,
}

#[derive(Serialize, ToSchema)]
pub struct RemoteAccessRevoked {
    pub login_id: String,
    pub grants_revoked: usize,
}

#[derive(Serialize, ToSchema)]
pub struct Returns {
    pub returns: Vec<AuthenticatorReturn>,
}

#[derive(Serialize, ToSchema)]
pub struct SharedUsers {
    pub login_id: String,
    pub users: Vec<shared_ids::Listed>,
}

#[derive(Serialize, ToSchema)]
pub struct SharedAdded {
    pub login_id: String,
    pub added: String,
}

#[derive(Serialize, ToSchema)]
pub struct SharedRemoved {
    pub login_id: String,
    pub removed: String,
}
