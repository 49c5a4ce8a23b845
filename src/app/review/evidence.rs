//! The evidence bundle for auditors (R-RV-02, `tobira review evidence`): every review report of a
//! period in CSV and JSON, the privileged-ID report, the audit chain's verification, and a manifest
//! of SHA-256 digests ([`crate::app::bundle`]).

use super::reports;
use crate::app::bundle::{self, Files};
use crate::app::AppError;
use crate::store::DbConnection;
use tobira_domain::policy::Policy;

/// The bundle's files, the manifest last, and whether the audit chain verified intact.
pub struct Evidence {
    pub files: Files,
    pub intact: bool,
}

/// Gathers the bundle of the last `days`.
pub fn gather(c: &mut DbConnection, policy: &Policy, days: u32, now: i64) -> Result<Evidence, AppError> {
    let mut files = Files::new();
    for name in reports::NAMES {
        let t = reports::over_days(c, policy, name, days, now)?;
        files.push((format!("{name}.csv"), t.to_csv().into_bytes()));
        files.push((format!("{name}.json"), serde_json::to_vec_pretty(&t)?));
    }
    let privileged = crate::app::privileged::report::build(c, policy, now)?;
    files.push(("privileged.json".into(), serde_json::to_vec_pretty(&privileged)?));
    let v = crate::app::audit_log::verify_chain(c)?;
    let proof = serde_json::json!({
        "verified_at": tobira_domain::time_util::rfc3339_utc(now), "records": v.checked, "head_seq": v.head.seq,
        "head_hash": v.head.hash, "intact": v.first_break.is_none(),
        "first_break": v.first_break.as_ref().map(|b| b.to_string()), "policy_digest": policy.digest,
    });
    files.push(("audit-chain.json".into(), serde_json::to_vec_pretty(&proof)?));
    bundle::seal(&mut files);
    Ok(Evidence { files, intact: v.first_break.is_none() })
}
