//! The hold rules with a fixed clock: every limit named, a re-plan split against the held plan,
//! supersession, and who may approve when.

use super::*;
use crate::lifecycle::Reason;
use crate::policy::directory::SyncRules;

const NOW: i64 = 1_775_001_600_000;

fn disable(en: &str) -> Step {
    Step {
        action: Action::Disable {
            employee_number: en.into(),
            account_id: format!("a-{en}"),
            login_id: en.into(),
            delete_after: NOW,
        },
        reason: Reason::EntryGone,
    }
}

fn revoke(en: &str, role: &str, grant: &str) -> Step {
    Step {
        action: Action::Revoke {
            employee_number: en.into(),
            account_id: format!("a-{en}"),
            grant_id: grant.into(),
            role_id: role.into(),
            at: NOW,
        },
        reason: Reason::EntryGone,
    }
}

fn plan(steps: Vec<Step>) -> Plan {
    Plan {
        removals: steps.iter().filter(|s| s.action.is_removal()).count(),
        steps,
        active_accounts: 10,
        hold: None,
        not_removed: vec![],
        problems: vec![],
    }
}

#[test]
fn r_lc_03_a_hold_names_every_limit_it_exceeds() {
    let rules = SyncRules { max_removals: 2, max_removal_percent: 10.0, ..Default::default() };
    let both = limits_exceeded(3, 10, &rules, None);
    assert_eq!(both.len(), 2, "{both:?}");
    assert!(both[0].contains("sync.max_removals = 2") && both[1].contains("sync.max_removal_percent = 10"), "{both:?}");
    assert_eq!(limits_exceeded(3, 1000, &rules, None).len(), 1, "only the count");
    assert_eq!(limits_exceeded(2, 100, &rules, None), Vec::<String>::new());
    assert_eq!(
        limits_exceeded(3, 10, &rules, Some(&BulkWindow { max_removals: 5 })),
        Vec::<String>::new(),
        "a bulk window's own limit"
    );
}

#[test]
fn r_lc_14_a_read_whose_every_entry_was_rejected_says_so_with_the_top_reasons() {
    let p = |a: &str, r: &str| crate::hr::EntryProblem {
        dn: "uid=x".into(),
        employee_number: None,
        attribute: a.into(),
        reason: r.into(),
    };
    let problems = vec![p("displayName", "missing"), p("displayName", "missing"), p("title", "unknown value")];
    let m = empty_read(&problems);
    assert!(
        m.contains("returned 3 entries that the mapping rejected")
            && m.starts_with("the directory returned 3")
            && m.contains("displayName: missing (2); title: unknown value (1)"),
        "{m}"
    );
    assert!(empty_read(&[]).contains("returned no people"));
}

#[test]
fn r_lc_01_approval_applies_only_what_still_holds() {
    let held =
        plan(vec![disable("1"), revoke("1", "bunsho.user", "g1"), disable("2"), revoke("2", "bunsho.user", "g2")]);
    // Person 2 is back in the directory: the re-plan has only person 1, and a new change of 3.
    let fresh = plan(vec![disable("1"), revoke("1", "bunsho.user", "g1-new-id"), disable("3")]);
    let r = recheck(&held, &fresh);
    assert_eq!(
        r.apply.iter().map(|s| employee_number(&s.action)).collect::<Vec<_>>(),
        ["1", "1"],
        "the same change, whatever ids a re-plan gives"
    );
    assert_eq!(r.dropped.len(), 2, "person 2 no longer goes");
    assert_eq!(r.new.len(), 1, "person 3 waits for the next run");
    assert!(r.changed());
    let same = recheck(&held, &held);
    assert_eq!(same.apply.len(), 4);
    assert!(!same.changed());
    assert_eq!(touched(&held).into_iter().collect::<Vec<_>>(), ["1", "2"]);
}

#[test]
fn r_lc_01_an_applied_run_that_read_the_held_people_supersedes_the_hold() {
    let hold: BTreeSet<String> = ["1".to_string(), "2".to_string()].into();
    assert!(supersedes(false, &["2".to_string()].into(), &hold));
    assert!(supersedes(true, &BTreeSet::new(), &hold), "a full read speaks for everyone");
    assert!(!supersedes(false, &["9".to_string()].into(), &hold), "an increment about someone else leaves the hold");
}

#[test]
fn r_ac_02_the_runner_an_unnamed_person_a_stale_or_decided_hold_are_refused() {
    let rules = SyncRules { hold_max_age_minutes: 60, ..Default::default() };
    let ran_by = vec!["operator:hr-operator".to_string(), "system:hr-sync-schedule".to_string()];
    let hold = Hold { state: RunState::Held, planned_at: NOW, ran_by: &ran_by };
    let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let officer = names(&["account:so-2", "so-2", "900002"]);
    assert_eq!(may_approve(&hold, &Decider { names: &officer, entitled: true }, NOW + 59 * 60_000, &rules), Ok(()));
    let runner = names(&["hr-operator", "900001"]);
    assert_eq!(may_approve(&hold, &Decider { names: &runner, entitled: true }, NOW, &rules), Err(Refusal::OwnRun));
    assert_eq!(
        may_approve(&hold, &Decider { names: &officer, entitled: false }, NOW, &rules),
        Err(Refusal::NotEntitled)
    );
    assert_eq!(
        may_approve(&hold, &Decider { names: &officer, entitled: true }, NOW + 61 * 60_000, &rules),
        Err(Refusal::TooOld { age_minutes: 61, max_minutes: 60 })
    );
    for (state, refusal) in [
        (RunState::Expired, Refusal::Superseded),
        (RunState::Applied, Refusal::NotHeld("applied")),
        (RunState::Discarded, Refusal::NotHeld("discarded")),
    ] {
        let h = Hold { state, ..hold.clone() };
        assert_eq!(may_approve(&h, &Decider { names: &officer, entitled: true }, NOW, &rules), Err(refusal));
    }
}
