//! The audit log's rules: what an event holds, how it is sealed into the hash chain, and how a chain
//! is verified (R-LG-01, R-LG-02, R-LG-05).
//!
//! Invariants:
//! - records are numbered 1, 2, 3 … with no gaps; record 1 links to [`GENESIS_HASH`];
//! - `hash = SHA-256(prev_hash ‖ 0x0a ‖ canonical content)`, the canonical content being a JSON object
//!   with a fixed key order that covers every stored field but the two hashes (so the sequence number,
//!   the time and the details are all sealed);
//! - a verifier that walks the records in sequence order reports the first record that is missing,
//!   modified, or linked to a predecessor other than the one before it (deleted and renumbered, or
//!   reordered).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Whether the action the event describes succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "success" => Some(Outcome::Success),
            "failure" => Some(Outcome::Failure),
            "denied" => Some(Outcome::Denied),
            _ => None,
        }
    }
}

/// An event before it is sealed: who did what to which target, with what result, from where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEvent {
    /// The acting account's login ID, or `system:<job>` for tobira's own jobs.
    pub actor: String,
    /// A dotted action name, e.g. `account.bootstrap`, `policy.loaded`.
    pub action: String,
    /// What the action touched, e.g. `account:so-1234`; empty when nothing in particular.
    pub target: String,
    pub outcome: Outcome,
    pub source_ip: Option<String>,
    pub request_id: Option<String>,
    /// Structured details as a JSON object; never secrets.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: serde_json::Value,
}

impl AuditEvent {
    /// A successful event with no source address, request id or details.
    pub fn new(actor: impl Into<String>, action: impl Into<String>, target: impl Into<String>) -> Self {
        AuditEvent {
            actor: actor.into(),
            action: action.into(),
            target: target.into(),
            outcome: Outcome::Success,
            source_ip: None,
            request_id: None,
            details: serde_json::Value::Object(Default::default()),
        }
    }

    pub fn with_outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }

    pub fn with_origin(mut self, source_ip: Option<String>, request_id: Option<String>) -> Self {
        self.source_ip = source_ip;
        self.request_id = request_id;
        self
    }
}

/// A sealed record as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditRecord {
    pub seq: i64,
    /// UTC milliseconds since the epoch.
    pub occurred_at: i64,
    #[serde(flatten)]
    pub event: AuditEvent,
    pub prev_hash: String,
    pub hash: String,
}

/// The canonical bytes of a record's content: a JSON object with a fixed key order.
// Proof for the allow: serde_json fails only on a map with non-string keys or a Serialize impl
// that errors; `Canonical` is integers, strings and a `serde_json::Value` (string keys only).
#[allow(clippy::expect_used)]
pub fn canonical_content(seq: i64, occurred_at: i64, e: &AuditEvent) -> Vec<u8> {
    // serde_json keeps struct field order; a dedicated struct fixes it independently of AuditEvent.
    #[derive(Serialize)]
    struct Canonical<'a> {
        seq: i64,
        occurred_at: i64,
        actor: &'a str,
        action: &'a str,
        target: &'a str,
        outcome: &'a str,
        source_ip: Option<&'a str>,
        request_id: Option<&'a str>,
        details: &'a serde_json::Value,
    }
    serde_json::to_vec(&Canonical {
        seq,
        occurred_at,
        actor: &e.actor,
        action: &e.action,
        target: &e.target,
        outcome: e.outcome.as_str(),
        source_ip: e.source_ip.as_deref(),
        request_id: e.request_id.as_deref(),
        details: &e.details,
    })
    .expect("serialising plain data cannot fail")
}

/// The hash that seals a record's content onto its predecessor.
pub fn record_hash(prev_hash: &str, seq: i64, occurred_at: i64, e: &AuditEvent) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(canonical_content(seq, occurred_at, e));
    hex::encode(h.finalize())
}

/// The last sealed record's position, which the next record links to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: String,
}

impl ChainHead {
    pub fn genesis() -> Self {
        ChainHead { seq: 0, hash: GENESIS_HASH.to_string() }
    }
}

/// Seals `events` in order after `head`, all at `occurred_at`; returns the records and the new head.
pub fn seal(head: &ChainHead, occurred_at: i64, events: Vec<AuditEvent>) -> (Vec<AuditRecord>, ChainHead) {
    let mut prev = head.clone();
    let mut out = Vec::with_capacity(events.len());
    for event in events {
        let seq = prev.seq + 1;
        let hash = record_hash(&prev.hash, seq, occurred_at, &event);
        out.push(AuditRecord { seq, occurred_at, event, prev_hash: prev.hash.clone(), hash: hash.clone() });
        prev = ChainHead { seq, hash };
    }
    (out, prev)
}

