//! The SCIM event each change gives, with a fixed clock.

use super::*;
use crate::policy::provisioning::ProvisioningKind;

const NOW: i64 = 1_775_000_000_000;

fn cfg(days: u32) -> Provisioning {
    let text = format!("kind = \"scim\"\nbase_url = \"https://gw.example.jp/scim/v2\"\ntoken_file = \"/etc/tobira/gw.token\"\ndelete_after_days = {days}\n");
    let p: Provisioning = toml::from_str(&text).unwrap();
    assert_eq!(*p.kind.get_ref(), ProvisioningKind::Scim);
    p
}

fn holder(status: AccountStatus, roles: &[&str]) -> Holder {
    Holder {
        account_id: "acc-1".into(),
        login_id: "100001".into(),
        status: Some(status),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        employee_number: Some("100001".into()),
        name_kanji: Some("山田 太郎".into()),
        name_kana: Some("ヤマダ タロウ".into()),
        department_code: Some("shimin".into()),
        department_name: Some("市民課".into()),
        title: Some("主事".into()),
        mail: Some("yamada@city.example.jp".into()),
    }
}

fn after(c: &Change) -> Link {
    c.link.clone()
}

#[test]
fn r_lc_01_a_grant_gives_a_create_and_nothing_more_when_unchanged() {
    let p = cfg(90);
    let h = holder(AccountStatus::Active, &["groupware.user"]);
    let c = decide(None, Some(&h), &p, NOW).unwrap();
    assert_eq!((c.event, c.link.state), (Some(Event::Create), LinkState::Active));
    assert_eq!(c.link.sent.attributes["userName"], "100001");
    assert_eq!(c.link.sent.attributes["externalId"], "acc-1");
    assert_eq!(decide(Some(&after(&c)), Some(&h), &p, NOW + 1), None, "idempotent: the same state queues nothing");
    // Nobody without a grant is provisioned.
    assert_eq!(decide(None, Some(&holder(AccountStatus::Active, &[])), &p, NOW), None);
    assert_eq!(decide(None, Some(&holder(AccountStatus::Suspended, &["groupware.user"])), &p, NOW), None);
}

#[test]
fn r_lc_01_a_transfer_rename_or_title_change_gives_an_update() {
    let p = cfg(90);
    let h = holder(AccountStatus::Active, &["groupware.user"]);
    let linked = after(&decide(None, Some(&h), &p, NOW).unwrap());
    for change in [
        |h: &mut Holder| h.department_name = Some("税務課".into()),
        |h: &mut Holder| h.name_kanji = Some("佐藤 太郎".into()),
        |h: &mut Holder| h.title = Some("主査".into()),
    ] {
        let mut moved = h.clone();
        change(&mut moved);
        let c = decide(Some(&linked), Some(&moved), &p, NOW + 1).unwrap();
        assert_eq!((c.event, c.why, c.link.state), (Some(Event::Update), Why::Holder, LinkState::Active));
    }
}

#[test]
fn r_lc_03_leave_deactivates_and_the_return_reactivates_without_deletion() {
    let p = cfg(0);
    let h = holder(AccountStatus::Active, &["groupware.user"]);
    let linked = after(&decide(None, Some(&h), &p, NOW).unwrap());
    let leave =
        decide(Some(&linked), Some(&holder(AccountStatus::Suspended, &["groupware.user"])), &p, NOW + 1).unwrap();
    assert_eq!((leave.event, leave.why, leave.link.removable_since), (Some(Event::Deactivate), Why::Suspended, None));
    assert!(!leave.link.sent.active);
    // Even with a retention of 0 days, a person on leave is never deleted.
    assert_eq!(
        decide(Some(&leave.link), Some(&holder(AccountStatus::Suspended, &["groupware.user"])), &p, NOW + 400 * DAY_MS),
        None
    );
    let back = decide(Some(&leave.link), Some(&h), &p, NOW + 2).unwrap();
    assert_eq!((back.event, back.link.state), (Some(Event::Reactivate), LinkState::Active));
}

