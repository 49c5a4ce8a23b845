//! The planner against the example policy, with a fixed date: the shared fixtures here, the tests
//! by behaviour in the submodules.

use super::*;
use crate::org::EmploymentType;
use time::macros::date;

mod changes;
mod handback;
mod reads;

const TODAY: Date = date!(2026 - 04 - 01);
const NOW: i64 = 1_775_001_600_000; // 2026-04-01T00:00:00Z

fn policy() -> Policy {
    crate::test_support::example_policy()
}

use crate::test_support::person;

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
            Action::SavePerson { person } => {
                match known.iter_mut().find(|k| k.person.employee_number == person.employee_number) {
                    Some(k) => k.person = (**person).clone(),
                    None => known.push(Known {
                        person: (**person).clone(),
                        account: None,
                        grants: vec![],
                        authenticators: vec![],
                        shared_ids: vec![],
                    }),
                }
            }
            Action::CreateAccount { employee_number, login_id, grants, .. } => {
                let k = known.iter_mut().find(|k| &k.person.employee_number == employee_number).unwrap();
                k.account = Some(AccountView {
                    id: format!("a-{employee_number}"),
                    login_id: login_id.clone(),
                    status: AccountStatus::Active,
                    status_reason: None,
                });
                k.grants = grants
                    .iter()
                    .map(|(r, u)| GrantView {
                        id: id(),
                        role_id: r.clone(),
                        source: GrantSource::Birthright,
                        valid_until: *u,
                    })
                    .collect();
            }
            Action::Reenable { employee_number, .. }
            | Action::Suspend { employee_number, .. }
            | Action::Disable { employee_number, .. } => {
                let k = known.iter_mut().find(|k| &k.person.employee_number == employee_number).unwrap();
                let a = k.account.as_mut().unwrap();
                (a.status, a.status_reason) = match &s.action {
                    Action::Reenable { .. } => (AccountStatus::Active, None),
                    Action::Suspend { .. } => {
                        (AccountStatus::Suspended, Some(format!("{HR_REASON_PREFIX}{}", s.reason.code())))
                    }
                    _ => (AccountStatus::Disabled, Some(format!("{HR_REASON_PREFIX}{}", s.reason.code()))),
                };
            }
            Action::Grant { employee_number, role_id, valid_until, .. } => {
                let g = GrantView {
                    id: id(),
                    role_id: role_id.clone(),
                    source: GrantSource::Birthright,
                    valid_until: *valid_until,
                };
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
                known
                    .iter_mut()
                    .find(|k| &k.person.employee_number == employee_number)
                    .unwrap()
                    .shared_ids
                    .retain(|s| &s.account_id != account_id);
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
fn a_taken_login_id_gets_the_first_free_suffix() {
    let taken: BTreeSet<String> =
        ["u0001".to_string(), "u0001-2".to_string(), "u0001-3".to_string()].into_iter().collect();
    assert_eq!(login_id_for("0001", "u{employee_number}", &BTreeSet::new()), "u0001");
    assert_eq!(login_id_for("0001", "u{employee_number}", &taken), "u0001-4");
    assert_eq!(login_id_for("0002", "u{employee_number}", &taken), "u0002");
}
