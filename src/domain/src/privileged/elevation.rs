//! Elevation (R-PR-02, R-PR-07, R-PR-08): an eligible holder asks to activate a privileged role for a
//! number of minutes, with a reason and a ticket, in a session that proved two factor kinds within
//! `privileged.elevation_reauth_minutes`. The role's activation rule decides what follows: someone the
//! policy names approves (`approval`), or it starts at once and is reviewed afterwards
//! (`self_review`). Break-glass starts at once whatever the rule, for at most
//! `break_glass_max_minutes`, and is always reported. A vendor's elevation is remote maintenance: it
//! always waits for the system's owner (R-PR-08).

use super::ApproverFacts;
use crate::approval::{self, Concerning};
use crate::authn::ProvedFactor;
use crate::policy::{Activation, Approver, Policy, Role};

/// The person asking.
#[derive(Debug, Clone)]
pub struct Asker<'a> {
    pub employee_number: Option<&'a str>,
    pub account_is_privileged: bool,
    pub is_vendor: bool,
    /// The account is eligible for the role now.
    pub eligible: bool,
    /// Factors the session proved, with when.
    pub factors: &'a [ProvedFactor],
}

/// What is asked for.
#[derive(Debug, Clone)]
pub struct Ask<'a> {
    pub minutes: u32,
    pub reason: &'a str,
    pub ticket: &'a str,
    pub break_glass: bool,
}

/// What happens to a request that passes the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Waits for an approver until `lapses_at`.
    Pending { lapses_at: i64 },
    /// In force from now until `until`; `review` when it must be reviewed afterwards.
    Active { until: i64, review: bool },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("role `{0}` is not activated by elevation")]
    NotElevatable(String),
    #[error("elevation is for privileged accounts; sign in with your privileged account")]
    NotPrivilegedAccount,
    #[error("the account is not eligible for this role")]
    NotEligible,
    #[error("a reason is required")]
    NoReason,
    #[error("a ticket number is required")]
    NoTicket,
    #[error("the duration must be between 1 and {0} minutes (R-PR-07)")]
    Duration(u32),
    #[error("two factor kinds must have been proved within {0} minutes: sign in again")]
    NotFresh(u32),
    #[error("break-glass activation is off in this policy")]
    BreakGlassOff,
    #[error("a vendor's maintenance is approved by the system's owner; no break-glass (R-PR-08)")]
    VendorBreakGlass,
    #[error("nobody approves their own elevation (R-AC-02)")]
    SelfApproval,
    #[error("a vendor approves no elevation (R-PR-04)")]
    VendorApprover,
    #[error("the approver is not one of those the policy names: {0}")]
    NotEntitled(String),
    #[error("the request is no longer pending (it lapsed or was decided)")]
    NotPending,
}

/// Distinct factor kinds proved at or after `since`.
fn fresh_kinds(factors: &[ProvedFactor], since: i64) -> usize {
    let fresh: Vec<ProvedFactor> = factors.iter().filter(|f| f.at >= since).cloned().collect();
    crate::authn::kinds_of(&fresh).len()
}

/// Checks a request and says what follows from it.
pub fn ask(policy: &Policy, role: &Role, who: &Asker, what: &Ask, now: i64) -> Result<Outcome, Refusal> {
    let rules = &policy.privileged;
    let activation = *role.activation.get_ref();
    if !role.privileged || activation == Activation::Appointment {
        return Err(Refusal::NotElevatable(role.id.get_ref().clone()));
    }
    if !who.account_is_privileged {
        return Err(Refusal::NotPrivilegedAccount);
    }
    if !who.eligible {
        return Err(Refusal::NotEligible);
    }
    if what.reason.trim().is_empty() {
        return Err(Refusal::NoReason);
    }
    if rules.require_ticket && what.ticket.trim().is_empty() {
        return Err(Refusal::NoTicket);
    }
    let max = if what.break_glass { rules.break_glass_max_minutes } else { rules.max_elevation_minutes };
    if what.minutes == 0 || what.minutes > max {
        return Err(Refusal::Duration(max));
    }
    let window = rules.elevation_reauth_minutes;
    if fresh_kinds(who.factors, now - i64::from(window) * 60_000) < 2 {
        return Err(Refusal::NotFresh(window));
    }
    let until = now + i64::from(what.minutes) * 60_000;
    if what.break_glass {
        if who.is_vendor {
            return Err(Refusal::VendorBreakGlass);
        }
        if !rules.break_glass {
            return Err(Refusal::BreakGlassOff);
        }
        return Ok(Outcome::Active { until, review: true });
    }
    if activation == Activation::SelfReview && !who.is_vendor {
        return Ok(Outcome::Active { until, review: true });
    }
    Ok(Outcome::Pending { lapses_at: now + i64::from(rules.request_lapse_minutes) * 60_000 })
}

