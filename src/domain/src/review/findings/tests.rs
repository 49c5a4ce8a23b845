use super::*;
use crate::audit::AuditEvent;
use crate::test_support::example_policy;

/// 2027-01-13 (a Wednesday) 10:00 JST.
const WED_10_JST: i64 = 1_799_802_000_000;

fn rec(seq: i64, at: i64, action: &str, target: &str, ip: Option<&str>, outcome: Outcome) -> AuditRecord {
    let event = AuditEvent::new(target.trim_start_matches("account:"), action, target)
        .with_outcome(outcome)
        .with_origin(ip.map(String::from), None);
    AuditRecord { seq, occurred_at: at, event, prev_hash: String::new(), hash: String::new() }
}

fn fails(n: usize, every_ms: i64, target: &str, ip: &str) -> Vec<AuditRecord> {
    (0..n)
        .map(|i| {
            rec(
                i as i64 + 1,
                WED_10_JST + i as i64 * every_ms,
                "auth.sign_in_failed",
                target,
                Some(ip),
                Outcome::Failure,
            )
        })
        .collect()
}

#[test]
fn the_fixed_time_is_a_wednesday_morning_in_jst() {
    assert_eq!(crate::time_util::jst_display(WED_10_JST), "2027-01-13 10:00 JST");
}

#[test]
fn r_lg_03_a_burst_of_failures_is_one_finding_per_account_and_per_source() {
    let p = example_policy();
    let found = analyse(&p, &fails(12, 30_000, "account:100001", "10.1.2.3"), |_| None);
    let bursts: Vec<_> = found.iter().filter(|f| f.kind == "failed_burst").collect();
    assert_eq!(bursts.len(), 2, "{found:#?}");
    assert!(bursts.iter().any(|f| f.subject == "account:100001" && f.events == 12));
    assert!(bursts.iter().any(|f| f.subject == "source:10.1.2.3"));
    assert_eq!(bursts[0].evidence.len(), 10, "evidence names the records, capped");
}

#[test]
fn r_lg_03_failures_spread_beyond_the_window_are_not_a_burst() {
    let p = example_policy();
    // 10 failures 2 minutes apart span 18 minutes: more than the 10-minute window.
    assert!(analyse(&p, &fails(10, 120_000, "account:100001", "10.1.2.3"), |_| None)
        .iter()
        .all(|f| f.kind != "failed_burst"));
    assert!(
        analyse(&p, &fails(9, 1_000, "account:100001", "10.1.2.3"), |_| None).iter().all(|f| f.kind != "failed_burst"),
        "one short of the count"
    );
}

#[test]
fn r_lg_03_sign_ins_at_night_or_from_unknown_networks_are_findings() {
    let p = example_policy();
    let office_ip = p
        .networks
        .iter()
        .find(|n| n.id.get_ref() == "office-wired")
        .and_then(|n| n.cidrs.first())
        .map(|c| c.get_ref().split('/').next().unwrap().to_string());
    let office_ip = office_ip.expect("the example policy has an office network");
    let night = WED_10_JST + 13 * 3_600_000; // 23:00 JST
    let recs = vec![
        rec(1, WED_10_JST, "auth.sign_in", "account:100001", Some(&office_ip), Outcome::Success),
        rec(2, night, "auth.sign_in", "account:100002", Some(&office_ip), Outcome::Success),
        rec(3, WED_10_JST, "auth.sign_in", "account:100003", Some("203.0.113.9"), Outcome::Success),
    ];
    let found = analyse(&p, &recs, |_| None);
    let kinds: Vec<(&str, &str)> = found.iter().map(|f| (f.kind, f.subject.as_str())).collect();
    assert_eq!(kinds, [("unexpected_network", "account:100003"), ("unusual_hours", "account:100002")], "{found:#?}");
}

#[test]
fn r_lg_03_use_after_leaving_is_a_finding() {
    let p = example_policy();
    let recs = vec![rec(1, WED_10_JST, "auth.sign_in", "account:100009", None, Outcome::Success)];
    assert_eq!(
        analyse(&p, &recs, |s| (s == "account:100009").then_some(WED_10_JST - 1))
            .iter()
            .filter(|f| f.kind == "used_after_leaving")
            .count(),
        1
    );
    assert!(analyse(&p, &recs, |_| Some(WED_10_JST + 1)).is_empty(), "used before leaving");
}

#[test]
fn weekends_count_only_when_the_policy_says_so() {
    let mut rules = FindingRules::default();
    let saturday = WED_10_JST + 3 * DAY_MS;
    assert!(!unusual_hour(&rules, saturday));
    rules.weekends_unusual = true;
    assert!(unusual_hour(&rules, saturday) && !unusual_hour(&rules, WED_10_JST));
}
