//! The exceptions register (例外措置, R-AC-04): a departure from a rule names the rule (an R-ID
//! or a policy key), who or what it covers, why, and its last day. The approvers of
//! `approvals.exception` (the CISO) approve it; in an emergency it is recorded, in force at once,
//! and reported to them afterwards, to be confirmed or ended. It expires by itself and is reviewed
//! every `review.exception_review_months` while it runs.
//!
//! Invariants: nobody approves their own request (R-AC-02); no exception runs past
//! `review.exception_max_days`; a refused or ended exception is never in force again; an emergency
//! is declared only by `approvals.exception_emergency` (the CISO or their deputy), and never for the
//! rules of [`NEVER_EMERGENCY`].

use super::DAY_MS;
use crate::policy::settings::ReviewRules;
use serde::Serialize;

/// What a request for an exception says.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub rule: &'a str,
    /// `person:<employee number>`, `account:<login>` or `system:<id>`.
    pub subjects: &'a [String],
    pub reason: &'a str,
    pub valid_until: i64,
    /// In force at once, confirmed by the approvers afterwards.
    pub emergency: bool,
}

/// Rules no emergency sets aside: R-LC-17 (a staff address outside the city's domains) needs the
/// CISO's permission before it is used (Sendai (7)1(7)), so it always waits for approval.
pub const NEVER_EMERGENCY: &[&str] = &["R-LC-17"];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error("the rule must be a requirement ID (R-XX-NN) or a policy key (file.toml [section] key)")]
    Rule,
    #[error("requirement {0} is not in tobira's catalogue")]
    UnknownRequirement(String),
    #[error("name at least one subject: person:<職員番号>, account:<login> or system:<id>")]
    NoSubject,
    #[error("subject `{0}` is not person:…, account:… or system:…")]
    Subject(String),
    #[error("name at most {0} subjects; a wider exception is a policy change")]
    TooManySubjects(usize),
    #[error("a reason is required")]
    NoReason,
    #[error("the reason is longer than {0} characters")]
    ReasonTooLong(usize),
    #[error("the end date must be after today and at most {0} days away (review.exception_max_days)")]
    Period(u32),
    #[error("an exception to {0} is never an emergency: it needs the CISO's permission first")]
    NeverEmergency(String),
}

/// The longest reason a request keeps, and the most subjects it names.
pub const MAX_REASON: usize = 2000;
pub const MAX_SUBJECTS: usize = 500;

/// Whether `rule` looks like a requirement ID.
pub fn is_requirement_id(rule: &str) -> bool {
    let b = rule.as_bytes();
    b.len() == 7
        && b.starts_with(b"R-")
        && b[2].is_ascii_uppercase()
        && b[3].is_ascii_uppercase()
        && b[4] == b'-'
        && b[5].is_ascii_digit()
        && b[6].is_ascii_digit()
}

/// Checks a request; `known` says whether a requirement ID is in the catalogue.
pub fn check(rules: &ReviewRules, r: &Request, known: impl Fn(&str) -> bool, now: i64) -> Result<(), Invalid> {
    let rule = r.rule.trim();
    if is_requirement_id(rule) {
        if !known(rule) {
            return Err(Invalid::UnknownRequirement(rule.into()));
        }
    } else if !(rule.contains(".toml") && rule.len() <= 200) {
        return Err(Invalid::Rule);
    }
    if r.subjects.is_empty() {
        return Err(Invalid::NoSubject);
    }
    for s in r.subjects {
        let ok = s
            .split_once(':')
            .is_some_and(|(k, v)| ["person", "account", "system"].contains(&k) && !v.trim().is_empty());
        if !ok {
            return Err(Invalid::Subject(s.clone()));
        }
    }
    if r.reason.trim().is_empty() {
        return Err(Invalid::NoReason);
    }
    if r.reason.chars().count() > MAX_REASON {
        return Err(Invalid::ReasonTooLong(MAX_REASON));
    }
    if r.subjects.len() > MAX_SUBJECTS {
        return Err(Invalid::TooManySubjects(MAX_SUBJECTS));
    }
    if r.valid_until <= now || r.valid_until - now > i64::from(rules.exception_max_days) * DAY_MS {
        return Err(Invalid::Period(rules.exception_max_days));
    }
    if r.emergency && NEVER_EMERGENCY.contains(&rule) {
        return Err(Invalid::NeverEmergency(rule.into()));
    }
    Ok(())
}

/// Where an exception stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Asked, not yet decided: not in force.
    Requested,
    /// Approved and running.
    InForce,
    /// Recorded in an emergency: in force, awaiting the approvers' confirmation.
    Emergency,
    Expired,
    Refused,
    Ended,
}

impl Standing {
    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Requested => "requested",
            Standing::InForce => "in_force",
            Standing::Emergency => "emergency",
            Standing::Expired => "expired",
            Standing::Refused => "refused",
            Standing::Ended => "ended",
        }
    }

    pub fn in_force(self) -> bool {
        matches!(self, Standing::InForce | Standing::Emergency)
    }
}

