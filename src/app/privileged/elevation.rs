//! Elevations (R-PR-02, R-PR-07, R-PR-08): asked for by an eligible privileged account with fresh
//! multi-factor proof; approved by someone the policy names (never the asker), or started at once
//! for self-review roles and break-glass. An active elevation is a grant with an end time: tokens for
//! the system carry the role until then, the account's sessions are clipped to end with it, and at
//! the end the grant goes, the sessions are revoked and the working period is recorded with the
//! sessions it covered.

use super::{account_target, refused, role_target};
use crate::app::signin::{session::Current, Origin};
use crate::app::{approvers, App, AppError};
use crate::store::{
    self,
    accounts::Grant,
    privileged::{status, Elevation},
    DbConnection,
};
use serde_json::json;
use tobira_domain::authn::ProvedFactor;
use tobira_domain::policy::{OfficerFunction, Policy};
use tobira_domain::privileged::elevation::{self as rules, Ask, Asker, Outcome, Pending};
use tobira_domain::rbac::GrantSource;

mod ending;
mod listing;

pub(super) use ending::finish;
pub use ending::{end, end_active_of};
pub use listing::{console, visible, Asked, Console};

/// What a holder asks for.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct Request {
    pub role: String,
    pub minutes: u32,
    pub reason: String,
    #[serde(default)]
    pub ticket: String,
    #[serde(default)]
    pub break_glass: bool,
}

/// Asks for an elevation in the current session.
pub async fn request(app: &App, cur: &Current, req: Request, origin: &Origin) -> Result<Elevation, AppError> {
    let (policy, cur, origin, now) = (app.policy.clone(), cur.clone(), origin.clone(), app.clock.now_ms());
    app.db(move |c| {
        let role = policy.role(&req.role).ok_or_else(|| AppError::not_found("role_not_found", format!("ロール {} が見つかりません", req.role), format!("role {} not found", req.role)))?;
        let me = approvers::of_account(c, &policy, &cur.account, now)?;
        let number = store::privileged::employee_number_of(c, &cur.account.id)?;
        let eligible = store::privileged::is_eligible(c, &cur.account.id, &req.role)?;
        let factors: Vec<ProvedFactor> = cur.factors.clone();
        let asker = Asker { employee_number: number.as_deref(), account_is_privileged: cur.account.is_privileged, is_vendor: me.is_vendor, eligible, factors: &factors };
        let ask = Ask { minutes: req.minutes, reason: &req.reason, ticket: &req.ticket, break_glass: req.break_glass };
        let outcome = match rules::ask(&policy, role, &asker, &ask, now) {
            Ok(o) => o,
            Err(e) => {
                return Err(refused(
                    c,
                    &cur,
                    ("privileged.elevation_refused", &role_target(&req.role)),
                    e,
                    json!({ "minutes": req.minutes, "break_glass": req.break_glass, "vendor": me.is_vendor }),
                    &origin,
                    now,
                ))
            }
        };
        let mut el = Elevation {
            id: store::new_id(),
            account_id: cur.account.id.clone(),
            role_id: req.role.clone(),
            system_id: role.system.get_ref().clone(),
            minutes: req.minutes as i32,
            reason: req.reason.trim().into(),
            ticket: req.ticket.trim().into(),
            break_glass: req.break_glass,
            review_required: false,
            status: status::PENDING.into(),
            requested_at: now,
            lapses_at: now,
            decided_by: None,
            decided_at: None,
            decision_note: None,
            starts_at: None,
            ends_at: None,
            grant_id: None,
            ended_reason: None,
            reviewed_by: None,
            reviewed_at: None,
        };
        store::write_tx(c, |c| {
            // One request or elevation of a role at a time (no chaining past the longest duration),
            // checked inside the transaction that inserts it, so two asked at once cannot both pass.
            store::privileged::lock_elevations_of(c, &cur.account.id, &req.role)?;
            if store::privileged::elevations_of(c, &cur.account.id)?.iter().any(|e| e.role_id == req.role && (e.status == status::PENDING || e.status == status::ACTIVE)) {
                return Err(AppError::conflict("elevation_exists", format!("{} の昇格は既に申請中か実行中です", req.role), format!("an elevation of {} is already pending or active", req.role)));
            }
            let mut events = vec![origin.event(cur.account.login_id.clone(), "privileged.elevation_requested", role_target(&el.role_id)).with_details(json!({
                "elevation": el.id, "account": cur.account.login_id, "minutes": el.minutes, "reason": el.reason, "ticket": el.ticket, "break_glass": el.break_glass, "vendor": me.is_vendor,
            }))];
            match outcome {
                Outcome::Pending { lapses_at } => {
                    el.lapses_at = lapses_at;
                    store::privileged::insert_elevation(c, &el)?;
                }
                Outcome::Active { until, review } => {
                    el.review_required = review;
                    store::privileged::insert_elevation(c, &el)?;
                    events.extend(activate(c, &policy, &mut el, &cur.account.login_id, None, until, &origin, now)?);
                    if el.break_glass {
                        events.push(break_glass_report(c, &policy, &el, &cur.account.login_id, &origin, now)?);
                    }
                }
            }
            store::audit::append(c, now, events)?;
            Ok(el)
        })
    })
    .await
}

