//! Eligibility for a system's privileged roles (R-PR-01, R-PR-09): the system's owner names the
//! holders, from the owner and the operators the register lists for the system; the 統括情報セキュリティ
//! 責任者 names the owner (nobody names themselves, R-AC-02). Each holder works through a separate
//! privileged account, and the number of holders stays under the system's cap.

use super::{holder_cap, ApproverFacts};
use crate::policy::{Activation, OfficerFunction, Policy, Role};

/// The account to be made eligible.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    pub employee_number: Option<&'a str>,
    pub account_is_privileged: bool,
    pub account_is_active: bool,
    /// Distinct people eligible for the system's privileged roles now, not counting this one.
    pub other_holders: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("role `{0}` is not a privileged role of a business system")]
    NotElevatable(String),
    #[error("privileged roles are held through a separate privileged account, not a staff account (R-PR-01)")]
    NotPrivilegedAccount,
    #[error("the account is not active")]
    Inactive,
    #[error("a vendor grants no privileged role (R-PR-04)")]
    Vendor,
    #[error("nobody makes themselves eligible (R-AC-02)")]
    SelfGrant,
    #[error("only the system's owner names its privileged holders; the 統括情報セキュリティ責任者 names the owner (R-PR-09)")]
    NotOwner,
    #[error("the person is neither the owner nor an operator the register names for this system (R-PR-09)")]
    NotOperator,
    #[error("the system already has {0} privileged holders, its cap (R-PR-01)")]
    Cap(u32),
    #[error("a reason is required")]
    NoReason,
}

/// Whether holders are named for `role`: a privileged role, not one held by appointment.
pub fn is_nameable(role: &Role) -> bool {
    role.privileged && *role.activation.get_ref() != Activation::Appointment
}

/// Whether `granter` may make `who` eligible for `role`.
pub fn check(
    policy: &Policy,
    role: &Role,
    granter: &ApproverFacts,
    who: &Candidate,
    reason: &str,
) -> Result<(), Refusal> {
    let system = policy.system(role.system.get_ref()).filter(|_| is_nameable(role));
    let Some(system) = system else { return Err(Refusal::NotElevatable(role.id.get_ref().clone())) };
    if reason.trim().is_empty() {
        return Err(Refusal::NoReason);
    }
    if granter.is_vendor {
        return Err(Refusal::Vendor);
    }
    if !who.account_is_privileged {
        return Err(Refusal::NotPrivilegedAccount);
    }
    if !who.account_is_active {
        return Err(Refusal::Inactive);
    }
    let number = who.employee_number.unwrap_or_default();
    if number == granter.employee_number {
        return Err(Refusal::SelfGrant);
    }
    let owner = &system.owner;
    let is_owner = number == owner.employee_number;
    if !is_owner && !owner.operators.iter().any(|o| o == number) {
        return Err(Refusal::NotOperator);
    }
    let may = if is_owner {
        granter.holds(OfficerFunction::ChiefSecurityOfficer)
    } else {
        granter.owns(policy, system.id.get_ref())
    };
    if !may {
        return Err(Refusal::NotOwner);
    }
    let cap = holder_cap(policy, system);
    if who.other_holders >= cap as usize {
        return Err(Refusal::Cap(cap));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::approval::Principal;
    use crate::privileged::tests_support::person;
    use crate::test_support::example_policy;

    // In the example register, juki is owned by 900011; its operators are set here.
    fn policy() -> Policy {
        let mut p = example_policy();
        let juki = p.systems.iter_mut().find(|s| s.id.get_ref() == "juki").unwrap();
        juki.owner.operators = vec!["300001".into(), "300002".into(), "300003".into(), "800001".into()];
        juki.max_privileged_holders = Some(2);
        p
    }

    fn cand(number: &'static str, others: usize) -> Candidate<'static> {
        Candidate {
            employee_number: Some(number),
            account_is_privileged: true,
            account_is_active: true,
            other_holders: others,
        }
    }

    #[test]
    fn r_pr_01_the_cap_refuses_the_next_holder() {
        let p = policy();
        let role = p.role("juki.admin").unwrap();
        let owner = person("900011");
        assert_eq!(check(&p, role, &owner, &cand("300001", 0), "運用担当"), Ok(()));
        assert_eq!(check(&p, role, &owner, &cand("300002", 1), "運用担当"), Ok(()));
        assert_eq!(check(&p, role, &owner, &cand("300003", 2), "運用担当"), Err(Refusal::Cap(2)));
    }

    #[test]
    fn r_pr_01_privileged_roles_need_a_separate_privileged_account() {
        let p = policy();
        let staff_account = Candidate { account_is_privileged: false, ..cand("300001", 0) };
        assert_eq!(
            check(&p, p.role("juki.admin").unwrap(), &person("900011"), &staff_account, "x"),
            Err(Refusal::NotPrivilegedAccount)
        );
    }

    #[test]
    fn r_pr_09_only_the_owner_names_operators_and_only_listed_ones() {
        let p = policy();
        let role = p.role("juki.admin").unwrap();
        assert_eq!(
            check(&p, role, &person("900021"), &cand("300001", 0), "x"),
            Err(Refusal::NotOwner),
            "another system's owner"
        );
        assert_eq!(check(&p, role, &person("900011"), &cand("399999", 0), "x"), Err(Refusal::NotOperator));
        let delegate = ApproverFacts { acting_for: vec![Principal::SystemOwner("juki".into())], ..person("400001") };
        assert_eq!(
            check(&p, role, &delegate, &cand("300001", 0), "x"),
            Ok(()),
            "the owner's approved delegate acts for them"
        );
        // The owner is named by the 統括情報セキュリティ責任者, never by themselves.
        assert_eq!(check(&p, role, &person("900011"), &cand("900011", 0), "x"), Err(Refusal::SelfGrant));
        let cso = ApproverFacts { functions: vec![OfficerFunction::ChiefSecurityOfficer], ..person("500001") };
        assert_eq!(check(&p, role, &cso, &cand("900011", 0), "x"), Ok(()));
        assert_eq!(
            check(&p, role, &cso, &cand("300001", 0), "x"),
            Err(Refusal::NotOwner),
            "operators are the owner's to name"
        );
    }

    #[test]
    fn r_pr_04_a_vendor_grants_no_privileged_role() {
        let p = policy();
        let vendor_delegate = ApproverFacts {
            is_vendor: true,
            acting_for: vec![Principal::SystemOwner("juki".into())],
            ..person("800002")
        };
        assert_eq!(
            check(&p, p.role("juki.admin").unwrap(), &vendor_delegate, &cand("300001", 0), "x"),
            Err(Refusal::Vendor)
        );
    }

    #[test]
    fn r_pr_02_ordinary_and_appointed_roles_are_not_elevatable() {
        let p = policy();
        let owner = person("900011");
        assert!(matches!(
            check(&p, p.role("juki.clerk").unwrap(), &owner, &cand("300001", 0), "x"),
            Err(Refusal::NotElevatable(_))
        ));
        assert!(matches!(
            check(&p, p.role("tobira.ciso").unwrap(), &owner, &cand("300001", 0), "x"),
            Err(Refusal::NotElevatable(_))
        ));
    }
}