/// A pending request, as an approval needs it.
#[derive(Debug, Clone)]
pub struct Pending<'a> {
    pub system: &'a str,
    pub requester_employee_number: Option<&'a str>,
    pub requester_is_vendor: bool,
    pub minutes: u32,
    pub lapses_at: i64,
}

/// Checks an approval; the elevation runs from now for the minutes asked for.
pub fn approve(policy: &Policy, req: &Pending, approver: &ApproverFacts, now: i64) -> Result<i64, Refusal> {
    if now >= req.lapses_at {
        return Err(Refusal::NotPending);
    }
    check_approver(policy, req, approver)?;
    Ok(now + i64::from(req.minutes) * 60_000)
}

/// Checks the after-the-fact review of a self-review or break-glass elevation: by someone who could
/// have approved it.
pub fn review(policy: &Policy, req: &Pending, reviewer: &ApproverFacts) -> Result<(), Refusal> {
    check_approver(policy, req, reviewer)
}

fn check_approver(policy: &Policy, req: &Pending, approver: &ApproverFacts) -> Result<(), Refusal> {
    if approver.is_vendor {
        return Err(Refusal::VendorApprover);
    }
    if req.requester_employee_number == Some(approver.employee_number.as_str()) {
        return Err(Refusal::SelfApproval);
    }
    let about = Concerning { departments: &[], system: Some(req.system) };
    // Acting for the owner does not extend to the owner's own request (R-AC-02 by proxy).
    let owner_asks = policy
        .system(req.system)
        .is_some_and(|s| req.requester_employee_number == Some(s.owner.employee_number.as_str()));
    let stripped;
    let approver = if owner_asks {
        stripped = ApproverFacts {
            acting_for: approver
                .acting_for
                .iter()
                .filter(|p| **p != crate::approval::Principal::SystemOwner(req.system.to_string()))
                .cloned()
                .collect(),
            ..approver.clone()
        };
        &stripped
    } else {
        approver
    };
    if req.requester_is_vendor {
        // Remote maintenance by a vendor: the system's owner (or their delegate) decides (R-PR-08).
        if !approval::entitled(policy, Approver::SystemOwner, approver, about) {
            return Err(Refusal::NotEntitled("SystemOwner".into()));
        }
    } else {
        approval::check(policy, &policy.approvals.elevation, approver, about).map_err(Refusal::NotEntitled)?;
    }
    Ok(())
}

