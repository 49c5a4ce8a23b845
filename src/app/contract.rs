//! Vendor contracts (R-LC-07, R-LC-12, R-LC-13): every account under a contract can be suspended at
//! once, e.g. after an incident in outsourced work (委託事業の一時中断), and resumed together; at a
//! contract's end the return or erasure of the information handed over is confirmed and recorded.
//!
//! Invariant: a contract suspension carries its own status reason (`contract:`), which the HR sync
//! never reverses; only `resume` does, and only for the accounts that suspension stopped.

use super::AppError;
use crate::store::schema::{accounts, people, sessions};
use crate::store::{self, DbConnection};
use diesel::prelude::*;
use serde_json::json;
use tobira_domain::audit::AuditEvent;
use tobira_domain::policy::Policy;
use tobira_domain::rbac::AccountStatus;

const PREFIX: &str = "contract:";

fn reason_for(contract: &str) -> String {
    format!("{PREFIX}{contract}")
}

/// Accounts of people under `contract` in `status`: (account id, login id).
fn accounts_of(
    conn: &mut DbConnection,
    contract: &str,
    status: AccountStatus,
) -> Result<Vec<(String, String)>, AppError> {
    Ok(accounts::table
        .inner_join(people::table.on(accounts::person_id.eq(people::id.nullable())))
        .filter(people::contract_id.eq(contract))
        .filter(accounts::status.eq(status.as_str()))
        .select((accounts::id, accounts::login_id))
        .load(conn)?)
}

/// Suspends every active account under `contract`, ends their sessions and queues the deactivation
/// at every provisioned system in the same transaction; returns the login IDs.
pub fn suspend(
    conn: &mut DbConnection,
    policy: &Policy,
    contract: &str,
    why: &str,
    by: &str,
    now: i64,
) -> Result<Vec<String>, AppError> {
    if why.trim().is_empty() {
        return Err(AppError::invalid(
            "no_reason",
            "委託事業の一時中断には理由（--reason）が必要です",
            "a contract suspension needs a reason (--reason)",
        ));
    }
    store::write_tx(conn, |c| {
        let targets = accounts_of(c, contract, AccountStatus::Active)?;
        if targets.is_empty() {
            return Err(AppError::invalid(
                "no_active_account_under_contract",
                format!("契約 {contract} の有効なアカウントはありません"),
                format!("no active account is under contract {contract}"),
            ));
        }
        let reason = reason_for(contract);
        let mut events = Vec::new();
        for (id, login) in &targets {
            store::accounts::set_status(c, id, AccountStatus::Suspended, &reason, now)?;
            let ended = diesel::update(
                sessions::table.filter(sessions::account_id.eq(id)).filter(sessions::revoked_at.is_null()),
            )
            .set((sessions::revoked_at.eq(now), sessions::revoked_reason.eq(&reason)))
            .execute(c)?;
            events.push(
                AuditEvent::new(by, "account.suspended", format!("account:{login}"))
                    .with_details(json!({ "contract": contract, "why": why, "sessions_ended": ended })),
            );
        }
        let ids: Vec<String> = targets.iter().map(|t| t.0.clone()).collect();
        events.extend(super::provisioning::track(c, policy, &ids, by, now)?);
        events.push(
            AuditEvent::new(by, "contract.suspended", format!("contract:{contract}"))
                .with_details(json!({ "why": why, "accounts": targets.len() })),
        );
        store::audit::append(c, now, events)?;
        Ok(targets.into_iter().map(|t| t.1).collect())
    })
}

/// Re-enables the accounts that [`suspend`] stopped for `contract` (their provisioned systems
/// re-activate them, queued in the same transaction); returns the login IDs.
pub fn resume(
    conn: &mut DbConnection,
    policy: &Policy,
    contract: &str,
    by: &str,
    now: i64,
) -> Result<Vec<String>, AppError> {
    store::write_tx(conn, |c| {
        let reason = reason_for(contract);
        let targets: Vec<(String, String)> = accounts_of(c, contract, AccountStatus::Suspended)?
            .into_iter()
            .filter(|(id, _)| {
                store::accounts::by_id(c, id)
                    .ok()
                    .flatten()
                    .is_some_and(|a| a.status_reason.as_deref() == Some(reason.as_str()))
            })
            .collect();
        if targets.is_empty() {
            return Err(AppError::invalid(
                "no_suspended_account_under_contract",
                format!("契約 {contract} で停止中のアカウントはありません"),
                format!("no account is suspended under contract {contract}"),
            ));
        }
        let mut events = Vec::new();
        for (id, login) in &targets {
            store::accounts::set_status(c, id, AccountStatus::Active, &format!("{reason}:resumed"), now)?;
            events.push(
                AuditEvent::new(by, "account.reenabled", format!("account:{login}"))
                    .with_details(json!({ "contract": contract })),
            );
        }
        let ids: Vec<String> = targets.iter().map(|t| t.0.clone()).collect();
        events.extend(super::provisioning::track(c, policy, &ids, by, now)?);
        events.push(
            AuditEvent::new(by, "contract.resumed", format!("contract:{contract}"))
                .with_details(json!({ "accounts": targets.len() })),
        );
        store::audit::append(c, now, events)?;
        Ok(targets.into_iter().map(|t| t.1).collect())
    })
}

/// Records that the information handed to the vendor under `contract` was returned or erased at its
/// end (R-LC-13, Iizuka 9.1(4)), with what was done (`note`). Once per contract.
pub fn confirm_return(conn: &mut DbConnection, contract: &str, note: &str, by: &str, now: i64) -> Result<(), AppError> {
    if note.trim().is_empty() {
        return Err(AppError::invalid(
            "note_required",
            "返却・消去したものと、その確認の方法を記入してください（--note）",
            "say what was returned or erased, and how it was confirmed (--note)",
        ));
    }
    store::write_tx(conn, |c| {
        let Some(row) = store::contracts::by_number(c, contract)? else {
            return Err(AppError::invalid(
                "contract_not_found",
                format!("契約 {contract} は契約台帳（人事同期で最後に読んだもの）にありません"),
                format!("contract {contract} is not in the contract register as last read by the HR sync"),
            ));
        };
        if !store::contracts::confirm_return(c, contract, by, note.trim(), now)? {
            let who = row.return_confirmed_by.unwrap_or_default();
            return Err(AppError::conflict(
                "return_already_confirmed",
                format!("契約 {contract} の情報の返却・消去は {who} が既に確認しています"),
                format!("the return of contract {contract}'s information was already confirmed by {who}"),
            ));
        }
        let e = AuditEvent::new(by, "contract.return_confirmed", format!("contract:{contract}"))
            .with_details(json!({ "vendor": row.vendor, "end": row.end_date, "note": note.trim() }));
        store::audit::append(c, now, vec![e])?;
        Ok(())
    })
}
