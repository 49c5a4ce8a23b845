//! The settings sections against the example and broken variants: defaults when a section is omitted,
//! the directory's read method and attributes, sign-in and audit bounds, the municipality's mail domains.

use super::*;

#[test]
fn omitted_numeric_sections_take_safe_defaults() {
    let files: Vec<SourceFile> = example()
        .into_iter()
        .filter(|f| !f.name.ends_with("authentication.toml") && !f.name.ends_with("review.toml"))
        .collect();
    let p = load(&files).unwrap_or_else(|e| panic!("{e}"));
    assert!(p.lockout.privileged.max_failures.get_ref() <= p.lockout.staff.max_failures.get_ref());
    assert!(*p.password.staff.max_length.get_ref() >= 64);
    assert_eq!(p.audit.on_failure, AuditFailureAction::Refuse);
}

#[test]
fn the_directory_read_method_must_fit_the_directory() {
    let msgs = |files: &[SourceFile]| errors(files).into_iter().map(|e| e.message).collect::<Vec<_>>().join("\n");
    let no_key = edited("directory.toml", "stable_key = \"entryUUID\"\n", "");
    let with_cs = no_key.iter().cloned().map(|mut f| {
        if f.name.ends_with("directory.toml") {
            f.text = f.text.replacen("incremental = \"auto\"", "incremental = \"content_sync\"", 1);
        }
        f
    });
    assert!(msgs(&with_cs.collect::<Vec<_>>()).contains("content_sync needs attributes.stable_key"));
    assert!(msgs(&edited("directory.toml", "incremental = \"auto\"", "incremental = \"usn_changed\""))
        .contains("usn_changed is for kind"));
    let ad = msgs(&edited("directory.toml", "kind = \"ldap\"", "kind = \"active_directory\""));
    assert!(ad.contains("account_control") && ad.contains("usn_changed"), "{ad}");
    assert!(msgs(&edited("directory.toml", "kind = \"ldap\"", "kind = \"csv\"")).contains("a CSV source has none"));
    assert!(msgs(&edited(
        "directory.toml",
        "incremental = \"auto\"",
        "incremental = \"auto\"\ndisabled_status = \"gone\""
    ))
    .contains("must be on_leave or left"));
    let register =
        "[directory.contracts]\nnumber = \"契約番号\"\nvendor = \"事業者\"\nend_date = \"\"\n\n[directory.attributes]";
    let reg = msgs(
        &edited("directory.toml", "contract_id = \"shinonomeContract\"\n", "")
            .into_iter()
            .map(|mut f| {
                f.text = f.text.replacen("[directory.attributes]", register, 1);
                f
            })
            .collect::<Vec<_>>(),
    );
    assert!(
        reg.contains("directory.contracts needs directory.attributes.contract_id")
            && reg.contains("every column name must be non-empty"),
        "{reg}"
    );
}

#[test]
fn r_au_06_enrollment_link_lifetime_is_bounded() {
    let p = load(&example()).unwrap();
    assert_eq!(p.signin.enrollment_link_hours, 72);
    for bad in ["0", "721"] {
        let errs = errors(&edited(
            "authentication.toml",
            "enrollment_link_hours = 72",
            &format!("enrollment_link_hours = {bad}"),
        ));
        assert_eq!(errs.len(), 1, "{errs:#?}");
        assert!(
            errs[0].message.contains("signin.enrollment_link_hours") && errs[0].message.contains("between 1 and 720"),
            "{}",
            errs[0]
        );
    }
    assert_eq!(
        load(&edited("authentication.toml", "enrollment_link_hours = 72", "enrollment_link_hours = 720"))
            .unwrap()
            .signin
            .enrollment_link_hours,
        720
    );
}

#[test]
fn r_lg_04_the_clock_skew_limit_is_bounded() {
    let msgs = |files: &[SourceFile]| errors(files).into_iter().map(|e| e.message).collect::<Vec<_>>().join("\n");
    assert!(msgs(&edited("review.toml", "max_clock_skew_ms = 1000", "max_clock_skew_ms = 0"))
        .contains("audit.max_clock_skew_ms must be between 1 and 600000"));
    let p = load(&example()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.audit.max_clock_skew_ms, 1000);
}

#[test]
fn r_lg_01_the_pruning_schedule_is_bounded_and_may_be_off() {
    let errs = errors(&edited("review.toml", "prune_every_hours = 24", "prune_every_hours = 8785"));
    assert!(errs.iter().any(|e| e.message.contains("audit.prune_every_hours must be between 0")), "{errs:#?}");
    assert_eq!(
        load(&edited("review.toml", "prune_every_hours = 24", "prune_every_hours = 0"))
            .unwrap()
            .audit
            .prune_every_hours,
        0
    );
}

#[test]
fn r_lc_17_staff_mail_is_on_the_municipalitys_domains() {
    let p = load(&example()).unwrap_or_else(|e| panic!("{e}"));
    let m = &p.municipality;
    assert!(m.mail_allowed("sato@city.shinonome.lg.jp") && m.mail_allowed("Sato@CITY.Shinonome.LG.JP "));
    assert!(m.mail_allowed("suzuki@ku.city.shinonome.lg.jp"), "a subdomain");
    assert!(!m.mail_allowed("sato@evilcity.shinonome.lg.jp"), "a look-alike is not a subdomain");
    assert!(!m.mail_allowed("sato@gmail.com") && !m.mail_allowed("not an address"));
    let open = crate::policy::Municipality { name: "架空市".into(), name_en: String::new(), mail_domains: vec![] };
    assert!(open.mail_allowed("anyone@example.com"), "no domains set: not checked");
}

#[test]
fn r_lc_14_an_empty_attribute_name_is_refused_by_policy_check() {
    let files = edited("directory.toml", "name_kana = \"displayName\"", "name_kana = \"\"");
    let errs = errors(&files);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(errs[0].message.contains("directory.attributes.name_kana is empty"), "{}", errs[0]);
    let files = edited("directory.toml", "mail = \"mail\"", "mail = \" \"");
    assert!(errors(&files)[0].message.contains("directory.attributes.mail is empty"));
}

#[test]
fn r_lc_10_without_an_employment_type_attribute_a_default_type_is_required() {
    let files = edited("directory.toml", "employment_type = \"employeeType\"\n", "");
    let errs = errors(&files);
    assert!(errs.len() == 1 && errs[0].message.contains("set directory.default_employment_type"), "{errs:#?}");
    let files = edited("directory.toml", "employment_type = \"employeeType\"\n", "");
    let mut files = files;
    let f = files.iter_mut().find(|f| f.name.ends_with("directory.toml")).unwrap();
    f.text = f.text.replacen("kind = \"ldap\"\n", "kind = \"ldap\"\ndefault_employment_type = \"regular\"\n", 1);
    let p = load(&files).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(p.directory.unwrap().attributes.employment_type.is_none());
}
