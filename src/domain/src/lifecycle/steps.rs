//! What a sync plan is made of: the HR change behind each step (`Reason`), the change to make
//! (`Action`), the `Step` pairing them and the `Plan` with its hold and problems.

use super::handback::AuthenticatorKind;
use crate::hr::{EntryProblem, HrPerson};
use time::Date;

/// Status reasons the sync writes start with this, so it only ever reverses its own actions.
pub const HR_REASON_PREFIX: &str = "hr:";

/// The HR change behind a step.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    Joined,
    Transferred { from: String, to: String },
    Changed,
    OnLeave,
    Returned,
    Seconded { to: String },
    Retired,
    ContractEnded { on: Date },
    EntryGone,
    Rehired,
}

impl Reason {
    /// A short stable code, used in audit details and status reasons.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::Joined => "joined",
            Reason::Transferred { .. } => "transferred",
            Reason::Changed => "changed",
            Reason::OnLeave => "on_leave",
            Reason::Returned => "returned",
            Reason::Seconded { .. } => "seconded",
            Reason::Retired => "retired",
            Reason::ContractEnded { .. } => "contract_ended",
            Reason::EntryGone => "entry_gone",
            Reason::Rehired => "rehired",
        }
    }

    /// A short label of a stored [`Reason::code`] (without the details the code drops), Japanese
    /// and English; `None` for an unknown code.
    pub fn label_of_code(code: &str) -> Option<(&'static str, &'static str)> {
        Some(match code {
            "joined" => ("新規採用", "joined"),
            "transferred" => ("異動", "transferred"),
            "changed" => ("人事情報の変更", "HR data changed"),
            "on_leave" => ("休職", "on leave"),
            "returned" => ("復職", "returned from leave"),
            "seconded" => ("出向", "seconded"),
            "retired" => ("退職", "retired"),
            "contract_ended" => ("任期・契約満了", "contract ended"),
            "entry_gone" => ("人事情報から削除", "removed from the HR directory"),
            "rehired" => ("再採用", "rehired"),
            _ => return None,
        })
    }

    /// For people: Japanese.
    pub fn ja(&self) -> String {
        match self {
            Reason::Joined => "新規採用".into(),
            Reason::Transferred { from, to } => format!("異動（{from} → {to}）"),
            Reason::Changed => "人事情報の変更".into(),
            Reason::OnLeave => "休職".into(),
            Reason::Returned => "復職".into(),
            Reason::Seconded { to } => format!("出向（{to}）"),
            Reason::Retired => "退職".into(),
            Reason::ContractEnded { on } => format!("任期・契約満了（{on}）"),
            Reason::EntryGone => "人事情報から削除".into(),
            Reason::Rehired => "再採用".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// Store the person's HR data as now read.
    SavePerson {
        person: Box<HrPerson>,
    },
    /// `external`: a vendor, agency worker or designated manager (R-LC-12), flagged on the account.
    CreateAccount {
        employee_number: String,
        login_id: String,
        grants: Vec<(String, Option<i64>)>,
        external: bool,
    },
    Reenable {
        employee_number: String,
        account_id: String,
        login_id: String,
    },
    /// Suspend (leave): sessions end, grants stay for the return.
    Suspend {
        employee_number: String,
        account_id: String,
        login_id: String,
    },
    /// Disable (leaver): sessions and tokens end, every grant is revoked, deletion is scheduled.
    Disable {
        employee_number: String,
        account_id: String,
        login_id: String,
        delete_after: i64,
    },
    Grant {
        employee_number: String,
        account_id: String,
        role_id: String,
        valid_until: Option<i64>,
    },
    /// Revoke now (`at` = now) or let the grant run out at `at` (a mover's grace period).
    Revoke {
        employee_number: String,
        account_id: String,
        grant_id: String,
        role_id: String,
        at: i64,
    },
    /// A requested grant of a mover, for the new head of section to review.
    FlagForReview {
        employee_number: String,
        grant_id: String,
        role_id: String,
    },
    /// A physical authenticator of a mover or leaver, listed for return (R-LC-15); not a removal.
    ListForReturn {
        employee_number: String,
        account_id: String,
        login_id: String,
        credential_id: String,
        authenticator: AuthenticatorKind,
        label: String,
    },
    /// A shared ID the person used: its password falls due and they leave its users (R-AU-08).
    SharedPasswordDue {
        employee_number: String,
        account_id: String,
        login_id: String,
        permitted_by: String,
    },
}

impl Action {
    pub fn kind(&self) -> &'static str {
        match self {
            Action::SavePerson { .. } => "save_person",
            Action::CreateAccount { .. } => "create_account",
            Action::Reenable { .. } => "reenable",
            Action::Suspend { .. } => "suspend",
            Action::Disable { .. } => "disable",
            Action::Grant { .. } => "grant",
            Action::Revoke { .. } => "revoke",
            Action::FlagForReview { .. } => "flag_for_review",
            Action::ListForReturn { .. } => "list_for_return",
            Action::SharedPasswordDue { .. } => "shared_password_due",
        }
    }

    pub fn is_removal(&self) -> bool {
        matches!(self, Action::Suspend { .. } | Action::Disable { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Step {
    pub action: Action,
    pub reason: Reason,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub removals: usize,
    pub active_accounts: usize,
    /// Why the plan must not be applied without approval; `None` when it may be.
    pub hold: Option<String>,
    /// People absent from the read but not treated as gone, and why.
    pub not_removed: Vec<String>,
    pub problems: Vec<EntryProblem>,
}