/// The first thing wrong with a chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("records {first_missing}..{next_present} are missing: deleted (the record after #{last_good} is #{next_present})", first_missing = .last_good + 1)]
    Missing { last_good: i64, next_present: i64 },
    #[error("record #{seq} was modified: its content no longer matches its hash")]
    Modified { seq: i64 },
    #[error("record #{seq} does not follow record #{prev_seq}: records were deleted and renumbered, or reordered")]
    Unlinked { seq: i64, prev_seq: i64 },
}

impl ChainBreak {
    /// The sequence number of the first record that is not intact (or the first missing one).
    pub fn first_bad_seq(&self) -> i64 {
        match self {
            ChainBreak::Missing { last_good, .. } => last_good + 1,
            ChainBreak::Modified { seq } | ChainBreak::Unlinked { seq, .. } => *seq,
        }
    }
}

/// Walks records in ascending `seq` order, one at a time, so a chain of any length verifies in
/// constant memory.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    head: ChainHead,
    checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl ChainVerifier {
    pub fn new() -> Self {
        ChainVerifier { head: ChainHead::genesis(), checked: 0 }
    }

    /// A verifier that starts after `anchor`: the last record of a pruned prefix (its sequence
    /// number and hash), from which the records that remain must link on.
    pub fn resume(anchor: ChainHead) -> Self {
        ChainVerifier { head: anchor, checked: 0 }
    }

    /// Checks the next record; on error the verifier should not be fed further.
    pub fn check(&mut self, r: &AuditRecord) -> Result<(), ChainBreak> {
        let expected = self.head.seq + 1;
        if r.seq != expected {
            return Err(if r.seq > expected {
                ChainBreak::Missing { last_good: self.head.seq, next_present: r.seq }
            } else {
                ChainBreak::Unlinked { seq: r.seq, prev_seq: self.head.seq }
            });
        }
        if record_hash(&r.prev_hash, r.seq, r.occurred_at, &r.event) != r.hash {
            return Err(ChainBreak::Modified { seq: r.seq });
        }
        if r.prev_hash != self.head.hash {
            return Err(ChainBreak::Unlinked { seq: r.seq, prev_seq: self.head.seq });
        }
        self.head = ChainHead { seq: r.seq, hash: r.hash.clone() };
        self.checked += 1;
        Ok(())
    }

    pub fn checked(&self) -> u64 {
        self.checked
    }

    pub fn head(&self) -> &ChainHead {
        &self.head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: usize) -> Vec<AuditRecord> {
        let events = (0..n).map(|i| AuditEvent::new("alice", "test.event", format!("t{i}"))).collect();
        seal(&ChainHead::genesis(), 1_700_000_000_000, events).0
    }

    fn verify(records: &[AuditRecord]) -> Result<u64, ChainBreak> {
        let mut v = ChainVerifier::new();
        for r in records {
            v.check(r)?;
        }
        Ok(v.checked())
    }

    #[test]
    fn r_lg_02_intact_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
        assert_eq!(verify(&[]), Ok(0));
    }

    #[test]
    fn r_lg_02_modified_content_is_found() {
        let mut c = chain(5);
        c[2].event.outcome = Outcome::Failure;
        assert_eq!(verify(&c), Err(ChainBreak::Modified { seq: 3 }));
        let mut c = chain(5);
        c[3].occurred_at += 1;
        assert_eq!(verify(&c), Err(ChainBreak::Modified { seq: 4 }));
    }

    #[test]
    fn r_lg_02_deleted_record_is_found() {
        let mut c = chain(5);
        c.remove(1);
        assert_eq!(verify(&c), Err(ChainBreak::Missing { last_good: 1, next_present: 3 }));
        let mut c = chain(3);
        c.remove(0);
        assert_eq!(verify(&c).unwrap_err().first_bad_seq(), 1);
    }

    #[test]
    fn r_lg_02_deleted_and_renumbered_is_found() {
        let mut c = chain(5);
        c.remove(1);
        // An attacker renumbers the rest and even recomputes each record's own hash.
        for (i, r) in c.iter_mut().enumerate().skip(1) {
            r.seq = i as i64 + 1;
            r.hash = record_hash(&r.prev_hash, r.seq, r.occurred_at, &r.event);
        }
        assert_eq!(verify(&c), Err(ChainBreak::Unlinked { seq: 2, prev_seq: 1 }));
    }

    #[test]
    fn r_lg_02_swapped_records_are_found() {
        let mut c = chain(5);
        c.swap(1, 2);
        let (a, b) = (c[1].seq, c[2].seq);
        c[1].seq = b;
        c[2].seq = a;
        assert_eq!(verify(&c).unwrap_err().first_bad_seq(), 2);
    }

    #[test]
    fn canonical_content_has_fixed_key_order() {
        let e = AuditEvent::new("a", "b", "c");
        let s = String::from_utf8(canonical_content(7, 9, &e)).unwrap();
        assert_eq!(
            s,
            r#"{"seq":7,"occurred_at":9,"actor":"a","action":"b","target":"c","outcome":"success","source_ip":null,"request_id":null,"details":{}}"#
        );
    }
}
