//! The request rules on the example policy, with a fixed clock.

use super::*;
use crate::policy::{load, SourceFile};
use crate::test_support::{example_files, example_policy};

const NOW: i64 = 1_780_000_000_000;

fn shimin() -> Vec<String> {
    vec!["shimin".to_string()]
}

fn asker<'a>(departments: &'a [String], holds: &'a [String]) -> Asker<'a> {
    Asker { employee_number: "300001", departments, holds, ..Default::default() }
}

fn days(reason: &str, n: i64) -> Ask<'_> {
    Ask { reason, valid_from: NOW, valid_until: NOW + n * DAY_MS, contract: None }
}

fn head(number: &str, dept: &str) -> ApproverFacts {
    ApproverFacts { employee_number: number.into(), headed: vec![dept.into()], ..Default::default() }
}

#[test]
fn r_lc_02_a_request_goes_to_the_head_of_section_then_the_system_owner() {
    let p = example_policy();
    let role = p.role("juki.clerk").unwrap();
    let (d, h) = (shimin(), vec![]);
    let plan = ask(&p, role, &asker(&d, &h), &days("窓口応援", 30), NOW).unwrap();
    assert_eq!(plan.steps, vec![Approver::HeadOfSection, Approver::SystemOwner]);
    assert_eq!(plan.lapses_at, NOW + 14 * DAY_MS, "[access_requests] lapse_days");
    let steps = plan.steps.clone();
    let mut open = Open {
        status: status::ASKED,
        system: "juki",
        requester: "300001",
        requester_departments: &d,
        steps: &steps,
        steps_done: 0,
        deciders: &[],
        lapses_at: plan.lapses_at,
    };
    // The owner cannot take the 所属長's step, nor a head of another section.
    assert_eq!(
        decide(&p, &open, &ApproverFacts { employee_number: "900011".into(), ..Default::default() }, NOW),
        Err(Refusal::NotEntitled("head_of_section".into()))
    );
    assert!(matches!(decide(&p, &open, &head("200001", "zeimu"), NOW), Err(Refusal::NotEntitled(_))));
    assert_eq!(decide(&p, &open, &head("300050", "shimin"), NOW), Ok((Approver::HeadOfSection, false)));
    let deciders = vec!["300050".to_string()];
    open.steps_done = 1;
    open.deciders = &deciders;
    assert_eq!(decide(&p, &open, &head("300050", "shimin"), NOW), Err(Refusal::SameApprover));
    assert_eq!(
        decide(&p, &open, &ApproverFacts { employee_number: "900011".into(), ..Default::default() }, NOW),
        Ok((Approver::SystemOwner, true))
    );
}

#[test]
fn r_ac_02_nobody_decides_their_own_request_not_even_as_the_owners_delegate() {
    let p = example_policy();
    let d = shimin();
    let steps = [Approver::HeadOfSection, Approver::SystemOwner];
    // The requester heads their own section: they still cannot decide its step.
    let open = Open {
        status: status::ASKED,
        system: "juki",
        requester: "300050",
        requester_departments: &d,
        steps: &steps,
        steps_done: 0,
        deciders: &[],
        lapses_at: NOW + DAY_MS,
    };
    assert_eq!(decide(&p, &open, &head("300050", "shimin"), NOW), Err(Refusal::SelfDecision));
    // The owner asks; a delegate acting for the owner does not decide the owner's own request.
    let deciders = vec!["300050".to_string()];
    let by_owner = Open { requester: "900011", steps_done: 1, deciders: &deciders, ..open.clone() };
    let delegate = ApproverFacts {
        employee_number: "300002".into(),
        acting_for: vec![Principal::SystemOwner("juki".into())],
        ..Default::default()
    };
    assert_eq!(decide(&p, &by_owner, &delegate, NOW), Err(Refusal::NotEntitled("system_owner".into())));
    assert_eq!(
        decide(&p, &Open { requester: "300001", ..by_owner.clone() }, &delegate, NOW),
        Ok((Approver::SystemOwner, true)),
        "for another's request the delegate decides"
    );
    let vendor = ApproverFacts { employee_number: "900011".into(), is_vendor: true, ..Default::default() };
    assert_eq!(decide(&p, &Open { requester: "300001", ..by_owner }, &vendor, NOW), Err(Refusal::VendorApprover));
}

#[test]
fn r_ac_02_a_decision_on_a_lapsed_withdrawn_or_decided_request_is_refused() {
    let p = example_policy();
    let d = shimin();
    let steps = [Approver::HeadOfSection, Approver::SystemOwner];
    let open = Open {
        status: status::ASKED,
        system: "juki",
        requester: "300001",
        requester_departments: &d,
        steps: &steps,
        steps_done: 0,
        deciders: &[],
        lapses_at: NOW,
    };
    assert_eq!(
        decide(&p, &open, &head("300050", "shimin"), NOW),
        Err(Refusal::NotOpen("lapsed".into())),
        "at its lapse time"
    );
    for s in [status::WITHDRAWN, status::LAPSED, status::REFUSED, status::GRANTED] {
        let closed = Open { status: s, lapses_at: NOW + DAY_MS, ..open.clone() };
        assert_eq!(decide(&p, &closed, &head("300050", "shimin"), NOW), Err(Refusal::NotOpen(s.into())));
    }
    assert_eq!(withdraw(status::ASKED, "300001", "300050"), Err(Refusal::NotRequester));
    assert_eq!(withdraw(status::GRANTED, "300001", "300001"), Err(Refusal::NotOpen("granted".into())));
    assert_eq!(withdraw(status::ASKED, "300001", "300001"), Ok(()));
}

