//! Policy loading and validation against the shipped example and deliberately broken variants.

use super::*;

mod settings;

fn example() -> Vec<SourceFile> {
    crate::test_support::example_files()
}

/// The example with `from` replaced by `to` in file `file` (the replacement must happen).
fn edited(file: &str, from: &str, to: &str) -> Vec<SourceFile> {
    let mut files = example();
    let f = files.iter_mut().find(|f| f.name.ends_with(file)).expect("file");
    assert!(f.text.contains(from), "{from:?} not in {file}");
    f.text = f.text.replacen(from, to, 1);
    files
}

fn errors(files: &[SourceFile]) -> Vec<PolicyError> {
    match load(files) {
        Ok(_) => panic!("policy should be rejected"),
        Err(e) => e.0,
    }
}

fn line_containing(files: &[SourceFile], file: &str, needle: &str) -> usize {
    let f = files.iter().find(|f| f.name.ends_with(file)).unwrap();
    f.text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

/// Exactly one error, in `file` at the line containing `needle`, whose message contains `msg`.
fn assert_one(files: &[SourceFile], file: &str, needle: &str, msg: &str) {
    let errs = errors(files);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    let e = &errs[0];
    assert!(e.file.ends_with(file), "{e}");
    assert_eq!(e.line, Some(line_containing(files, file, needle)), "{e}");
    assert!(e.message.contains(msg), "{e}");
}

fn assert_one_at(files: &[SourceFile], line: Option<usize>, msg: &str) {
    let errs = errors(files);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].line, line, "{}", errs[0]);
    assert!(errs[0].message.contains(msg), "{}", errs[0]);
}

#[test]
fn r_zn_07_example_policy_loads_with_its_register() {
    let p = load(&example()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.municipality.name, "東雲市");
    assert_eq!(p.classification.levels.len(), 5);
    assert_eq!(p.level_rank("3A"), Some(0));
    let juki = p.system("juki").unwrap();
    assert_eq!(juki.owner.title, "市民課長");
    assert_eq!(juki.zone.get_ref(), "mynumber");
    assert_eq!(p.digest.len(), 64);
    assert_eq!(p.service_system().unwrap().id.get_ref(), "tobira");
    assert_eq!(p.officer_role(OfficerFunction::SecurityOfficer), Some("tobira.security_officer"));
}

#[test]
fn r_au_02_my_number_systems_need_two_factor_kinds() {
    let p = load(&example()).unwrap();
    assert_eq!(p.required_factor_kinds(p.system("juki").unwrap()), 2);
    assert_eq!(p.required_factor_kinds(p.system("groupware").unwrap()), 1);
    // tobira itself handles 3B information: two kinds through its classification, not its zone.
    assert_eq!(p.required_factor_kinds(p.system("tobira").unwrap()), 2);
}

#[test]
fn r_au_02_my_number_zone_with_one_factor_is_rejected() {
    let files = edited(
        "municipality.toml",
        "min_factor_kinds = 2             # R-AU-02",
        "min_factor_kinds = 1             # R-AU-02",
    );
    assert_one(&files, "municipality.toml", "# R-AU-02: two of", "R-AU-02");
}

#[test]
fn r_au_02_my_number_system_lowering_factors_is_rejected() {
    let files =
        edited("systems.toml", "max_privileged_holders = 2", "max_privileged_holders = 2\nmin_factor_kinds = 1");
    assert_one(&files, "systems.toml", "min_factor_kinds = 1", "My Number zone");
}

#[test]
fn a_system_may_only_raise_its_factor_requirement() {
    let files = edited(
        "systems.toml",
        "classification = \"2\"\nowner = { employee_number = \"900031\"",
        "classification = \"3B\"\nmin_factor_kinds = 1\nowner = { employee_number = \"900031\"",
    );
    assert_one(&files, "systems.toml", "min_factor_kinds = 1", "may only raise");
}

#[test]
fn unknown_key_is_rejected_with_its_line() {
    let files = edited("authentication.toml", "history = 5", "history = 5\nmax_lenght = 64");
    assert_one(&files, "authentication.toml", "max_lenght", "max_lenght");
}

#[test]
fn unknown_top_level_section_is_rejected() {
    let files = edited("review.toml", "[audit]", "[auditing]");
    assert_one(&files, "review.toml", "[auditing]", "auditing");
}

