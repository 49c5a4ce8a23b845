//! The words of a delivery round, shared by the SCIM delivery (`deliver`), its Groups (`groups`)
//! and the file batches across the air gap (`files`): who acts, the job lease, what a round did and
//! what one push did.

use serde::Serialize;

pub const ACTOR: &str = "system:provisioning";
/// The outbox's account of an orphan (a User with no tobira account): this prefix and the User's id.
pub const ORPHAN_PREFIX: &str = "scim-user:";

/// The job lease of a system's delivery.
pub fn job(system: &str) -> String {
    format!("provisioning:{system}")
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Round {
    /// Items queued by the round's own re-evaluation (grants run out, retention over).
    pub queued: usize,
    pub pushed: usize,
    /// Failed in a way that may heal: tried again later.
    pub retrying: usize,
    pub stopped: usize,
    /// Not yet due, or behind an earlier item of the same person.
    pub waiting: usize,
    /// File systems: items written to a batch (awaiting its receipt), the batch's number, items a
    /// receipt marked applied, receipts refused.
    pub written: usize,
    pub batch: Option<i64>,
    pub applied: usize,
    pub receipts_refused: usize,
}

/// What a push did, for the audit event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    pub remote_id: Option<String>,
    pub answer: &'static str,
}
