//! Development IDs (R-LC-06): each names its responsible staff member and its worker, carries an end
//! date no further off than `privileged.max_development_days`, and is disabled when the date passes.

use crate::policy::Policy;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("a development ID names its responsible staff member, its worker and a reason")]
    Incomplete,
    #[error("the end date must be after today and at most {0} days ahead")]
    BadEnd(u32),
    #[error("`{0}` is a default or generic name (R-PR-06)")]
    DefaultName(String),
}

/// What a development ID is created with.
#[derive(Debug, Clone)]
pub struct Spec<'a> {
    pub login_id: &'a str,
    pub responsible: &'a str,
    pub worker: &'a str,
    pub reason: &'a str,
    pub until: i64,
}

pub fn check(policy: &Policy, s: &Spec, now: i64) -> Result<(), Refusal> {
    if [s.responsible, s.worker, s.reason].iter().any(|v| v.trim().is_empty()) {
        return Err(Refusal::Incomplete);
    }
    if policy.privileged.is_forbidden_name(s.login_id) {
        return Err(Refusal::DefaultName(s.login_id.into()));
    }
    let max = policy.privileged.max_development_days;
    if s.until <= now || s.until > now + i64::from(max) * 86_400_000 {
        return Err(Refusal::BadEnd(max));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::example_policy;

    const DAY: i64 = 86_400_000;

    fn spec(until: i64) -> Spec<'static> {
        Spec {
            login_id: "dev-juki-01",
            responsible: "900011",
            worker: "東雲システム 開発太郎",
            reason: "住基 改修",
            until,
        }
    }

    #[test]
    fn r_lc_06_development_ids_are_named_and_bounded() {
        let p = example_policy();
        let max = i64::from(p.privileged.max_development_days);
        assert_eq!(check(&p, &spec(30 * DAY), 0), Ok(()));
        assert_eq!(check(&p, &spec((max + 1) * DAY), 0), Err(Refusal::BadEnd(max as u32)));
        assert_eq!(check(&p, &spec(0), 0), Err(Refusal::BadEnd(max as u32)));
        assert_eq!(check(&p, &Spec { worker: " ", ..spec(DAY) }, 0), Err(Refusal::Incomplete));
        assert_eq!(check(&p, &Spec { login_id: "admin", ..spec(DAY) }, 0), Err(Refusal::DefaultName("admin".into())));
    }
}