#[test]
fn syntax_error_names_file_and_line() {
    let files = edited("roles.toml", "name = \"住基 事務担当\"", "name = \"住基 事務担当");
    let errs = errors(&files);
    assert_eq!(errs[0].file, "policies/roles.toml");
    assert_eq!(errs[0].line, Some(line_containing(&files, "roles.toml", "住基 事務担当")));
}

#[test]
fn role_referring_to_missing_system_is_rejected() {
    let files = edited(
        "roles.toml",
        "system = \"zeimu\"\nname = \"税務 事務担当\"",
        "system = \"zeimu2\"\nname = \"税務 事務担当\"",
    );
    assert_one(&files, "roles.toml", "zeimu2", "system `zeimu2`");
}

#[test]
fn system_with_unknown_zone_or_level_is_rejected() {
    let files = edited("systems.toml", "zone = \"internet\"", "zone = \"cloud\"");
    assert_one(&files, "systems.toml", "zone = \"cloud\"", "zone `cloud`");
    let files = edited("systems.toml", "classification = \"3A\"", "classification = \"S\"");
    assert_one(&files, "systems.toml", "classification = \"S\"", "not a level of the scale");
}

#[test]
fn duplicate_ids_are_rejected() {
    let files = edited("roles.toml", "id = \"denshi-shinsei.clerk\"", "id = \"juki.clerk\"");
    let second = files[2].text.match_indices("id = \"juki.clerk\"").nth(1).map(|(i, _)| line_of(&files[2].text, i));
    assert_one_at(&files, second, "role `juki.clerk` is defined more than once");
}

#[test]
fn r_pr_02_privileged_role_as_birthright_is_rejected() {
    let files = edited("roles.toml", "roles = [\"zeimu.clerk\"]", "roles = [\"zeimu.clerk\", \"zeimu.admin\"]");
    assert_one(&files, "roles.toml", "\"zeimu.admin\"]", "R-PR-02");
}

#[test]
fn r_pr_05_privileged_lockout_looser_than_staff_is_rejected() {
    let files = edited("authentication.toml", "max_failures = 5", "max_failures = 11");
    assert_one(&files, "authentication.toml", "max_failures = 11", "R-PR-05");
}

#[test]
fn r_pr_05_privileged_password_expiry_longer_than_staff_is_rejected() {
    let files = edited("authentication.toml", "max_age_days = 90", "max_age_days = 365");
    assert_one(&files, "authentication.toml", "max_age_days = 365", "R-PR-05");
}

#[test]
fn r_pr_07_privileged_session_longer_than_staff_is_rejected() {
    let files = edited("authentication.toml", "absolute_minutes = 60\n", "absolute_minutes = 900\n");
    assert_one(&files, "authentication.toml", "absolute_minutes = 900", "R-PR-07");
}

#[test]
fn r_au_07_profiles_must_match_expiry() {
    let files = edited("authentication.toml", "profile = \"municipal\"    #", "profile = \"nist\"    #");
    assert_one(&files, "authentication.toml", "max_age_days = 180", "nist profile");
}

#[test]
fn password_max_length_below_64_is_rejected() {
    let files = edited("authentication.toml", "max_length = 128\nhistory = 5", "max_length = 32\nhistory = 5");
    assert_one(&files, "authentication.toml", "max_length = 32", "at least 64");
}

#[test]
fn r_ac_09_substitute_must_be_defined() {
    let files = edited(
        "officers.toml",
        "substitutes = [\"chief_security_officer\"]\n\n[officers.chief",
        "substitutes = [\"deputy_ciso\"]\n\n[officers.chief",
    );
    assert_one(&files, "officers.toml", "substitutes = [\"deputy_ciso\"]", "own substitute");
}

#[test]
fn r_rv_09_auditor_cannot_approve() {
    let files = edited("officers.toml", "sync_hold = [\"security_officer\"]", "sync_hold = [\"auditor\"]");
    assert_one(&files, "officers.toml", "sync_hold", "R-RV-09");
}

#[test]
fn r_ac_10_approved_system_names_its_approver() {
    let files = edited("systems.toml", "approval = { status = \"pending\" }", "approval = { status = \"approved\" }");
    assert_one(&files, "systems.toml", "id = \"denshi-shinsei\"", "R-AC-10");
}