#[test]
fn r_ac_01_a_request_that_would_break_separation_of_duties_is_refused_with_the_reason() {
    let p = example_policy();
    let (d, h) = (shimin(), vec!["zeimu.kazei_input".to_string()]);
    let e = ask(&p, p.role("zeimu.kazei_approve").unwrap(), &asker(&d, &h), &days("決裁", 30), NOW).unwrap_err();
    assert!(matches!(&e, Refusal::Sod { other, .. } if other == "zeimu.kazei_input"), "{e:?}");
    assert!(e.to_string().contains("相互牽制"), "the policy's reason is shown: {e}");
    assert_eq!(
        broken_rules(&p, &["zeimu.kazei_approve".into(), "zeimu.kazei_input".into(), "bunsho.user".into()]).len(),
        1
    );
    assert!(broken_rules(&p, &h).is_empty());
    assert_eq!(
        ask(&p, p.role("zeimu.kazei_input").unwrap(), &asker(&d, &h), &days("x", 3), NOW),
        Err(Refusal::AlreadyHeld)
    );
}

#[test]
fn r_lc_02_the_end_date_stays_within_max_request_days_and_privileged_roles_are_not_requestable() {
    let p = example_policy();
    let (d, h) = (shimin(), vec![]);
    let role = p.role("juki.clerk").unwrap();
    assert_eq!(p.max_request_days(role), 90);
    assert!(ask(&p, role, &asker(&d, &h), &days("応援", 90), NOW).is_ok());
    assert_eq!(ask(&p, role, &asker(&d, &h), &days("応援", 92), NOW), Err(Refusal::TooLong(90)));
    assert_eq!(ask(&p, role, &asker(&d, &h), &days("応援", 0), NOW), Err(Refusal::EndBeforeStart));
    assert_eq!(ask(&p, role, &asker(&d, &h), &days(" ", 3), NOW), Err(Refusal::NoReason));
    let past = Ask { valid_from: NOW - 3 * DAY_MS, ..days("応援", 3) };
    assert_eq!(ask(&p, role, &asker(&d, &h), &past, NOW), Err(Refusal::StartInPast));
    assert_eq!(ask(&p, role, &asker(&[], &h), &days("応援", 3), NOW), Err(Refusal::NoDepartment));
    assert_eq!(
        ask(&p, p.role("bunsho.approver").unwrap(), &asker(&d, &h), &days("決裁", 365), NOW).map(|_| ()),
        Ok(()),
        "default_max_days"
    );
    for r in ["juki.admin", "groupware.user", "tobira.auditor"] {
        assert_eq!(
            ask(&p, p.role(r).unwrap(), &asker(&d, &h), &days("x", 3), NOW),
            Err(Refusal::NotRequestable(r.into()))
        );
    }
    let full = Asker { open_requests: 20, ..asker(&d, &h) };
    assert_eq!(ask(&p, role, &full, &days("応援", 3), NOW), Err(Refusal::TooManyOpen(20)));
}

#[test]
fn r_lc_02_a_vendors_request_names_their_contract_and_ends_with_it() {
    let p = example_policy();
    let (d, h) = (shimin(), vec![]);
    let role = p.role("juki.clerk").unwrap();
    let vendor = Asker {
        is_vendor: true,
        contract: Some("K-2026-001"),
        contract_ends: Some(NOW + 10 * DAY_MS),
        ..asker(&d, &h)
    };
    assert_eq!(ask(&p, role, &vendor, &days("保守", 5), NOW), Err(Refusal::NoContract));
    let named = |c| Ask { contract: Some(c), ..days("保守", 5) };
    assert_eq!(ask(&p, role, &vendor, &named("K-2026-999"), NOW), Err(Refusal::NotTheirContract("K-2026-999".into())));
    assert!(ask(&p, role, &vendor, &named("K-2026-001"), NOW).is_ok());
    let long = Ask { contract: Some("K-2026-001"), ..days("保守", 20) };
    assert!(matches!(ask(&p, role, &vendor, &long, NOW), Err(Refusal::BeyondContract(_))));
}

fn with_roles(extra: &str) -> Result<crate::policy::Policy, crate::policy::PolicyErrors> {
    let mut files = example_files();
    files.push(SourceFile { name: "policies/extra.toml".into(), text: extra.into() });
    load(&files)
}

#[test]
fn r_ac_01_the_policy_refuses_requestable_privileged_roles_and_unsound_sod_rules() {
    let e = with_roles(
        "[[roles]]\nid = \"zeimu.root\"\nsystem = \"zeimu\"\nname = \"x\"\nprivileged = true\nrequestable = true\n",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("privileged and cannot be requestable") && e.contains("extra.toml:2"), "{e}");
    let e = with_roles("[[sod]]\nid = \"x\"\nroles = [\"juki.clerk\", \"nope\"]\nreason = \"r\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("names role `nope`, which no [[roles]] entry defines"), "{e}");
    let e = with_roles("[[sod]]\nid = \"y\"\nroles = [\"juki.clerk\"]\nreason = \"\"\n").unwrap_err().to_string();
    assert!(e.contains("exactly two different roles") && e.contains("gives no reason"), "{e}");
    let e = with_roles("[[sod]]\nid = \"z\"\nroles = [\"groupware.user\", \"bunsho.user\"]\nreason = \"例\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("birthright rule `all-staff` grants both roles of sod rule `z`"), "{e}");
    let e = with_roles("[[roles]]\nid = \"bunsho.reader\"\nsystem = \"bunsho\"\nname = \"x\"\nmax_request_days = 10\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("sets max_request_days but is not requestable"), "{e}");
}
