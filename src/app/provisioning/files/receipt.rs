//! The zone side's receipts (R-ZN-04): `<system>-<seq:06>.receipt.json` in `receipt_dir`, naming
//! every item of its batch once as `applied` or `failed` (with a reason). Read in number order:
//! applied items are done, failed ones stopped with a finding, as a 4xx is for SCIM.
//!
//! Invariant: a receipt for a number not yet written, one that skips a number, a duplicate, or one
//! that does not name exactly its batch's items is refused whole: audited, renamed `.refused`, and
//! nothing in the outbox changes.

use super::{base_name, number_of, stop, Round, ACTOR};
use crate::app::AppError;
use crate::store::{self, provisioning_files as sf, DbConnection};
use serde::Deserialize;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use tobira_domain::audit::{AuditEvent, Outcome};
use tobira_domain::policy::provisioning::Provisioning;

pub const SUFFIX: &str = ".receipt.json";

/// A receipt as the zone side writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    pub system: String,
    pub batch: i64,
    pub items: Vec<Line>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Line {
    pub item: String,
    pub result: Verdict,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Applied,
    Failed,
}

/// Why a receipt for batch `n` is refused, judged against what tobira wrote; `None` when it may be
/// taken. `awaiting` is the lowest number still waiting for its receipt.
pub fn refusal(
    system: &str,
    n: i64,
    text: &str,
    batch: Option<&sf::Batch>,
    awaiting: Option<i64>,
    items: &[String],
) -> Result<Receipt, String> {
    let Some(batch) = batch else {
        return Err(format!("a receipt for batch {n}, which tobira has not written"));
    };
    if let Some(at) = batch.receipt_at {
        return Err(format!(
            "a duplicate: the receipt of batch {n} was read already (at {})",
            tobira_domain::time_util::jst_display(at)
        ));
    }
    if let Some(first) = awaiting.filter(|a| *a < n) {
        return Err(format!("batch {first}'s receipt has not come back yet; receipts are taken in number order, so batch {n}'s waits (rename it back after {first}'s)"));
    }
    let r: Receipt = serde_json::from_str(text).map_err(|e| format!("not a receipt: {e}"))?;
    if r.system != system || r.batch != n {
        return Err(format!(
            "the receipt says system `{}` batch {} but its file name says `{system}` batch {n}",
            r.system, r.batch
        ));
    }
    let ours: BTreeSet<&str> = items.iter().map(String::as_str).collect();
    let mut seen = BTreeSet::new();
    for l in &r.items {
        if !ours.contains(l.item.as_str()) {
            return Err(format!("item {} is not in batch {n}", l.item));
        }
        if !seen.insert(l.item.as_str()) {
            return Err(format!("item {} is named twice", l.item));
        }
        if l.result == Verdict::Failed && l.reason.trim().is_empty() {
            return Err(format!("item {} failed without a reason", l.item));
        }
    }
    if let Some(missing) = ours.iter().find(|i| !seen.contains(*i)) {
        return Err(format!("item {missing} of batch {n} is not named ({} of {} named)", seen.len(), ours.len()));
    }
    Ok(r)
}

/// The receipts of `system` in `receipt_dir`, by number.
fn listed(dir: &Path, system: &str) -> Result<BTreeMap<i64, String>, AppError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => {
            return Err(AppError::invalid(
                "receipt_dir_unreadable",
                format!("provisioning.receipt_dir {} を読めません（{}）", dir.display(), e.kind()),
                format!("provisioning.receipt_dir {}: {}", dir.display(), e.kind()),
            ))
        }
    };
    Ok(entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter_map(|name| number_of(&name, system, SUFFIX).map(|n| (n, name)))
        .collect())
}

/// Takes every receipt in `receipt_dir`, lowest number first.
pub fn take_all(c: &mut DbConnection, p: &Provisioning, system: &str, now: i64, r: &mut Round) -> Result<(), AppError> {
    let dir = Path::new(p.receipt_dir());
    for (n, name) in listed(dir, system)? {
        let path = dir.join(&name);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            AppError::invalid(
                "receipt_unreadable",
                format!("{} を読めません（{}）", path.display(), e.kind()),
                format!("{}: {}", path.display(), e.kind()),
            )
        })?;
        let batch = sf::get(c, system, n)?;
        let awaiting = sf::awaiting(c, system)?.first().map(|b| b.seq);
        let items = batch.as_ref().map(sf::Batch::items).transpose()?.unwrap_or_default();
        match refusal(system, n, &text, batch.as_ref(), awaiting, &items) {
            Ok(receipt) => {
                apply(c, system, n, &receipt, now, r)?;
                rename(&path, ".done")?;
            }
            Err(why) => {
                r.receipts_refused += 1;
                let e = AuditEvent::new(ACTOR, "provisioning.receipt_refused", format!("system:{system}"))
                    .with_outcome(Outcome::Failure)
                    .with_details(json!({ "system": system, "batch": n, "file": name, "error": why }));
                crate::app::audit_log::record_alone(c, now, e)?;
                tracing::warn!(system = %system, file = %name, error = %why, "provisioning receipt refused");
                rename(&path, ".refused")?;
            }
        }
    }
    Ok(())
}

fn rename(path: &Path, suffix: &str) -> Result<(), AppError> {
    let mut to = path.as_os_str().to_owned();
    to.push(suffix);
    std::fs::rename(path, &to).map_err(|e| {
        AppError::invalid(
            "receipt_not_moved",
            format!("{} の名前に {suffix} を付けられません（{}）", path.display(), e.kind()),
            format!("{}: cannot be renamed {suffix}: {}", path.display(), e.kind()),
        )
    })
}

fn apply(
    c: &mut DbConnection,
    system: &str,
    n: i64,
    receipt: &Receipt,
    now: i64,
    r: &mut Round,
) -> Result<(), AppError> {
    let ids: Vec<String> = receipt.items.iter().map(|l| l.item.clone()).collect();
    let items: BTreeMap<String, store::provisioning::Item> =
        sf::items(c, &ids)?.into_iter().map(|i| (i.id.clone(), i)).collect();
    let failed: Vec<&Line> = receipt.items.iter().filter(|l| l.result == Verdict::Failed).collect();
    store::write_tx(c, |c| -> Result<(), AppError> {
        let mut events = Vec::new();
        for l in receipt.items.iter().filter(|l| l.result == Verdict::Applied) {
            let Some(i) = items.get(&l.item) else { continue };
            store::provisioning::done(c, &i.id, now)?;
            events.push(AuditEvent::new(ACTOR, "provisioning.pushed", format!("account-id:{}", i.account_id)).with_details(json!({
                "system": system, "event": i.event, "why": i.why, "item": i.id, "seq": i.seq, "batch": n, "answer": "applied (receipt)",
            })));
        }
        for l in &failed {
            if let Some(i) = items.get(&l.item) {
                events.push(stop(
                    c,
                    i,
                    &format!("batch {n}: the system refused it: {}", l.reason.trim()),
                    Some(n),
                    now,
                )?);
            }
        }
        sf::set_receipt(c, system, n, (receipt.items.len() - failed.len()) as i64, failed.len() as i64, now)?;
        events.push(
            AuditEvent::new(ACTOR, "provisioning.receipt_read", format!("system:{system}"))
                .with_details(json!({ "system": system, "batch": n, "file": format!("{}{SUFFIX}", base_name(system, n)), "applied": receipt.items.len() - failed.len(), "failed": failed.len() })),
        );
        store::audit::append(c, now, events)?;
        Ok(())
    })?;
    r.applied += receipt.items.len() - failed.len();
    r.stopped += failed.len();
    Ok(())
}