/// Puts a pending (or just inserted) elevation in force until `until`.
/// `approver` is the approving account's id (none for self-review and break-glass). A provisioned
/// system of the role hears of the grant in the same transaction.
#[allow(clippy::too_many_arguments)]
fn activate(
    c: &mut DbConnection,
    policy: &Policy,
    el: &mut Elevation,
    actor: &str,
    approver: Option<&str>,
    until: i64,
    origin: &Origin,
    now: i64,
) -> Result<Vec<tobira_domain::audit::AuditEvent>, AppError> {
    let mut g = Grant::new(&el.account_id, &el.role_id, GrantSource::Elevation, now);
    g.valid_until = Some(until);
    g.reason = Some(format!("{} ({})", el.reason, el.ticket));
    g.requested_by = Some(el.account_id.clone());
    g.approved_by = approver.map(String::from);
    store::accounts::insert_grant(c, &g)?;
    let from = el.status.clone();
    el.status = status::ACTIVE.into();
    el.starts_at = Some(now);
    el.ends_at = Some(until);
    el.grant_id = Some(g.id.clone());
    if !store::privileged::update_elevation(c, el, &from)? {
        return Err(AppError::request_decided_meanwhile());
    }
    let clipped = store::sessions::clip(c, &el.account_id, until)?;
    let mut events = vec![origin.event(actor.to_string(), "privileged.elevation_started", role_target(&el.role_id)).with_details(json!({
        "elevation": el.id, "grant": g.id, "until": until, "approved_by": el.decided_by, "review_required": el.review_required, "sessions_clipped": clipped,
    }))];
    events.extend(crate::app::provisioning::track(c, policy, std::slice::from_ref(&el.account_id), actor, now)?);
    Ok(events)
}

/// The report of a break-glass activation: an audit event and a notification to each officer.
fn break_glass_report(
    c: &mut DbConnection,
    policy: &tobira_domain::policy::Policy,
    el: &Elevation,
    login: &str,
    origin: &Origin,
    now: i64,
) -> Result<tobira_domain::audit::AuditEvent, AppError> {
    let to = approvers::holders_of(
        c,
        policy,
        &[OfficerFunction::Ciso, OfficerFunction::ChiefSecurityOfficer, OfficerFunction::SecurityOfficer],
        now,
    )?;
    let subject = format!("【緊急】特権の緊急利用: {login} / {}", el.role_id);
    let body = format!("{login} が {} を緊急利用（break-glass）で有効にしました。理由: {} / チケット: {} / {} 分。事後確認が必要です。", el.role_id, el.reason, el.ticket, el.minutes);
    approvers::notify(c, &to, "privileged.break_glass", &subject, &body, now)?;
    Ok(origin
        .event(login.to_string(), "privileged.break_glass", role_target(&el.role_id))
        .with_details(json!({ "elevation": el.id, "notified": to })))
}

