//! Reading the HR directory. The adapters only fetch entries; what they mean is decided by the policy's
//! mapping in `tobira_domain::hr`.

pub mod ldap;

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("no HR directory is configured (directory.url)")]
    NotConfigured,
    #[error("cannot connect to the directory {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("the directory refused the bind as {bind_dn}: {reason}")]
    Bind { bind_dn: String, reason: String },
    #[error("search under {base} failed or was cut short: {reason}")]
    Search { base: String, reason: String },
}

/// Everything one read returned.
#[derive(Debug, Default)]
pub struct RawDirectory {
    pub departments: Vec<tobira_domain::hr::RawEntry>,
    pub people: Vec<tobira_domain::hr::RawEntry>,
    /// True when every person was read; an incremental read lists only changed entries.
    pub complete: bool,
    /// The newest `modifyTimestamp` among the people read (LDAP generalized time), the next
    /// incremental read's starting point.
    pub high_water: Option<String>,
}
