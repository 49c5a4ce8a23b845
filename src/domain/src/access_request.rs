//! Access requests (R-LC-02, R-AC-01, R-AC-02): a member of staff asks for a requestable role with a
//! reason and an end date within the role's `max_request_days`; the request is decided step by step
//! by the approvers `[approvals] access_request` names in order (by default the requester's 所属長,
//! then the system's owner), each step by a different person and never by the requester; the last
//! approval makes a grant with that validity. A request nobody decides lapses; its requester may
//! withdraw it while it is open. A vendor's request names the contract it serves, and ends no later
//! than that contract. No request may give a person both roles of a `[[sod]]` pair.
//!
//! States: `asked` (with the number of steps approved so far) → `granted`; or `refused`, `lapsed`,
//! `withdrawn`. Only an `asked` request is decided, withdrawn or lapsed.

use crate::approval::{self, ApproverFacts, Concerning, Principal};
use crate::policy::{Approver, Policy, Role, SodRule};

pub const DAY_MS: i64 = 86_400_000;

/// The states of a request, as stored.
pub mod status {
    pub const ASKED: &str = "asked";
    pub const GRANTED: &str = "granted";
    pub const REFUSED: &str = "refused";
    pub const LAPSED: &str = "lapsed";
    pub const WITHDRAWN: &str = "withdrawn";
}

/// Why a request, a decision or a withdrawal is refused: English here, the Japanese words and the
/// stable code in [`crate::refusal`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("role `{0}` cannot be requested")]
    NotRequestable(String),
    #[error("a reason is required")]
    NoReason,
    #[error("the end date must be after the start")]
    EndBeforeStart,
    #[error("the start cannot be in the past")]
    StartInPast,
    #[error("the end date may be at most {0} days after the start")]
    TooLong(u32),
    #[error("separation of duties: `{role}` and `{other}` are not held by one person ({reason})")]
    Sod { role: String, other: String, reason: String },
    #[error("the role is already held or asked for")]
    AlreadyHeld,
    #[error("a vendor's request names the contract it serves")]
    NoContract,
    #[error("contract `{0}` is not the requester's")]
    NotTheirContract(String),
    #[error("the end date is after the contract ends ({0})")]
    BeyondContract(String),
    #[error("the requester has no department, so no 所属長 can decide")]
    NoDepartment,
    #[error("nobody decides their own request (R-AC-02)")]
    SelfDecision,
    #[error("one person decides one step of a request")]
    SameApprover,
    #[error("a vendor decides no request")]
    VendorApprover,
    #[error("you are not this step's approver ({0})")]
    NotEntitled(String),
    #[error("the request is no longer open ({0})")]
    NotOpen(String),
    #[error("only the requester withdraws a request")]
    NotRequester,
    #[error("too many open requests (at most {0})")]
    TooManyOpen(u32),
}

/// Who asks, and what they hold now.
#[derive(Debug, Clone, Default)]
pub struct Asker<'a> {
    pub employee_number: &'a str,
    pub departments: &'a [String],
    pub is_vendor: bool,
    /// The contract HR binds the vendor's worker to.
    pub contract: Option<&'a str>,
    /// The last day of that contract, as the instant it ends (UTC ms).
    pub contract_ends: Option<i64>,
    /// Roles the person holds now (every account of theirs) and has asked for, undecided.
    pub holds: &'a [String],
    pub open_requests: u32,
}

/// What is asked for.
#[derive(Debug, Clone)]
pub struct Ask<'a> {
    pub reason: &'a str,
    pub valid_from: i64,
    pub valid_until: i64,
    pub contract: Option<&'a str>,
}

/// A request that passes: when it lapses, and its steps in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub lapses_at: i64,
    pub steps: Vec<Approver>,
}

/// The `[[sod]]` rules `role` would break beside the roles in `holds`.
pub fn sod_conflicts<'p>(policy: &'p Policy, holds: &[String], role: &str) -> Vec<&'p SodRule> {
    policy.sod.iter().filter(|s| s.other(role).is_some_and(|o| holds.iter().any(|h| h == o))).collect()
}

/// Every `[[sod]]` rule broken by the roles in `holds` together (for the review finding).
pub fn broken_rules<'p>(policy: &'p Policy, holds: &[String]) -> Vec<&'p SodRule> {
    policy.sod.iter().filter(|s| s.roles.iter().all(|r| holds.iter().any(|h| h == r.get_ref()))).collect()
}

