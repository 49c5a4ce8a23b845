//! `tobira report privileged`: per system, who is eligible for its privileged roles (and the cap),
//! every elevation with who asked, who approved, when it ran and whether it was break-glass or awaits
//! review, the delegations, and each holder account's last sign-in (R-PR-01, R-RV-04).

use crate::app::review::table::when;
use crate::app::AppError;
use crate::store::{self, DbConnection};
use serde_json::{json, Value};
use std::collections::HashMap;
use tobira_domain::policy::Policy;
use tobira_domain::privileged::holder_cap;

/// Login and last sign-in of an account, read once per report.
fn login_of(c: &mut DbConnection, seen: &mut HashMap<String, (String, Option<i64>)>, id: &str) -> Result<(String, Option<i64>), AppError> {
    if let Some(v) = seen.get(id) {
        return Ok(v.clone());
    }
    let v = store::accounts::by_id(c, id)?.map(|a| (a.login_id, a.last_login_at)).unwrap_or_else(|| (id.to_string(), None));
    seen.insert(id.to_string(), v.clone());
    Ok(v)
}

/// `now` decides which standing eligibility is flagged unused: not elevated within
/// `review.dormant_days.privileged` days (R-RV-04).
pub fn build(c: &mut DbConnection, policy: &Policy, now: i64) -> Result<Value, AppError> {
    let unused_after = i64::from(policy.review.dormant_days.privileged) * tobira_domain::review::DAY_MS;
    let eligibility = store::privileged::all_eligibility(c)?;
    let elevations = store::privileged::all_elevations(c)?;
    let mut seen = HashMap::new();
    let mut systems = Vec::new();
    for s in &policy.systems {
        let mut holders = Vec::new();
        for e in eligibility.iter().filter(|e| e.system_id == *s.id.get_ref()) {
            let (login, last) = login_of(c, &mut seen, &e.account_id)?;
            let last_elevation = elevations.iter().filter(|x| x.account_id == e.account_id && x.role_id == e.role_id).filter_map(|x| x.starts_at).max();
            holders.push(json!({
                "account": login, "role": e.role_id, "granted_by": e.granted_by, "since": when(Some(e.created_at)),
                "revoked": when(e.revoked_at), "last_sign_in": when(last), "last_elevation": when(last_elevation),
                "unused": e.revoked_at.is_none() && last_elevation.is_none_or(|t| now - t >= unused_after),
            }));
        }
        let current = store::privileged::holders(c, s.id.get_ref())?.len();
        systems.push(json!({ "system": s.id.get_ref(), "name": s.name, "cap": holder_cap(policy, s), "holders_now": current, "eligibility": holders }));
    }
    let mut els = Vec::new();
    for e in &elevations {
        let (login, _) = login_of(c, &mut seen, &e.account_id)?;
        els.push(json!({
            "id": e.id, "account": login, "role": e.role_id, "status": e.status, "minutes": e.minutes, "reason": e.reason, "ticket": e.ticket,
            "break_glass": e.break_glass, "review_required": e.review_required && e.reviewed_at.is_none(),
            "requested": when(Some(e.requested_at)), "decided_by": e.decided_by, "started": when(e.starts_at), "ended": when(e.ends_at), "ended_reason": e.ended_reason,
        }));
    }
    let delegations: Vec<Value> = store::privileged::all_delegations(c)?
        .iter()
        .map(|d| json!({ "principal": d.principal, "delegate": d.delegate_employee_number, "nominated_by": d.nominated_by, "status": d.status, "decided_by": d.decided_by, "from": when(Some(d.valid_from)), "until": when(Some(d.valid_until)) }))
        .collect();
    Ok(json!({ "systems": systems, "elevations": els, "delegations": delegations }))
}
