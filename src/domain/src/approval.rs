//! Who may approve: the one check every approval in tobira goes through. An approver is entitled
//! when they hold a function the policy names for that kind of request, are the 所属長 or system
//! owner it names, or act for one of those through a delegation in force (R-PR-03, R-AC-09).
//! Nobody approves their own request (R-AC-02); that comparison is on the person, so a person's
//! privileged account and staff account count as one. Authority, on the other hand, is not pooled:
//! officer functions come from the account signed in (R-PR-01), and a 所属長's authority covers only
//! the department HR makes them head of, not a concurrent post (兼務).

use crate::policy::{Approver, OfficerFunction, Policy};

/// Whose authority a delegation carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Principal {
    Officer(OfficerFunction),
    /// The owner (情報システム管理者) of the system with this id.
    SystemOwner(String),
}

/// What is known of the person who approves.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApproverFacts {
    pub employee_number: String,
    /// The departments the person heads (所属長) according to HR: the department of their primary
    /// post when HR flags them head; never a concurrent post's (兼務).
    pub headed: Vec<String>,
    /// Officer functions the account acting holds now (not the person's other accounts, R-PR-01).
    pub functions: Vec<OfficerFunction>,
    /// The person is a vendor's worker.
    pub is_vendor: bool,
    /// Authority the person holds now through approved delegations.
    pub acting_for: Vec<Principal>,
}

/// What the request is about, as entitlement needs it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Concerning<'a> {
    /// Departments of the person concerned (for the 所属長).
    pub departments: &'a [String],
    /// The system concerned (for its owner).
    pub system: Option<&'a str>,
}

impl ApproverFacts {
    pub fn holds(&self, f: OfficerFunction) -> bool {
        self.functions.contains(&f) || self.acting_for.contains(&Principal::Officer(f))
    }

    pub fn owns(&self, policy: &Policy, system: &str) -> bool {
        policy.system(system).is_some_and(|s| s.owner.employee_number == self.employee_number)
            || self.acting_for.contains(&Principal::SystemOwner(system.to_string()))
    }
}

/// Whether `facts` is `approver` for a request concerning `about`.
pub fn entitled(policy: &Policy, approver: Approver, facts: &ApproverFacts, about: Concerning) -> bool {
    match approver {
        Approver::HeadOfSection => facts.headed.iter().any(|d| about.departments.contains(d)),
        Approver::SystemOwner => about.system.is_some_and(|s| facts.owns(policy, s)),
        other => other.officer().is_some_and(|f| facts.holds(f)),
    }
}

/// Whether `facts` is any of `allowed`; the names of `allowed` otherwise, for the refusal.
pub fn check(
    policy: &Policy,
    allowed: &[toml::Spanned<Approver>],
    facts: &ApproverFacts,
    about: Concerning,
) -> Result<(), String> {
    if allowed.iter().any(|a| entitled(policy, *a.get_ref(), facts, about)) {
        return Ok(());
    }
    Err(allowed.iter().map(|a| a.get_ref().as_str()).collect::<Vec<_>>().join(", "))
}