/// Checks a new request.
pub fn ask(policy: &Policy, role: &Role, who: &Asker, what: &Ask, now: i64) -> Result<Plan, Refusal> {
    let id = role.id.get_ref();
    if !role.requestable || role.privileged {
        return Err(Refusal::NotRequestable(id.clone()));
    }
    let limit = policy.access_requests.max_open_per_account;
    if who.open_requests >= limit {
        return Err(Refusal::TooManyOpen(limit));
    }
    if what.reason.trim().is_empty() {
        return Err(Refusal::NoReason);
    }
    // A start earlier today is allowed (a date means its whole day); before that is not.
    if what.valid_from < now - DAY_MS {
        return Err(Refusal::StartInPast);
    }
    if what.valid_until <= what.valid_from.max(now) {
        return Err(Refusal::EndBeforeStart);
    }
    let max = policy.max_request_days(role);
    // A date's end is the next midnight, so a start's day counts in full: one slack day.
    if what.valid_until - what.valid_from > (i64::from(max) + 1) * DAY_MS {
        return Err(Refusal::TooLong(max));
    }
    if who.holds.iter().any(|h| h == id) {
        return Err(Refusal::AlreadyHeld);
    }
    if let Some(rule) = sod_conflicts(policy, who.holds, id).first() {
        return Err(Refusal::Sod {
            role: id.clone(),
            other: rule.other(id).unwrap_or_default().to_string(),
            reason: rule.reason.clone(),
        });
    }
    if who.is_vendor {
        let named = what.contract.map(str::trim).filter(|c| !c.is_empty()).ok_or(Refusal::NoContract)?;
        if who.contract != Some(named) {
            return Err(Refusal::NotTheirContract(named.to_string()));
        }
        if let Some(end) = who.contract_ends.filter(|e| what.valid_until > *e) {
            return Err(Refusal::BeyondContract(crate::time_util::jst_display(end)));
        }
    }
    let steps: Vec<Approver> = policy.approvals.access_request.iter().map(|a| *a.get_ref()).collect();
    if steps.contains(&Approver::HeadOfSection) && who.departments.is_empty() {
        return Err(Refusal::NoDepartment);
    }
    Ok(Plan { lapses_at: now + i64::from(policy.access_requests.lapse_days) * DAY_MS, steps })
}

/// An open request, as a decision needs it.
#[derive(Debug, Clone)]
pub struct Open<'a> {
    pub status: &'a str,
    pub system: &'a str,
    pub requester: &'a str,
    pub requester_departments: &'a [String],
    pub steps: &'a [Approver],
    pub steps_done: usize,
    /// Who decided the earlier steps (employee numbers, or `account:<id>`).
    pub deciders: &'a [String],
    pub lapses_at: i64,
}

/// Checks that `who` may decide (approve or refuse) the next step of `req` now; the step, and
/// whether it is the last.
pub fn decide(policy: &Policy, req: &Open, who: &ApproverFacts, now: i64) -> Result<(Approver, bool), Refusal> {
    if req.status != status::ASKED {
        return Err(Refusal::NotOpen(req.status.to_string()));
    }
    if now >= req.lapses_at {
        return Err(Refusal::NotOpen(status::LAPSED.into()));
    }
    if who.employee_number == req.requester {
        return Err(Refusal::SelfDecision);
    }
    if who.is_vendor {
        return Err(Refusal::VendorApprover);
    }
    if req.deciders.contains(&who.employee_number) {
        return Err(Refusal::SameApprover);
    }
    let step = *req.steps.get(req.steps_done).ok_or_else(|| Refusal::NotOpen(status::GRANTED.into()))?;
    // Acting for the owner does not reach the owner's own request (R-AC-02 by proxy).
    let owner_asks = policy.system(req.system).is_some_and(|s| s.owner.employee_number == req.requester);
    let stripped = ApproverFacts {
        acting_for: who
            .acting_for
            .iter()
            .filter(|p| !(owner_asks && **p == Principal::SystemOwner(req.system.to_string())))
            .cloned()
            .collect(),
        ..who.clone()
    };
    let about = Concerning { departments: req.requester_departments, system: Some(req.system) };
    if !approval::entitled(policy, step, &stripped, about) {
        return Err(Refusal::NotEntitled(step.as_str().into()));
    }
    Ok((step, req.steps_done + 1 == req.steps.len()))
}

/// Checks a withdrawal: only the requester, only while open.
pub fn withdraw(req_status: &str, requester: &str, by: &str) -> Result<(), Refusal> {
    if requester != by {
        return Err(Refusal::NotRequester);
    }
    if req_status != status::ASKED {
        return Err(Refusal::NotOpen(req_status.to_string()));
    }
    Ok(())
}

/// Parses stored steps (`head_of_section,system_owner`).
pub fn parse_steps(s: &str) -> Vec<Approver> {
    s.split(',').filter_map(|a| Approver::parse(a.trim())).collect()
}

pub fn steps_text(steps: &[Approver]) -> String {
    steps.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests;
