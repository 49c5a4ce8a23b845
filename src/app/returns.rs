//! Authenticators handed back (R-LC-15, R-AU-12): the HR sync lists a mover's or leaver's security
//! keys and cards for return; an officer records each as returned, destroyed or lost.
//!
//! Invariants: recording ends the credential's use at once, through the same revocation as a lost
//! credential (`signin::factors::revoke`), and a loss also ends the sessions that used it; a return
//! is recorded once per state change (`ReturnStatus::may_become`), with its audit event in the same
//! transaction.

use super::signin::{factors, Origin};
use super::{App, AppError};
/// The record of an authenticator to be handed back.
pub use crate::store::returns::AuthenticatorReturn;
use crate::store::returns::{self as rows};
use crate::store::{self, DbConnection};
use serde_json::json;
use tobira_domain::lifecycle::handback::ReturnStatus;

/// Returns in `status` (every one when `None`), oldest first.
pub fn list(c: &mut DbConnection, status: Option<ReturnStatus>) -> Result<Vec<AuthenticatorReturn>, AppError> {
    Ok(rows::list(c, status.map(ReturnStatus::as_str))?)
}

/// A return as the officer's page shows it: the record, its account's login ID and the holder's
/// name (when still on record).
#[derive(Debug, Clone)]
pub struct Shown {
    pub record: AuthenticatorReturn,
    pub login_id: Option<String>,
    pub name: Option<String>,
}

/// Returns in any of `statuses` with who held them, oldest listed first.
pub fn shown(c: &mut DbConnection, statuses: &[ReturnStatus]) -> Result<Vec<Shown>, AppError> {
    let statuses: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
    Ok(rows::list_with_holder(c, &statuses)?
        .into_iter()
        .map(|(record, login_id, name)| Shown { record, login_id, name })
        .collect())
}

/// What recording did.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Recorded {
    pub record: AuthenticatorReturn,
    /// The credential was still registered and is now revoked.
    pub credential_revoked: bool,
    pub sessions_ended: usize,
}

/// Records return `id` as `to` (returned, destroyed or lost) with an optional note.
pub fn record(
    c: &mut DbConnection,
    id: &str,
    to: ReturnStatus,
    note: Option<&str>,
    actor: &str,
    origin: &Origin,
    now: i64,
) -> Result<Recorded, AppError> {
    let note = note.map(str::trim).filter(|n| !n.is_empty()).map(|n| n.chars().take(500).collect::<String>());
    store::write_tx(c, |c| {
        let r = rows::by_id(c, id)?.ok_or_else(|| {
            AppError::not_found(
                "return_not_found",
                format!("認証媒体の返却 {id} が見つかりません"),
                format!("authenticator return {id} not found"),
            )
        })?;
        let from = ReturnStatus::parse(&r.status).ok_or_else(|| {
            AppError::invalid(
                "return_status_unreadable",
                format!("認証媒体の返却 {id} の状態 {} は不明です", r.status),
                format!("authenticator return {id} has an unknown status {}", r.status),
            )
        })?;
        from.may_become(to).map_err(|(ja, en)| {
            AppError::conflict(
                "return_not_open",
                format!("認証媒体の返却 {id}（{}）：{ja}", r.label),
                format!("authenticator return {id} ({}): {en}", r.label),
            )
        })?;
        if !rows::record(c, id, from.as_str(), to.as_str(), actor, note.as_deref(), now)? {
            return Err(AppError::conflict(
                "changed_meanwhile",
                format!("認証媒体の返却 {id} は既に別の操作で記録されました"),
                format!("authenticator return {id} was recorded meanwhile"),
            ));
        }
        let mut revoked = None;
        if let (Some(cred), Some(account)) = (r.credential_id.as_deref(), store::accounts::by_id(c, &r.account_id)?) {
            let reason = format!("authenticator_{}", to.as_str());
            revoked = factors::revoke(c, &account, cred, actor, &reason, to == ReturnStatus::Lost, origin, now)?;
        }
        let e = origin
            .event(actor, "authenticator.return_recorded", format!("authenticator_return:{id}"))
            .with_details(json!({
                "employee_number": r.employee_number,
                "credential": r.credential_id,
                "kind": r.kind,
                "label": r.label,
                "from": from.as_str(),
                "action": to.as_str(),
                "note": note,
                "credential_revoked": revoked.is_some(),
                "sessions_ended": revoked.unwrap_or(0),
            }));
        store::audit::append(c, now, vec![e])?;
        let record = rows::by_id(c, id)?.ok_or_else(|| {
            AppError::not_found(
                "return_not_found",
                format!("認証媒体の返却 {id} が見つかりません"),
                format!("authenticator return {id} not found"),
            )
        })?;
        Ok(Recorded { record, credential_revoked: revoked.is_some(), sessions_ended: revoked.unwrap_or(0) })
    })
}

/// The returns as the web adapters use them: each call is one transaction on the pool.
pub struct Returns<'a>(pub &'a App);

impl Returns<'_> {
    /// Returns in `status` (every one when `None`), oldest first.
    pub async fn list(&self, status: Option<ReturnStatus>) -> Result<Vec<AuthenticatorReturn>, AppError> {
        self.0.db(move |c| list(c, status)).await
    }

    /// Returns in any of `statuses` with who held them.
    pub async fn shown(&self, statuses: Vec<ReturnStatus>) -> Result<Vec<Shown>, AppError> {
        self.0.db(move |c| shown(c, &statuses)).await
    }

    /// Records return `id` as `to` by `actor`.
    pub async fn record(
        &self,
        id: String,
        to: ReturnStatus,
        note: Option<String>,
        actor: String,
        origin: Origin,
    ) -> Result<Recorded, AppError> {
        let now = self.0.clock.now_ms();
        self.0.db(move |c| record(c, &id, to, note.as_deref(), &actor, &origin, now)).await
    }
}