#[test]
fn bad_cidr_and_unknown_network_are_rejected() {
    let files = edited("municipality.toml", "cidrs = [\"10.20.0.0/16\"]", "cidrs = [\"10.20.0.0/40\"]");
    assert_one(&files, "municipality.toml", "10.20.0.0/40", "prefix");
    let files =
        edited("municipality.toml", "networks = [\"office-wired\"]      #", "networks = [\"office-wird\"]      #");
    assert_one(&files, "municipality.toml", "office-wird", "network `office-wird`");
}

#[test]
fn section_defined_twice_is_rejected() {
    let files = edited("review.toml", "[audit]", "[session.staff]\nidle_minutes = 5\nabsolute_minutes = 10\n\n[audit]");
    let errs = errors(&files);
    assert!(
        errs.iter().any(
            |e| e.file.ends_with("review.toml") && e.message.contains("[session] is defined in more than one file")
        ),
        "{errs:#?}"
    );
}

#[test]
fn missing_required_sections_are_reported_together() {
    let files: Vec<SourceFile> = example()
        .into_iter()
        .filter(|f| !f.name.ends_with("officers.toml") && !f.name.ends_with("municipality.toml"))
        .collect();
    let msgs: Vec<String> = errors(&files).into_iter().map(|e| e.message).collect();
    assert!(msgs.iter().any(|m| m.contains("[municipality]")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("[officers]")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("[classification]")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("[[zones]]")), "{msgs:?}");
}

#[test]
fn several_errors_are_all_reported() {
    let mut files = edited(
        "roles.toml",
        "system = \"zeimu\"\nname = \"税務 事務担当\"",
        "system = \"nowhere\"\nname = \"税務 事務担当\"",
    );
    let auth = files.iter_mut().find(|f| f.name.ends_with("authentication.toml")).unwrap();
    auth.text = auth.text.replacen("max_failures = 5", "max_failures = 50", 1);
    assert_eq!(errors(&files).len(), 2);
}

#[test]
fn r_zn_02_other_cities_scales_load() {
    // Sendai: S/I/II/III, S highest. Niijima: I–IV, I highest. Only the scale changes.
    for (levels, top, mynumber_level) in [(["S", "I", "II", "III"], "S", "S"), (["I", "II", "III", "IV"], "I", "I")] {
        let mut files = example();
        let m = files.iter_mut().find(|f| f.name.ends_with("municipality.toml")).unwrap();
        let start = m.text.find("[classification]").unwrap();
        let end = m.text.find("# Networks").unwrap();
        let mut scale = String::from("[classification]\nname = \"重要性分類\"\n");
        for (i, l) in levels.iter().enumerate() {
            scale.push_str(&format!(
                "[[classification.levels]]\nid = \"{l}\"\nmin_factor_kinds = {}\n",
                if i < 2 { 2 } else { 1 }
            ));
        }
        m.text.replace_range(start..end, &scale);
        for f in files.iter_mut().filter(|f| f.name.ends_with("systems.toml")) {
            f.text = f
                .text
                .replace("classification = \"3A\"", &format!("classification = \"{mynumber_level}\""))
                .replace("classification = \"3B\"", &format!("classification = \"{}\"", levels[1]))
                .replace("classification = \"3C\"", &format!("classification = \"{}\"", levels[2]))
                .replace("classification = \"2\"", &format!("classification = \"{}\"", levels[3]));
        }
        let p = load(&files).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.level_rank(top), Some(0));
        assert_eq!(p.required_factor_kinds(p.system("bunsho").unwrap()), 1);
        assert_eq!(p.required_factor_kinds(p.system("tobira").unwrap()), 2);
    }
}

#[test]
fn r_lg_09_digest_changes_with_any_byte() {
    let a = digest(&example());
    let b = digest(&edited("review.toml", "campaign_days = 14", "campaign_days = 15"));
    assert_ne!(a, b);
    let mut reordered = example();
    reordered.reverse();
    assert_eq!(a, digest(&reordered), "the digest does not depend on read order");
}

#[test]
fn r_pr_06_default_names_are_forbidden() {
    let p = load(&example()).unwrap();
    for n in ["admin", "Administrator", "ROOT", "p-admin", " sa "] {
        assert!(p.privileged.is_forbidden_name(n), "{n}");
    }
    assert!(!p.privileged.is_forbidden_name("p-tanaka"));
}
