//! The users of each shared ID (共用ID, e.g. a counter terminal's login) and who permitted them
//! (R-AU-08; Iizuka: sharing only with the 情報システム管理者's permission). The HR sync makes a
//! shared ID's password due when one of its users transfers, goes on leave or leaves.
//!
//! Invariants: only a shared account has users; every addition names who permitted it; each change
//! is written with its audit event in one transaction.

use super::signin::{target, Origin};
use super::{App, AppError};
/// A user of a shared ID as the lists show them.
pub use crate::store::shared_ids::Listed;
use crate::store::shared_ids::{self as users, SharedIdUser};
use crate::store::{self, accounts::Account, org::Person, DbConnection};
use serde_json::json;

fn shared(c: &mut DbConnection, login_id: &str) -> Result<Account, AppError> {
    let a = store::accounts::by_login_id(c, login_id)?.ok_or_else(|| AppError::no_account(login_id))?;
    if !a.is_shared {
        return Err(AppError::invalid(
            "not_a_shared_id",
            format!("アカウント {login_id} は共用IDではありません。利用者を登録できるのは共用IDだけです"),
            format!("account {login_id} is not a shared ID; only a shared ID has registered users"),
        ));
    }
    Ok(a)
}

/// The person of `employee_number`; `what` names the field, in Japanese and in English.
fn person(c: &mut DbConnection, employee_number: &str, what: (&str, &str)) -> Result<Person, AppError> {
    let (ja, en) = what;
    store::org::person_by_employee_number(c, employee_number.trim())?.ok_or_else(|| {
        AppError::invalid(
            "unknown_employee_number",
            format!("{ja}：職員番号 {employee_number} の職員はいません"),
            format!("{en}: no person with employee number {employee_number}"),
        )
    })
}

/// The current users of shared ID `login_id`.
pub fn list(c: &mut DbConnection, login_id: &str) -> Result<Vec<Listed>, AppError> {
    let a = shared(c, login_id)?;
    Ok(users::users_of(c, &a.id)?)
}

/// Every shared ID with its current users, by login ID.
pub fn overview(c: &mut DbConnection) -> Result<Vec<(String, Vec<Listed>)>, AppError> {
    let mut out = Vec::new();
    for (id, login_id) in users::shared_accounts(c)? {
        out.push((login_id, users::users_of(c, &id)?));
    }
    Ok(out)
}

/// Registers `employee_number` as a user of shared ID `login_id`, permitted by `permitted_by`.
pub fn add(
    c: &mut DbConnection,
    login_id: &str,
    employee_number: &str,
    permitted_by: &str,
    actor: &str,
    origin: &Origin,
    now: i64,
) -> Result<(), AppError> {
    store::write_tx(c, |c| {
        let a = shared(c, login_id)?;
        let p = person(c, employee_number, ("利用者", "user"))?;
        let by = person(
            c,
            permitted_by,
            (
                "許可者（利用を許可した情報システム管理者）",
                "permitted_by (the 情報システム管理者 who permitted the use)",
            ),
        )?;
        if users::is_user(c, &a.id, &p.id)? {
            return Err(AppError::conflict(
                "already_a_user",
                format!("職員番号 {} の職員は既に共用ID {login_id} の利用者です", p.employee_number),
                format!("{} is already a user of shared ID {login_id}", p.employee_number),
            ));
        }
        let row = SharedIdUser {
            id: store::new_id(),
            shared_account_id: a.id.clone(),
            person_id: p.id.clone(),
            permitted_by: by.employee_number.clone(),
            added_by: actor.into(),
            added_at: now,
            removed_at: None,
            removed_by: None,
            removed_reason: None,
        };
        users::insert(c, &row)?;
        let e = origin
            .event(actor, "shared_id.user_added", target(login_id))
            .with_details(json!({ "employee_number": p.employee_number, "permitted_by": by.employee_number }));
        store::audit::append(c, now, vec![e])?;
        Ok(())
    })
}

/// Ends `employee_number`'s use of shared ID `login_id`.
pub fn remove(
    c: &mut DbConnection,
    login_id: &str,
    employee_number: &str,
    reason: &str,
    actor: &str,
    origin: &Origin,
    now: i64,
) -> Result<(), AppError> {
    let reason = if reason.trim().is_empty() { "removed_by_officer" } else { reason.trim() };
    store::write_tx(c, |c| {
        let a = shared(c, login_id)?;
        let p = person(c, employee_number, ("利用者", "user"))?;
        let Some(permitted_by) = users::remove(c, &a.id, &p.id, actor, reason, now)? else {
            return Err(AppError::not_found(
                "user_not_found",
                format!("職員番号 {} の職員は共用ID {login_id} の利用者として登録されていません", p.employee_number),
                format!("{} not found as a user of shared ID {login_id}", p.employee_number),
            ));
        };
        let e = origin.event(actor, "shared_id.user_removed", target(login_id)).with_details(
            json!({ "employee_number": p.employee_number, "permitted_by": permitted_by, "reason": reason }),
        );
        store::audit::append(c, now, vec![e])?;
        Ok(())
    })
}

/// The shared IDs' users as the web adapters use them: each call is one transaction on the pool.
pub struct SharedIds<'a>(pub &'a App);

impl SharedIds<'_> {
    /// The current users of shared ID `login_id`.
    pub async fn list(&self, login_id: String) -> Result<Vec<Listed>, AppError> {
        self.0.db(move |c| list(c, &login_id)).await
    }

    /// Every shared ID with its current users.
    pub async fn overview(&self) -> Result<Vec<(String, Vec<Listed>)>, AppError> {
        self.0.db(overview).await
    }

    /// Registers `employee_number` as a user of `login_id`, permitted by `permitted_by`.
    pub async fn add(
        &self,
        login_id: String,
        employee_number: String,
        permitted_by: String,
        actor: String,
        origin: Origin,
    ) -> Result<(), AppError> {
        let now = self.0.clock.now_ms();
        self.0.db(move |c| add(c, &login_id, &employee_number, &permitted_by, &actor, &origin, now)).await
    }

    /// Ends `employee_number`'s use of `login_id`.
    pub async fn remove(
        &self,
        login_id: String,
        employee_number: String,
        reason: String,
        actor: String,
        origin: Origin,
    ) -> Result<(), AppError> {
        let now = self.0.clock.now_ms();
        self.0.db(move |c| remove(c, &login_id, &employee_number, &reason, &actor, &origin, now)).await
    }
}
