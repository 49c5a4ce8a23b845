//! What the helpdesk (`[officers.helpdesk]`) may do from the console: the low-risk actions a caller
//! asks for every day, on a member of staff only. The matrix (docs/console.md):
//!
//! | action | staff account | officer, CISO, auditor, helpdesk, privileged ID |
//! |---|---|---|
//! | unlock | yes | no (four eyes, by security officers) |
//! | enrolment / reset link | yes | no (four eyes, by security officers) |
//! | password reset, suspend, reinstate, end sessions, revoke a factor, remote access | no | no |
//!
//! Reading the audit log is not the helpdesk's (R-LG-11): `scope::READ_ALL` leaves it out.
//!
//! Invariant: pure; the target's facts are read person-wide by the caller (a person's staff account
//! counts as an officer's when any of their accounts holds an officer function).

use crate::four_eyes::{self, Target};

/// The actions the helpdesk may take at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Unlock,
    EnrolmentLink,
}

impl Action {
    /// The console's name of the action (the person page's `action` field).
    pub fn parse(s: &str) -> Option<Action> {
        match s {
            "unlock" => Some(Action::Unlock),
            "enrol" => Some(Action::EnrolmentLink),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Unlock => "unlock",
            Action::EnrolmentLink => "enrol",
        }
    }
}

/// Why the helpdesk is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the helpdesk only unlocks and sends enrolment links (`{0}` is for security officers)")]
    NotHelpdeskAction(String),
    #[error("accounts of officers, the CISO, auditors, the helpdesk and privileged IDs are for security officers, with four eyes (R-AC-02)")]
    NotStaff,
}

/// Whether the helpdesk may take `action` (the console's name) on the account `t`.
pub fn may(action: &str, t: &Target) -> Result<Action, Refusal> {
    let a = Action::parse(action).ok_or_else(|| Refusal::NotHelpdeskAction(action.to_string()))?;
    if four_eyes::needs_second_person(t) {
        return Err(Refusal::NotStaff);
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::OfficerFunction;

    #[test]
    fn the_helpdesk_unlocks_and_sends_links_to_staff_and_nothing_else() {
        let staff = Target { person_key: "500001", ..Default::default() };
        assert_eq!(may("unlock", &staff), Ok(Action::Unlock));
        assert_eq!(may("enrol", &staff), Ok(Action::EnrolmentLink));
        for other in ["reset", "suspend", "reinstate", "end_sessions", "revoke", "remote_grant", "remote_revoke", ""] {
            assert!(matches!(may(other, &staff), Err(Refusal::NotHelpdeskAction(_))), "{other}");
        }
    }

    #[test]
    fn r_ac_02_the_helpdesk_never_acts_on_officers_or_privileged_ids() {
        assert_eq!(may("unlock", &Target { is_privileged: true, ..Default::default() }), Err(Refusal::NotStaff));
        for f in [
            OfficerFunction::Ciso,
            OfficerFunction::SecurityOfficer,
            OfficerFunction::Auditor,
            OfficerFunction::Helpdesk,
        ] {
            let t = Target { functions: &[f], ..Default::default() };
            assert_eq!(may("unlock", &t), Err(Refusal::NotStaff), "{f:?}");
            assert_eq!(may("enrol", &t), Err(Refusal::NotStaff), "{f:?}");
        }
    }
}
