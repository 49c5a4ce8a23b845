//! Four eyes for officer actions that could take over a powerful account (R-AC-02, R-PR-01): a
//! password reset, an enrolment link, a credential revocation, an unlock or a reinstatement whose
//! target is an officer, the CISO, an auditor or a privileged ID is only *requested* by one officer;
//! it takes effect when another person named by `approvals.officer_action` approves.
//!
//! Invariants: the approver is never the requester nor the target (compared on the person, so a
//! person's privileged and staff accounts count as one); an enrolment link for such a target is
//! issued only for an account that has never had a credential; a request is decided once.

use crate::approval::{self, ApproverFacts, Concerning};
use crate::policy::{OfficerFunction, Policy};

/// The officer actions that four eyes cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    PasswordReset,
    EnrollmentLink,
    CredentialRevoke,
    Unlock,
    Reinstate,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::PasswordReset => "password_reset",
            Kind::EnrollmentLink => "enrollment_link",
            Kind::CredentialRevoke => "credential_revoke",
            Kind::Unlock => "unlock",
            Kind::Reinstate => "reinstate",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::PasswordReset, Kind::EnrollmentLink, Kind::CredentialRevoke, Kind::Unlock, Kind::Reinstate]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// What is known of the account an action is about.
#[derive(Debug, Clone, Default)]
pub struct Target<'a> {
    pub is_privileged: bool,
    /// Officer functions (CISO, deputy, chief security officer, security officer, auditor) its
    /// person holds through any account.
    pub functions: &'a [OfficerFunction],
    /// The person's key (employee number, or `account:<id>` for an account with no person).
    pub person_key: &'a str,
    /// The account ever had a password set by its holder, a TOTP or a key (revoked ones count).
    pub ever_had_credential: bool,
}

/// Why a request or an approval is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("an enrolment link for an officer, the CISO, an auditor or a privileged ID is issued only for an account that never had a credential; reset the password instead (four eyes)")]
    HadCredential,
    #[error("nobody approves their own request (R-AC-02)")]
    OwnRequest,
    #[error("nobody approves an action on their own account")]
    OwnAccount,
    #[error("officer actions on officers and privileged IDs are approved by [approvals] officer_action: {0}")]
    NotEntitled(String),
    #[error("the request is {0}, not open")]
    NotOpen(String),
}

/// Whether the action on `t` needs a second person.
pub fn needs_second_person(t: &Target) -> bool {
    t.is_privileged || !t.functions.is_empty()
}

/// Whether `kind` may be asked for at all on `t` (checked before recording a request).
pub fn may_request(kind: Kind, t: &Target) -> Result<(), Refusal> {
    if kind == Kind::EnrollmentLink && needs_second_person(t) && t.ever_had_credential {
        return Err(Refusal::HadCredential);
    }
    Ok(())
}

/// What the approver decides about.
#[derive(Debug, Clone, Copy)]
pub struct Open<'a> {
    pub status: &'a str,
    pub requester_key: &'a str,
    pub target_key: &'a str,
}

/// Whether `approver` may approve (or refuse) the request `r`.
pub fn may_decide(policy: &Policy, approver: &ApproverFacts, r: Open) -> Result<(), Refusal> {
    if r.status != "requested" {
        return Err(Refusal::NotOpen(r.status.into()));
    }
    if approver.employee_number == r.requester_key {
        return Err(Refusal::OwnRequest);
    }
    if approver.employee_number == r.target_key {
        return Err(Refusal::OwnAccount);
    }
    approval::check(policy, &policy.approvals.officer_action, approver, Concerning::default())
        .map_err(Refusal::NotEntitled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::example_policy;

    fn facts(number: &str, functions: &[OfficerFunction]) -> ApproverFacts {
        ApproverFacts { employee_number: number.into(), functions: functions.to_vec(), ..Default::default() }
    }

    #[test]
    fn r_ac_02_actions_on_officers_the_ciso_auditors_and_privileged_ids_need_a_second_person() {
        assert!(
            !needs_second_person(&Target { person_key: "500001", ..Default::default() }),
            "staff: one officer acts"
        );
        assert!(needs_second_person(&Target { is_privileged: true, ..Default::default() }));
        for f in [OfficerFunction::Ciso, OfficerFunction::SecurityOfficer, OfficerFunction::Auditor] {
            assert!(needs_second_person(&Target { functions: &[f], ..Default::default() }), "{f:?}");
        }
    }

    #[test]
    fn r_ac_02_an_enrolment_link_for_a_powerful_account_only_before_any_credential() {
        let ciso = [OfficerFunction::Ciso];
        let fresh = Target { functions: &ciso, ..Default::default() };
        assert_eq!(may_request(Kind::EnrollmentLink, &fresh), Ok(()));
        let used = Target { ever_had_credential: true, ..fresh.clone() };
        assert_eq!(may_request(Kind::EnrollmentLink, &used), Err(Refusal::HadCredential));
        assert_eq!(may_request(Kind::PasswordReset, &used), Ok(()));
        assert_eq!(
            may_request(Kind::EnrollmentLink, &Target { ever_had_credential: true, ..Default::default() }),
            Ok(()),
            "staff keep their links"
        );
    }

    #[test]
    fn r_ac_02_the_requester_and_the_target_never_approve() {
        let p = example_policy();
        let open = Open { status: "requested", requester_key: "100010", target_key: "100000" };
        let so = [OfficerFunction::SecurityOfficer];
        assert_eq!(may_decide(&p, &facts("100010", &so), open), Err(Refusal::OwnRequest));
        assert_eq!(may_decide(&p, &facts("100000", &[OfficerFunction::Ciso]), open), Err(Refusal::OwnAccount));
        assert!(
            matches!(may_decide(&p, &facts("500001", &[]), open), Err(Refusal::NotEntitled(_))),
            "staff approve nothing"
        );
        assert_eq!(may_decide(&p, &facts("100011", &so), open), Ok(()));
        assert_eq!(
            may_decide(&p, &facts("100011", &so), Open { status: "done", ..open }),
            Err(Refusal::NotOpen("done".into()))
        );
    }
}
