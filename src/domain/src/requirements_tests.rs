//! Tests named for requirements whose rule lives in more than one module of this crate: the class a
//! system and its tokens carry (R-ZN-06), the staff realm (R-ZN-08), the factors and networks of
//! cloud and outside access (R-AU-03, R-AU-04), a system's recorded password deviation (R-AU-17), and
//! access that follows the organisation (R-AC-06, R-AC-07). All against the shipped example policy.

use crate::authn::access::{decide, network_of, Decision, Whence};
use crate::authn::FactorKind;
use crate::hr::{read_person, HrPerson, RawEntry};
use crate::lifecycle::birthright;
use crate::oidc::claims::{access_token, AccessFor, Stamp};
use crate::org::{EmploymentType, PersonStatus};
use crate::policy::{load, Policy};
use crate::test_support::{example_files, example_policy};
use std::collections::{BTreeMap, BTreeSet};

const K: FactorKind = FactorKind::Knowledge;
const P: FactorKind = FactorKind::Possession;

/// The example policy with `from` replaced by `to` in the file `file` (the edit must apply).
fn edited(file: &str, from: &str, to: &str) -> Result<Policy, String> {
    let mut files = example_files();
    let f = files.iter_mut().find(|f| f.name.ends_with(file)).unwrap();
    assert!(f.text.contains(from), "{file} has no {from:?}");
    f.text = f.text.replacen(from, to, 1);
    load(&files).map_err(|e| e.to_string())
}

fn whence<'p>(p: &'p Policy, ip: &str, remote_permitted: bool) -> Whence<'p> {
    Whence { network: network_of(p, ip.parse().unwrap()), remote_permitted }
}

use crate::test_support::person;

fn roles(p: &HrPerson, policy: &Policy) -> Vec<String> {
    birthright(p, policy, p.status).into_keys().collect()
}

#[test]
fn r_zn_06_a_system_has_one_class_a_token_one_system_and_the_highest_requirement_applies() {
    // A system cannot be put in two classes at once: the register takes one.
    let two = edited(
        "systems.toml",
        "classification = \"2\"\nowner = { employee_number = \"900031\"",
        "classification = [\"2\", \"3A\"]\nowner = { employee_number = \"900031\"",
    );
    assert!(two.is_err(), "a list of classes is refused");
    // What a system needs is the highest of what its zone, its class and its own setting ask.
    let p = example_policy();
    let mut bunsho = p.system("bunsho").unwrap().clone();
    assert_eq!(p.required_factor_kinds(&bunsho), 1, "LGWAN zone 1, 機密性2 1");
    bunsho.classification = toml::Spanned::new(0..0, "3A".into());
    assert_eq!(p.required_factor_kinds(&bunsho), 2, "the class is the highest");
    bunsho.classification = toml::Spanned::new(0..0, "1".into());
    bunsho.zone = toml::Spanned::new(0..0, "mynumber".into());
    assert_eq!(p.required_factor_kinds(&bunsho), 2, "the zone is the highest");
    bunsho.min_factor_kinds = Some(toml::Spanned::new(0..0, 3));
    assert_eq!(p.required_factor_kinds(&bunsho), 3, "the system's own setting is the highest");
    // An access token names exactly one system as its audience: it never spans two classes.
    let stamp = Stamp { issuer: "https://id.city.shinonome.lg.jp", now_s: 1_775_001_600, lifetime_s: 300, jti: "j" };
    let at = access_token(stamp, AccessFor { system: "juki", client_id: "t-juki", scope: &[], person: None });
    assert_eq!(at["aud"], serde_json::json!("juki"));
}

