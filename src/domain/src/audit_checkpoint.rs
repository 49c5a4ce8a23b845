//! Checkpoints of the audit chain (R-LG-02): the head (sequence number and hash) sealed at a moment
//! with a MAC under a key only tobira holds (derived from the master key), and written outside the
//! database. The hash chain alone proves that records in the middle were not changed; it cannot show
//! that the newest records were cut off, or that the whole chain was rewritten and recomputed. A
//! checkpoint can: the chain must still reach every checkpoint's sequence number with the hash it
//! sealed.
//!
//! Invariants: the MAC covers the version, sequence number, hash and sealing time in one fixed
//! text ([`mac_input`]); a checkpoint whose MAC does not verify is ignored (and named), never
//! trusted; the findings name the first thing wrong for each kind (truncation, recomputation, gap).

use crate::audit::{ChainBreak, ChainHead};
use serde::{Deserialize, Serialize};

/// The sealed head, as written (one JSON line `{"checkpoint":{…}}` per checkpoint).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    /// UTC milliseconds when it was sealed.
    pub sealed_at: i64,
    /// Hex HMAC-SHA256 of [`mac_input`] under the checkpoint key.
    pub mac: String,
}

#[derive(Serialize, Deserialize)]
struct Line {
    checkpoint: Checkpoint,
}

/// The text the MAC covers.
pub fn mac_input(seq: i64, hash: &str, sealed_at: i64) -> Vec<u8> {
    format!("tobira-audit-checkpoint-v1\n{seq}\n{hash}\n{sealed_at}").into_bytes()
}

impl Checkpoint {
    /// The JSON line a sink receives.
    // Proof for the allow: serde_json fails only on a map with non-string keys or a Serialize impl
    // that errors; a checkpoint is two integers and two strings.
    #[allow(clippy::expect_used)]
    pub fn to_line(&self) -> String {
        serde_json::to_string(&Line { checkpoint: self.clone() }).expect("plain data serialises")
    }
}

/// The checkpoints among `text`'s lines (other lines, such as exported records, are skipped).
pub fn parse_lines(text: &str) -> Vec<Checkpoint> {
    text.lines()
        .filter(|l| l.contains("\"checkpoint\""))
        .filter_map(|l| serde_json::from_str::<Line>(l.trim()).ok())
        .map(|l| l.checkpoint)
        .collect()
}

/// Whether a checkpoint is due: the head moved since the last one and `every_seconds` passed.
pub fn due(last: Option<&Checkpoint>, head: &ChainHead, now: i64, every_seconds: u32) -> bool {
    match last {
        None => head.seq > 0,
        Some(c) => c.seq != head.seq && now - c.sealed_at >= i64::from(every_seconds) * 1000,
    }
}

/// What a verification against the checkpoints found wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Finding {
    #[error("TRUNCATED: a checkpoint sealed the chain at record #{checkpoint_seq}, but it now ends at #{head_seq}: records {first}..{checkpoint_seq} were deleted", first = .head_seq + 1)]
    Truncated { checkpoint_seq: i64, head_seq: i64 },
    #[error("RECOMPUTED: record #{seq} no longer has the hash a checkpoint sealed: the chain was rewritten and its hashes recomputed")]
    Recomputed { seq: i64 },
    #[error("GAP: {0}")]
    Gap(ChainBreak),
    #[error("{0}")]
    Broken(ChainBreak),
    #[error("{0} checkpoint(s) carry a MAC that does not verify: forged or altered, ignored")]
    ForgedCheckpoints(usize),
    #[error("ANCHOR: the chain starts after record #{seq} (a pruned prefix), but no audit.pruned record in the chain seals that record's hash")]
    UnattestedAnchor { seq: i64 },
}

