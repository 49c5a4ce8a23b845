//! Where the HR data comes from: the directory over StartTLS or LDAPS with the city's CA, and the HR
//! system's CSV export.

use super::{people, policy_with_limits, Hr, DEPARTMENTS};
use crate::slapd::Slapd;
use crate::support::{conn, output, TestDb};
use tobira::store;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_is_read_over_starttls_or_ldaps_with_the_citys_ca() {
    let ldap = Slapd::start_tls();
    ldap.load(DEPARTMENTS, &people()).await;
    let (ldaps, ca) = ldap.ldaps.clone().unwrap();
    let other_ca = {
        let other = Slapd::start_tls();
        let p = ldap.dir.path().join("other-ca.pem");
        std::fs::copy(other.ldaps.as_ref().unwrap().1.clone(), &p).unwrap();
        p
    };
    let hr = Hr { db: TestDb::sqlite(), ldap, policy: policy_with_limits(20, 100.0) };
    let run = |url: &str, starttls: bool, ca: &std::path::Path| {
        let mut c = hr.cmd(&["--dry-run"]);
        c.env("TOBIRA__DIRECTORY__URL", url)
            .env("TOBIRA__DIRECTORY__STARTTLS", starttls.to_string())
            .env("TOBIRA__DIRECTORY__CA_FILE", ca);
        output(c)
    };
    let (code, out, err) = run(&hr.ldap.url, true, &ca);
    assert_eq!(code, 0, "StartTLS: {out}{err}");
    assert!(out.contains("アカウント作成"), "{out}");
    let (code, out, err) = run(&ldaps, false, &ca);
    assert_eq!(code, 0, "ldaps: {out}{err}");
    // A certificate from a CA the city does not trust is refused, and nothing changes.
    let (code, _, err) = run(&ldaps, false, &other_ca);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot connect to the directory"), "{err}");
    let (code, _, err) = run(&hr.ldap.url, true, &hr.ldap.dir.path().join("absent.pem"));
    assert_eq!(code, 2);
    assert!(err.contains("CA file"), "{err}");
}

/// The HR system's CSV export as the source (`kind = "csv"`), with the same mapping idea.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_lc_10_a_csv_export_is_a_source_and_a_broken_row_removes_nobody() {
    let hr = Hr::new(TestDb::sqlite(), &[], (20, 100.0)).await;
    let text = std::fs::read_to_string(hr.policy.path().join("directory.toml")).unwrap();
    let departments = text.find("[directory.departments]").unwrap();
    let next = departments + text[departments..].find("\n[directory.employment_types]").unwrap();
    std::fs::write(
        hr.policy.path().join("directory.toml"),
        format!("{}{}", &text[..departments], &text[next..]).replace("kind = \"ldap\"", "kind = \"csv\""),
    )
    .unwrap();
    let csv = hr.policy.path().join("hr-export.csv");
    let header = "employeeNumber,cn,displayName,departmentNumber,ou,businessCategory,employeeType,description\r\n";
    let row = |en: &str, dept: &str, also: &str| {
        format!("{en},\"東雲 職員{en}\",シノノメ ショクイン{en},{dept},\"課, {dept}\",{also},正規,在職\r\n")
    };
    let write = |rows: &[String]| std::fs::write(&csv, format!("\u{feff}{header}{}", rows.concat())).unwrap();
    let sync = |args: &[&str]| {
        let mut c = hr.cmd(args);
        c.env("TOBIRA__DIRECTORY__URL", format!("file://{}", csv.display()));
        output(c)
    };
    write(&[row("300001", "shimin", ""), row("300002", "zeimu", "shimin;somu"), row("300003", "somu", "")]);
    let (code, out, err) = sync(&[]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.matches("アカウント作成").count(), 3, "{out}");
    let p = store::org::person_by_employee_number(&mut conn(&hr.db.pool()), "300002").unwrap().unwrap();
    assert_eq!(p.name_kanji, "東雲 職員300002");
    assert_eq!(p.department_name.as_deref(), Some("課, zeimu"), "a quoted comma stays in its field");
    // 300002 is gone from the export, and one row is broken: nobody is removed while a row cannot be read.
    write(&[row("300001", "shimin", ""), "300003,東雲,broken\r\n".to_string()]);
    let (code, out, err) = sync(&[]);
    assert_eq!(code, 4, "applied with a row skipped: exit 4; {out}{err}");
    assert!(out.contains("hr-export.csv:3: (row): has 3 fields where the header has 8"), "{out}");
    assert_eq!(hr.account("300002").unwrap().status, "active");
    // A cut-short file (a quote that never closes) is an error: nothing changes.
    std::fs::write(&csv, format!("{header}300001,\"東雲")).unwrap();
    let (code, _, err) = sync(&[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("never closes") && err.contains("nothing was changed"), "{err}");
    write(&[row("300001", "shimin", ""), row("300003", "somu", "")]);
    let (code, out, _) = sync(&[]);
    assert_eq!(code, 0);
    assert!(out.contains("人事情報から削除"), "{out}");
    assert_eq!(hr.account("300002").unwrap().status, "disabled");
}

/// A joiner the sync stores is found by name in the console at once: the batched insert writes the
/// search key with the row (no later command or restart fills it in).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_au_12_a_joiner_of_the_sync_is_found_by_name_in_the_console_at_once() {
    let hr = Hr::new(TestDb::sqlite(), &people(), (20, 100.0)).await;
    let (code, out, err) = hr.sync(&[]);
    assert_eq!(code, 0, "{out}{err}");
    let mut c = conn(&hr.db.pool());
    let filter = store::console::PeopleFilter {
        name: tobira_domain::console::search::query_term("しょくいん100003"),
        ..Default::default()
    };
    let found: Vec<String> =
        store::console::search(&mut c, &filter, 0, 10).unwrap().into_iter().map(|p| p.employee_number).collect();
    assert_eq!(found, ["100003"], "found by kana in hiragana, without any later command");
}