#[test]
fn r_zn_08_a_resident_or_other_outside_entry_never_becomes_a_person_of_the_staff_realm() {
    let p = example_policy();
    let mapping = p.directory.clone().unwrap();
    let entry = |kind: &str| {
        let attrs: BTreeMap<String, Vec<String>> = [
            ("employeenumber", "100777"),
            ("cn", "東雲 住民"),
            ("departmentnumber", "shimin"),
            ("employeetype", kind),
            ("description", "在職"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
        .collect();
        RawEntry {
            dn: "employeeNumber=100777,ou=people,dc=shinonome,dc=lg,dc=jp".into(),
            attrs,
            binary: BTreeSet::new(),
        }
    };
    let known: BTreeSet<String> = ["shimin".to_string()].into();
    assert!(read_person(&entry("正規"), &mapping, Some(&known)).is_ok(), "a member of staff is read");
    for outsider in ["住民", "申請者", "resident"] {
        let e = read_person(&entry(outsider), &mapping, Some(&known)).unwrap_err();
        assert!(e.reason.contains("not an employment type"), "{outsider}: {}", e.reason);
        assert_eq!(e.employee_number.as_deref(), Some("100777"), "reported, never turned into an account");
    }
    // The realm's kinds of people are staff and those working for the city under contract, nobody else.
    assert!(mapping.employment_types.values().all(|t| EmploymentType::ALL.contains(t.get_ref())));
}

#[test]
fn r_au_03_a_cloud_systems_factors_follow_its_class_and_its_own_setting() {
    let p = example_policy();
    let groupware = p.system("groupware").unwrap();
    assert!(groupware.cloud);
    let office = whence(&p, "10.10.1.5", true);
    assert_eq!(decide(&p, groupware, &[K], office), Decision::Allowed, "機密性2 in the internet zone: one kind");
    // The owner of a cloud system holding more sensitive information raises it in the register.
    let own = edited(
        "systems.toml",
        "zone = \"internet\"\nclassification = \"2\"\ncloud = true",
        "zone = \"internet\"\nclassification = \"2\"\ncloud = true\nmin_factor_kinds = 2",
    )
    .unwrap();
    let g = own.system("groupware").unwrap();
    assert_eq!(decide(&own, g, &[K], whence(&own, "10.10.1.5", true)), Decision::StepUp { have: 1, need: 2 });
    assert_eq!(
        decide(&own, g, &[K, P], whence(&own, "10.40.3.3", true)),
        Decision::Allowed,
        "from telework with two kinds"
    );
    // Or its class asks for it: the same cloud system at 機密性3C with a class that needs two kinds.
    let class = edited(
        "municipality.toml",
        "id = \"3C\"\nname = \"機密性3C\"\nmin_factor_kinds = 1",
        "id = \"3C\"\nname = \"機密性3C\"\nmin_factor_kinds = 2",
    )
    .unwrap();
    let mut g = class.system("groupware").unwrap().clone();
    g.classification = toml::Spanned::new(0..0, "3C".into());
    assert_eq!(decide(&class, &g, &[K], whence(&class, "10.40.3.3", true)), Decision::StepUp { have: 1, need: 2 });
}

#[test]
fn r_au_04_outside_networks_reach_a_system_only_where_zone_class_and_a_grant_allow() {
    let p = example_policy();
    let both = [K, P];
    // From the internet (an address in no network of the policy): nothing, whatever the factors.
    for s in p.systems.iter().filter(|s| s.approval.status == crate::policy::ApprovalStatus::Approved) {
        assert_eq!(
            decide(&p, s, &both, whence(&p, "203.0.113.9", true)),
            Decision::NetworkRefused { network: None },
            "{}",
            s.id.get_ref()
        );
    }
    // From telework: only a system whose zone lists it and whose class allows remote work, and only
    // for a person holding the telework grant.
    let reachable: Vec<&str> = p
        .systems
        .iter()
        .filter(|s| decide(&p, s, &both, whence(&p, "10.40.3.3", true)) == Decision::Allowed)
        .map(|s| s.id.get_ref().as_str())
        .collect();
    assert_eq!(reachable, ["groupware"]);
    let groupware = p.system("groupware").unwrap();
    assert!(
        matches!(decide(&p, groupware, &both, whence(&p, "10.40.3.3", false)), Decision::NetworkRefused { .. }),
        "no grant, no access"
    );
    // A network the city declares public reaches nothing, even where a zone lists it.
    let public =
        edited("municipality.toml", "id = \"telework\"\nkind = \"remote\"", "id = \"telework\"\nkind = \"public\"")
            .unwrap();
    assert!(matches!(
        decide(&public, public.system("groupware").unwrap(), &both, whence(&public, "10.40.3.3", true)),
        Decision::NetworkRefused { .. }
    ));
}

#[test]
fn r_au_17_a_system_that_cannot_meet_the_password_rules_records_its_deviation() {
    let deviation = "旧システムのため8文字・英数字のみ（更新時に解消予定）";
    let p = edited(
        "systems.toml",
        "classification = \"2\"\nowner = { employee_number = \"900031\"",
        &format!(
            "classification = \"2\"\npassword_deviation = \"{deviation}\"\nowner = {{ employee_number = \"900031\""
        ),
    )
    .unwrap();
    assert_eq!(p.system("bunsho").unwrap().password_deviation, deviation);
    assert!(
        p.systems.iter().filter(|s| s.id.get_ref() != "bunsho").all(|s| s.password_deviation.is_empty()),
        "none recorded where none applies"
    );
}

#[test]
fn r_ac_06_birthright_roles_follow_the_hr_department_and_its_concurrent_posts() {
    let p = example_policy();
    let mut a = person("100601", "shimin");
    assert_eq!(roles(&a, &p), ["bunsho.user", "groupware.user", "juki.clerk"]);
    let b = person("100602", "zeimu");
    assert_eq!(
        roles(&b, &p),
        ["bunsho.user", "groupware.user", "zeimu.clerk"],
        "another section's system is not theirs"
    );
    // A concurrent post adds that department's roles; a transfer moves them.
    a.concurrent = vec!["zeimu".into()];
    assert_eq!(roles(&a, &p), ["bunsho.user", "groupware.user", "juki.clerk", "zeimu.clerk"]);
    a.concurrent.clear();
    a.department_code = "somu".into();
    assert_eq!(roles(&a, &p), ["bunsho.user", "groupware.user"], "transferred out of 市民課: no resident registry");
    // The head of a section also approves documents; someone on leave holds nothing.
    a.head_of_section = true;
    assert!(roles(&a, &p).contains(&"bunsho.approver".to_string()));
    a.status = PersonStatus::OnLeave;
    assert!(roles(&a, &p).is_empty());
}

#[test]
fn r_ac_07_internet_and_mail_reach_only_the_staff_a_rule_names() {
    // The city gives the groupware (internet zone: mail and the web) only to the posts that need it.
    let p = edited(
        "roles.toml",
        "roles = [\"groupware.user\", \"bunsho.user\"]",
        "roles = [\"bunsho.user\"]\n\n[[birthright]]\nid = \"internet-needed\"\nposts = [\"広報担当\", \"情報政策担当\"]\nroles = [\"groupware.user\"]",
    )
    .unwrap();
    let mut clerk = person("100701", "shimin");
    assert!(!roles(&clerk, &p).contains(&"groupware.user".to_string()), "a clerk whose work does not need it");
    clerk.post = Some("広報担当".into());
    assert!(roles(&clerk, &p).contains(&"groupware.user".to_string()), "a post whose work needs it");
    let internet: Vec<&str> = p
        .systems
        .iter()
        .filter(|s| p.zone(s.zone.get_ref()).is_some_and(|z| z.kind == crate::zone::ZoneKind::Internet))
        .map(|s| s.id.get_ref().as_str())
        .collect();
    assert_eq!(internet, ["groupware"], "the only internet-zone system is the one the rule governs");
}

#[test]
fn r_ac_13_r_zn_05_a_client_of_an_important_system_gets_the_shorter_connection_limit() {
    let p = example_policy();
    assert!(p.system("juki").unwrap().important && !p.system("bunsho").unwrap().important);
    let (juki, bunsho) = (p.client("juki-web").unwrap(), p.client("bunsho-web").unwrap());
    assert_eq!(p.oidc.important_refresh_token_minutes, 240);
    assert_eq!(juki.connection_minutes(&p.oidc, true), 240);
    assert_eq!(bunsho.connection_minutes(&p.oidc, false), p.oidc.refresh_token_minutes);
    // A client's own lifetime does not lift the cap, and a shorter one stays shorter.
    let mut own = juki.clone();
    own.refresh_token_minutes = Some(900);
    assert_eq!(own.connection_minutes(&p.oidc, true), 240);
    own.refresh_token_minutes = Some(60);
    assert_eq!(own.connection_minutes(&p.oidc, true), 60);
    // Left out, the safe default applies; zero is refused with the key's name.
    let absent = edited("clients.toml", "important_refresh_token_minutes = 240", "").unwrap();
    assert_eq!(
        absent.oidc.important_refresh_token_minutes,
        crate::policy::OidcRules::default().important_refresh_token_minutes
    );
    let zero = edited("clients.toml", "important_refresh_token_minutes = 240", "important_refresh_token_minutes = 0")
        .unwrap_err();
    assert!(zero.contains("oidc.important_refresh_token_minutes must be at least 1"), "{zero}");
}
