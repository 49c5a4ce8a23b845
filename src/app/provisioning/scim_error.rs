//! How a call to a business system failed (the SCIM service, or the token endpoint in front of it):
//! one that may heal by itself and is tried again later, or one that stops the item until someone
//! acts. The SCIM client and the OAuth token cache both answer it.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScimError {
    /// May heal by itself: tried again later, the queue of this system waits.
    Retry(String),
    /// Will not heal without someone acting: the item stops, with a finding.
    Stop { status: u16, scim_type: Option<String>, detail: String },
}

impl std::fmt::Display for ScimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScimError::Retry(m) => write!(f, "{m}"),
            ScimError::Stop { status, scim_type, detail } => write!(
                f,
                "HTTP {status}{}: {detail}",
                scim_type.as_ref().map(|t| format!(" ({t})")).unwrap_or_default()
            ),
        }
    }
}