/// Whether `approver` could decide some system's elevations: the console shows such a person the
/// requests waiting for them (each one is still checked by [`approve`]).
pub fn approves_any(policy: &Policy, approver: &ApproverFacts) -> bool {
    !approver.is_vendor
        && policy.systems.iter().any(|s| {
            let about = Concerning { departments: &[], system: Some(s.id.get_ref()) };
            approver.owns(policy, s.id.get_ref())
                || approval::check(policy, &policy.approvals.elevation, approver, about).is_ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authn::{FactorKind, Method};
    use crate::policy::OfficerFunction;
    use crate::privileged::tests_support::person;
    use crate::test_support::example_policy;

    const MIN: i64 = 60_000;
    const NOW: i64 = 1_000 * MIN;

    fn factors(at: i64) -> Vec<ProvedFactor> {
        vec![
            ProvedFactor { method: Method::Password, credential: None, kinds: vec![FactorKind::Knowledge], at },
            ProvedFactor {
                method: Method::Totp,
                credential: Some("t".into()),
                kinds: vec![FactorKind::Possession],
                at,
            },
        ]
    }

    fn asker<'a>(f: &'a [ProvedFactor]) -> Asker<'a> {
        Asker {
            employee_number: Some("300001"),
            account_is_privileged: true,
            is_vendor: false,
            eligible: true,
            factors: f,
        }
    }

    fn plain(minutes: u32) -> Ask<'static> {
        Ask { minutes, reason: "住基 月次バッチ障害対応", ticket: "INC-2026-0412", break_glass: false }
    }

    #[test]
    fn r_pr_02_an_approval_role_waits_and_a_self_review_role_starts_at_once() {
        let p = example_policy();
        let f = factors(NOW);
        let lapse = NOW + i64::from(p.privileged.request_lapse_minutes) * MIN;
        assert_eq!(
            ask(&p, p.role("juki.admin").unwrap(), &asker(&f), &plain(30), NOW),
            Ok(Outcome::Pending { lapses_at: lapse })
        );
        assert_eq!(
            ask(&p, p.role("zeimu.admin").unwrap(), &asker(&f), &plain(30), NOW),
            Ok(Outcome::Active { until: NOW + 30 * MIN, review: true })
        );
    }

    #[test]
    fn r_pr_07_the_duration_is_capped_by_policy() {
        let p = example_policy();
        let f = factors(NOW);
        let max = p.privileged.max_elevation_minutes;
        let role = p.role("juki.admin").unwrap();
        assert_eq!(ask(&p, role, &asker(&f), &plain(max + 1), NOW), Err(Refusal::Duration(max)));
        assert_eq!(ask(&p, role, &asker(&f), &plain(0), NOW), Err(Refusal::Duration(max)));
        assert!(ask(&p, role, &asker(&f), &plain(max), NOW).is_ok());
    }

    #[test]
    fn r_pr_02_elevation_needs_a_fresh_multi_factor_sign_in() {
        let p = example_policy();
        let role = p.role("juki.admin").unwrap();
        let window = i64::from(p.privileged.elevation_reauth_minutes);
        let stale = factors(NOW - (window + 1) * MIN);
        assert_eq!(ask(&p, role, &asker(&stale), &plain(30), NOW), Err(Refusal::NotFresh(window as u32)));
        let password_only = vec![factors(NOW).remove(0)];
        assert!(matches!(ask(&p, role, &asker(&password_only), &plain(30), NOW), Err(Refusal::NotFresh(_))));
        assert!(ask(&p, role, &asker(&factors(NOW - window * MIN)), &plain(30), NOW).is_ok(), "at the window's edge");
    }

    #[test]
    fn r_pr_02_requests_name_reason_and_ticket_from_an_eligible_privileged_account() {
        let p = example_policy();
        let (role, f) = (p.role("juki.admin").unwrap(), factors(NOW));
        assert_eq!(ask(&p, role, &Asker { eligible: false, ..asker(&f) }, &plain(30), NOW), Err(Refusal::NotEligible));
        assert_eq!(
            ask(&p, role, &Asker { account_is_privileged: false, ..asker(&f) }, &plain(30), NOW),
            Err(Refusal::NotPrivilegedAccount)
        );
        assert_eq!(ask(&p, role, &asker(&f), &Ask { reason: " ", ..plain(30) }, NOW), Err(Refusal::NoReason));
        assert_eq!(ask(&p, role, &asker(&f), &Ask { ticket: "", ..plain(30) }, NOW), Err(Refusal::NoTicket));
        assert!(matches!(
            ask(&p, p.role("tobira.ciso").unwrap(), &asker(&f), &plain(30), NOW),
            Err(Refusal::NotElevatable(_))
        ));
        assert!(matches!(
            ask(&p, p.role("juki.clerk").unwrap(), &asker(&f), &plain(30), NOW),
            Err(Refusal::NotElevatable(_))
        ));
    }

    #[test]
    fn r_pr_02_break_glass_starts_at_once_for_a_shorter_time_and_is_reviewed() {
        let mut p = example_policy();
        let f = factors(NOW);
        let bg = |m| Ask { break_glass: true, ..plain(m) };
        let max = p.privileged.break_glass_max_minutes;
        let role = p.role("juki.admin").unwrap().clone();
        assert_eq!(
            ask(&p, &role, &asker(&f), &bg(max), NOW),
            Ok(Outcome::Active { until: NOW + i64::from(max) * MIN, review: true })
        );
        assert_eq!(ask(&p, &role, &asker(&f), &bg(max + 1), NOW), Err(Refusal::Duration(max)));
        assert_eq!(
            ask(&p, &role, &Asker { is_vendor: true, ..asker(&f) }, &bg(10), NOW),
            Err(Refusal::VendorBreakGlass)
        );
        p.privileged.break_glass = false;
        assert_eq!(ask(&p, &role, &asker(&f), &bg(10), NOW), Err(Refusal::BreakGlassOff));
    }

    #[test]
    fn r_pr_08_a_vendors_elevation_always_waits_for_the_owner() {
        let p = example_policy();
        let f = factors(NOW);
        let vendor = Asker { is_vendor: true, employee_number: Some("800001"), ..asker(&f) };
        assert!(
            matches!(ask(&p, p.role("zeimu.admin").unwrap(), &vendor, &plain(30), NOW), Ok(Outcome::Pending { .. })),
            "not self-activated"
        );
        let req = Pending {
            system: "zeimu",
            requester_employee_number: Some("800001"),
            requester_is_vendor: true,
            minutes: 30,
            lapses_at: NOW + MIN,
        };
        let cso = ApproverFacts { functions: vec![OfficerFunction::ChiefSecurityOfficer], ..person("500001") };
        assert!(
            matches!(approve(&p, &req, &cso, NOW), Err(Refusal::NotEntitled(_))),
            "the owner decides, not the officer"
        );
        assert_eq!(approve(&p, &req, &person("900021"), NOW), Ok(NOW + 30 * MIN));
    }

    #[test]
    fn r_ac_02_nobody_approves_their_own_elevation_and_approvers_are_named_by_policy() {
        let p = example_policy();
        let req = Pending {
            system: "juki",
            requester_employee_number: Some("900011"),
            requester_is_vendor: false,
            minutes: 45,
            lapses_at: NOW + MIN,
        };
        assert_eq!(
            approve(&p, &req, &person("900011"), NOW),
            Err(Refusal::SelfApproval),
            "the owner asking for themselves"
        );
        let cso = ApproverFacts { functions: vec![OfficerFunction::ChiefSecurityOfficer], ..person("500001") };
        assert_eq!(approve(&p, &req, &cso, NOW), Ok(NOW + 45 * MIN));
        assert!(matches!(approve(&p, &req, &person("123456"), NOW), Err(Refusal::NotEntitled(_))));
        let vendor = ApproverFacts { is_vendor: true, ..person("900021") };
        assert_eq!(approve(&p, &req, &vendor, NOW), Err(Refusal::VendorApprover));
        assert_eq!(approve(&p, &req, &cso, NOW + MIN), Err(Refusal::NotPending), "lapsed");
        assert_eq!(review(&p, &req, &cso), Ok(()), "a review comes after the fact");
        assert_eq!(review(&p, &req, &person("900011")), Err(Refusal::SelfApproval));
        let owners_delegate = ApproverFacts {
            acting_for: vec![crate::approval::Principal::SystemOwner("juki".into())],
            ..person("300010")
        };
        assert!(
            matches!(approve(&p, &req, &owners_delegate, NOW), Err(Refusal::NotEntitled(_))),
            "the owner's delegate does not approve the owner's own request"
        );
    }

    #[test]
    fn r_pr_02_the_console_shows_the_queue_to_owners_and_named_officers_only() {
        let p = example_policy();
        assert!(approves_any(&p, &person("900011")), "juki's owner");
        assert!(approves_any(
            &p,
            &ApproverFacts { functions: vec![OfficerFunction::ChiefSecurityOfficer], ..person("500001") }
        ));
        assert!(
            approves_any(
                &p,
                &ApproverFacts {
                    acting_for: vec![crate::approval::Principal::SystemOwner("juki".into())],
                    ..person("300010")
                }
            ),
            "the owner's delegate"
        );
        assert!(!approves_any(&p, &person("123456")), "staff");
        assert!(!approves_any(&p, &ApproverFacts { is_vendor: true, ..person("900011") }), "never a vendor");
    }
}
