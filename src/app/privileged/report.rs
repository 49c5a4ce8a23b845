//! `tobira report privileged`: per system, who is eligible for its privileged roles (and the cap),
//! every elevation with who asked, who approved, when it ran and whether it was break-glass or awaits
//! review, the delegations, and each holder account's last sign-in (R-PR-01, R-RV-04).

use crate::app::AppError;
use crate::store::{self, DbConnection};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use tobira_domain::policy::Policy;
use tobira_domain::privileged::holder_cap;
use tobira_domain::time_util::jst_display;

/// The privileged report: per system its eligibility, every elevation, every delegation. Times are
/// JST as report rows show them (`2027-03-31 17:00 JST`), null when there is none.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PrivilegedReport {
    pub systems: Vec<SystemRow>,
    pub elevations: Vec<ElevationRow>,
    pub delegations: Vec<DelegationRow>,
}

/// A system: its cap of holders, how many hold a role now, who is eligible.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SystemRow {
    pub system: String,
    pub name: String,
    pub cap: u32,
    pub holders_now: usize,
    pub eligibility: Vec<HolderRow>,
}

/// A standing (or revoked) eligibility, with its use.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HolderRow {
    pub account: String,
    pub role: String,
    pub granted_by: String,
    pub since: String,
    pub revoked: Option<String>,
    pub last_sign_in: Option<String>,
    pub last_elevation: Option<String>,
    /// Standing and not elevated within `review.dormant_days.privileged` days (R-RV-04).
    pub unused: bool,
}

/// An elevation: who asked, who approved, when it ran, break-glass or awaiting review.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ElevationRow {
    pub id: String,
    pub account: String,
    pub role: String,
    pub status: String,
    pub minutes: i32,
    pub reason: String,
    pub ticket: String,
    pub break_glass: bool,
    /// Break-glass and not reviewed yet.
    pub review_required: bool,
    pub requested: String,
    pub decided_by: Option<String>,
    pub started: Option<String>,
    pub ended: Option<String>,
    pub ended_reason: Option<String>,
}

/// A delegation (代行者) and its period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DelegationRow {
    pub principal: String,
    pub delegate: String,
    pub nominated_by: String,
    pub status: String,
    pub decided_by: Option<String>,
    pub from: String,
    pub until: String,
}

fn when(ms: Option<i64>) -> Option<String> {
    ms.map(jst_display)
}

/// Login and last sign-in of an account, read once per report.
fn login_of(
    c: &mut DbConnection,
    seen: &mut HashMap<String, (String, Option<i64>)>,
    id: &str,
) -> Result<(String, Option<i64>), AppError> {
    if let Some(v) = seen.get(id) {
        return Ok(v.clone());
    }
    let v =
        store::accounts::by_id(c, id)?.map(|a| (a.login_id, a.last_login_at)).unwrap_or_else(|| (id.to_string(), None));
    seen.insert(id.to_string(), v.clone());
    Ok(v)
}

/// `now` decides which standing eligibility is flagged unused: not elevated within
/// `review.dormant_days.privileged` days (R-RV-04).
pub fn build(c: &mut DbConnection, policy: &Policy, now: i64) -> Result<Value, AppError> {
    // Plain structs with string keys: serializing them cannot fail (as the `json!` literal before).
    Ok(serde_json::json!(report(c, policy, now)?))
}

/// The report, as [`build`] gives it and `GET /api/privileged/report` answers it.
pub fn report(c: &mut DbConnection, policy: &Policy, now: i64) -> Result<PrivilegedReport, AppError> {
    let unused_after = i64::from(policy.review.dormant_days.privileged) * tobira_domain::review::DAY_MS;
    let eligibility = store::privileged::all_eligibility(c)?;
    let elevations = store::privileged::all_elevations(c)?;
    let mut seen = HashMap::new();
    let mut systems = Vec::new();
    for s in &policy.systems {
        let mut holders = Vec::new();
        for e in eligibility.iter().filter(|e| e.system_id == *s.id.get_ref()) {
            let (login, last) = login_of(c, &mut seen, &e.account_id)?;
            let last_elevation = elevations
                .iter()
                .filter(|x| x.account_id == e.account_id && x.role_id == e.role_id)
                .filter_map(|x| x.starts_at)
                .max();
            holders.push(HolderRow {
                account: login,
                role: e.role_id.clone(),
                granted_by: e.granted_by.clone(),
                since: jst_display(e.created_at),
                revoked: when(e.revoked_at),
                last_sign_in: when(last),
                last_elevation: when(last_elevation),
                unused: e.revoked_at.is_none() && last_elevation.is_none_or(|t| now - t >= unused_after),
            });
        }
        let current = store::privileged::holders(c, s.id.get_ref())?.len();
        systems.push(SystemRow {
            system: s.id.get_ref().to_string(),
            name: s.name.clone(),
            cap: holder_cap(policy, s),
            holders_now: current,
            eligibility: holders,
        });
    }
    let mut els = Vec::new();
    for e in &elevations {
        let (login, _) = login_of(c, &mut seen, &e.account_id)?;
        els.push(ElevationRow {
            id: e.id.clone(),
            account: login,
            role: e.role_id.clone(),
            status: e.status.clone(),
            minutes: e.minutes,
            reason: e.reason.clone(),
            ticket: e.ticket.clone(),
            break_glass: e.break_glass,
            review_required: e.review_required && e.reviewed_at.is_none(),
            requested: jst_display(e.requested_at),
            decided_by: e.decided_by.clone(),
            started: when(e.starts_at),
            ended: when(e.ends_at),
            ended_reason: e.ended_reason.clone(),
        });
    }
    let delegations = store::privileged::all_delegations(c)?
        .into_iter()
        .map(|d| DelegationRow {
            principal: d.principal,
            delegate: d.delegate_employee_number,
            nominated_by: d.nominated_by,
            status: d.status,
            decided_by: d.decided_by,
            from: jst_display(d.valid_from),
            until: jst_display(d.valid_until),
        })
        .collect();
    Ok(PrivilegedReport { systems, elevations: els, delegations })
}
