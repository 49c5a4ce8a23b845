//! Reading the policy directory and putting the loaded policy on record (R-LG-09): every start
//! records the policy's digest, and whether it changed since the last start, in the same transaction
//! that brings the stored register of systems and roles in line with it.

use super::{registry, AppError};
use crate::store::{self, DbConnection};
use serde_json::json;
use std::path::Path;
use tobira_domain::audit::{AuditEvent, AuditRecord};
use tobira_domain::policy::{load, Policy, PolicyError, PolicyErrors, SourceFile};

pub const LOADED_ACTION: &str = "policy.loaded";

/// Reads every `*.toml` in `dir` (sorted by name) and loads them.
pub fn read_dir(dir: &Path) -> Result<Policy, PolicyErrors> {
    let one =
        |message: String| PolicyErrors(vec![PolicyError { file: dir.display().to_string(), line: None, message }]);
    let entries = std::fs::read_dir(dir).map_err(|e| one(format!("cannot read the policy directory: {e}")))?;
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut files = Vec::with_capacity(paths.len());
    let mut errors = Vec::new();
    for p in paths {
        match std::fs::read_to_string(&p) {
            Ok(text) => files.push(SourceFile { name: p.display().to_string(), text }),
            Err(e) => errors.push(PolicyError {
                file: p.display().to_string(),
                line: None,
                message: format!("cannot read: {e}"),
            }),
        }
    }
    if !errors.is_empty() {
        return Err(PolicyErrors(errors));
    }
    load(&files)
}

/// Records the policy and syncs the register, in one transaction. Returns the committed records.
pub fn record(conn: &mut DbConnection, policy: &Policy, now: i64) -> Result<Vec<AuditRecord>, AppError> {
    store::write_tx(conn, |c| {
        let previous = store::audit::last_of_action(c, LOADED_ACTION)?
            .and_then(|r| r.event.details.get("digest").and_then(|d| d.as_str()).map(String::from));
        let mut events = registry::sync(c, policy, now)?;
        events.push(AuditEvent::new("system:policy", LOADED_ACTION, "policy").with_details(json!({
            "digest": policy.digest,
            "previous_digest": previous,
            "changed": previous.as_deref() != Some(policy.digest.as_str()),
            "files": policy.files,
            "municipality": policy.municipality.name,
        })));
        Ok(store::audit::append(c, now, events)?)
    })
}
