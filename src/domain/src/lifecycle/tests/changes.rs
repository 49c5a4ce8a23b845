//! What each HR change plans: joiners, rule differences, transfers, retirement, leave and return,
//! rehire, fixed-term ends, future hires and secondment; an officer's suspension left alone.

use super::*;
use time::macros::date;

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
    known[0].grants.push(GrantView {
        id: "req1".into(),
        role_id: "denshi-shinsei.clerk".into(),
        source: GrantSource::Request,
        valid_until: None,
    });
    let p = converge(&mut known, &full(vec![person("100001", "zeimu")]));
    let k = kinds(&p);
    assert!(
        k.contains(&("revoke", "transferred"))
            && k.contains(&("grant", "transferred"))
            && k.contains(&("flag_for_review", "transferred")),
        "{k:?}"
    );
    assert_eq!(
        roles_of(&known, "100001"),
        set(&["bunsho.user", "denshi-shinsei.clerk", "groupware.user", "zeimu.clerk"]),
        "requested grants stay"
    );
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
    known[0].grants.push(GrantView {
        id: "req1".into(),
        role_id: "denshi-shinsei.clerk".into(),
        source: GrantSource::Request,
        valid_until: None,
    });
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
    let later = plan(
        &full(vec![fixed]),
        &Holdings::all(&known, &BTreeSet::new()),
        &lenient(),
        date!(2026 - 05 - 01),
        NOW,
        None,
    );
    assert!(later
        .steps
        .iter()
        .any(|s| matches!(s.action, Action::Disable { .. }) && matches!(s.reason, Reason::ContractEnded { .. })));
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
