//! What applying a step did, and the audit event and notices that describe it: the rules the store
//! used to hold (which privileged IDs follow their person's staff account, what a step's audit record
//! says, what a shared ID's owner is told). The store reports facts ([`Applied`]); this module turns
//! them into records, so every adapter writes the same ones.

use super::{Action, Step};
use crate::audit::AuditEvent;
use crate::hr::HrDepartment;
use crate::rbac::AccountStatus;
use serde_json::{json, Value};

/// The status reason of a privileged account stopped with its person's staff account.
pub const LINKED_REASON_PREFIX: &str = "hr-linked:";

/// The status reason a privileged ID gets when it follows its staff account for `reason`.
pub fn linked_reason(reason: &str) -> String {
    format!("{LINKED_REASON_PREFIX}{reason}")
}

/// Whether a privileged ID (`p-…`) in `current` status (set for `current_reason`) follows its person's
/// staff account to `to` (R-LC-03, R-PR-01): a leaver's are disabled, a person on leave's suspended and,
/// on return, re-enabled — but only what the sync itself suspended comes back; an officer's suspension
/// stays.
pub fn linked_follows(current: Option<AccountStatus>, current_reason: Option<&str>, to: AccountStatus) -> bool {
    match to {
        AccountStatus::Disabled => matches!(current, Some(AccountStatus::Active | AccountStatus::Suspended)),
        AccountStatus::Suspended => current == Some(AccountStatus::Active),
        AccountStatus::Active => {
            current == Some(AccountStatus::Suspended)
                && current_reason.is_some_and(|r| r.starts_with(LINKED_REASON_PREFIX))
        }
        AccountStatus::Deleted => false,
    }
}

/// What a linked privileged ID's move to a status takes with it, beside the status itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkedEffects {
    /// Its open sessions end.
    pub end_sessions: bool,
    /// It is due for deletion with its staff account.
    pub deletion_due: bool,
    /// Its grants and privileged eligibility are revoked at once (the planner plans no steps for a
    /// privileged ID, so nothing else would take them away).
    pub revoke_access: bool,
}

/// What a linked privileged ID's move to `to` takes with it (R-LC-03, R-PR-01): sessions end unless
/// it becomes active; a disabled one also loses its access and is due for deletion.
pub fn linked_effects(to: AccountStatus) -> LinkedEffects {
    let gone = to == AccountStatus::Disabled;
    LinkedEffects { end_sessions: to != AccountStatus::Active, deletion_due: gone, revoke_access: gone }
}

/// What the store did for one step, in facts only the database knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// [`Action::SavePerson`], [`Action::CreateAccount`], [`Action::FlagForReview`].
    Done,
    /// A status change: the sessions ended and the privileged IDs (logins) that followed.
    Status { sessions_ended: usize, linked: Vec<String> },
    /// [`Action::Grant`]: the new grant's id.
    Granted { grant_id: String },
    /// [`Action::ListForReturn`]: the return's id and the authenticator's kind.
    Listed { return_id: String, kind: String },
    /// [`Action::SharedPasswordDue`]: who permitted the person's use (and is told), and whether the
    /// password's expiry was brought forward.
    SharedDue { permitted_by: String, password_expired: bool },
}

