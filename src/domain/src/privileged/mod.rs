//! Privileged IDs (R-PR-01…R-PR-09): who may hold a system's privileged roles, how a holder
//! activates one for a limited time, who approves, delegates (代行者) and what vendors may not do.
//!
//! Invariants: holding a privileged role of a business system is only *eligibility*; the role is in
//! force only through an elevation with an end time; the person approving is never the person asking
//! (R-AC-02); a vendor's elevation is approved by the system's owner (R-PR-08) and a vendor approves,
//! nominates or grants nothing privileged (R-PR-04).

pub mod delegation;
pub mod development;
pub mod elevation;
pub mod eligibility;

pub use crate::approval::{ApproverFacts, Principal};
use crate::policy::{Policy, System};

/// The cap on holders of `system`'s privileged roles (R-PR-01).
pub fn holder_cap(policy: &Policy, system: &System) -> u32 {
    system.max_privileged_holders.unwrap_or(policy.privileged.max_holders_per_system)
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::ApproverFacts;

    pub fn person(number: &str) -> ApproverFacts {
        ApproverFacts { employee_number: number.into(), ..Default::default() }
    }
}