#[test]
fn r_lc_03_a_leaver_is_deactivated_at_once_and_deleted_after_retention() {
    let p = cfg(30);
    let linked = after(&decide(None, Some(&holder(AccountStatus::Active, &["groupware.user"])), &p, NOW).unwrap());
    let gone = holder(AccountStatus::Disabled, &[]);
    let off = decide(Some(&linked), Some(&gone), &p, NOW + 1).unwrap();
    assert_eq!((off.event, off.why, off.link.removable_since), (Some(Event::Deactivate), Why::Leaver, Some(NOW + 1)));
    assert_eq!(decide(Some(&off.link), Some(&gone), &p, NOW + 30 * DAY_MS), None, "retention not yet over");
    let del = decide(Some(&off.link), Some(&gone), &p, NOW + 1 + 30 * DAY_MS).unwrap();
    assert_eq!((del.event, del.why, del.link.state), (Some(Event::Delete), Why::Retention, LinkState::Deleted));
    assert_eq!(decide(Some(&del.link), Some(&gone), &p, NOW + 400 * DAY_MS), None, "deleted once");
    // A rehire after deletion creates again; before deletion it re-activates.
    let rehired = holder(AccountStatus::Active, &["groupware.user"]);
    assert_eq!(decide(Some(&del.link), Some(&rehired), &p, NOW + 401 * DAY_MS).unwrap().event, Some(Event::Create));
    assert_eq!(decide(Some(&off.link), Some(&rehired), &p, NOW + 2).unwrap().event, Some(Event::Reactivate));
}

#[test]
fn r_lc_03_a_grant_end_deactivates_and_a_leave_turning_into_leaving_starts_the_retention() {
    let p = cfg(10);
    let linked = after(&decide(None, Some(&holder(AccountStatus::Active, &["groupware.user"])), &p, NOW).unwrap());
    let ended = decide(Some(&linked), Some(&holder(AccountStatus::Active, &[])), &p, NOW + 1).unwrap();
    assert_eq!((ended.event, ended.why), (Some(Event::Deactivate), Why::GrantEnded));
    let leave =
        decide(Some(&linked), Some(&holder(AccountStatus::Suspended, &["groupware.user"])), &p, NOW + 1).unwrap();
    let left = decide(Some(&leave.link), Some(&holder(AccountStatus::Disabled, &[])), &p, NOW + 5 * DAY_MS).unwrap();
    assert_eq!(
        left.link.removable_since,
        Some(NOW + 5 * DAY_MS),
        "the retention counts from leaving, not from the leave"
    );
    assert_eq!(left.link.state, LinkState::Inactive);
}

#[test]
fn the_scim_user_nests_sub_attributes_and_extensions() {
    let p = cfg(90);
    let r = decide(None, Some(&holder(AccountStatus::Active, &["groupware.user"])), &p, NOW).unwrap().link.sent;
    let u = scim_user(&r);
    assert_eq!(u["name"]["formatted"], "山田 太郎");
    assert_eq!(u["emails"][0]["value"], "yamada@city.example.jp");
    assert_eq!(u["roles"][0]["value"], "groupware.user");
    assert_eq!(u[crate::policy::provisioning::ENTERPRISE]["department"], "市民課");
    assert_eq!(u["active"], true);
    assert!(u["schemas"].as_array().unwrap().iter().any(|s| s == crate::policy::provisioning::ENTERPRISE));
}

#[test]
fn an_extension_whose_name_a_plain_attribute_took_is_skipped_not_a_panic() {
    // `urn:x` splits into extension `urn` and attribute `x`; a plain attribute `urn` took the name.
    let attributes = [
        ("urn".to_string(), Value::from("plain")),
        ("urn:x".to_string(), Value::from("lost")),
        ("userName".to_string(), Value::from("yamada")),
    ]
    .into_iter()
    .collect();
    let u = scim_user(&Resource { attributes, active: true });
    assert_eq!(u["urn"], "plain", "the plain attribute stands");
    assert_eq!(u["userName"], "yamada");
    assert!(!u["schemas"].as_array().unwrap().iter().any(|s| s == "urn"), "a skipped extension is not listed: {u}");
}
