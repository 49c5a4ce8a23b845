//! Reading the HR directory. The adapters only fetch entries; what they mean is decided by the policy's
//! mapping in `tobira_domain::hr`.

pub mod content_sync;
pub mod csv;
pub mod ldap;

use std::collections::BTreeSet;

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("no HR directory is configured (directory.url)")]
    NotConfigured,
    #[error("the directory {url} would be read in clear: use ldaps://, set directory.starttls, or (a directory on this host only) directory.allow_plaintext")]
    Plaintext { url: String },
    #[error("cannot connect to the directory {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("the directory refused the bind as {bind_dn}: {reason}")]
    Bind { bind_dn: String, reason: String },
    /// The directory accepted the connection but did not answer in time (a hung server), which is
    /// not a refusal: the credentials were never judged.
    #[error("the directory {url} did not answer the {during} within {seconds} s (directory.timeout_seconds); it may be hung or overloaded")]
    Timeout { url: String, during: &'static str, seconds: u64 },
    #[error("search under {base} failed or was cut short: {reason}")]
    Search { base: String, reason: String },
    #[error("the HR export {path} cannot be read: {reason}")]
    File { path: String, reason: String },
}

/// How a run reads the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadMode {
    /// Every entry.
    Full,
    /// What changed since the last applied run: its high-water mark (`modifyTimestamp` or
    /// `uSNChanged`) and its content-sync cookie, whichever the directory's method uses. A method
    /// without its mark reads in full.
    Changes { high_water: Option<String>, cookie: Option<Vec<u8>> },
}

/// How a read was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadMethod {
    /// A paged search of every entry (or a CSV file).
    #[default]
    Search,
    /// RFC 4533 content sync (refreshOnly): in full without a cookie, changes and deletions with one.
    ContentSync,
    /// Entries whose `modifyTimestamp` is at or after the high-water mark.
    ModifyTimestamp,
    /// Active Directory: entries whose `uSNChanged` is above the high-water mark.
    UsnChanged,
}

/// Everything one read returned.
#[derive(Debug, Default)]
pub struct RawDirectory {
    pub departments: Vec<tobira_domain::hr::RawEntry>,
    pub people: Vec<tobira_domain::hr::RawEntry>,
    /// True when every person was read; an incremental read lists only changed entries.
    pub complete: bool,
    pub method: ReadMethod,
    /// The next incremental read's starting point: the newest `modifyTimestamp` (LDAP generalized
    /// time) or highest `uSNChanged` among the people read.
    pub high_water: Option<String>,
    /// Content sync: the cookie the server returned, the next read's starting point.
    pub cookie: Option<Vec<u8>>,
    /// Content sync: entryUUIDs the server reported deleted (or moved out of scope).
    pub gone_keys: BTreeSet<String>,
    /// Content sync's present phase: the entryUUID of every entry still in scope.
    pub present_keys: Option<BTreeSet<String>>,
    /// Records the source could not make into an entry (a CSV row with the wrong field count).
    pub unreadable: Vec<tobira_domain::hr::EntryProblem>,
    /// The contract register read with the directory, when the policy maps one.
    pub contracts: Option<csv::RegisterFile>,
}
