//! Onboarding acknowledgements (R-LC-11): with `[onboarding] required`, a person's account reaches
//! nothing but the confirmation page until they confirm the current rules; with
//! `training_required`, also until an officer recorded their new-hire training. Each confirmation
//! stores the time, the rules version and the SHA-256 of the text shown; each step is audited.
//!
//! Who owes: accounts that belong to a person (HR staff, vendor staff) and are not shared IDs. The
//! bootstrap officer and shared IDs have no person to train or ask. Existing staff are asked too, at
//! their next sign-in, when the policy first requires it or its `rules_version` changes; training
//! waits only for accounts created on or after `training_from`.
//!
//! Invariants: a confirmation counts only for the version and text the policy holds now (a page
//! shown before a change is refused); nobody records training for their own person.

pub mod owed;

use self::owed::owed;
use crate::app::signin::session::Current;
use crate::app::signin::{target, Origin};
use crate::app::{App, AppError};
/// The kind of a training record (the other kind is the acknowledged rules).
pub use crate::store::onboarding::TRAINING;
use crate::store::{self, accounts::Account, onboarding::Record};
use serde_json::json;
use tobira_domain::audit::Outcome;
use tobira_domain::policy::onboarding::Owed;

/// The person confirms the rules they were shown (`version` and `sha256` from the page's form).
pub async fn confirm(app: &App, cur: &Current, version: &str, sha256: &str, origin: &Origin) -> Result<(), AppError> {
    let o = &app.policy.onboarding;
    if !o.required {
        return Err(AppError::invalid(
            "onboarding_not_required",
            "確認する規則はありません",
            "onboarding is not required",
        ));
    }
    let (current_version, current_sha) = (o.rules_version.clone(), o.text_sha256());
    if version != current_version || sha256 != current_sha {
        return Err(AppError::invalid(
            "rules_changed",
            "規則が更新されました。もう一度お読みください",
            "the rules changed since the page was shown; read them again",
        ));
    }
    let (account, origin, now) = (cur.account.clone(), origin.clone(), app.clock.now_ms());
    app.db(move |c| {
        store::write_tx(c, |c| {
            let r = Record {
                id: store::new_id(),
                account_id: account.id.clone(),
                kind: store::onboarding::RULES.into(),
                rules_version: Some(current_version.clone()),
                text_sha256: Some(current_sha.clone()),
                recorded_at: now,
                recorded_by: account.login_id.clone(),
                note: None,
            };
            store::onboarding::insert(c, &r)?;
            let e = origin
                .event(account.login_id.clone(), "onboarding.rules_confirmed", target(&account.login_id))
                .with_details(json!({ "rules_version": current_version, "text_sha256": current_sha }));
            store::audit::append(c, now, vec![e])?;
            Ok(())
        })
    })
    .await
}

/// An officer records the new-hire training of `login_id`, with a reason (what training, when).
pub async fn record_training(
    app: &App,
    officer: &Current,
    login_id: &str,
    reason: &str,
    origin: &Origin,
) -> Result<(), AppError> {
    let reason = reason.trim().to_string();
    if reason.is_empty() {
        return Err(AppError::invalid("no_reason", "理由を入力してください", "a reason is required"));
    }
    let (me, login, origin, now) = (officer.account.clone(), login_id.to_string(), origin.clone(), app.clock.now_ms());
    app.db(move |c| {
        let a = store::accounts::by_login_id(c, &login)?.ok_or_else(|| AppError::no_account(&login))?;
        let own = a.id == me.id || (a.person_id.is_some() && a.person_id == me.person_id);
        if own {
            let e = origin
                .event(me.login_id.clone(), "onboarding.training_recorded", target(&a.login_id))
                .with_outcome(Outcome::Failure)
                .with_details(json!({ "refused": "own training", "reason": reason }));
            crate::app::audit_log::record_alone(c, now, e)?;
            return Err(AppError::refused(
                "own_training",
                "自分の研修は記録できません",
                "nobody records their own training",
            ));
        }
        store::write_tx(c, |c| {
            let r = Record {
                id: store::new_id(),
                account_id: a.id.clone(),
                kind: store::onboarding::TRAINING.into(),
                rules_version: None,
                text_sha256: None,
                recorded_at: now,
                recorded_by: me.login_id.clone(),
                note: Some(reason.clone()),
            };
            store::onboarding::insert(c, &r)?;
            let e = origin
                .event(me.login_id.clone(), "onboarding.training_recorded", target(&a.login_id))
                .with_details(json!({ "reason": reason }));
            store::audit::append(c, now, vec![e])?;
            Ok(())
        })
    })
    .await
}

/// What `account` owes now, in its own transaction.
pub async fn owed_now(app: &App, account: &Account) -> Result<Owed, AppError> {
    let (policy, account) = (app.policy.clone(), account.clone());
    app.db(move |c| owed(c, &policy, &account)).await
}

/// The account's onboarding records, newest first.
pub async fn records(app: &App, account_id: &str) -> Result<Vec<Record>, AppError> {
    let id = account_id.to_string();
    app.db(move |c| Ok(store::onboarding::of_account(c, &id)?)).await
}
