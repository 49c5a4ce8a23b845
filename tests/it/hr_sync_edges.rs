//! Rough edges a new city hits with the HR sync (R-LC-01): a hung directory is reported as a
//! time-out, not as a refused bind; `tobira sync --help` says what a run reads by default; a dry
//! run on a fresh install creates neither the database nor the master key.

use crate::hr_sync::{people, Hr};
use crate::support::{both_backends, conn, count, output, tobira, TestDb};
use tobira::store;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_lc_01_a_hung_directory_is_reported_as_a_time_out_not_a_refused_bind() {
    let hr = Hr::new(TestDb::sqlite(), &people(), (20, 100.0)).await;
    // A server that accepts connections (the kernel's backlog) and never answers.
    let hung = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut c = hr.cmd(&[]);
    c.env("TOBIRA__DIRECTORY__URL", format!("ldap://127.0.0.1:{}", hung.local_addr().unwrap().port()))
        .env("TOBIRA__DIRECTORY__TIMEOUT_SECONDS", "1");
    let (code, out, err) = output(c);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("did not answer the bind within 1 s") && err.contains("directory.timeout_seconds"), "{err}");
    assert!(!err.contains("refused the bind"), "{err}");
    assert!(!err.contains("reader-secret"), "no secret in the message");
    drop(hung);
}

#[test]
fn r_lc_01_sync_help_says_it_reads_the_changes_by_default() {
    let db = TestDb::sqlite();
    let (code, out, _) = output({
        let mut c = tobira(&db);
        c.arg("--help");
        c
    });
    assert_eq!(code, 0);
    let line = out.lines().find(|l| l.trim_start().starts_with("sync")).expect("sync is listed");
    assert!(line.contains("changes since the last run") && !line.contains("(full read)"), "{line}");
    let (code, out, _) = output({
        let mut c = tobira(&db);
        c.args(["sync", "--help"]);
        c
    });
    assert_eq!(code, 0);
    assert!(out.contains("--login") && out.contains("--code") && out.contains("sync_hold"), "{out}");
}

both_backends! {
    async fn r_lc_01_a_dry_run_on_a_fresh_install_writes_nothing(db: TestDb) {
        let hr = Hr::new(db, &people(), (20, 100.0)).await;
        let config = hr.db.config();
        let (code, out, err) = hr.sync(&["--dry-run", "--format", "json"]);
        assert_eq!(code, 0, "{out}{err}");
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(v["status"], "dry-run");
        assert!(v["plan"]["steps"].as_array().unwrap().len() >= 12, "everyone planned as a joiner");
        assert!(!config.master_key_path().exists(), "no master key created");
        match tobira::store::sqlite_path(&config.database.url) {
            Some(path) => assert!(!std::path::Path::new(path).exists(), "no database file created"),
            None => {
                let mut c = tobira::store::connect_one(&config.database.url, &tobira::store::PoolOptions { max_size: 1, connect_timeout: std::time::Duration::from_secs(10), busy_timeout_ms: 1000 }).unwrap();
                assert!(!tobira::store::is_set_up(&mut c).unwrap(), "no schema created");
            }
        }
        // A real run afterwards sets everything up, and a dry run then still writes nothing.
        assert_eq!(hr.sync(&[]).0, 0);
        let before = count(&mut conn(&hr.db.pool()), "SELECT COUNT(*) AS n FROM audit_events");
        hr.ldap.delete(&people()[0].dn()).await;
        assert_eq!(hr.sync(&["--dry-run", "--full"]).0, 0);
        assert_eq!(count(&mut conn(&hr.db.pool()), "SELECT COUNT(*) AS n FROM audit_events"), before);
        assert_eq!(hr.account("100001").unwrap().status, "active");
    }
}

/// The example `directory.toml` without its `[directory.departments]` block.
fn without_department_entries(hr: &Hr) -> String {
    let p = hr.policy.path().join("directory.toml");
    let text = std::fs::read_to_string(&p).unwrap();
    let (start, end) = (text.find("# Department entries").unwrap(), text.find("[directory.employment_types]").unwrap());
    format!("{}{}", &text[..start], &text[end..])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_lc_14_a_directory_without_kana_or_department_entries_maps_with_the_policys_department_table() {
    let hr = Hr::new(TestDb::sqlite(), &people(), (20, 100.0)).await;
    let check = || {
        let mut c = hr.command();
        c.args(["policy", "check", &hr.policy.path().display().to_string()]);
        output(c)
    };
    // No kana attribute, no department entries, no table: accepted, with a warning.
    // No kana and no employment-type attribute either: everyone is the policy's default type.
    let text = without_department_entries(&hr)
        .replace("name_kana = \"displayName\"\n", "")
        .replace("employment_type = \"employeeType\"\n", "")
        .replace("kind = \"ldap\"\n", "kind = \"ldap\"\ndefault_employment_type = \"regular\"\n");
    std::fs::write(hr.policy.path().join("directory.toml"), &text).unwrap();
    let (code, out, err) = check();
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("warning: directory: neither [directory.departments]"), "{err}");

    // A static table: shimin and somu only, 課長 heads a department.
    let table =
        "\n[[directory.department_table]]\ncode = \"shimin\"\nname = \"市民課\"\nparent = \"somu\"\nhead_post = \"課長\"\n\n[[directory.department_table]]\ncode = \"somu\"\nname = \"総務課\"\n";
    let text = text.replace("head_of_section = \"shinonomeHeadOfSection\"\n", "");
    std::fs::write(hr.policy.path().join("directory.toml"), format!("{text}{table}")).unwrap();
    let (code, _, err) = check();
    assert_eq!(code, 0);
    assert!(!err.contains("neither"), "{err}");
    assert!(err.contains("birthright rule") && err.contains("`zeimu`, which the directory does not have"), "{err}");
    hr.ldap.set(&people()[0].dn(), "title", &["課長"]).await;
    let (code, out, err) = hr.sync(&[]);
    assert_eq!(code, 4, "zeimu and kikaku are not in the table: {out}{err}");
    assert!(out.contains("department `zeimu` is not a known department"), "{out}");
    assert!(hr.account("100001").is_some() && hr.account("100003").is_none(), "{out}");
    let p = store::org::person_by_employee_number(&mut conn(&hr.db.pool()), "100001").unwrap().unwrap();
    assert_eq!(p.name_kana, "", "no kana attribute: none stored");
    assert_eq!(p.employment_type, "regular", "directory.default_employment_type");
    assert!(p.is_head_of_section, "課長 of shimin by the table's head_post");
    assert!(
        !store::org::person_by_employee_number(&mut conn(&hr.db.pool()), "100002").unwrap().unwrap().is_head_of_section
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_lc_14_the_default_department_filter_does_not_read_its_own_container() {
    let hr = Hr::new(TestDb::sqlite(), &people(), (20, 100.0)).await;
    hr.edit_policy("directory.toml", &[("filter = \"(&(objectClass=organizationalUnit)(description=*))\"\n", "")]);
    let (code, out, err) = hr.sync(&[]);
    assert_eq!(code, 0, "no entry skipped: {out}{err}");
    assert!(!out.contains("ou=departments,dc=shinonome"), "{out}");
    assert_eq!(
        store::org::department_codes(&mut conn(&hr.db.pool())).unwrap().into_iter().collect::<Vec<_>>(),
        ["kikaku", "shimin", "somu", "zeimu"]
    );
}
