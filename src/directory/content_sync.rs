//! RFC 4533 content synchronisation, refreshOnly mode: one search with the Sync Request control.
//! Without a cookie the server sends every entry (a full read); with the cookie of the last applied
//! run it sends the entries added or changed since, and says what is gone either by listing the
//! deleted entryUUIDs (refreshDeletes) or by naming every entry still present (the present phase).
//!
//! Invariants: a read ends with the server's syncDone and success, or it is an error (never a short
//! list that could look like people leaving); a malformed message (ldap3 panics on bad BER) is a
//! failed read; a cookie the server no longer accepts (e-syncRefreshRequired) is reported as such,
//! so the caller can read in full.

use super::DirectoryError;
use ldap3::controls::{
    Control, ControlParser, EntryState, MakeCritical, RawControl, SyncDone, SyncInfo, SyncRequest, SyncState,
};
use ldap3::{Scope, SearchEntry};
use std::collections::BTreeSet;
use std::time::Duration;

/// The Sync Request control's OID, as the root DSE lists it in `supportedControl` (RFC 4533).
pub const CONTROL_OID: &str = "1.3.6.1.4.1.4203.1.9.1.1";
const SYNC_STATE_OID: &str = "1.3.6.1.4.1.4203.1.9.1.2";
const SYNC_DONE_OID: &str = "1.3.6.1.4.1.4203.1.9.1.3";

/// `e-syncRefreshRequired`: the server cannot continue from the cookie.
const SYNC_REFRESH_REQUIRED: u32 = 4096;

/// What one content-sync search returned.
#[derive(Debug, Default)]
pub struct SyncRead {
    /// Entries added or changed (all of them without a cookie).
    pub entries: Vec<SearchEntry>,
    pub cookie: Option<Vec<u8>>,
    pub gone: BTreeSet<String>,
    /// Set when the server used the present phase: every entry still in scope.
    pub present: Option<BTreeSet<String>>,
}

/// An entryUUID as its 16 octets → the text form OpenLDAP shows (RFC 4122, lower case).
pub fn uuid_text(b: &[u8]) -> Option<String> {
    let b: &[u8; 16] = b.try_into().ok()?;
    Some(uuid::Uuid::from_bytes(*b).hyphenated().to_string())
}

/// Why the read failed.
#[derive(Debug)]
pub enum SyncFailure {
    /// The cookie is no longer usable: read in full.
    RefreshRequired,
    Failed(DirectoryError),
}

fn parse<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .map_err(|_| format!("a malformed {what} in the content sync"))
}

/// The value of the entry's Sync State control, if it has one with a value.
fn state_of(ctrls: &[Control]) -> Option<&[u8]> {
    ctrls.iter().map(|c| &c.1).filter(|c| c.ctype == SYNC_STATE_OID).find_map(|c| c.val.as_deref())
}

/// One refreshOnly search under `base`.
pub async fn search(
    ldap: &mut ldap3::Ldap,
    timeout: Duration,
    base: &str,
    filter: &str,
    attrs: Vec<String>,
    cookie: Option<Vec<u8>>,
) -> Result<SyncRead, SyncFailure> {
    let fail = |reason: String| SyncFailure::Failed(DirectoryError::Search { base: base.into(), reason });
    let had_cookie = cookie.is_some();
    let request = SyncRequest { cookie, ..Default::default() }.critical();
    let mut stream = ldap
        .with_controls(RawControl::from(request))
        .with_timeout(timeout)
        .streaming_search(base, Scope::Subtree, filter, attrs)
        .await
        .map_err(|e| fail(e.to_string()))?;
    let mut out = SyncRead::default();
    let mut present = BTreeSet::new();
    let mut saw_present_phase = false;
    loop {
        let item = match stream.next().await {
            Ok(Some(item)) => item,
            Ok(None) => break,
            Err(e) => return Err(fail(e.to_string())),
        };
        if item.is_ref() {
            continue;
        }
        if item.is_intermediate() {
            match parse("Sync Info message", || ldap3::controls::parse_syncinfo(item)).map_err(fail)? {
                SyncInfo::NewCookie(c) => out.cookie = Some(c),
                SyncInfo::RefreshDelete { cookie, .. } => out.cookie = cookie.or(out.cookie.take()),
                SyncInfo::RefreshPresent { cookie, .. } => {
                    saw_present_phase = true;
                    out.cookie = cookie.or(out.cookie.take());
                }
                SyncInfo::SyncIdSet { cookie, refresh_deletes, sync_uuids } => {
                    out.cookie = cookie.or(out.cookie.take());
                    let keys = sync_uuids.iter().filter_map(|u| uuid_text(u));
                    if refresh_deletes {
                        out.gone.extend(keys);
                    } else {
                        saw_present_phase = true;
                        present.extend(keys);
                    }
                }
            }
            continue;
        }
        let state = match state_of(&item.1) {
            Some(raw) => Some(parse("Sync State control", || SyncState::parse(raw)).map_err(fail)?),
            None => None,
        };
        let key = state.as_ref().and_then(|s| uuid_text(&s.entry_uuid));
        match state.as_ref().map(|s| &s.state) {
            Some(EntryState::Delete) => {
                out.gone.extend(key);
                continue;
            }
            Some(EntryState::Present) => {
                saw_present_phase = true;
                present.extend(key);
                continue;
            }
            _ => {}
        }
        let e = parse("entry", || SearchEntry::construct(item)).map_err(fail)?;
        present.extend(key);
        out.entries.push(e);
    }
    let res = stream.finish().await;
    if res.rc == SYNC_REFRESH_REQUIRED {
        return Err(SyncFailure::RefreshRequired);
    }
    let done = res.ctrls.iter().map(|c| &c.1).filter(|c| c.ctype == SYNC_DONE_OID).find_map(|c| c.val.clone());
    res.success().map_err(|e| fail(e.to_string()))?;
    let done = match done {
        Some(raw) => parse("Sync Done control", || SyncDone::parse(&raw)).map_err(fail)?,
        None => return Err(fail("the server ended the content sync without syncDone".into())),
    };
    out.cookie = done.cookie.or(out.cookie.take());
    // With a cookie and without refreshDeletes the server used the present phase: whatever it did not
    // name is gone (RFC 4533 §3.3.1). Without a cookie every entry was sent: a full read.
    if had_cookie && (!done.refresh_deletes || saw_present_phase) {
        out.present = Some(present);
    }
    Ok(out)
}
