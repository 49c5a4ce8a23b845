//! Who approves a held HR-sync plan, and how they prove it (R-AC-02, R-LC-01): a person signed in
//! with the kinds the policy requires (the console page, `/sync/holds`), or, on the command line, a
//! login ID together with a one-time code from that account's own authenticator (TOTP), checked as
//! a second factor is at sign-in: claimed against the account's lockout first, a used time step
//! refused (replay). The operating-system user or an environment variable proves nothing.
//!
//! Invariants: the page and the command go through [`super::hold::approve`]; every refusal, a wrong
//! code included, is audited under the account that tried.

use super::apply::Keys;
use super::hold::{self as sync_hold, Approved, Approver};
use super::read::{self, ReadMode};
use crate::app::signin::session::Current;
use crate::app::words::Words;
use crate::app::{approvers, App, AppError};
use crate::crypto::master_key::MasterKey;
use crate::crypto::totp;
use crate::directory::RawDirectory;
use crate::store::{self, credentials, sync_runs, DbConnection};
use tobira_domain::approval::{self, Concerning};
use tobira_domain::lifecycle::hold::{self, Recheck};
use tobira_domain::lifecycle::Plan;
use tobira_domain::policy::Policy;

/// The refusal of an unknown login ID and of a wrong code alike, so neither tells which it was.
fn wrong_code() -> Words {
    Words::new("有効なアカウントがないか、コードが違います", "no active account with that login ID, or a wrong code")
}

/// Checks `code` against the TOTP credentials of the account `login_id` under its lockout, and uses
/// the code's step up. The approver when the code is right; otherwise the refusal is audited.
pub fn by_code(
    c: &mut DbConnection,
    policy: &Policy,
    master_key: &MasterKey,
    login_id: &str,
    code: &str,
    run_id: &str,
    now: i64,
) -> Result<Approver, AppError> {
    let account = store::accounts::by_login_id(c, login_id)?.filter(|a| a.status == "active");
    let Some(account) = account else {
        return Err(sync_hold::refuse(c, run_id, login_id, wrong_code(), "wrong_code", now));
    };
    let rule = crate::app::signin::attempts::rule(policy, &account);
    // Codes typed at the server's console count in a lockout scope of their own (and any lock in
    // force everywhere refuses them).
    let scope = tobira_domain::authn::lockout::scope_for(policy, Some("console"));
    let (skew, unix) = (policy.signin.totp_skew_steps, (now / 1000).max(0) as u64);
    let outcome = store::write_tx(c, |c| -> Result<Result<bool, ()>, AppError> {
        if store::throttle::global_lock(c, &account.id, now)?.is_some() {
            return Ok(Err(()));
        }
        let state = store::throttle::lock_state(c, &account.id, &scope)?;
        let Ok(claimed) = state.claim(&rule, now) else {
            return Ok(Err(()));
        };
        let mut matched = false;
        for t in credentials::totps_of(c, &account.id)? {
            let secret = master_key.open(crate::app::signin::factors::TOTP_PURPOSE, &t.secret_encrypted)?;
            if let Some(step) = totp::check(&secret, code.trim(), unix, skew)? {
                // A replayed code (its step already used) is refused like a wrong one.
                matched = credentials::use_totp_step(c, &t.id, step as i64)?;
                break;
            }
        }
        store::throttle::put_lock_state(c, &account.id, &scope, &claimed.settle(&rule, matched, now), now)?;
        Ok(Ok(matched))
    })?;
    match outcome {
        Ok(true) => {
            Ok(Approver { login_id: account.login_id.clone(), facts: approvers::of_account(c, policy, &account, now)? })
        }
        Ok(false) => Err(sync_hold::refuse(c, run_id, &account.login_id, wrong_code(), "wrong_code", now)),
        Err(()) => Err(sync_hold::refuse(
            c,
            run_id,
            &account.login_id,
            Words::new(
                "失敗が続いたためアカウントがロックされています",
                "the account is locked after too many failures",
            ),
            "locked",
            now,
        )),
    }
}

/// Approval at the server's console (`tobira sync --approve`): the code proves the approver, the
/// hold is checked (a refused approver costs no directory read), the directory is read afresh and
/// what still holds is applied. The approver and what the approval did.
pub async fn by_code_at_console(
    c: &mut DbConnection,
    cfg: &crate::config::DirectoryConfig,
    keys: &Keys<'_>,
    (login_id, code): (&str, &str),
    run_id: &str,
    now: i64,
) -> Result<(Approver, Approved), AppError> {
    let who = by_code(c, keys.policy, keys.master_key, login_id, code, run_id, now)?;
    sync_hold::check(c, keys.policy, run_id, &who, now)?;
    let raw = fresh_read(cfg, keys.policy).await?;
    let done = sync_hold::approve(c, keys, run_id, &who, &raw, now)?;
    Ok((who, done))
}

