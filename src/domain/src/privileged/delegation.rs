//! Delegates (代行者, R-PR-03, R-AC-09): the holder of an officer function or a system's owner
//! nominates a delegate for a period; the approvers of `[approvals] delegate` (the CISO) approve;
//! while the period runs the delegate acts with the principal's authority, and not a moment after.

use super::{ApproverFacts, Principal};
use crate::approval::{self, Concerning};
use crate::policy::Policy;

/// A nomination as made.
#[derive(Debug, Clone)]
pub struct Nomination<'a> {
    pub principal: &'a Principal,
    pub delegate_employee_number: &'a str,
    pub delegate_is_vendor: bool,
    pub from: i64,
    pub until: i64,
    pub reason: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("only the holder of the function or the system's owner nominates its delegate")]
    NotPrincipal,
    #[error("nobody is their own delegate, nor approves a nomination that concerns them (R-AC-02)")]
    SelfApproval,
    #[error("a vendor is no delegate for privileges (R-PR-04)")]
    Vendor,
    #[error("the period must end after it starts, not in the past, and last at most {0} days")]
    BadPeriod(u32),
    #[error("a reason is required")]
    NoReason,
    #[error("the approver is not one of those the policy names for delegates: {0}")]
    NotEntitled(String),
}

/// Whether `who` holds `principal` themselves (an officer function through the account acting, or a
/// system they own): only then may they nominate its delegate. A delegation in force does not count:
/// a delegate does not nominate another.
pub fn holds(policy: &Policy, who: &ApproverFacts, principal: &Principal) -> bool {
    match principal {
        Principal::Officer(f) => who.functions.contains(f),
        Principal::SystemOwner(s) => policy.system(s).is_some_and(|s| s.owner.employee_number == who.employee_number),
    }
}

/// Whether `nominator` may nominate as described.
pub fn nominate(policy: &Policy, nominator: &ApproverFacts, n: &Nomination, now: i64) -> Result<(), Refusal> {
    if !holds(policy, nominator, n.principal) {
        return Err(Refusal::NotPrincipal);
    }
    if n.reason.trim().is_empty() {
        return Err(Refusal::NoReason);
    }
    if n.delegate_employee_number == nominator.employee_number {
        return Err(Refusal::SelfApproval);
    }
    if n.delegate_is_vendor {
        return Err(Refusal::Vendor);
    }
    let max = policy.privileged.max_delegation_days;
    if n.until <= n.from || n.until <= now || n.until - n.from > i64::from(max) * 86_400_000 {
        return Err(Refusal::BadPeriod(max));
    }
    Ok(())
}

/// Whether `approver` may approve a nomination made by `nominator_employee_number`.
pub fn approve(
    policy: &Policy,
    n: &Nomination,
    nominator_employee_number: &str,
    approver: &ApproverFacts,
) -> Result<(), Refusal> {
    if approver.employee_number == nominator_employee_number || approver.employee_number == n.delegate_employee_number {
        return Err(Refusal::SelfApproval);
    }
    let system = match n.principal {
        Principal::SystemOwner(s) => Some(s.as_str()),
        Principal::Officer(_) => None,
    };
    // Only authority of one's own counts: a delegate does not approve delegations.
    let own = ApproverFacts { acting_for: vec![], ..approver.clone() };
    approval::check(policy, &policy.approvals.delegate, &own, Concerning { departments: &[], system })
        .map_err(Refusal::NotEntitled)
}

/// Whether an approved delegation for `[from, until)` is in force at `now`.
pub fn in_force(from: i64, until: i64, now: i64) -> bool {
    from <= now && now < until
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::OfficerFunction;
    use crate::privileged::tests_support::person;
    use crate::test_support::example_policy;

    const DAY: i64 = 86_400_000;

    fn owner_nomination(p: &Principal) -> Nomination<'_> {
        Nomination {
            principal: p,
            delegate_employee_number: "300010",
            delegate_is_vendor: false,
            from: 0,
            until: 7 * DAY,
            reason: "課長 出張中",
        }
    }

    #[test]
    fn r_pr_03_the_owner_nominates_and_the_ciso_approves() {
        let p = example_policy();
        let juki = Principal::SystemOwner("juki".into());
        let n = owner_nomination(&juki);
        assert_eq!(nominate(&p, &person("900011"), &n, 0), Ok(()));
        assert_eq!(nominate(&p, &person("900021"), &n, 0), Err(Refusal::NotPrincipal), "another system's owner");
        let ciso = ApproverFacts { functions: vec![OfficerFunction::Ciso], ..person("100000") };
        assert_eq!(approve(&p, &n, "900011", &ciso), Ok(()));
        assert!(matches!(approve(&p, &n, "900011", &person("900021")), Err(Refusal::NotEntitled(_))));
        let ciso_by_delegation =
            ApproverFacts { acting_for: vec![Principal::Officer(OfficerFunction::Ciso)], ..person("100009") };
        assert!(
            matches!(approve(&p, &n, "900011", &ciso_by_delegation), Err(Refusal::NotEntitled(_))),
            "a delegate does not approve delegations"
        );
    }

    #[test]
    fn r_pr_03_an_officer_function_is_delegated_by_its_holder_only() {
        let p = example_policy();
        let cso = Principal::Officer(OfficerFunction::ChiefSecurityOfficer);
        let n = owner_nomination(&cso);
        let holder = ApproverFacts { functions: vec![OfficerFunction::ChiefSecurityOfficer], ..person("500001") };
        assert_eq!(nominate(&p, &holder, &n, 0), Ok(()));
        let acting = ApproverFacts { acting_for: vec![cso.clone()], ..person("500002") };
        assert_eq!(
            nominate(&p, &acting, &n, 0),
            Err(Refusal::NotPrincipal),
            "a delegate does not pass the authority on"
        );
        let ciso = ApproverFacts { functions: vec![OfficerFunction::Ciso], ..person("300010") };
        assert_eq!(approve(&p, &n, "500001", &ciso), Err(Refusal::SelfApproval), "the CISO is the delegate here");
    }

    #[test]
    fn r_pr_03_periods_are_bounded_and_delegates_are_staff() {
        let p = example_policy();
        let juki = Principal::SystemOwner("juki".into());
        let owner = person("900011");
        let max = p.privileged.max_delegation_days;
        let n = |from, until| Nomination { from, until, ..owner_nomination(&juki) };
        assert_eq!(nominate(&p, &owner, &n(0, i64::from(max + 1) * DAY), 0), Err(Refusal::BadPeriod(max)));
        assert_eq!(nominate(&p, &owner, &n(DAY, DAY), 0), Err(Refusal::BadPeriod(max)));
        assert_eq!(nominate(&p, &owner, &n(0, DAY), 2 * DAY), Err(Refusal::BadPeriod(max)), "already over");
        assert_eq!(
            nominate(&p, &owner, &Nomination { delegate_is_vendor: true, ..n(0, DAY) }, 0),
            Err(Refusal::Vendor)
        );
        assert_eq!(
            nominate(&p, &owner, &Nomination { delegate_employee_number: "900011", ..n(0, DAY) }, 0),
            Err(Refusal::SelfApproval)
        );
    }

    #[test]
    fn r_pr_03_a_delegates_rights_end_with_the_period() {
        assert!(!in_force(10, 20, 9));
        assert!(in_force(10, 20, 10));
        assert!(in_force(10, 20, 19));
        assert!(!in_force(10, 20, 20), "not a moment after");
    }
}