/// The stored state of an exception.
#[derive(Debug, Clone, Copy)]
pub struct State<'a> {
    /// `requested`, `approved`, `emergency`, `refused` or `ended`.
    pub status: &'a str,
    pub valid_until: i64,
}

pub fn standing(s: State<'_>, now: i64) -> Standing {
    match s.status {
        "refused" => Standing::Refused,
        "ended" => Standing::Ended,
        "requested" => Standing::Requested,
        _ if now >= s.valid_until => Standing::Expired,
        "emergency" => Standing::Emergency,
        _ => Standing::InForce,
    }
}

/// When an exception in force is next reviewed: `exception_review_months` (of 30 days) after its
/// approval or last review.
pub fn review_due(rules: &ReviewRules, since: i64) -> i64 {
    since + i64::from(rules.exception_review_months) * 30 * DAY_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    fn req<'a>(rule: &'a str, subjects: &'a [String], until: i64) -> Request<'a> {
        Request {
            rule, subjects, reason: "窓口端末の更新が年度末まで", valid_until: until, emergency: false
        }
    }

    #[test]
    fn r_ac_04_r_lc_17_exceptions_are_never_emergency() {
        let rules = ReviewRules::default();
        let subj = vec!["person:500020".to_string()];
        let known = |id: &str| id == "R-LC-17" || id == "R-AU-07";
        let em = |rule| Request { emergency: true, ..req(rule, &subj, NOW + DAY_MS) };
        assert_eq!(check(&rules, &em("R-LC-17"), known, NOW), Err(Invalid::NeverEmergency("R-LC-17".into())));
        assert_eq!(
            check(&rules, &em(" R-LC-17 "), known, NOW),
            Err(Invalid::NeverEmergency("R-LC-17".into())),
            "spaces do not hide the rule"
        );
        assert_eq!(
            check(&rules, &req("R-LC-17", &subj, NOW + DAY_MS), known, NOW),
            Ok(()),
            "asked for approval, it may be requested"
        );
        assert_eq!(check(&rules, &em("R-AU-07"), known, NOW), Ok(()));
    }

    #[test]
    fn r_ac_04_a_request_names_rule_subjects_reason_and_end() {
        let rules = ReviewRules::default();
        let subj = vec!["system:juki".to_string()];
        let known = |id: &str| id == "R-AU-02";
        assert_eq!(check(&rules, &req("R-AU-02", &subj, NOW + DAY_MS), known, NOW), Ok(()));
        assert_eq!(
            check(&rules, &req("authentication.toml [password] min_length", &subj, NOW + DAY_MS), known, NOW),
            Ok(())
        );
        assert_eq!(
            check(&rules, &req("R-ZZ-99", &subj, NOW + DAY_MS), known, NOW),
            Err(Invalid::UnknownRequirement("R-ZZ-99".into()))
        );
        assert_eq!(check(&rules, &req("anything", &subj, NOW + DAY_MS), known, NOW), Err(Invalid::Rule));
        assert_eq!(check(&rules, &req("R-AU-02", &[], NOW + DAY_MS), known, NOW), Err(Invalid::NoSubject));
        assert_eq!(
            check(&rules, &req("R-AU-02", &["juki".to_string()], NOW + DAY_MS), known, NOW),
            Err(Invalid::Subject("juki".into()))
        );
        assert_eq!(
            check(&rules, &Request { reason: " ", ..req("R-AU-02", &subj, NOW + DAY_MS) }, known, NOW),
            Err(Invalid::NoReason)
        );
        let long = "理".repeat(MAX_REASON + 1);
        assert_eq!(
            check(&rules, &Request { reason: &long, ..req("R-AU-02", &subj, NOW + DAY_MS) }, known, NOW),
            Err(Invalid::ReasonTooLong(MAX_REASON))
        );
        assert_eq!(check(&rules, &req("R-AU-02", &subj, NOW), known, NOW), Err(Invalid::Period(365)));
        assert_eq!(check(&rules, &req("R-AU-02", &subj, NOW + 366 * DAY_MS), known, NOW), Err(Invalid::Period(365)));
    }

    #[test]
    fn r_ac_04_an_exception_expires_by_itself() {
        let until = NOW + 10 * DAY_MS;
        assert_eq!(standing(State { status: "approved", valid_until: until }, NOW), Standing::InForce);
        assert_eq!(standing(State { status: "approved", valid_until: until }, until), Standing::Expired);
        assert_eq!(standing(State { status: "emergency", valid_until: until }, NOW), Standing::Emergency);
        assert!(
            standing(State { status: "emergency", valid_until: until }, NOW).in_force(),
            "an emergency exception runs at once"
        );
        assert!(!standing(State { status: "requested", valid_until: until }, NOW).in_force());
        assert_eq!(standing(State { status: "refused", valid_until: until }, NOW), Standing::Refused);
        assert_eq!(standing(State { status: "ended", valid_until: until }, NOW), Standing::Ended);
    }

    #[test]
    fn r_ac_04_exceptions_are_reviewed_on_the_policy_schedule() {
        let rules = ReviewRules { exception_review_months: 3, ..ReviewRules::default() };
        assert_eq!(review_due(&rules, NOW), NOW + 90 * DAY_MS);
    }
}