/// The audit event of `step` as applied in run `run_id` by `actor`.
pub fn step_event(step: &Step, applied: &Applied, run_id: &str, actor: &str) -> AuditEvent {
    let details = |extra: Value| {
        let mut d = json!({ "run": run_id, "reason": step.reason.code(), "reason_ja": step.reason.ja() });
        if let (Some(d), Value::Object(e)) = (d.as_object_mut(), extra) {
            d.extend(e);
        }
        d
    };
    let (sessions_ended, linked) = match applied {
        Applied::Status { sessions_ended, linked } => (*sessions_ended, linked.clone()),
        _ => (0, Vec::new()),
    };
    let (action, target, extra) = match &step.action {
        Action::SavePerson { person } => (
            "person.saved",
            format!("person:{}", person.employee_number),
            json!({ "department": person.department_code, "concurrent": person.concurrent, "status": person.status.as_str(), "employment_type": person.employment_type.as_str() }),
        ),
        Action::CreateAccount { employee_number, login_id, grants, external } => (
            "account.created",
            format!("account:{login_id}"),
            json!({ "employee_number": employee_number, "vendor": external, "roles": grants.iter().map(|r| &r.0).collect::<Vec<_>>() }),
        ),
        Action::Reenable { login_id, .. } => {
            ("account.reenabled", format!("account:{login_id}"), json!({ "linked_privileged": linked }))
        }
        Action::Suspend { login_id, .. } => (
            "account.suspended",
            format!("account:{login_id}"),
            json!({ "sessions_ended": sessions_ended, "linked_privileged": linked }),
        ),
        Action::Disable { login_id, delete_after, .. } => (
            "account.disabled",
            format!("account:{login_id}"),
            json!({ "sessions_ended": sessions_ended, "deletion_due_at": delete_after, "linked_privileged": linked }),
        ),
        Action::Grant { employee_number, role_id, valid_until, .. } => {
            let grant_id = match applied {
                Applied::Granted { grant_id } => Some(grant_id.as_str()),
                _ => None,
            };
            (
                "grant.added",
                format!("person:{employee_number}"),
                json!({ "role": role_id, "grant_id": grant_id, "valid_until": valid_until }),
            )
        }
        Action::Revoke { grant_id, role_id, at, employee_number, .. } => (
            "grant.revoked",
            format!("person:{employee_number}"),
            json!({ "role": role_id, "grant_id": grant_id, "effective_at": at }),
        ),
        Action::FlagForReview { grant_id, role_id, employee_number } => (
            "grant.flagged_for_review",
            format!("person:{employee_number}"),
            json!({ "role": role_id, "grant_id": grant_id }),
        ),
        Action::ListForReturn { employee_number, login_id, credential_id, label, .. } => {
            let (return_id, kind) = match applied {
                Applied::Listed { return_id, kind } => (Some(return_id.as_str()), Some(kind.as_str())),
                _ => (None, None),
            };
            (
                "authenticator.return_due",
                format!("account:{login_id}"),
                json!({ "return": return_id, "employee_number": employee_number, "credential": credential_id, "kind": kind, "label": label }),
            )
        }
        Action::SharedPasswordDue { employee_number, login_id, .. } => {
            let (permitted_by, expired) = match applied {
                Applied::SharedDue { permitted_by, password_expired } => {
                    (Some(permitted_by.as_str()), *password_expired)
                }
                _ => (None, false),
            };
            (
                "shared_id.password_change_due",
                format!("account:{login_id}"),
                json!({ "employee_number": employee_number, "permitted_by": permitted_by, "password_expired": expired, "notified": permitted_by.into_iter().collect::<Vec<_>>() }),
            )
        }
    };
    AuditEvent::new(actor, action, target).with_details(details(extra))
}

/// The audit event of a department the sync stored (`new`: it was not known before).
pub fn department_event(actor: &str, d: &HrDepartment, parent: Option<&str>, new: bool) -> AuditEvent {
    AuditEvent::new(actor, "department.saved", format!("department:{}", d.code))
        .with_details(json!({ "name": d.name, "parent": parent, "new": new }))
}

/// The audit event of a contract the register states anew or differently (R-LC-12): `previous_end`
/// is the end date tobira held before, `None` for a new contract.
pub fn contract_event(
    actor: &str,
    c: &crate::contracts::Contract,
    previous_end: Option<String>,
    new: bool,
) -> AuditEvent {
    AuditEvent::new(actor, "contract.saved", format!("contract:{}", c.number)).with_details(json!({
        "vendor": c.vendor, "start": c.start.map(|d| d.to_string()), "end": c.end.to_string(), "parent": c.parent,
        "new": new, "previous_end": previous_end,
    }))
}

