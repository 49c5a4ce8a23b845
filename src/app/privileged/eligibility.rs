//! Naming a system's privileged holders (R-PR-01, R-PR-09): the owner (or their approved delegate)
//! names operators, the 統括情報セキュリティ責任者 names the owner, within the system's cap. Refusals
//! are recorded (R-PR-04).

use super::{account_target, refused, role_target};
use crate::app::signin::{session::Current, Origin};
use crate::app::{approvers, App, AppError};
use crate::store::{self, privileged::Eligibility};
use serde_json::json;
use tobira_domain::policy::{OfficerFunction, Policy, System};
use tobira_domain::privileged::eligibility::{self as rules, Candidate};
use tobira_domain::privileged::{holder_cap, ApproverFacts};
use tobira_domain::rbac::AccountStatus;

/// A holder as the console shows them: the eligibility, its account's login and the person's name.
pub struct Holder {
    pub eligibility: Eligibility,
    pub login: String,
    pub person: Option<String>,
}

/// A system whose holders the signed-in person manages (names or revokes): its cap, how many
/// distinct people hold it now (the count the cap is about), the roles one may be named for, and
/// the holders in force.
pub struct Managed {
    pub system_id: String,
    pub cap: u32,
    pub people: usize,
    pub roles: Vec<String>,
    pub holders: Vec<Holder>,
}

/// The privileged roles of `system` one is named for (not those in force by appointment).
fn nameable_roles(policy: &Policy, system: &str) -> Vec<String> {
    policy
        .roles
        .iter()
        .filter(|r| r.system.get_ref() == system && rules::is_nameable(r))
        .map(|r| r.id.get_ref().clone())
        .collect()
}

/// Whether `me` manages `system`'s holders: its owner (or their delegate) names and revokes, the
/// 統括情報セキュリティ責任者 names the owner, a security officer revokes; a vendor never (R-PR-04).
fn manages(policy: &Policy, me: &ApproverFacts, officer: bool, system: &System) -> bool {
    !me.is_vendor
        && (officer || me.holds(OfficerFunction::ChiefSecurityOfficer) || me.owns(policy, system.id.get_ref()))
}

/// The systems with privileged roles whose holders `cur` manages, each with its holders in force;
/// empty for everyone else (the account page links the console only then).
pub async fn console(app: &App, cur: &Current, officer: bool) -> Result<Vec<Managed>, AppError> {
    let (policy, cur, now) = (app.policy.clone(), cur.clone(), app.clock.now_ms());
    app.db(move |c| {
        let me = approvers::of_account(c, &policy, &cur.account, now)?;
        let all = store::privileged::all_eligibility(c)?;
        let mut out = Vec::new();
        for system in policy.systems.iter().filter(|s| manages(&policy, &me, officer, s)) {
            let id = system.id.get_ref().clone();
            let roles = nameable_roles(&policy, &id);
            if roles.is_empty() {
                continue;
            }
            let mut holders = Vec::new();
            for e in all.iter().filter(|e| e.system_id == id && e.revoked_at.is_none()) {
                let account = store::accounts::by_id(c, &e.account_id)?;
                let person = match account.as_ref().and_then(|a| a.person_id.clone()) {
                    Some(p) => store::org::person_by_id(c, &p)?.map(|p| p.name_kanji),
                    None => None,
                };
                holders.push(Holder {
                    login: account.map_or_else(|| e.account_id.clone(), |a| a.login_id),
                    person,
                    eligibility: e.clone(),
                });
            }
            let people = store::privileged::holders(c, &id)?.len();
            out.push(Managed { cap: holder_cap(&policy, system), system_id: id, people, roles, holders });
        }
        Ok(out)
    })
    .await
}