/// Reads the whole directory for an approval: the hold is re-checked against what HR says now.
pub async fn fresh_read(app_cfg: &crate::config::DirectoryConfig, policy: &Policy) -> Result<RawDirectory, AppError> {
    read::read(app_cfg, policy, &ReadMode::Full).await
}

fn approver_of(c: &mut DbConnection, policy: &Policy, cur: &Current, now: i64) -> Result<Approver, AppError> {
    Ok(Approver { login_id: cur.account.login_id.clone(), facts: approvers::of_account(c, policy, &cur.account, now)? })
}

/// A held plan as the console shows it.
pub struct HeldView {
    pub run: sync_runs::SyncRun,
    pub plan: Plan,
    pub ran_by: Vec<String>,
    pub first_held_at: i64,
    /// The directory state it was planned against.
    pub basis: super::apply::Basis,
    /// What a fresh read says now; `Err` with why when the directory could not be read.
    pub since: Result<Recheck, String>,
}

/// The console: whether the person may approve held plans, and those held (each re-checked
/// against a fresh read, so the page shows the difference since it was held).
pub async fn console(app: &App, cur: &Current) -> Result<(bool, Vec<HeldView>), AppError> {
    let (policy, cur2, now) = (app.policy.clone(), cur.clone(), app.clock.now_ms());
    let (entitled, held) = app
        .db(move |c| {
            let who = approver_of(c, &policy, &cur2, now)?;
            let entitled =
                approval::check(&policy, &policy.approvals.sync_hold, &who.facts, Concerning::default()).is_ok();
            let held = if entitled { store::sync_holds::held(c)? } else { Vec::new() };
            Ok((entitled, held))
        })
        .await?;
    if held.is_empty() {
        return Ok((entitled, Vec::new()));
    }
    let raw = fresh_read(&app.config.directory, &app.policy).await.map(std::sync::Arc::new);
    let mut views = Vec::new();
    for run in held {
        let (policy, raw, id, now) =
            (app.policy.clone(), raw.as_ref().ok().cloned(), run.id.clone(), app.clock.now_ms());
        let read_error = raw.is_none().then(|| "the HR directory could not be read".to_string());
        let (content, since) = app
            .db(move |c| {
                let (_, content) = sync_hold::load(c, &id)?;
                let since = match raw {
                    Some(raw) => {
                        sync_hold::recheck(c, &policy, &content, &raw, now).map(|(r, _)| r).map_err(|e| e.to_string())
                    }
                    None => Err(read_error.unwrap_or_default()),
                };
                Ok((content, since))
            })
            .await?;
        let record = content.hold.clone().unwrap_or_default();
        views.push(HeldView {
            basis: record.basis.clone(),
            ran_by: if record.ran_by.is_empty() { vec![run.requested_by.clone()] } else { record.ran_by },
            first_held_at: if record.first_held_at > 0 { record.first_held_at } else { run.created_at },
            plan: content.plan,
            since,
            run,
        });
    }
    Ok((entitled, views))
}

/// Approves a held plan by the signed-in person (the page's form).
pub async fn approve_signed_in(app: &App, cur: &Current, run_id: &str) -> Result<Approved, AppError> {
    let (policy, cur2, id, now) = (app.policy.clone(), cur.clone(), run_id.to_string(), app.clock.now_ms());
    // Who decides and the hold's state first: a refused approver costs no directory read.
    let who = app
        .db(move |c| {
            let who = approver_of(c, &policy, &cur2, now)?;
            sync_hold::check(c, &policy, &id, &who, now)?;
            Ok(who)
        })
        .await?;
    let raw = fresh_read(&app.config.directory, &app.policy).await?;
    let (policy, master, id, now) =
        (app.policy.clone(), app.master_key.clone(), run_id.to_string(), app.clock.now_ms());
    app.db(move |c| sync_hold::approve(c, &Keys { policy: &policy, master_key: &master }, &id, &who, &raw, now)).await
}

/// Discards a held plan by the signed-in person, who must be one the policy's `sync_hold` names.
pub async fn discard_signed_in(app: &App, cur: &Current, run_id: &str) -> Result<(), AppError> {
    let (policy, cur2, id, now) = (app.policy.clone(), cur.clone(), run_id.to_string(), app.clock.now_ms());
    app.db(move |c| {
        let who = approver_of(c, &policy, &cur2, now)?;
        if approval::check(&policy, &policy.approvals.sync_hold, &who.facts, Concerning::default()).is_err() {
            return Err(sync_hold::refuse_rule(c, &id, &who.login_id, hold::Refusal::NotEntitled, now));
        }
        sync_hold::discard(c, &id, &who.login_id, now)
    })
    .await
}
