use super::*;
use crate::approval::ApproverFacts;
use crate::test_support::example_policy;

const NOW: i64 = 1_800_000_000_000;

fn head_of(dept: &str, en: &str) -> ApproverFacts {
    ApproverFacts { employee_number: en.into(), headed: vec![dept.into()], ..Default::default() }
}

fn item<'a>(reviewers: &'a [Approver], departments: &'a [String]) -> Item<'a> {
    Item {
        reviewers,
        escalated: false,
        decided: false,
        campaign_open: true,
        employee_number: Some("100001"),
        departments,
        system: "juki",
    }
}

#[test]
fn r_rv_05_items_go_to_the_head_of_section_and_the_system_owner() {
    let p = example_policy();
    let g = GrantFacts { source: "request", system: "juki", privileged: false, employee_number: Some("100001") };
    assert_eq!(reviewers(&p, &Scope::System("juki".into()), &g), [Approver::HeadOfSection, Approver::SystemOwner]);
    // A person-less account has no 所属長: the owner alone.
    let g = GrantFacts { employee_number: None, ..g };
    assert_eq!(reviewers(&p, &Scope::System("juki".into()), &g), [Approver::SystemOwner]);
}

#[test]
fn r_lc_05_a_transfer_review_goes_to_the_new_head_of_section() {
    let p = example_policy();
    let g = GrantFacts { source: "request", system: "juki", privileged: false, employee_number: Some("100001") };
    assert_eq!(reviewers(&p, &Scope::Transfer("100001".into()), &g), [Approver::HeadOfSection]);
    let d = vec!["zeimu".to_string()];
    let r = [Approver::HeadOfSection];
    assert!(
        may_decide(&p, &item(&r, &d), &head_of("zeimu", "100900"), Decision::Keep, "").is_ok(),
        "the head of the new section"
    );
    assert!(
        matches!(
            may_decide(&p, &item(&r, &d), &head_of("shimin", "100901"), Decision::Keep, ""),
            Err(Refusal::NotReviewer(_))
        ),
        "the old head no longer decides"
    );
}

#[test]
fn r_ac_02_nobody_certifies_their_own_access() {
    let p = example_policy();
    let d = vec!["shimin".to_string()];
    let r = [Approver::HeadOfSection];
    // The person is a 所属長 of their own section and still may not decide their own grant.
    let me = head_of("shimin", "100001");
    assert_eq!(may_decide(&p, &item(&r, &d), &me, Decision::Keep, ""), Err(Refusal::OwnAccess));
}

#[test]
fn r_rv_05_the_system_owner_decides_items_of_their_system_only() {
    let p = example_policy();
    let d = vec!["shimin".to_string()];
    let r = [Approver::SystemOwner];
    let owner = ApproverFacts { employee_number: "900011".into(), ..Default::default() };
    assert!(may_decide(&p, &item(&r, &d), &owner, Decision::Remove, "不要").is_ok());
    let other = ApproverFacts { employee_number: "900021".into(), ..Default::default() };
    assert!(matches!(may_decide(&p, &item(&r, &d), &other, Decision::Remove, "不要"), Err(Refusal::NotReviewer(_))));
    assert_eq!(
        may_decide(&p, &item(&r, &d), &owner, Decision::Remove, "  "),
        Err(Refusal::NoComment),
        "a removal says why"
    );
    assert_eq!(
        may_decide(&p, &item(&r, &d), &owner, Decision::Keep, &"x".repeat(MAX_COMMENT + 1)),
        Err(Refusal::CommentTooLong(MAX_COMMENT))
    );
    let decided = Item { decided: true, ..item(&r, &d) };
    assert_eq!(may_decide(&p, &decided, &owner, Decision::Keep, ""), Err(Refusal::Decided));
    let closed = Item { campaign_open: false, ..item(&r, &d) };
    assert_eq!(may_decide(&p, &closed, &owner, Decision::Keep, ""), Err(Refusal::Closed));
}

