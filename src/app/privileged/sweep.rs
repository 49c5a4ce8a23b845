//! The privileged sweep (R-PR-07, R-LC-06): undecided elevation requests lapse, elevations past
//! their end time end (their grant goes, a provisioned system of the role hears of it in the same
//! transaction) and development IDs past their end date are disabled.

use super::elevation::finish;
use super::role_target;
use crate::app::signin::Origin;
use crate::app::AppError;
use crate::store::{self, privileged::status, DbConnection};
use serde_json::json;
use tobira_domain::policy::Policy;

pub const SWEEP_ACTOR: &str = "system:privileged-sweep";

/// What one sweep did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Swept {
    pub lapsed: usize,
    pub expired: usize,
    /// Development IDs disabled at their end date (R-LC-06).
    pub development: usize,
}

/// Lapses undecided requests, ends elevations past their end time and disables development IDs
/// past theirs.
pub fn sweep(c: &mut DbConnection, policy: &Policy, now: i64) -> Result<Swept, AppError> {
    let origin = Origin::default();
    let mut lapsed = 0;
    for mut el in store::privileged::elevations_with(c, status::PENDING)?.into_iter().filter(|e| e.lapses_at <= now) {
        store::write_tx(c, |c| {
            el.status = status::LAPSED.into();
            if store::privileged::update_elevation(c, &el, status::PENDING)? {
                lapsed += 1;
                let e = origin
                    .event(SWEEP_ACTOR, "privileged.elevation_lapsed", role_target(&el.role_id))
                    .with_details(json!({ "elevation": el.id }));
                store::audit::append(c, now, vec![e])?;
            }
            Ok::<_, AppError>(())
        })?;
    }
    let mut expired = 0;
    for el in store::privileged::elevations_with(c, status::ACTIVE)?
        .into_iter()
        .filter(|e| e.ends_at.is_some_and(|t| t <= now))
    {
        let done = store::write_tx(c, |c| {
            let (_, events) = finish(c, policy, el, status::EXPIRED, "expired", SWEEP_ACTOR, &origin, now)?;
            store::audit::append(c, now, events)?;
            Ok::<_, AppError>(())
        });
        match done {
            Ok(()) => expired += 1,
            // Another node or the holder ended it first.
            Err(AppError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let development = super::development::disable_due(c, policy, SWEEP_ACTOR, now)?;
    Ok(Swept { lapsed, expired, development })
}
