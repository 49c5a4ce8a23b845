//! The planner against the example policy, with a fixed date.

use super::*;
use crate::org::EmploymentType;
use time::macros::date;

const TODAY: Date = date!(2026 - 04 - 01);
const NOW: i64 = 1_775_001_600_000; // 2026-04-01T00:00:00Z

fn policy() -> Policy {
    crate::test_support::example_policy()
}

fn person(en: &str, dept: &str) -> HrPerson {
    HrPerson {
        employee_number: en.into(),
        directory_key: None,
        name_kanji: "東雲 太郎".into(),
        name_kana: "シノノメ タロウ".into(),
        name_romaji: None,
        department_code: dept.into(),
        department_name: None,
        concurrent: vec![],
        post: None,
        employment_type: EmploymentType::Regular,
        status: PersonStatus::Active,
        start_date: None,
        end_date: None,
        head_of_section: false,
        secondment_target: None,
        contract_id: None,
        mail: None,
    }
}

fn full(people: Vec<HrPerson>) -> Snapshot {
    Snapshot { people, complete: true, ..Default::default() }
}

/// The example policy with the percentage limit off, for small populations (one leaver of two is 50 %).
fn lenient() -> Policy {
    let mut p = policy();
    p.sync.max_removal_percent = 100.0;
    p
}

fn run_with(s: &Snapshot, known: &[Known], policy: &Policy) -> Plan {
    let taken = known.iter().filter_map(|k| k.account.as_ref().map(|a| a.login_id.clone())).collect();
    plan(s, &Holdings::all(known, &taken), policy, TODAY, NOW, None)
}

fn run(s: &Snapshot, known: &[Known]) -> Plan {
    run_with(s, known, &lenient())
}

/// Applies a plan to `known` the way the store would, for idempotency checks.
fn apply(known: &mut Vec<Known>, p: &Plan) {
    let mut next = 0;
    let mut id = || {
        next += 1;
        format!("g{next}")
    };
    for s in &p.steps {
        match &s.action {
            Action::SavePerson { person } => match known.iter_mut().find(|k| k.person.employee_number == person.employee_number) {
                Some(k) => k.person = (**person).clone(),
                None => known.push(Known { person: (**person).clone(), account: None, grants: vec![], authenticators: vec![], shared_ids: vec![] }),
            },
            Action::CreateAccount { employee_number, login_id, grants, .. } => {
                let k = known.iter_mut().find(|k| &k.person.employee_number == employee_number).unwrap();
                k.account = Some(AccountView { id: format!("a-{employee_number}"), login_id: login_id.clone(), status: AccountStatus::Active, status_reason: None });
                k.grants = grants.iter().map(|(r, u)| GrantView { id: id(), role_id: r.clone(), source: GrantSource::Birthright, valid_until: *u }).collect();
            }
            Action::Reenable { employee_number, .. } | Action::Suspend { employee_number, .. } | Action::Disable { employee_number, .. } => {
                let k = known.iter_mut().find(|k| &k.person.employee_number == employee_number).unwrap();
                let a = k.account.as_mut().unwrap();
                (a.status, a.status_reason) = match &s.action {
                    Action::Reenable { .. } => (AccountStatus::Active, None),
                    Action::Suspend { .. } => (AccountStatus::Suspended, Some(format!("{HR_REASON_PREFIX}{}", s.reason.code()))),
                    _ => (AccountStatus::Disabled, Some(format!("{HR_REASON_PREFIX}{}", s.reason.code()))),
                };
            }
            Action::Grant { employee_number, role_id, valid_until, .. } => {
                let g = GrantView { id: id(), role_id: role_id.clone(), source: GrantSource::Birthright, valid_until: *valid_until };
                known.iter_mut().find(|k| &k.person.employee_number == employee_number).unwrap().grants.push(g);
            }
            Action::Revoke { employee_number, grant_id, at, .. } => {
                let k = known.iter_mut().find(|k| &k.person.employee_number == employee_number).unwrap();
                if *at <= NOW {
                    k.grants.retain(|g| &g.id != grant_id);
                } else if let Some(g) = k.grants.iter_mut().find(|g| &g.id == grant_id) {
                    g.valid_until = Some(*at);
                }
            }
            Action::FlagForReview { .. } => {}
            Action::ListForReturn { employee_number, credential_id, .. } => {
                let k = known.iter_mut().find(|k| &k.person.employee_number == employee_number).unwrap();
                k.authenticators.iter_mut().filter(|a| &a.credential_id == credential_id).for_each(|a| a.listed = true);
            }
            Action::SharedPasswordDue { employee_number, account_id, .. } => {
                known.iter_mut().find(|k| &k.person.employee_number == employee_number).unwrap().shared_ids.retain(|s| &s.account_id != account_id);
            }
        }
    }
}