/// The notice to whoever permitted a person's use of shared ID `login_id` when that person moves on
/// (R-AU-08): (subject, body), Japanese first.
pub fn shared_password_notice(step: &Step, login_id: &str, employee_number: &str) -> (String, String) {
    let subject = format!("【共用ID】{login_id} のパスワード変更が必要です / shared ID password change due");
    let body = format!(
        "共用ID {login_id} の利用者（職員番号 {employee_number}）が{}のため利用者から外れました。次回サインイン時にパスワードの変更が必要です。\nA user of the shared ID {login_id} ({employee_number}) moved on ({}); its password must be changed at the next sign-in.",
        step.reason.ja(),
        step.reason.code()
    );
    (subject, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::Reason;
    use AccountStatus::*;

    #[test]
    fn r_pr_01_privileged_ids_follow_a_leaver_and_one_on_leave_but_an_officers_suspension_stays() {
        assert!(linked_follows(Some(Active), None, Disabled));
        assert!(linked_follows(Some(Suspended), Some("officer:x"), Disabled));
        assert!(linked_follows(Some(Active), None, Suspended));
        assert!(!linked_follows(Some(Disabled), None, Suspended));
        assert!(linked_follows(Some(Suspended), Some(&linked_reason("hr:leave")), Active));
        assert!(
            !linked_follows(Some(Suspended), Some("officer:misuse"), Active),
            "an officer's suspension is not undone by the sync"
        );
        assert!(!linked_follows(Some(Suspended), None, Active));
        assert!(!linked_follows(Some(Active), None, Deleted));
    }

    #[test]
    fn r_pr_01_a_linked_privileged_id_disabled_loses_its_access_and_one_suspended_its_sessions() {
        let gone = linked_effects(Disabled);
        assert!(gone.end_sessions && gone.revoke_access && gone.deletion_due, "{gone:?}");
        let paused = linked_effects(Suspended);
        assert!(paused.end_sessions && !paused.revoke_access && !paused.deletion_due, "{paused:?}");
        let back = linked_effects(Active);
        assert!(!back.end_sessions && !back.revoke_access && !back.deletion_due, "{back:?}");
    }

    fn step(action: Action) -> Step {
        Step { reason: Reason::Retired, action }
    }

    #[test]
    fn r_lc_03_a_leavers_audit_record_names_the_run_the_reason_the_sessions_and_the_privileged_ids() {
        let s = step(Action::Disable {
            employee_number: "E1".into(),
            account_id: "a1".into(),
            login_id: "tanaka".into(),
            delete_after: 99,
        });
        let e = step_event(
            &s,
            &Applied::Status { sessions_ended: 2, linked: vec!["p-tanaka".into()] },
            "run-1",
            "system:hr-sync",
        );
        assert_eq!(
            (e.action.as_str(), e.target.as_str(), e.actor.as_str()),
            ("account.disabled", "account:tanaka", "system:hr-sync")
        );
        assert_eq!(e.details["run"], "run-1");
        assert_eq!(e.details["reason"], Reason::Retired.code());
        assert_eq!(e.details["sessions_ended"], 2);
        assert_eq!(e.details["deletion_due_at"], 99);
        assert_eq!(e.details["linked_privileged"], json!(["p-tanaka"]));
    }

    #[test]
    fn r_au_08_the_shared_ids_owner_is_named_and_told_in_japanese_first() {
        let s = step(Action::SharedPasswordDue {
            employee_number: "E1".into(),
            account_id: "s1".into(),
            login_id: "kyoyo-01".into(),
            permitted_by: "kacho".into(),
        });
        let e = step_event(
            &s,
            &Applied::SharedDue { permitted_by: "kacho".into(), password_expired: true },
            "r",
            "system:hr-sync",
        );
        assert_eq!(e.details["notified"], json!(["kacho"]));
        assert_eq!(e.details["password_expired"], true);
        let (subject, body) = shared_password_notice(&s, "kyoyo-01", "E1");
        assert!(subject.starts_with("【共用ID】kyoyo-01"));
        assert!(body.starts_with("共用ID kyoyo-01 の利用者（職員番号 E1）が"));
    }
}
