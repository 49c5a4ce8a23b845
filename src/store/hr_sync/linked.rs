//! What an HR status change reaches beyond the account itself: its open sessions end, and the person's
//! linked privileged IDs follow it.

use crate::store::accounts::{self, Account};
use crate::store::schema::{accounts as acc, grants, sessions};
use crate::store::{DbConnection, StoreError};
use diesel::prelude::*;
use tobira_domain::lifecycle::applied;
use tobira_domain::rbac::AccountStatus;

pub(super) fn end_sessions(
    conn: &mut DbConnection,
    account_id: &str,
    reason: &str,
    now: i64,
) -> Result<usize, StoreError> {
    Ok(diesel::update(
        sessions::table.filter(sessions::account_id.eq(account_id)).filter(sessions::revoked_at.is_null()),
    )
    .set((sessions::revoked_at.eq(now), sessions::revoked_reason.eq(reason)))
    .execute(conn)?)
}

/// The person's other accounts that are privileged IDs (`p-…`), which follow the staff account as
/// [`applied::linked_follows`] says, with what [`applied::linked_effects`] says goes with the move.
/// Returns their logins.
pub(super) fn follow_linked(
    conn: &mut DbConnection,
    account_id: &str,
    to: AccountStatus,
    reason: &str,
    delete_after: Option<i64>,
    now: i64,
) -> Result<Vec<String>, StoreError> {
    let Some(person) =
        acc::table.find(account_id).select(acc::person_id).first::<Option<String>>(conn).optional()?.flatten()
    else {
        return Ok(Vec::new());
    };
    let linked: Vec<Account> = acc::table
        .filter(acc::person_id.eq(&person))
        .filter(acc::id.ne(account_id))
        .filter(acc::is_privileged.eq(true))
        .select(Account::as_select())
        .load(conn)?;
    let (linked_reason, effects) = (applied::linked_reason(reason), applied::linked_effects(to));
    let mut changed = Vec::new();
    for a in linked {
        if !applied::linked_follows(a.status(), a.status_reason.as_deref(), to) {
            continue;
        }
        accounts::set_status(conn, &a.id, to, &linked_reason, now)?;
        if effects.end_sessions {
            end_sessions(conn, &a.id, &linked_reason, now)?;
        }
        if effects.deletion_due {
            diesel::update(acc::table.find(&a.id)).set(acc::deletion_due_at.eq(delete_after)).execute(conn)?;
        }
        if effects.revoke_access {
            diesel::update(grants::table.filter(grants::account_id.eq(&a.id)).filter(grants::revoked_at.is_null()))
                .set((grants::revoked_at.eq(now), grants::revoked_reason.eq(&linked_reason)))
                .execute(conn)?;
            use crate::store::schema::privileged_eligibility as pe;
            diesel::update(pe::table.filter(pe::account_id.eq(&a.id)).filter(pe::revoked_at.is_null()))
                .set((pe::revoked_at.eq(now), pe::revoked_by.eq("system:hr-sync")))
                .execute(conn)?;
        }
        changed.push(a.login_id);
    }
    Ok(changed)
}