fn kinds(p: &Plan) -> Vec<(&'static str, &'static str)> {
    p.steps.iter().map(|s| (s.action.kind(), s.reason.code())).collect()
}

fn roles_of(known: &[Known], en: &str) -> BTreeSet<String> {
    known.iter().find(|k| k.person.employee_number == en).unwrap().grants.iter().map(|g| g.role_id.clone()).collect()
}

fn set(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Plans and applies `s` to `known`, asserting that planning again changes nothing.
fn converge(known: &mut Vec<Known>, s: &Snapshot) -> Plan {
    let p = run(s, known);
    assert!(p.hold.is_none(), "{:?}", p.hold);
    apply(known, &p);
    let again = run(s, known);
    assert!(again.steps.is_empty(), "second run must do nothing: {:?}", kinds(&again));
    p
}

#[test]
fn r_lc_01_joiner_gets_an_account_and_birthright_roles() {
    let mut known = vec![];
    let p = converge(&mut known, &full(vec![person("100001", "shimin")]));
    assert_eq!(kinds(&p), vec![("save_person", "joined"), ("create_account", "joined")]);
    assert_eq!(roles_of(&known, "100001"), set(&["bunsho.user", "groupware.user", "juki.clerk"]));
    assert_eq!(known[0].account.as_ref().unwrap().login_id, "100001");
}

#[test]
fn r_lc_10_rules_differ_by_employment_type_and_head_of_section() {
    let mut casual = person("100002", "shimin");
    casual.employment_type = EmploymentType::Casual;
    let mut head = person("100003", "zeimu");
    head.head_of_section = true;
    let mut known = vec![];
    converge(&mut known, &full(vec![casual, head]));
    assert_eq!(roles_of(&known, "100002"), BTreeSet::new(), "アルバイト get no birthright roles in the example");
    assert_eq!(roles_of(&known, "100003"), set(&["bunsho.approver", "bunsho.user", "groupware.user", "zeimu.clerk"]));
}

#[test]
fn r_lc_01_transfer_moves_birthright_and_flags_requested_grants() {
    let mut known = vec![];
    converge(&mut known, &full(vec![person("100001", "shimin")]));
    known[0].grants.push(GrantView { id: "req1".into(), role_id: "denshi-shinsei.clerk".into(), source: GrantSource::Request, valid_until: None });
    let p = converge(&mut known, &full(vec![person("100001", "zeimu")]));
    let k = kinds(&p);
    assert!(k.contains(&("revoke", "transferred")) && k.contains(&("grant", "transferred")) && k.contains(&("flag_for_review", "transferred")), "{k:?}");
    assert_eq!(roles_of(&known, "100001"), set(&["bunsho.user", "denshi-shinsei.clerk", "groupware.user", "zeimu.clerk"]), "requested grants stay");
    assert_eq!(p.removals, 0, "a transfer removes no account");
}

#[test]
fn r_lc_01_transfer_grace_days_let_old_roles_run_out() {
    let mut pol = lenient();
    pol.sync.mover_grace_days = 7;
    let mut known = vec![];
    converge(&mut known, &full(vec![person("100001", "shimin")]));
    let taken = BTreeSet::new();
    let p = plan(&full(vec![person("100001", "zeimu")]), &Holdings::all(&known, &taken), &pol, TODAY, NOW, None);
    let revoke_at = p
        .steps
        .iter()
        .find_map(|s| match &s.action {
            Action::Revoke { role_id, at, .. } if role_id == "juki.clerk" => Some(*at),
            _ => None,
        })
        .unwrap();
    assert_eq!(revoke_at, NOW + 7 * DAY_MS);
    apply(&mut known, &p);
    let again = plan(&full(vec![person("100001", "zeimu")]), &Holdings::all(&known, &taken), &pol, TODAY, NOW, None);
    assert!(again.steps.is_empty(), "{:?}", kinds(&again));
}

#[test]
fn r_lc_03_retirement_disables_and_revokes_everything() {
    let mut known = vec![];
    converge(&mut known, &full(vec![person("100001", "shimin"), person("100002", "zeimu")]));
    let mut retired = person("100001", "shimin");
    retired.status = PersonStatus::Left;
    let p = converge(&mut known, &full(vec![retired, person("100002", "zeimu")]));
    let disable = p
        .steps
        .iter()
        .find_map(|s| match &s.action {
            Action::Disable { delete_after, .. } => Some(*delete_after),
            _ => None,
        })
        .unwrap();
    assert_eq!(disable, NOW + 90 * DAY_MS, "deletion after the policy's retention days");
    assert!(roles_of(&known, "100001").is_empty());
    assert_eq!(known[0].account.as_ref().unwrap().status, AccountStatus::Disabled);
}

#[test]
fn r_lc_03_an_entry_gone_from_a_full_read_is_a_leaver_but_not_from_an_incremental_one() {
    let mut known = vec![];
    converge(&mut known, &full(vec![person("100001", "shimin"), person("100002", "zeimu")]));
    let incremental = Snapshot { people: vec![person("100002", "zeimu")], ..Default::default() };
    assert!(run(&incremental, &known).steps.is_empty());
    let p = converge(&mut known, &full(vec![person("100002", "zeimu")]));
    assert!(kinds(&p).contains(&("disable", "entry_gone")));
}

fn keyed(en: &str, dept: &str) -> HrPerson {
    HrPerson { directory_key: Some(format!("uuid-{en}")), ..person(en, dept) }
}

fn keys(ks: &[&str]) -> BTreeSet<String> {
    ks.iter().map(|k| format!("uuid-{k}")).collect()
}

#[test]
fn r_lc_03_content_sync_deletions_and_the_present_phase_make_leavers_from_a_partial_read() {
    let mut known = vec![];
    converge(&mut known, &full(vec![keyed("100001", "shimin"), keyed("100002", "zeimu"), keyed("100003", "zeimu"), person("100004", "zeimu")]));
    // refreshDeletes: the server names what was deleted; nobody else is judged.
    let deletes = Snapshot { people: vec![], gone_keys: keys(&["100001"]), ..Default::default() };
    let p = run(&deletes, &known);
    assert_eq!(p.removals, 1);
    assert!(p.steps.iter().any(|s| matches!(&s.action, Action::Disable { employee_number, .. } if employee_number == "100001") && s.reason == Reason::EntryGone));
    // Present phase: the changed entry plus the present ones; 100003 was reported by neither. The
    // person without a directory key (100004) cannot be judged by a partial read and stays.
    let present = Snapshot { people: vec![keyed("100002", "shimin")], present_keys: Some(keys(&["100001", "100002"])), ..Default::default() };
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
    let problem = EntryProblem { dn: "uid=x".into(), employee_number: Some("100001".into()), attribute: "cn".into(), reason: "bad".into() };
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
    let problem = |en: Option<&str>| EntryProblem { dn: "uid=x".into(), employee_number: en.map(String::from), attribute: "shinonomeEndDate".into(), reason: "bad date".into() };
    let s = Snapshot { people: vec![person("100002", "zeimu")], problems: vec![problem(Some("100001"))], complete: true, ..Default::default() };
    let p = run(&s, &known);
    assert_eq!(p.removals, 0);
    assert_eq!(p.not_removed.len(), 1);
    // Without a readable employee number nobody absent can be ruled out: no one is treated as gone.
    let s = Snapshot { people: vec![person("100002", "zeimu")], problems: vec![problem(None)], complete: true, ..Default::default() };
    assert_eq!(run(&s, &known).removals, 0);
}

#[test]
fn r_lc_01_leave_suspends_and_return_restores_with_grants_kept() {
    let mut known = vec![];
    converge(&mut known, &full(vec![person("100001", "shimin")]));
    let before = roles_of(&known, "100001");
    let mut leave = person("100001", "shimin");
    leave.status = PersonStatus::OnLeave;
    let p = converge(&mut known, &full(vec![leave]));
    assert!(kinds(&p).contains(&("suspend", "on_leave")));
    assert_eq!(roles_of(&known, "100001"), before, "grants stay for the return");
    let p = converge(&mut known, &full(vec![person("100001", "shimin")]));
    assert!(kinds(&p).contains(&("reenable", "returned")));
    assert_eq!(known[0].account.as_ref().unwrap().status, AccountStatus::Active);
}

#[test]
fn r_ac_03_an_officers_suspension_is_not_undone_by_the_sync() {
    let mut known = vec![];
    converge(&mut known, &full(vec![person("100001", "shimin")]));
    let a = known[0].account.as_mut().unwrap();
    a.status = AccountStatus::Suspended;
    a.status_reason = Some("officer: policy violation".into());
    assert!(run(&full(vec![person("100001", "shimin")]), &known).steps.is_empty());
}

#[test]
fn r_lc_01_rehire_reenables_the_same_account_without_old_grants() {
    let mut known = vec![];
    converge(&mut known, &full(vec![person("100001", "shimin")]));
    known[0].grants.push(GrantView { id: "req1".into(), role_id: "denshi-shinsei.clerk".into(), source: GrantSource::Request, valid_until: None });
    let mut retired = person("100001", "shimin");
    retired.status = PersonStatus::Left;
    converge(&mut known, &full(vec![retired]));
    let p = converge(&mut known, &full(vec![person("100001", "somu")]));
    assert!(kinds(&p).contains(&("reenable", "rehired")));
    assert_eq!(known[0].account.as_ref().unwrap().id, "a-100001", "the same account");
    assert_eq!(roles_of(&known, "100001"), set(&["bunsho.user", "groupware.user"]), "old grants are not restored");
}

#[test]
fn r_lc_07_fixed_term_end_date_is_honoured_when_hr_forgets() {
    let mut fixed = person("100001", "shimin");
    fixed.employment_type = EmploymentType::FixedTerm;
    fixed.end_date = Some(date!(2026 - 03 - 31));
    let mut known = vec![];
    let p = run(&full(vec![fixed.clone()]), &known);
    assert!(!kinds(&p).iter().any(|(k, _)| *k == "create_account"), "no account for a contract already over");
    fixed.end_date = Some(date!(2026 - 04 - 30));
    converge(&mut known, &full(vec![fixed.clone()]));
    let later = plan(&full(vec![fixed]), &Holdings::all(&known, &BTreeSet::new()), &lenient(), date!(2026 - 05 - 01), NOW, None);
    assert!(later.steps.iter().any(|s| matches!(s.action, Action::Disable { .. }) && matches!(s.reason, Reason::ContractEnded { .. })));
}

#[test]
fn r_lc_01_future_hires_wait_for_their_start_date() {
    let mut future = person("100001", "shimin");
    future.start_date = Some(date!(2026 - 04 - 10));
    let p = run(&full(vec![future]), &[]);
    assert_eq!(kinds(&p), vec![("save_person", "joined")]);
}

#[test]
fn r_lc_01_secondment_suspends_home_roles_and_limits_host_roles() {
    let mut known = vec![];
    converge(&mut known, &full(vec![person("100001", "shimin")]));
    let mut seconded = person("100001", "shimin");
    seconded.status = PersonStatus::Seconded;
    seconded.secondment_target = Some("zeimu".into());
    seconded.end_date = Some(date!(2027 - 03 - 31));
    converge(&mut known, &full(vec![seconded]));
    let k = &known[0];
    assert!(!k.grants.iter().any(|g| g.role_id == "juki.clerk"), "home department's roles are suspended");
    let host = k.grants.iter().find(|g| g.role_id == "zeimu.clerk").unwrap();
    assert_eq!(host.valid_until, Some(end_of_day_ms(date!(2027 - 03 - 31))), "host roles end with the secondment");
    assert_eq!(end_of_day_ms(date!(2027 - 03 - 31)), 1_806_505_200_000, "at 2027-04-01 00:00 JST, not at midnight UTC");
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
    assert!(plan(&full(people[21..].to_vec()), &Holdings::all(&known, &taken), &strict, TODAY, NOW, Some(&w)).hold.is_none());
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

/// `known` after a first sync of `people`, with a USB key, a platform passkey and a synced passkey
/// on `en`'s account and `en` a user of the shared ID `madoguchi-01`.
fn with_keys_and_shared_id(people: &[HrPerson], en: &str) -> Vec<Known> {
    let mut known = Vec::new();
    converge(&mut known, &full(people.to_vec()));
    let k = known.iter_mut().find(|k| k.person.employee_number == en).unwrap();
    let acc = k.account.clone().unwrap();
    let key = |id: &str, kind: AuthenticatorKind| AuthenticatorView { credential_id: id.into(), account_id: acc.id.clone(), login_id: acc.login_id.clone(), kind, label: id.into(), listed: false };
    k.authenticators = vec![key("usb-key", AuthenticatorKind::SecurityKey), key("hello", AuthenticatorKind::Platform), key("icloud", AuthenticatorKind::SyncedPasskey)];
    k.shared_ids = vec![SharedUse { account_id: "shared-1".into(), login_id: "madoguchi-01".into(), permitted_by: "900001".into() }];
    known
}

fn listed(p: &Plan) -> Vec<(&str, &'static str)> {
    p.steps
        .iter()
        .filter_map(|s| match &s.action {
            Action::ListForReturn { credential_id, .. } => Some((credential_id.as_str(), s.reason.code())),
            _ => None,
        })
        .collect()
}

fn shared_due(p: &Plan) -> Vec<(&str, &'static str)> {
    p.steps
        .iter()
        .filter_map(|s| match &s.action {
            Action::SharedPasswordDue { login_id, .. } => Some((login_id.as_str(), s.reason.code())),
            _ => None,
        })
        .collect()
}

#[test]
fn r_lc_15_a_transfer_lists_the_physical_keys_for_return_before_saving_the_move() {
    let mut known = with_keys_and_shared_id(&[person("1", "shimin"), person("2", "shimin")], "1");
    let p = converge(&mut known, &full(vec![person("1", "zeimu"), person("2", "shimin")]));
    assert_eq!(listed(&p), [("usb-key", "transferred")], "a platform or synced passkey stays; only what can be handed over is listed");
    assert_eq!(shared_due(&p), [("madoguchi-01", "transferred")]);
    assert_eq!(&kinds(&p)[..3], [("list_for_return", "transferred"), ("shared_password_due", "transferred"), ("save_person", "transferred")]);
    assert_eq!(p.removals, 0, "neither counts as a removal");
}

#[test]
fn r_lc_15_a_leaver_hands_back_keys_and_shared_ids_and_a_rerun_lists_nothing_twice() {
    let mut known = with_keys_and_shared_id(&[person("1", "shimin"), person("2", "shimin")], "1");
    let mut gone = person("1", "shimin");
    gone.status = PersonStatus::Left;
    let p = converge(&mut known, &full(vec![gone.clone(), person("2", "shimin")]));
    assert_eq!(listed(&p), [("usb-key", "retired")]);
    assert_eq!(shared_due(&p), [("madoguchi-01", "retired")]);
    // A run cut short after the listing but before the disable plans the rest, not the listing again.
    let mut known = with_keys_and_shared_id(&[person("1", "shimin"), person("2", "shimin")], "1");
    known[0].authenticators[0].listed = true;
    let p = run(&full(vec![gone, person("2", "shimin")]), &known);
    assert!(listed(&p).is_empty() && p.steps.iter().any(|s| s.action.kind() == "disable"), "{:?}", kinds(&p));
}

#[test]
fn r_au_08_leave_and_secondment_end_the_use_of_shared_ids_but_a_plain_change_does_not() {
    let mut known = with_keys_and_shared_id(&[person("1", "shimin"), person("2", "shimin")], "1");
    let mut renamed = person("1", "shimin");
    renamed.post = Some("主任".into());
    let p = converge(&mut known, &full(vec![renamed.clone(), person("2", "shimin")]));
    assert!(shared_due(&p).is_empty() && listed(&p).is_empty(), "{:?}", kinds(&p));
    let mut leave = renamed.clone();
    leave.status = PersonStatus::OnLeave;
    let p = converge(&mut known, &full(vec![leave, person("2", "shimin")]));
    assert_eq!(shared_due(&p), [("madoguchi-01", "on_leave")]);
    assert!(listed(&p).is_empty(), "a person on leave keeps their key");

    let mut known = with_keys_and_shared_id(&[person("1", "shimin"), person("2", "shimin")], "1");
    let mut seconded = person("1", "shimin");
    seconded.status = PersonStatus::Seconded;
    seconded.secondment_target = Some("kikaku".into());
    let p = converge(&mut known, &full(vec![seconded, person("2", "shimin")]));
    assert_eq!(listed(&p), [("usb-key", "seconded")]);
    assert_eq!(shared_due(&p), [("madoguchi-01", "seconded")]);
}

#[test]
fn r_lc_15_every_reason_code_has_a_label_for_the_returns_page() {
    let on = time::macros::date!(2026 - 03 - 31);
    let all = [
        Reason::Joined,
        Reason::Transferred { from: "shimin".into(), to: "zeimu".into() },
        Reason::Changed,
        Reason::OnLeave,
        Reason::Returned,
        Reason::Seconded { to: "県".into() },
        Reason::Retired,
        Reason::ContractEnded { on },
        Reason::EntryGone,
        Reason::Rehired,
    ];
    for r in all {
        let (ja, en) = Reason::label_of_code(r.code()).unwrap_or_else(|| panic!("{} has no label", r.code()));
        assert!(r.ja().starts_with(ja) && !en.is_empty(), "{ja} / {en} for {r:?}");
    }
    assert_eq!(Reason::label_of_code("transferred"), Some(("異動", "transferred")));
    assert_eq!(Reason::label_of_code("unknown"), None);
}
