//! Sign-in use cases: passwords with lockout and throttling, passkeys, second factors and step-up,
//! sessions, enrolment of factors and password changes. What a security officer may do about them is
//! [`crate::app::officer`].
//!
//! Invariants: a wrong login ID and a wrong password look the same to the caller and take the same
//! time (a dummy argon2 verify); passwords, codes and session tokens never reach logs or audit
//! details; every state change is written with its audit event in one transaction.

pub mod attempts;
pub mod authz;
pub mod factors;
pub mod passkey;
pub mod password;
pub mod session;

use super::{App, AppError};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use tobira_domain::audit::{AuditEvent, Outcome};

/// Where a request came from, for the audit trail and network rules.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl Origin {
    pub fn ip_text(&self) -> Option<String> {
        self.ip.map(|i| i.to_string())
    }

    /// An audit event with this origin attached.
    pub fn event(&self, actor: impl Into<String>, action: &str, target: impl Into<String>) -> AuditEvent {
        AuditEvent::new(actor, action, target).with_origin(self.ip_text(), self.request_id.clone())
    }
}

/// Why a sign-in step failed. The messages shown are deliberately the same for a wrong login ID and
/// a wrong password.
#[derive(Debug, thiserror::Error)]
pub enum SigninError {
    #[error("the login ID or password is wrong")]
    Invalid,
    #[error("the account is locked")]
    Locked { until: Option<i64> },
    #[error("the account cannot sign in ({0})")]
    Unavailable(String),
    #[error("the code or key was not accepted")]
    FactorRefused,
    #[error("the request expired; start again")]
    Expired,
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<diesel::result::Error> for SigninError {
    fn from(e: diesel::result::Error) -> Self {
        SigninError::App(e.into())
    }
}

impl From<crate::crypto::CryptoError> for SigninError {
    fn from(e: crate::crypto::CryptoError) -> Self {
        SigninError::App(e.into())
    }
}

impl From<crate::store::StoreError> for SigninError {
    fn from(e: crate::store::StoreError) -> Self {
        SigninError::App(e.into())
    }
}

/// A new random token (cookie value or ceremony handle) and the digest stored in its place.
pub fn new_token() -> Result<(String, String), AppError> {
    let token = new_id()?;
    let digest = token_digest(&token);
    Ok((token, digest))
}

/// 256 random bits, URL-safe, without the digest [`new_token`] makes: an identifier that is not
/// looked up by digest (a token's `jti`).
pub fn new_id() -> Result<String, AppError> {
    use base64::Engine;
    let mut b = [0u8; 32];
    crate::crypto::random_bytes(&mut b)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b))
}

/// The digest under which a token is stored.
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The audit target of an account.
pub fn target(login_id: &str) -> String {
    format!("account:{login_id}")
}

/// Records a refused attempt in the audit log (group commit: a flood of failures stays cheap).
pub(crate) async fn record_failure(
    app: &App,
    origin: &Origin,
    login_id: Option<&str>,
    method: &str,
    reason: &str,
) -> Result<(), AppError> {
    // An unknown login ID is not written down: people type passwords into that field by mistake.
    let target = login_id.map_or_else(|| "account:(unknown)".to_string(), target);
    let actor = login_id.map_or_else(|| "anonymous".to_string(), |l| l.to_string());
    app.audit
        .record(
            origin
                .event(actor, "auth.sign_in_failed", target)
                .with_outcome(Outcome::Failure)
                .with_details(json!({ "method": method, "reason": reason })),
        )
        .await?;
    Ok(())
}