#[test]
fn r_rv_05_escalated_items_go_to_the_security_officer() {
    let p = example_policy();
    let d = vec!["shimin".to_string()];
    let r = [Approver::HeadOfSection];
    let escalated = Item { escalated: true, ..item(&r, &d) };
    assert!(matches!(
        may_decide(&p, &escalated, &head_of("shimin", "100900"), Decision::Keep, ""),
        Err(Refusal::NotReviewer(_))
    ));
    let so = ApproverFacts {
        employee_number: "900002".into(),
        functions: vec![crate::policy::OfficerFunction::SecurityOfficer],
        ..Default::default()
    };
    assert!(may_decide(&p, &escalated, &so, Decision::Keep, "").is_ok());
}

#[test]
fn r_rv_05_deadline_reminds_then_escalates_or_removes() {
    let mut rules = ReviewRules::default();
    let end = deadline(&rules, NOW);
    assert_eq!(end, NOW + 14 * DAY_MS);
    assert_eq!(at_deadline(&rules, end, None, false, NOW), AtDeadline::Wait);
    assert_eq!(at_deadline(&rules, end, None, false, end - 3 * DAY_MS), AtDeadline::Remind);
    assert_eq!(at_deadline(&rules, end, None, true, end - DAY_MS), AtDeadline::Wait, "reminded once");
    assert_eq!(at_deadline(&rules, end, None, true, end), AtDeadline::Escalate { until: end + 7 * DAY_MS });
    assert_eq!(
        at_deadline(&rules, end, Some(end + 7 * DAY_MS), true, end + 7 * DAY_MS),
        AtDeadline::Remove,
        "escalated and still undecided"
    );
    rules.deadline_action = DeadlineAction::Remove;
    assert_eq!(at_deadline(&rules, end, None, true, end), AtDeadline::Remove);
}

#[test]
fn r_rv_05_campaign_scope_follows_the_policy_sources() {
    let mut rules = ReviewRules::default();
    assert!(in_scope(&rules, "request") && !in_scope(&rules, "birthright") && !in_scope(&rules, "elevation"));
    rules.campaign_sources.push("birthright".into());
    rules.campaign_sources.push("elevation".into());
    assert!(in_scope(&rules, "birthright") && !in_scope(&rules, "elevation"), "elevations are never reviewed");
}

#[test]
fn r_rv_05_each_system_is_due_on_the_policy_schedule() {
    let mut p = example_policy();
    let year = 360 * DAY_MS;
    let due = systems_due(&p, |s| (s == "juki").then_some(NOW - year + DAY_MS), NOW);
    assert!(!due.contains(&"juki") && due.contains(&"zeimu"), "{due:?}");
    assert!(systems_due(&p, |_| Some(NOW - year), NOW).contains(&"juki"));
    p.review.recertification_months = 0;
    assert!(systems_due(&p, |_| None, NOW).is_empty(), "by hand only");
}

#[test]
fn scopes_round_trip() {
    for s in
        [Scope::System("juki".into()), Scope::Department("zeimu".into()), Scope::Transfer("100001".into()), Scope::City]
    {
        assert_eq!(Scope::parse(s.kind(), s.key()), Some(s));
    }
}

#[test]
fn r_rv_08_each_departments_self_inspection_starts_with_the_fiscal_year() {
    let mut rules = ReviewRules::default();
    // 2027-01-13 10:00 JST lies in 令和8年度, which began on 2026-04-01 00:00 JST.
    let jan = 1_799_802_000_000;
    let april_first_2026 = 1_774_969_200_000; // 2026-04-01 00:00 JST
    assert_eq!(fiscal_year_start(4, jan), april_first_2026);
    assert_eq!(fiscal_year_start(4, april_first_2026), april_first_2026, "the first moment belongs to the new year");
    assert!(fiscal_year_start(4, april_first_2026 - 1) < april_first_2026, "the last moment of March to the old one");
    assert_eq!(crate::time_util::jst_display(fiscal_year_start(4, jan)), "2026-04-01 00:00 JST");
    let depts = vec!["zeimu".to_string(), "shimin".to_string()];
    let start = fiscal_year_start(4, jan);
    let due = departments_due(&rules, &depts, |d| (d == "zeimu").then_some(start + 1), jan);
    assert_eq!(due, ["shimin"], "zeimu's already ran this fiscal year");
    assert_eq!(
        departments_due(&rules, &depts, |_| Some(start - 1), jan),
        ["zeimu", "shimin"],
        "last fiscal year's do not count"
    );
    rules.self_inspection_month = 0;
    assert!(departments_due(&rules, &depts, |_| None, jan).is_empty(), "by hand only");
}
