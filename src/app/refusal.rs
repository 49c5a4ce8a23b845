//! A domain rule's refusal, carried typed inside [`super::AppError::Rule`] to the one place that turns
//! failures into answers (`http/error.rs`): one variant per domain refusal type, each converted by
//! `From` (so `?` carries it), each with its stable code and Japanese and English words
//! ([`tobira_domain::refusal::Explain`]).

use tobira_domain::console::helpdesk;
use tobira_domain::lifecycle::hold;
use tobira_domain::privileged::{delegation, development, elevation, eligibility};
use tobira_domain::refusal::Explain;
use tobira_domain::review::exception;
use tobira_domain::{access_request, four_eyes, remote_access};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    AccessRequest(access_request::Refusal),
    Delegation(delegation::Refusal),
    Development(development::Refusal),
    Eligibility(eligibility::Refusal),
    Elevation(elevation::Refusal),
    Exception(exception::Invalid),
    FourEyes(four_eyes::Refusal),
    Helpdesk(helpdesk::Refusal),
    RemoteAccess(remote_access::Refusal),
    SyncHold(hold::Refusal),
}

impl Refusal {
    fn inner(&self) -> &dyn Explain {
        match self {
            Refusal::AccessRequest(r) => r,
            Refusal::Delegation(r) => r,
            Refusal::Development(r) => r,
            Refusal::Eligibility(r) => r,
            Refusal::Elevation(r) => r,
            Refusal::Exception(r) => r,
            Refusal::FourEyes(r) => r,
            Refusal::Helpdesk(r) => r,
            Refusal::RemoteAccess(r) => r,
            Refusal::SyncHold(r) => r,
        }
    }

    /// Stable, snake_case: the `error` of an API answer.
    pub fn code(&self) -> &'static str {
        self.inner().code()
    }

    /// For the person, in Japanese.
    pub fn ja(&self) -> String {
        self.inner().ja()
    }

    /// In English, with the detail.
    pub fn en(&self) -> String {
        self.inner().en()
    }

    /// Whether the request itself is malformed (a period, a missing reason or name: answered 400)
    /// rather than forbidden by a rule (403). As the API answered before the refusals were typed.
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, Refusal::Development(_) | Refusal::Exception(_) | Refusal::RemoteAccess(_))
    }
}

/// Japanese first, English beside: what a page shows.
impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} / {}", self.ja(), self.en())
    }
}

impl std::error::Error for Refusal {}

macro_rules! carried {
    ($($variant:ident: $ty:ty),* $(,)?) => {$(
        impl From<$ty> for Refusal {
            fn from(r: $ty) -> Self {
                Refusal::$variant(r)
            }
        }

        impl From<$ty> for super::AppError {
            fn from(r: $ty) -> Self {
                super::AppError::Rule(Refusal::$variant(r))
            }
        }
    )*};
}

carried! {
    AccessRequest: access_request::Refusal,
    Delegation: delegation::Refusal,
    Development: development::Refusal,
    Eligibility: eligibility::Refusal,
    Elevation: elevation::Refusal,
    Exception: exception::Invalid,
    FourEyes: four_eyes::Refusal,
    Helpdesk: helpdesk::Refusal,
    RemoteAccess: remote_access::Refusal,
    SyncHold: hold::Refusal,
}
