//! The server console's way back in (issue 18): `tobira admin unlock` lifts an account's locks, and
//! `tobira admin recover` gives a locked or lost security officer a new temporary password when no
//! other officer can (the sole officer of a new install, R-AU-19: nobody who reaches `/signin` can
//! keep the city out of its own identity service).
//!
//! Invariants: both run only where the database and the master key are (a server node's console),
//! name the operating-system user who ran them and a reason, and write their audit event in the
//! same transaction as the change; a recovery never hands out a password that does not have to be
//! changed at the next sign-in (R-AU-06).

use super::signin::target;
use super::AppError;
use crate::crypto::password;
use crate::store::{self, DbConnection};
use serde_json::json;
use tobira_domain::audit::AuditEvent;
use tobira_domain::authn::lockout::LockState;
use tobira_domain::authn::password as rules;
use tobira_domain::policy::Policy;

fn reason_given(reason: &str) -> Result<String, AppError> {
    let r = reason.trim();
    if r.chars().count() < 4 {
        return Err(AppError::invalid(
            "no_reason",
            "--reason は必須です。監査記録のために理由を書いてください",
            "--reason is required: say why, for the audit log",
        ));
    }
    Ok(r.chars().take(500).collect())
}

/// Lifts every lock of `login_id` (in every network). Returns the scopes that were locked.
pub fn unlock(
    conn: &mut DbConnection,
    login_id: &str,
    reason: &str,
    operator: &str,
    now: i64,
) -> Result<Vec<String>, AppError> {
    let reason = reason_given(reason)?;
    store::write_tx(conn, |c| {
        let a = store::accounts::by_login_id(c, login_id.trim())?.ok_or_else(|| {
            AppError::not_found(
                "account_not_found",
                format!("アカウント `{}` はありません", login_id.trim()),
                format!("no account `{}`", login_id.trim()),
            )
        })?;
        let scopes = store::throttle::clear_locks(c, &a.id, now)?;
        let e = AuditEvent::new(operator, "account.unlocked", target(&a.login_id)).with_details(
            json!({ "was_locked": !scopes.is_empty(), "scopes": scopes, "reason": reason, "via": "cli" }),
        );
        store::audit::append(c, now, vec![e])?;
        Ok(scopes)
    })
}

/// A recovered officer: the login ID and the temporary password to hand over once.
#[derive(Debug)]
pub struct Recovered {
    pub login_id: String,
    pub temporary_password: String,
}

/// Issues a new temporary password for a security officer who is locked out, or who is the only
/// one (a lost password): `login_id`, or the sole security officer when none is named. Refused for
/// anyone else, and for an officer who is neither locked nor alone (another officer resets them).
/// The account's locks are lifted and its sessions end.
pub fn recover(
    conn: &mut DbConnection,
    policy: &Policy,
    login_id: Option<&str>,
    reason: &str,
    operator: &str,
    now: i64,
) -> Result<Recovered, AppError> {
    let reason = reason_given(reason)?;
    let role = super::bootstrap::security_officer_role(policy)?;
    let temporary = password::temporary(super::bootstrap::TEMP_PASSWORD_LEN)?;
    // Hash before the transaction: it is deliberately slow.
    let hash = password::hash(&temporary, &policy.password.hashing)?;
    let login = store::write_tx(conn, |c| {
        let holders = store::accounts::holders_of_role(c, &role, now)?;
        let account = match login_id {
            Some(l) => store::accounts::by_login_id(c, l.trim())?.ok_or_else(|| {
                AppError::not_found(
                    "account_not_found",
                    format!("アカウント `{}` はありません", l.trim()),
                    format!("no account `{}`", l.trim()),
                )
            })?,
            None if holders == 1 => sole_holder(c, &role, now)?,
            None => {
                return Err(AppError::invalid(
                    "officer_ambiguous",
                    format!(
                    "{role} を持つセキュリティ担当が {holders} 人います。復旧する人を --login-id で指定してください"
                ),
                    format!("{holders} security officers hold {role}: name the one to recover with --login-id"),
                ))
            }
        };
        let is_officer = store::accounts::grants_in_force(c, &account.id, now)?.iter().any(|g| g.role_id == role);
        if !is_officer || account.status() != Some(tobira_domain::rbac::AccountStatus::Active) {
            return Err(AppError::invalid("not_an_active_officer",
                format!("`{}` は有効なセキュリティ担当ではありません。他のアカウントはセキュリティ担当が画面から再設定します", account.login_id),
                format!("`{}` is not an active security officer; officers reset other accounts through the officer pages", account.login_id),
            ));
        }
        let locked = store::throttle::locked_accounts(c, now)?
            .iter()
            .any(|(id, _, s): &(String, String, LockState)| *id == account.id && s.locked(now).is_some());
        if !locked && holders > 1 {
            return Err(AppError::invalid(
                "recovery_not_needed",
                format!(
                    "`{}` はロックされておらず、他のセキュリティ担当がパスワードを再設定できます",
                    account.login_id
                ),
                format!("`{}` is not locked and another security officer can reset the password", account.login_id),
            ));
        }
        let rule = policy.password.for_account(account.is_privileged);
        store::accounts::set_password(c, &account.id, &hash, true, now, rules::expires_at(rule, now))?;
        let scopes = store::throttle::clear_locks(c, &account.id, now)?;
        let ended = store::sessions::revoke_all_of_account(c, &account.id, "recovered", now)?;
        let e = AuditEvent::new(operator, "account.recovered", target(&account.login_id)).with_details(json!({
            "temporary_password": "issued", "must_change_password": true, "was_locked": locked, "scopes": scopes,
            "sole_officer": holders == 1, "sessions_ended": ended.len(), "reason": reason, "via": "cli",
        }));
        store::audit::append(c, now, vec![e])?;
        Ok(account.login_id)
    })?;
    Ok(Recovered { login_id: login, temporary_password: temporary })
}

fn sole_holder(c: &mut DbConnection, role: &str, now: i64) -> Result<store::accounts::Account, AppError> {
    use crate::store::schema::grants;
    use diesel::prelude::*;
    let ids: Vec<String> = grants::table
        .filter(grants::role_id.eq(role))
        .filter(grants::revoked_at.is_null())
        .select(grants::account_id)
        .distinct()
        .load(c)?;
    for id in ids {
        if let Some(a) = store::accounts::by_id(c, &id)? {
            if a.status() == Some(tobira_domain::rbac::AccountStatus::Active)
                && store::accounts::grants_in_force(c, &a.id, now)?.iter().any(|g| g.role_id == role)
            {
                return Ok(a);
            }
        }
    }
    Err(AppError::not_found(
        "no_officer_to_recover",
        "復旧するセキュリティ担当がいません",
        "no security officer to recover",
    ))
}
