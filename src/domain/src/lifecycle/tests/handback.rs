//! What a person hands back when they move or leave: physical keys and the shared IDs whose
//! password falls due, listed once.

use super::*;
use crate::lifecycle::handback::AuthenticatorKind;

/// `known` after a first sync of `people`, with a USB key, a platform passkey and a synced passkey
/// on `en`'s account and `en` a user of the shared ID `madoguchi-01`.
fn with_keys_and_shared_id(people: &[HrPerson], en: &str) -> Vec<Known> {
    let mut known = Vec::new();
    converge(&mut known, &full(people.to_vec()));
    let k = known.iter_mut().find(|k| k.person.employee_number == en).unwrap();
    let acc = k.account.clone().unwrap();
    let key = |id: &str, kind: AuthenticatorKind| AuthenticatorView {
        credential_id: id.into(),
        account_id: acc.id.clone(),
        login_id: acc.login_id.clone(),
        kind,
        label: id.into(),
        listed: false,
    };
    k.authenticators = vec![
        key("usb-key", AuthenticatorKind::SecurityKey),
        key("hello", AuthenticatorKind::Platform),
        key("icloud", AuthenticatorKind::SyncedPasskey),
    ];
    k.shared_ids = vec![SharedUse {
        account_id: "shared-1".into(),
        login_id: "madoguchi-01".into(),
        permitted_by: "900001".into(),
    }];
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
    assert_eq!(
        listed(&p),
        [("usb-key", "transferred")],
        "a platform or synced passkey stays; only what can be handed over is listed"
    );
    assert_eq!(shared_due(&p), [("madoguchi-01", "transferred")]);
    assert_eq!(
        &kinds(&p)[..3],
        [("list_for_return", "transferred"), ("shared_password_due", "transferred"), ("save_person", "transferred")]
    );
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
