//! The end of elevations: by the holder or a security officer, and the common ending that revokes the
//! grant and the sessions and records the working period (R-PR-08).

use crate::app::privileged::{refused, role_target};
use crate::app::signin::{session::Current, Origin};
use crate::app::{App, AppError};
use crate::store::{
    self,
    privileged::{status, Elevation},
    DbConnection,
};
use serde_json::json;
use tobira_domain::policy::Policy;

/// Ends one active elevation: by its holder, or by a security officer (`officer`).
pub async fn end(app: &App, cur: &Current, id: &str, officer: bool, origin: &Origin) -> Result<Elevation, AppError> {
    let (policy, id, cur, origin, now) =
        (app.policy.clone(), id.to_string(), cur.clone(), origin.clone(), app.clock.now_ms());
    app.db(move |c| {
        let el = store::privileged::elevation(c, &id)?.filter(|e| e.status == status::ACTIVE).ok_or_else(|| {
            AppError::not_found(
                "elevation_not_found",
                format!("実行中の昇格 {id} が見つかりません"),
                format!("active elevation {id} not found"),
            )
        })?;
        if el.account_id != cur.account.id && !officer {
            return Err(refused(
                c,
                &cur,
                ("privileged.end_refused", &role_target(&el.role_id)),
                AppError::refused(
                    "elevation_end_not_permitted",
                    "昇格を終了できるのは本人かセキュリティ担当だけです",
                    "only its holder or a security officer ends an elevation",
                ),
                json!({ "elevation": id }),
                &origin,
                now,
            ));
        }
        store::write_tx(c, |c| {
            let (el, events) =
                finish(c, &policy, el, status::ENDED, "ended_early", &cur.account.login_id, &origin, now)?;
            store::audit::append(c, now, events)?;
            Ok(el)
        })
    })
    .await
}

/// Ends an active elevation: the grant goes, the account's sessions end, and the working period is
/// recorded with the sessions it covered (R-PR-08); a provisioned system of the role hears of it in
/// the same transaction.
#[allow(clippy::too_many_arguments)]
pub(in crate::app::privileged) fn finish(
    c: &mut DbConnection,
    policy: &Policy,
    mut el: Elevation,
    to: &str,
    reason: &str,
    actor: &str,
    origin: &Origin,
    now: i64,
) -> Result<(Elevation, Vec<tobira_domain::audit::AuditEvent>), AppError> {
    let end = el.ends_at.unwrap_or(now).min(now);
    if let Some(g) = &el.grant_id {
        store::accounts::revoke_grant(c, g, reason, now)?;
    }
    el.status = to.into();
    el.ends_at = Some(end);
    el.ended_reason = Some(reason.into());
    if !store::privileged::update_elevation(c, &el, status::ACTIVE)? {
        return Err(AppError::conflict(
            "changed_meanwhile",
            "昇格は既に終了しています",
            "the elevation ended meanwhile",
        ));
    }
    let start = el.starts_at.unwrap_or(end);
    let sessions = store::sessions::overlapping(c, &el.account_id, start, end)?;
    let mut ended = Vec::new();
    // While another elevation of the account runs, its sessions live on, clipped to that one's end.
    let other = store::privileged::active_until(c, &el.account_id, now)?;
    if let Some(until) = other {
        store::sessions::clip(c, &el.account_id, until)?;
    }
    for s in sessions.iter().filter(|s| s.revoked_at.is_none() && other.is_none()) {
        // Clipped sessions are already unusable; revoking records it and stops their tokens' refresh.
        if store::sessions::revoke(c, &s.id, "elevation_ended", now)? {
            ended.push(s.id[..16].to_string());
        }
    }
    let covered: Vec<serde_json::Value> = sessions.iter().map(|s| json!({ "session": &s.id[..16], "from": s.created_at, "last_seen": s.last_seen_at, "source_ip": s.source_ip })).collect();
    let login = store::accounts::by_id(c, &el.account_id)?.map(|a| a.login_id).unwrap_or_default();
    let event = origin.event(actor.to_string(), "privileged.elevation_ended", role_target(&el.role_id)).with_details(json!({
        "elevation": el.id, "account": login, "from": start, "until": end, "reason": reason, "sessions": covered, "sessions_ended": ended,
    }));
    let mut events = vec![event];
    events.extend(crate::app::provisioning::track(c, policy, std::slice::from_ref(&el.account_id), actor, now)?);
    Ok((el, events))
}

/// Ends the account's active elevations (of one role, or all); how many.
#[allow(clippy::too_many_arguments)]
pub fn end_active_of(
    c: &mut DbConnection,
    policy: &Policy,
    account_id: &str,
    role: Option<&str>,
    actor: &str,
    reason: &str,
    origin: &Origin,
    now: i64,
) -> Result<usize, AppError> {
    let active: Vec<Elevation> = store::privileged::elevations_of(c, account_id)?
        .into_iter()
        .filter(|e| e.status == status::ACTIVE && role.is_none_or(|r| e.role_id == r))
        .collect();
    let n = active.len();
    for el in active {
        let (_, events) = finish(c, policy, el, status::ENDED, reason, actor, origin, now)?;
        store::audit::append(c, now, events)?;
    }
    Ok(n)
}