/// Judges the chain (its head, the hash it holds at a sequence number, its first break) against the
/// checkpoints whose MAC verified; `forged` counts those that did not.
pub fn judge(
    checkpoints: &[Checkpoint],
    forged: usize,
    head: &ChainHead,
    hash_at: impl Fn(i64) -> Option<String>,
    first_break: Option<&ChainBreak>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    match first_break {
        Some(b @ ChainBreak::Missing { .. }) => out.push(Finding::Gap(b.clone())),
        Some(b) => out.push(Finding::Broken(b.clone())),
        None => {}
    }
    let mut sorted: Vec<&Checkpoint> = checkpoints.iter().collect();
    sorted.sort_by_key(|c| c.seq);
    if let Some(c) = sorted.iter().find(|c| c.seq <= head.seq && hash_at(c.seq).as_deref() != Some(c.hash.as_str())) {
        out.push(Finding::Recomputed { seq: c.seq });
    }
    if let Some(latest) = sorted.last().filter(|c| c.seq > head.seq) {
        out.push(Finding::Truncated { checkpoint_seq: latest.seq, head_seq: head.seq });
    }
    if forged > 0 {
        out.push(Finding::ForgedCheckpoints(forged));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{seal, AuditEvent, AuditRecord};

    fn chain(n: usize, who: &str) -> Vec<AuditRecord> {
        let events = (0..n).map(|i| AuditEvent::new(who, "test.event", format!("t{i}"))).collect();
        seal(&ChainHead::genesis(), 1_700_000_000_000, events).0
    }

    fn cp(r: &AuditRecord) -> Checkpoint {
        Checkpoint { seq: r.seq, hash: r.hash.clone(), sealed_at: 1_700_000_100_000, mac: "m".into() }
    }

    fn judged(records: &[AuditRecord], cps: &[Checkpoint]) -> Vec<Finding> {
        let head = records.last().map_or_else(ChainHead::genesis, |r| ChainHead { seq: r.seq, hash: r.hash.clone() });
        judge(cps, 0, &head, |s| records.iter().find(|r| r.seq == s).map(|r| r.hash.clone()), None)
    }

    #[test]
    fn r_lg_02_a_chain_that_reaches_its_checkpoints_passes() {
        let c = chain(6, "alice");
        assert_eq!(judged(&c, &[cp(&c[2]), cp(&c[5])]), []);
        assert_eq!(judged(&c[..4], &[cp(&c[2])]), [], "records after the checkpoint are not yet sealed");
    }

    #[test]
    fn r_lg_02_records_cut_off_after_a_checkpoint_are_a_truncation() {
        let c = chain(6, "alice");
        assert_eq!(judged(&c[..4], &[cp(&c[2]), cp(&c[5])]), [Finding::Truncated { checkpoint_seq: 6, head_seq: 4 }]);
        assert!(Finding::Truncated { checkpoint_seq: 6, head_seq: 4 }
            .to_string()
            .contains("records 5..6 were deleted"));
    }

    #[test]
    fn r_lg_02_a_recomputed_chain_is_named() {
        let (c, forged) = (chain(6, "alice"), chain(6, "mallory"));
        assert_eq!(judged(&forged, &[cp(&c[2]), cp(&c[5])]), [Finding::Recomputed { seq: 3 }]);
        // Cut short and recomputed: both are named.
        assert_eq!(judged(&forged[..4], &[cp(&c[5])]), [Finding::Truncated { checkpoint_seq: 6, head_seq: 4 }]);
        assert_eq!(
            judged(&forged[..4], &[cp(&c[2]), cp(&c[5])]),
            [Finding::Recomputed { seq: 3 }, Finding::Truncated { checkpoint_seq: 6, head_seq: 4 }]
        );
    }

    #[test]
    fn r_lg_02_a_missing_range_is_a_gap_and_forged_checkpoints_are_named() {
        let c = chain(3, "alice");
        let head = ChainHead { seq: 3, hash: c[2].hash.clone() };
        let b = ChainBreak::Missing { last_good: 1, next_present: 3 };
        assert_eq!(judge(&[], 2, &head, |_| None, Some(&b)), [Finding::Gap(b), Finding::ForgedCheckpoints(2)]);
    }

    #[test]
    fn r_lg_02_checkpoints_round_trip_through_sink_lines_and_fall_due() {
        let c = chain(2, "alice");
        let k = cp(&c[1]);
        let text = format!("{{\"seq\":1,\"action\":\"x\"}}\n{}\nnot json \"checkpoint\"\n", k.to_line());
        assert_eq!(parse_lines(&text), std::slice::from_ref(&k));
        let head = ChainHead { seq: 2, hash: c[1].hash.clone() };
        assert!(due(None, &head, 0, 300));
        assert!(!due(None, &ChainHead::genesis(), 0, 300), "nothing to seal");
        assert!(!due(Some(&k), &head, k.sealed_at + 999_000, 300), "the head has not moved");
        let moved = ChainHead { seq: 3, hash: "h".into() };
        assert!(!due(Some(&k), &moved, k.sealed_at + 299_999, 300));
        assert!(due(Some(&k), &moved, k.sealed_at + 300_000, 300));
        assert_ne!(mac_input(1, "a", 2), mac_input(1, "a", 3));
    }
}
