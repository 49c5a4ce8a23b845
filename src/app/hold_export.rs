//! The CSIRT export of a legal hold (R-LG-06): the held records as JSON lines and as CSV (UTF-8 with
//! BOM), every record of the hold's range (`chain.jsonl`, so the links can be checked without
//! tobira), the chain verification for the range (from the anchor or genesis it starts at), and
//! `MANIFEST.sha256` with each file's SHA-256 in the form `sha256sum -c` reads. Written to a
//! directory (`tobira audit export`) or as one tar archive (the page's download), by [`super::bundle`].
//!
//! Invariants: the CISO only (refusals audited); each export is audited with the manifest's digest;
//! a directory made for it is 0700 (an existing one keeps its mode) and its files 0600 (they name people).

use super::legal_hold::{self, Actor, Holds};
use super::signin::Origin;
use super::AppError;
use crate::store::{self, DbConnection};
use serde_json::json;
use tobira_domain::audit::AuditRecord;
use tobira_domain::audit_hold::concerns;
use tobira_domain::policy::Policy;
use tobira_domain::time_util::rfc3339_utc;

/// The export's files, in the order they are listed: (name, content).
pub struct Bundle {
    pub hold_id: String,
    pub files: super::bundle::Files,
    pub held: usize,
    pub intact: bool,
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv(records: &[&AuditRecord]) -> Vec<u8> {
    let mut out = String::from(
        "\u{feff}seq,occurred_at,actor,action,target,outcome,source_ip,request_id,details,prev_hash,hash\r\n",
    );
    for r in records {
        let e = &r.event;
        let row = [
            r.seq.to_string(),
            rfc3339_utc(r.occurred_at),
            e.actor.clone(),
            e.action.clone(),
            e.target.clone(),
            e.outcome.as_str().to_string(),
            e.source_ip.clone().unwrap_or_default(),
            e.request_id.clone().unwrap_or_default(),
            e.details.to_string(),
            r.prev_hash.clone(),
            r.hash.clone(),
        ];
        out.push_str(&row.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

fn jsonl<'a>(records: impl Iterator<Item = &'a AuditRecord>) -> Result<Vec<u8>, AppError> {
    let mut out = Vec::new();
    for r in records {
        out.extend(serde_json::to_vec(r)?);
        out.push(b'\n');
    }
    Ok(out)
}

/// Builds the export of hold `id` for the CISO, and audits it.
pub fn bundle(
    c: &mut DbConnection,
    policy: &Policy,
    actor: &Actor,
    id: &str,
    origin: &Origin,
    now: i64,
) -> Result<Bundle, AppError> {
    legal_hold::require_ciso(c, policy, actor, "audit.hold_exported", origin, now)?;
    let hold = store::audit_holds::by_id(c, id)?.ok_or_else(|| {
        AppError::not_found("hold_not_found", format!("保全 {id} が見つかりません"), format!("hold {id} not found"))
    })?;
    let subjects = hold.subject_list();
    let mut range: Vec<AuditRecord> = Vec::new();
    loop {
        let after = range.last().map_or(0, |r| r.seq);
        let page = store::audit::page_where(c, after, 1_000, hold.from_at, hold.until_at)?;
        if page.is_empty() {
            break;
        }
        range.extend(page);
    }
    let held: Vec<&AuditRecord> = range.iter().filter(|r| concerns(&subjects, r)).collect();
    let anchor = store::audit_holds::latest_anchor(c)?;
    let attested = match &anchor {
        Some(a) => legal_hold::anchor_attested(c, a)?,
        None => true,
    };
    let through = range.last().map_or(0, |r| r.seq);
    let v = store::audit::verify_from(c, anchor.as_ref().map(|a| a.head()), 1_000, through)?;
    // The range itself must be contiguous: its records link one to the next.
    let contiguous = range.windows(2).all(|w| w[1].prev_hash == w[0].hash && w[1].seq == w[0].seq + 1);
    let intact = v.first_break.is_none() && attested && contiguous;
    let verification = json!({
        "hold": { "id": hold.id, "case_number": hold.case_number, "reason": hold.reason, "from": rfc3339_utc(hold.from_at), "until": rfc3339_utc(hold.until_at), "subjects": subjects, "created_by": hold.created_by, "created_at": rfc3339_utc(hold.created_at), "released_at": hold.released_at.map(rfc3339_utc) },
        "range": { "records": range.len(), "first_seq": range.first().map(|r| r.seq), "last_seq": range.last().map(|r| r.seq), "first_prev_hash": range.first().map(|r| r.prev_hash.clone()) },
        "held_records": held.len(),
        "chain": {
            "intact": intact,
            "verified_from": anchor.as_ref().map_or_else(|| json!({ "genesis": true }), |a| json!({ "anchor_seq": a.seq, "anchor_hash": a.hash, "anchor_attested_by_audit_pruned_record": attested })),
            "verified_through_seq": v.head.seq,
            "verified_through_hash": v.head.hash,
            "records_checked": v.checked,
            "first_break": v.first_break.as_ref().map(|b| b.to_string()),
            "range_contiguous": contiguous,
            "hash": "sha256 over the record's canonical content and the previous record's hash (tobira_domain::audit::record_hash)",
        },
        "exported_at": rfc3339_utc(now),
        "exported_by": actor.login,
    });
    let mut files = vec![
        ("held.jsonl".to_string(), jsonl(held.iter().copied())?),
        ("held.csv".to_string(), csv(&held)),
        ("chain.jsonl".to_string(), jsonl(range.iter())?),
        ("verification.json".to_string(), serde_json::to_vec_pretty(&verification)?),
    ];
    let manifest_sha = super::bundle::seal(&mut files);
    let mut details = json!({ "hold": hold.id, "case_number": hold.case_number, "held_records": held.len(), "intact": intact, "manifest_sha256": manifest_sha });
    if let Some(op) = &actor.operator {
        details["operator"] = json!(op);
    }
    let e = origin
        .event(actor.login.clone(), "audit.hold_exported", format!("audit_hold:{}", hold.id))
        .with_details(details);
    crate::app::audit_log::record_alone(c, now, e)?;
    Ok(Bundle { hold_id: hold.id, files, held: held.len(), intact })
}

/// The export beside the other actions on holds (`legal_hold::Holds`), kept here so the holds'
/// module does not import its export.
impl Holds<'_> {
    /// The CSIRT export of hold `id` (audited).
    pub async fn export(&self, id: String) -> Result<Bundle, AppError> {
        let (policy, who, origin, now) = (self.0.policy.clone(), self.1.clone(), self.2.clone(), self.0.clock.now_ms());
        self.0.db(move |c| bundle(c, &policy, &who, &id, &origin, now)).await
    }
}