/// Makes the privileged account `login` eligible for `role`; returns the eligibility's id.
pub async fn grant(
    app: &App,
    cur: &Current,
    login: &str,
    role: &str,
    reason: &str,
    origin: &Origin,
) -> Result<String, AppError> {
    let (policy, login, role_id, reason, cur, origin, now) = (
        app.policy.clone(),
        login.to_string(),
        role.to_string(),
        reason.trim().to_string(),
        cur.clone(),
        origin.clone(),
        app.clock.now_ms(),
    );
    app.db(move |c| {
        let role = policy.role(&role_id).ok_or_else(|| AppError::not_found("role_not_found", format!("ロール {role_id} が見つかりません"), format!("role {role_id} not found")))?;
        let system = role.system.get_ref().clone();
        let target = store::accounts::by_login_id(c, &login)?.ok_or_else(|| AppError::no_account(&login))?;
        let granter = approvers::of_account(c, &policy, &cur.account, now)?;
        let number = store::privileged::employee_number_of(c, &target.id)?;
        store::write_tx(c, |c| {
            store::privileged::lock_holders(c, &system)?;
            let me = target.person_id.clone().unwrap_or_else(|| target.id.clone());
            let others = store::privileged::holders(c, &system)?.into_iter().filter(|h| *h != me).count();
            let who =
                Candidate { employee_number: number.as_deref(), account_is_privileged: target.is_privileged, account_is_active: target.status() == Some(AccountStatus::Active), other_holders: others };
            rules::check(&policy, role, &granter, &who, &reason)?;
            if store::privileged::is_eligible(c, &target.id, &role_id)? {
                return Err(AppError::conflict("already_eligible", format!("{login} は既に {role_id} への昇格の資格を持っています"), format!("{login} is already eligible for {role_id}")));
            }
            let row = Eligibility {
                id: store::new_id(),
                account_id: target.id.clone(),
                role_id: role_id.clone(),
                system_id: system.clone(),
                granted_by: cur.account.login_id.clone(),
                reason: reason.clone(),
                created_at: now,
                revoked_at: None,
                revoked_by: None,
            };
            store::privileged::insert_eligibility(c, &row)?;
            let e = origin
                .event(cur.account.login_id.clone(), "privileged.eligibility_granted", account_target(&login))
                .with_details(json!({ "eligibility": row.id, "role": role_id, "system": system, "reason": reason, "holders_after": others + 1 }));
            store::audit::append(c, now, vec![e])?;
            Ok(row.id)
        })
        .map_err(|e| match e {
            e @ AppError::Rule(_) => refused(c, &cur, ("privileged.eligibility_refused", &role_target(&role_id)), e, json!({ "account": login }), &origin, now),
            other => other,
        })
    })
    .await
}

/// Ends an eligibility (the owner, their delegate, or a security officer); active elevations of
/// that role end with it.
pub async fn revoke(app: &App, cur: &Current, id: &str, officer: bool, origin: &Origin) -> Result<usize, AppError> {
    let (policy, id, cur, origin, now) =
        (app.policy.clone(), id.to_string(), cur.clone(), origin.clone(), app.clock.now_ms());
    app.db(move |c| {
        let row = store::privileged::eligibility_by_id(c, &id)?.ok_or_else(|| {
            AppError::not_found(
                "eligibility_not_found",
                format!("昇格の資格 {id} が見つかりません"),
                format!("eligibility {id} not found"),
            )
        })?;
        let actor = approvers::of_account(c, &policy, &cur.account, now)?;
        if actor.is_vendor || !(officer || actor.owns(&policy, &row.system_id)) {
            return Err(refused(
                c,
                &cur,
                ("privileged.eligibility_revoke_refused", &role_target(&row.role_id)),
                AppError::refused(
                    "eligibility_end_not_permitted",
                    "昇格の資格を取り消せるのはシステムの管理者かセキュリティ担当だけです",
                    "only the system's owner or a security officer ends an eligibility",
                ),
                json!({ "eligibility": id }),
                &origin,
                now,
            ));
        }
        store::write_tx(c, |c| {
            if !store::privileged::revoke_eligibility(c, &id, &cur.account.login_id, now)? {
                return Err(AppError::conflict(
                    "already_revoked",
                    "この昇格の資格は既に取り消されています",
                    "already revoked",
                ));
            }
            let ended = super::elevation::end_active_of(
                c,
                &policy,
                &row.account_id,
                Some(&row.role_id),
                &cur.account.login_id,
                "eligibility_revoked",
                &origin,
                now,
            )?;
            for mut el in store::privileged::elevations_of(c, &row.account_id)?
                .into_iter()
                .filter(|e| e.role_id == row.role_id && e.status == store::privileged::status::PENDING)
            {
                el.status = store::privileged::status::DENIED.into();
                el.decision_note = Some("eligibility_revoked".into());
                store::privileged::update_elevation(c, &el, store::privileged::status::PENDING)?;
            }
            let e = origin
                .event(cur.account.login_id.clone(), "privileged.eligibility_revoked", role_target(&row.role_id))
                .with_details(json!({ "eligibility": id, "elevations_ended": ended }));
            store::audit::append(c, now, vec![e])?;
            Ok(ended)
        })
    })
    .await
}