/// Approves or denies a pending elevation.
pub async fn decide(
    app: &App,
    cur: &Current,
    id: &str,
    approve: bool,
    note: &str,
    origin: &Origin,
) -> Result<Elevation, AppError> {
    let (policy, id, note, cur, origin, now) =
        (app.policy.clone(), id.to_string(), note.trim().to_string(), cur.clone(), origin.clone(), app.clock.now_ms());
    app.db(move |c| {
        let mut el =
            store::privileged::elevation(c, &id)?.filter(|e| e.status == status::PENDING).ok_or_else(|| {
                AppError::not_found(
                    "elevation_not_found",
                    format!("承認待ちの昇格 {id} が見つかりません"),
                    format!("pending elevation {id} not found"),
                )
            })?;
        let approver = approvers::of_account(c, &policy, &cur.account, now)?;
        let (requester, number, requester_is_vendor) = requester(c, &policy, &el, now)?;
        // Denying needs the same authority as approving.
        let until = match rules::approve(&policy, &pending(&el, &number, requester_is_vendor), &approver, now) {
            Ok(u) => u,
            Err(e) => {
                return Err(refused(
                    c,
                    &cur,
                    ("privileged.decision_refused", &role_target(&el.role_id)),
                    e,
                    json!({ "elevation": id, "approve": approve }),
                    &origin,
                    now,
                ))
            }
        };
        store::write_tx(c, |c| {
            // Still eligible, active and privileged now, not just when it asked.
            let fit = requester.status() == Some(tobira_domain::rbac::AccountStatus::Active)
                && requester.is_privileged
                && store::privileged::is_eligible(c, &requester.id, &el.role_id)?;
            if approve && !fit {
                return Err(AppError::conflict(
                    "no_longer_eligible",
                    "このアカウントにはこのロールへの昇格の資格がもうありません",
                    "the account is no longer eligible for this role",
                ));
            }
            el.decided_by = Some(cur.account.login_id.clone());
            el.decided_at = Some(now);
            el.decision_note = Some(note.clone()).filter(|n| !n.is_empty());
            let mut events = vec![origin
                .event(
                    cur.account.login_id.clone(),
                    if approve { "privileged.elevation_approved" } else { "privileged.elevation_denied" },
                    account_target(&requester.login_id),
                )
                .with_details(json!({ "elevation": el.id, "role": el.role_id, "note": el.decision_note }))];
            if approve {
                events.extend(activate(
                    c,
                    &policy,
                    &mut el,
                    &cur.account.login_id,
                    Some(&cur.account.id),
                    until,
                    &origin,
                    now,
                )?);
            } else {
                el.status = status::DENIED.into();
                if !store::privileged::update_elevation(c, &el, status::PENDING)? {
                    return Err(AppError::request_decided_meanwhile());
                }
            }
            store::audit::append(c, now, events)?;
            Ok(el)
        })
    })
    .await
}

/// `el` as the domain's approval and review checks see it.
fn pending<'a>(el: &'a Elevation, number: &'a Option<String>, vendor: bool) -> Pending<'a> {
    Pending {
        system: &el.system_id,
        requester_employee_number: number.as_deref(),
        requester_is_vendor: vendor,
        minutes: el.minutes as u32,
        lapses_at: el.lapses_at,
    }
}

/// The account that asked for `el`, its employee number, and whether it is a vendor's.
fn requester(
    c: &mut DbConnection,
    policy: &tobira_domain::policy::Policy,
    el: &Elevation,
    now: i64,
) -> Result<(store::accounts::Account, Option<String>, bool), AppError> {
    let account = store::accounts::by_id(c, &el.account_id)?.ok_or_else(|| {
        AppError::not_found("account_not_found", "申請者のアカウントが見つかりません", "requesting account not found")
    })?;
    let number = store::privileged::employee_number_of(c, &account.id)?;
    let vendor = approvers::of_account(c, policy, &account, now)?.is_vendor;
    Ok((account, number, vendor))
}

/// Records the after-the-fact review of a self-review or break-glass elevation, by someone who could
/// have approved it (never its holder).
pub async fn review(app: &App, cur: &Current, id: &str, note: &str, origin: &Origin) -> Result<Elevation, AppError> {
    let (policy, id, note, cur, origin, now) =
        (app.policy.clone(), id.to_string(), note.trim().to_string(), cur.clone(), origin.clone(), app.clock.now_ms());
    app.db(move |c| {
        let mut el = store::privileged::elevation(c, &id)?
            .filter(|e| e.review_required && e.reviewed_at.is_none())
            .ok_or_else(|| {
                AppError::not_found(
                    "elevation_not_found",
                    format!("事後確認待ちの昇格 {id} が見つかりません"),
                    format!("no elevation {id} awaiting review"),
                )
            })?;
        let (_, number, vendor) = requester(c, &policy, &el, now)?;
        let me = approvers::of_account(c, &policy, &cur.account, now)?;
        if let Err(e) = rules::review(&policy, &pending(&el, &number, vendor), &me) {
            return Err(refused(
                c,
                &cur,
                ("privileged.review_refused", &role_target(&el.role_id)),
                e,
                json!({ "elevation": id }),
                &origin,
                now,
            ));
        }
        store::write_tx(c, |c| {
            let status = el.status.clone();
            el.reviewed_by = Some(cur.account.login_id.clone());
            el.reviewed_at = Some(now);
            if !store::privileged::update_elevation(c, &el, &status)? {
                return Err(AppError::conflict(
                    "changed_meanwhile",
                    "昇格の状態が変わりました。もう一度確認してください",
                    "the elevation changed meanwhile; review it again",
                ));
            }
            let e = origin
                .event(cur.account.login_id.clone(), "privileged.elevation_reviewed", role_target(&el.role_id))
                .with_details(json!({ "elevation": el.id, "break_glass": el.break_glass, "note": note }));
            store::audit::append(c, now, vec![e])?;
            Ok(el)
        })
    })
    .await
}
