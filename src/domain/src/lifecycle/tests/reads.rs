//! What a read can and cannot say: partial reads and content-sync deletions, skipped entries, reads
//! held for naming nobody or removing too many, bulk windows, login IDs that never collide.

use super::*;
use time::macros::date;

fn keyed(en: &str, dept: &str) -> HrPerson {
    HrPerson { directory_key: Some(format!("uuid-{en}")), ..person(en, dept) }
}

fn keys(ks: &[&str]) -> BTreeSet<String> {
    ks.iter().map(|k| format!("uuid-{k}")).collect()
}

#[test]
fn r_lc_03_content_sync_deletions_and_the_present_phase_make_leavers_from_a_partial_read() {
    let mut known = vec![];
    converge(
        &mut known,
        &full(vec![
            keyed("100001", "shimin"),
            keyed("100002", "zeimu"),
            keyed("100003", "zeimu"),
            person("100004", "zeimu"),
        ]),
    );
    // refreshDeletes: the server names what was deleted; nobody else is judged.
    let deletes = Snapshot { people: vec![], gone_keys: keys(&["100001"]), ..Default::default() };
    let p = run(&deletes, &known);
    assert_eq!(p.removals, 1);
    assert!(p
        .steps
        .iter()
        .any(|s| matches!(&s.action, Action::Disable { employee_number, .. } if employee_number == "100001")
            && s.reason == Reason::EntryGone));
    // Present phase: the changed entry plus the present ones; 100003 was reported by neither. The
    // person without a directory key (100004) cannot be judged by a partial read and stays.
    let present = Snapshot {
        people: vec![keyed("100002", "shimin")],
        present_keys: Some(keys(&["100001", "100002"])),
        ..Default::default()
    };
    let p = run(&present, &known);
    let disabled: Vec<&str> = p
        .steps
        .iter()
        .filter_map(|s| match &s.action {
            Action::Disable { employee_number, .. } => Some(employee_number.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(disabled, ["100003"]);
    assert!(kinds(&p).contains(&("save_person", "transferred")), "the changed entry is applied too");
    // A deleted entry that was read as malformed in the same pass is not gone.
    let problem = EntryProblem {
        dn: "uid=x".into(),
        employee_number: Some("100001".into()),
        attribute: "cn".into(),
        reason: "bad".into(),
    };
    let s = Snapshot { gone_keys: keys(&["100001"]), problems: vec![problem], ..Default::default() };
    assert_eq!(run(&s, &known).removals, 0);
}

#[test]
fn r_lc_01_a_present_phase_that_names_nobody_is_held() {
    let mut known = vec![];
    converge(&mut known, &full(vec![keyed("100001", "shimin"), keyed("100002", "zeimu")]));
    let empty = Snapshot { present_keys: Some(BTreeSet::new()), ..Default::default() };
    let p = run(&empty, &known);
    assert!(p.hold.as_deref().is_some_and(|h| h.contains("no people")), "{:?}", p.hold);
    // An incremental read with no changes is not "nobody": nothing to do, nothing held.
    let p = run(&Snapshot::default(), &known);
    assert!(p.hold.is_none() && p.steps.is_empty());
}

#[test]
fn r_lc_14_a_skipped_entry_never_turns_into_deprovisioning() {
    let mut known = vec![];
    converge(&mut known, &full(vec![person("100001", "shimin"), person("100002", "zeimu")]));
    let problem = |en: Option<&str>| EntryProblem {
        dn: "uid=x".into(),
        employee_number: en.map(String::from),
        attribute: "shinonomeEndDate".into(),
        reason: "bad date".into(),
    };
    let s = Snapshot {
        people: vec![person("100002", "zeimu")],
        problems: vec![problem(Some("100001"))],
        complete: true,
        ..Default::default()
    };
    let p = run(&s, &known);
    assert_eq!(p.removals, 0);
    assert_eq!(p.not_removed.len(), 1);
    // Without a readable employee number nobody absent can be ruled out: no one is treated as gone.
    let s = Snapshot {
        people: vec![person("100002", "zeimu")],
        problems: vec![problem(None)],
        complete: true,
        ..Default::default()
    };
    assert_eq!(run(&s, &known).removals, 0);
}

#[test]
fn r_lc_01_removals_over_the_threshold_are_held() {
    let people: Vec<HrPerson> = (0..100).map(|i| person(&format!("1{i:05}"), "somu")).collect();
    let mut known = vec![];
    converge(&mut known, &full(people.clone()));
    // 21 leavers > max_removals 20.
    let strict = policy();
    let p = run_with(&full(people[21..].to_vec()), &known, &strict);
    assert_eq!(p.removals, 21);
    assert!(p.hold.as_deref().unwrap().contains("max_removals"), "{:?}", p.hold);
    // 3 of 100 is above 2 %.
    let p = run_with(&full(people[3..].to_vec()), &known, &strict);
    assert!(p.hold.as_deref().unwrap().contains("max_removal_percent"), "{:?}", p.hold);
    // 2 of 100 is within both limits.
    assert!(run_with(&full(people[2..].to_vec()), &known, &strict).hold.is_none());
    // A pre-approved bulk window has its own limit.
    let taken = BTreeSet::new();
    let w = BulkWindow { max_removals: 30 };
    assert!(plan(&full(people[21..].to_vec()), &Holdings::all(&known, &taken), &strict, TODAY, NOW, Some(&w))
        .hold
        .is_none());
}

#[test]
fn r_lc_01_an_empty_read_is_held() {
    let mut known = vec![];
    converge(&mut known, &full(vec![person("100001", "shimin")]));
    let p = run_with(&full(vec![]), &known, &policy());
    assert!(p.hold.as_deref().unwrap().contains("no people"), "{:?}", p.hold);
}

#[test]
fn r_lc_09_login_ids_never_collide() {
    let taken = set(&["100001", "100001-2"]);
    assert_eq!(login_id_for("100001", "{employee_number}", &taken), "100001-3");
    assert_eq!(login_id_for("100009", "s{employee_number}", &taken), "s100009");
}

#[test]
fn r_lc_01_bulk_windows_come_from_the_policy_by_date() {
    let p = policy();
    assert_eq!(p.sync.window_on(date!(2027 - 03 - 29)), Some(BulkWindow { max_removals: 400 }));
    assert_eq!(p.sync.window_on(date!(2027 - 04 - 02)), Some(BulkWindow { max_removals: 400 }));
    assert_eq!(p.sync.window_on(date!(2027 - 04 - 03)), None);
    assert_eq!(p.sync.window_on(TODAY), None);
}
