//! Drift and the repair plan's limits (R-LC-04), pure.

use super::*;
use serde_json::json;

const MAPPED: &[&str] = &["userName", "externalId", "title"];

fn rules(max: u32, percent: f64) -> SyncRules {
    SyncRules { max_removals: max, max_removal_percent: percent, ..SyncRules::default() }
}

fn expected(id: &str, title: &str, active: bool) -> Expected {
    let attributes = [("userName", json!(format!("u-{id}"))), ("externalId", json!(id)), ("title", json!(title))]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    Expected { account_id: id.into(), resource: Resource { attributes, active } }
}

fn listed(id: &str, ext: Option<&str>, title: &str, active: bool) -> Listed {
    let mut u = json!({ "id": id, "userName": format!("u-{}", ext.unwrap_or(id)), "title": title, "active": active, "meta": { "resourceType": "User" } });
    if let Some(e) = ext {
        u["externalId"] = json!(e);
    }
    Listed::from_json(&u).unwrap()
}

fn ours(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

#[test]
fn r_lc_04_drift_names_orphans_missing_and_wrong_attributes() {
    let exp = [
        expected("a1", "主事", true),
        expected("a2", "主査", true),
        expected("a3", "係長", true),
        expected("a4", "主事", false),
    ];
    let got = [
        listed("r1", Some("a1"), "主事", true),
        listed("r2", Some("a2"), "係長", true), // title changed in the system
        // a3 missing; a4 inactive and absent: nothing needed
        listed("r5", None, "", true),                // made by hand in the system
        listed("r6", Some("a9"), "", true),          // tobira's account, no longer expected there
        listed("r7", Some("other-idp-1"), "", true), // someone else's
    ];
    let d = drift(&exp, &got, &ours(&["a1", "a2", "a3", "a4", "a9"]), MAPPED, &rules(20, 100.0));
    assert_eq!(d.listed, 5);
    assert_eq!(d.foreign, 1);
    assert_eq!(d.orphans.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(), ["r5", "r6"]);
    assert_eq!(d.missing, ["a3"]);
    assert_eq!(d.wrong.len(), 1);
    assert_eq!((d.wrong[0].account_id.as_str(), d.wrong[0].attributes.clone()), ("a2", vec!["title".to_string()]));
    assert!(d.held.is_empty());
    assert_eq!(d.deactivations().len(), 2);
}

#[test]
fn r_lc_04_an_inactive_orphan_is_reported_but_needs_no_deactivation() {
    let d = drift(&[], &[listed("r1", None, "", false)], &ours(&[]), MAPPED, &rules(0, 0.0));
    assert_eq!(d.orphans.len(), 1);
    assert!(d.deactivations().is_empty());
    assert!(d.held.is_empty(), "{:?}", d.held);
}

#[test]
fn r_lc_04_an_active_state_that_differs_is_wrong_and_extra_server_keys_are_not() {
    let exp = [expected("a1", "主事", false)];
    let mut u = json!({ "id": "r1", "userName": "u-a1", "externalId": "a1", "title": "主事", "active": true });
    let d = drift(&exp, &[Listed::from_json(&u).unwrap()], &ours(&["a1"]), MAPPED, &rules(20, 100.0));
    assert_eq!(d.wrong[0].attributes, ["active"]);
    u["active"] = json!(false);
    let d = drift(&exp, &[Listed::from_json(&u).unwrap()], &ours(&["a1"]), MAPPED, &rules(20, 100.0));
    assert!(d.is_clean(), "{d:?}");

    // Objects the server enriched (`display`, `primary`) still hold what tobira sent.
    let sent = Resource {
        attributes: [("emails".to_string(), json!([{ "value": "a@x.jp", "type": "work" }]))].into_iter().collect(),
        active: true,
    };
    assert!(differences(
        &sent,
        &json!({ "emails": [{ "value": "a@x.jp", "type": "work", "display": "a" }], "active": true }),
        &["emails"]
    )
    .is_empty());
    assert_eq!(
        differences(&sent, &json!({ "emails": [{ "value": "b@x.jp", "type": "work" }] }), &["emails"]),
        ["emails"]
    );
    // A value tobira left out must be absent in the system.
    assert_eq!(
        differences(
            &sent,
            &json!({ "emails": [{ "value": "a@x.jp", "type": "work" }], "title": "課長" }),
            &["emails", "title"]
        ),
        ["title"]
    );
}

#[test]
fn r_lc_04_deactivations_beyond_the_removal_limits_are_held() {
    let exp: Vec<Expected> = (0..10).map(|i| expected(&format!("a{i}"), "主事", true)).collect();
    let mut got: Vec<Listed> =
        (0..10).map(|i| listed(&format!("r{i}"), Some(&format!("a{i}")), "主事", true)).collect();
    got.extend((0..3).map(|i| listed(&format!("x{i}"), None, "", true)));
    let d = drift(&exp, &got, &ours(&[]), MAPPED, &rules(2, 100.0));
    assert_eq!(d.deactivations().len(), 3);
    assert_eq!(d.held.len(), 1);
    assert!(d.held[0].contains("max_removals"), "{:?}", d.held);
    // The percentage limit alone: 3 of 13 active Users is 23 %.
    let d = drift(&exp, &got, &ours(&[]), MAPPED, &rules(20, 10.0));
    assert!(d.held.iter().any(|h| h.contains("max_removal_percent")), "{:?}", d.held);
    // Within both: nothing held.
    assert!(drift(&exp, &got, &ours(&[]), MAPPED, &rules(3, 25.0)).held.is_empty());
}
