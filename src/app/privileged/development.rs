//! Development IDs (R-LC-06): made by a security officer with the responsible staff member, the
//! worker and an end date; disabled by the privileged sweep once the date has passed, their sessions
//! ended. Sign-in already refuses an account past `expires_at`; the sweep makes it final and records it.

use crate::app::signin::{
    session::{self, Current},
    target, Origin,
};
use crate::app::{
    bootstrap::{check_login_id, TEMP_PASSWORD_LEN},
    App, AppError,
};
use crate::crypto::password as pw;
use crate::store::{self, accounts::Account, privileged::DevelopmentId, DbConnection};
use serde_json::json;
use tobira_domain::authn::password as rules;
use tobira_domain::privileged::development::{self as dev, Spec};
use tobira_domain::rbac::AccountStatus;

/// A development ID as asked for.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct NewDevelopmentId {
    pub login_id: String,
    pub responsible: String,
    pub worker: String,
    pub reason: String,
}

/// Creates the account, valid until `until` (UTC ms); returns its temporary password.
pub async fn create(
    app: &App,
    cur: &Current,
    n: NewDevelopmentId,
    until: i64,
    origin: &Origin,
) -> Result<String, AppError> {
    let login = n.login_id.trim().to_string();
    check_login_id(&login)?;
    let now = app.clock.now_ms();
    let spec = Spec { login_id: &login, responsible: &n.responsible, worker: &n.worker, reason: &n.reason, until };
    dev::check(&app.policy, &spec, now)?;
    let temporary = pw::temporary(TEMP_PASSWORD_LEN)?;
    let (t, cost) = (temporary.clone(), app.policy.password.hashing.clone());
    let hash = app.argon2.run(move || pw::hash(&t, &cost)).await??;
    let (policy, cur, origin) = (app.policy.clone(), cur.clone(), origin.clone());
    app.db(move |c| {
        if store::org::person_by_employee_number(c, n.responsible.trim())?.is_none() {
            return Err(AppError::invalid("unknown_employee_number",
                format!("責任者とする職員番号 {} の職員がいません", n.responsible.trim()),
                format!("no person with employee number {} to be responsible", n.responsible.trim()),
            ));
        }
        store::write_tx(c, |c| {
            if store::accounts::by_login_id(c, &login)?.is_some() {
                return Err(AppError::login_id_taken(&login));
            }
            let mut a = Account::new(store::new_id(), login.clone(), None, now);
            a.is_development = true;
            a.expires_at = Some(until);
            store::accounts::insert(c, &a)?;
            store::accounts::set_password(c, &a.id, &hash, true, now, rules::expires_at(policy.password.for_account(a.is_privileged), now).map(|e| e.min(until)))?;
            let row = DevelopmentId {
                account_id: a.id.clone(),
                responsible: n.responsible.trim().into(),
                worker: n.worker.trim().into(),
                reason: n.reason.trim().into(),
                created_by: cur.account.login_id.clone(),
                created_at: now,
            };
            store::privileged::insert_development_id(c, &row)?;
            let e = origin.event(cur.account.login_id.clone(), "account.created", target(&login)).with_details(json!({
                "development": true, "responsible": row.responsible, "worker": row.worker, "reason": row.reason, "until": until, "temporary_password": "issued",
            }));
            store::audit::append(c, now, vec![e])?;
            Ok(())
        })
    })
    .await?;
    Ok(temporary)
}

/// Disables development IDs whose end has come; how many.
pub fn disable_due(
    c: &mut DbConnection,
    policy: &tobira_domain::policy::Policy,
    actor: &str,
    now: i64,
) -> Result<usize, AppError> {
    let due = store::privileged::development_ids_due(c, now)?;
    let origin = Origin::default();
    for a in &due {
        store::write_tx(c, |c| {
            store::accounts::set_status(c, &a.id, AccountStatus::Disabled, "development_ended", now)?;
            session::end_sessions(c, a, actor, "development_ended", None, &origin, now)?;
            let e = origin
                .event(actor.to_string(), "account.disabled", target(&a.login_id))
                .with_details(json!({ "reason": "development_ended", "expired_at": a.expires_at }));
            let mut events = vec![e];
            events.extend(crate::app::provisioning::track(c, policy, std::slice::from_ref(&a.id), actor, now)?);
            store::audit::append(c, now, events)?;
            Ok::<_, AppError>(())
        })?;
    }
    Ok(due.len())
}
