//! Telework and remote access as a per-person permission (R-ZN-11): each grant names who approved it,
//! why, and until when. Who may approve is the policy's (`[approvals] remote_access`, the head of
//! section by default); nobody approves their own (R-AC-02); a grant never outlives
//! `signin.remote_access_max_days`. Without a grant in force a remote network reaches nothing,
//! whatever the zone and classification would allow.

pub use crate::approval::ApproverFacts;
use crate::approval::{self, Concerning};
use crate::policy::Policy;

/// A grant asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request<'a> {
    pub person_employee_number: Option<&'a str>,
    pub person_departments: &'a [String],
    pub approver: &'a ApproverFacts,
    pub valid_until: i64,
    pub reason: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("nobody approves their own remote access (R-AC-02)")]
    SelfApproval,
    #[error("the approver is not one of those the policy names for remote access: {0}")]
    NotEntitled(String),
    #[error("a reason is required")]
    NoReason,
    #[error("the end date must be after now and at most {0} days ahead")]
    BadPeriod(u32),
}

pub fn check(policy: &Policy, req: &Request, now: i64) -> Result<(), Refusal> {
    if req.reason.trim().is_empty() {
        return Err(Refusal::NoReason);
    }
    let max = policy.signin.remote_access_max_days;
    if req.valid_until <= now || req.valid_until > now + i64::from(max) * 86_400_000 {
        return Err(Refusal::BadPeriod(max));
    }
    if req.person_employee_number == Some(req.approver.employee_number.as_str()) {
        return Err(Refusal::SelfApproval);
    }
    approval::check(
        policy,
        &policy.approvals.remote_access,
        req.approver,
        Concerning { departments: req.person_departments, system: None },
    )
    .map_err(Refusal::NotEntitled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::example_policy;

    const DAY: i64 = 86_400_000;

    fn head(dept: &str) -> ApproverFacts {
        ApproverFacts { employee_number: "200001".into(), headed: vec![dept.into()], ..Default::default() }
    }

    #[test]
    fn r_zn_11_the_head_of_the_persons_section_approves_for_a_limited_time() {
        let p = example_policy();
        let depts = vec!["shimin".to_string()];
        let approver = head("shimin");
        let req = |approver, until, reason| Request {
            person_employee_number: Some("100001"),
            person_departments: &depts,
            approver,
            valid_until: until,
            reason,
        };
        assert_eq!(check(&p, &req(&approver, 30 * DAY, "在宅勤務（育児）"), 0), Ok(()));
        let other_head = head("zeimu");
        assert!(
            matches!(check(&p, &req(&other_head, 30 * DAY, "x"), 0), Err(Refusal::NotEntitled(_))),
            "another section's head"
        );
        let not_head = ApproverFacts { headed: vec![], ..head("shimin") };
        assert!(matches!(check(&p, &req(&not_head, 30 * DAY, "x"), 0), Err(Refusal::NotEntitled(_))));
        assert_eq!(check(&p, &req(&approver, 30 * DAY, " "), 0), Err(Refusal::NoReason));
        let max = i64::from(p.signin.remote_access_max_days);
        assert!(matches!(check(&p, &req(&approver, (max + 1) * DAY, "x"), 0), Err(Refusal::BadPeriod(_))));
        assert!(matches!(check(&p, &req(&approver, 0, "x"), 0), Err(Refusal::BadPeriod(_))));
        let own = ApproverFacts { employee_number: "100001".into(), ..head("shimin") };
        assert_eq!(check(&p, &req(&own, 30 * DAY, "x"), 0), Err(Refusal::SelfApproval), "R-AC-02");
    }
}
