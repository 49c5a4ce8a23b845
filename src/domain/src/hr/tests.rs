//! Reading HR entries through the example policy's mapping: a valid entry, bad and binary values,
//! Active Directory's disabled accounts, and dates in both formats.

use super::*;

fn mapping() -> DirectoryMapping {
    crate::test_support::example_policy().directory.unwrap()
}

fn entry(extra: &[(&str, &[&str])]) -> RawEntry {
    let mut attrs: BTreeMap<String, Vec<String>> = [
        ("employeeNumber", &["100001"][..]),
        ("cn", &["東雲 花子"]),
        ("displayName", &["シノノメ ハナコ"]),
        ("departmentNumber", &["shimin"]),
        ("businessCategory", &["zeimu", "shimin"]),
        ("employeeType", &["会計年度任用"]),
        ("description", &["在職"]),
        ("shinonomeStartDate", &["20260401"]),
        ("shinonomeEndDate", &["20270331"]),
        ("shinonomeHeadOfSection", &["TRUE"]),
    ]
    .iter()
    .map(|(k, v)| (k.to_lowercase(), v.iter().map(|s| s.to_string()).collect()))
    .collect();
    for (k, v) in extra {
        if v.is_empty() {
            attrs.remove(&k.to_lowercase());
        } else {
            attrs.insert(k.to_lowercase(), v.iter().map(|s| s.to_string()).collect());
        }
    }
    RawEntry { dn: "uid=h.shinonome,ou=people,dc=shinonome,dc=lg,dc=jp".into(), attrs, binary: BTreeSet::new() }
}

fn known() -> BTreeSet<String> {
    ["shimin", "zeimu", "somu"].into_iter().map(String::from).collect()
}

fn problem(extra: &[(&str, &[&str])]) -> EntryProblem {
    read_person(&entry(extra), &mapping(), Some(&known())).unwrap_err()
}

#[test]
fn r_lc_10_a_valid_entry_maps_through_the_policy() {
    let p = read_person(&entry(&[]), &mapping(), Some(&known())).unwrap();
    assert_eq!(p.employment_type, EmploymentType::FixedTerm);
    assert_eq!(p.status, PersonStatus::Active);
    assert_eq!(p.concurrent, vec!["zeimu".to_string()], "the primary department is not a concurrent post");
    assert_eq!(p.end_date, Some(time::macros::date!(2027 - 03 - 31)));
    assert!(p.head_of_section);
}

#[test]
fn r_lc_14_bad_entries_are_reported_with_dn_and_attribute() {
    let e = problem(&[("employeeNumber", &[])]);
    assert_eq!((e.attribute.as_str(), e.reason.as_str(), e.employee_number), ("employeeNumber", "is missing", None));
    assert!(e.dn.starts_with("uid=h.shinonome"));
    assert_eq!(problem(&[("shinonomeEndDate", &["20270231"])]).attribute, "shinonomeEndDate");
    assert!(problem(&[("shinonomeEndDate", &["20250331"])]).reason.contains("before start date"));
    assert!(problem(&[("cn", &["東雲\u{0007}花子"])]).reason.contains("control characters"));
    assert!(problem(&[("cn", &[&"長".repeat(300)])]).reason.contains("longer than"));
    assert!(problem(&[("departmentNumber", &["kaigi"])]).reason.contains("not a known department"));
    assert!(problem(&[("employeeType", &["社長"])]).reason.contains("not an employment type"));
    assert!(problem(&[("description", &["行方不明"])]).reason.contains("not a status value"));
    assert!(problem(&[("cn", &["a", "b"])]).reason.contains("several values"));
    assert!(problem(&[("employeeNumber", &["10 0001"])]).reason.contains("not an employee number"));
    // Once the employee number is read, problems carry it: that person is never treated as gone.
    assert_eq!(problem(&[("shinonomeEndDate", &["x"])]).employee_number.as_deref(), Some("100001"));
}

#[test]
fn r_lc_14_binary_values_where_text_is_expected_are_a_problem() {
    let mut e = entry(&[]);
    e.binary.insert("cn".into());
    let p = read_person(&e, &mapping(), Some(&known())).unwrap_err();
    assert_eq!((p.attribute.as_str(), p.reason.as_str()), ("cn", "holds binary data where text is expected"));
}

#[test]
fn r_lc_03_an_active_directory_account_disabled_there_is_not_active_here() {
    let mut m = mapping();
    m.attributes.account_control = Some("userAccountControl".into());
    let read =
        |uac: &str, m: &DirectoryMapping| read_person(&entry(&[("userAccountControl", &[uac])]), m, Some(&known()));
    assert_eq!(read("512", &m).unwrap().status, PersonStatus::Active, "NORMAL_ACCOUNT");
    assert_eq!(read("514", &m).unwrap().status, PersonStatus::OnLeave, "ACCOUNTDISABLE, the default disabled_status");
    assert_eq!(read("66050", &m).unwrap().status, PersonStatus::OnLeave, "ACCOUNTDISABLE with DONT_EXPIRE_PASSWORD");
    m.disabled_status = toml::Spanned::new(0..0, "left".into());
    assert_eq!(read("514", &m).unwrap().status, PersonStatus::Left);
    assert!(read("disabled", &m).unwrap_err().reason.contains("not a number"));
}
