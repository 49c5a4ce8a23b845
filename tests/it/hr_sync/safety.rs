//! What holds or refuses a sync run: removals over the limits held for another person's approval,
//! an empty, broken, unreachable or cut-short directory, a wrong bind password, a dry run.

use super::{people, policy_with_limits, Hr, DEPARTMENTS};
use crate::slapd::{Fixture, Slapd};
use crate::support::{both_backends, conn, count, output, TestDb};

both_backends! {
    async fn r_lc_01_removals_over_the_limit_are_held_until_another_person_approves(db: TestDb) {
        let hr = Hr::new(db, &people(), (1, 100.0)).await;
        assert_eq!(hr.sync(&[]).0, 0);
        for p in &people()[..2] {
            hr.ldap.delete(&p.dn()).await;
        }
        let before = hr.audit_count();
        let (code, out, err) = hr.sync(&["--full"]);
        assert_eq!(code, 3, "held: {out}{err}");
        assert!(out.contains("保留") && out.contains("max_removals"), "{out}");
        assert_eq!(hr.account("100001").unwrap().status, "active", "nothing applied while held");
        let run = err.split("--show ").nth(1).unwrap().split('`').next().unwrap().to_string();
        assert_eq!(hr.audit_count(), before + 2, "policy.loaded and sync.held");

        let (code, out, _) = hr.sync(&["--show", &run, "--format", "json"]);
        assert_eq!(code, 0);
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(v["plan"]["removals"], 2);

        // R-AC-02: the person who ran it cannot approve it, and cannot name someone else (no --as).
        let runner = crate::hr_sync_hold::approver(&hr, "hr-operator", true);
        let (code, _, err) = crate::hr_sync_hold::approve(&hr, &run, "hr-operator", &crate::hr_sync_hold::code_now(&runner));
        assert_eq!(code, 1);
        assert!(err.contains("R-AC-02"), "{err}");
        assert_eq!(hr.sync(&["--approve", &run, "--as", "someone-else"]).0, 2, "no way to claim another name");
        assert_eq!(hr.account("100001").unwrap().status, "active");

        let second = crate::hr_sync_hold::approver(&hr, "security-officer-2", true);
        let (code, out, err) = crate::hr_sync_hold::approve(&hr, &run, "security-officer-2", &crate::hr_sync_hold::code_now(&second));
        assert_eq!(code, 0, "{out}{err}");
        assert_eq!(hr.account("100001").unwrap().status, "disabled");
        assert_eq!(hr.account("100002").unwrap().status, "disabled");
        let third = crate::hr_sync_hold::approver(&hr, "security-officer-3", true);
        let (code, _, _) = crate::hr_sync_hold::approve(&hr, &run, "security-officer-3", &crate::hr_sync_hold::code_now(&third));
        assert_eq!(code, 1, "a run is applied once");
        assert_eq!(count(&mut conn(&hr.db.pool()), "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'sync.approved' AND actor = 'security-officer-2'"), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_lc_01_a_held_run_can_be_discarded() {
    let hr = Hr::new(TestDb::sqlite(), &people(), (0, 100.0)).await;
    assert_eq!(hr.sync(&[]).0, 0);
    hr.ldap.delete(&people()[0].dn()).await;
    let (code, _, err) = hr.sync(&["--full"]);
    assert_eq!(code, 3);
    let run = err.split("--show ").nth(1).unwrap().split('`').next().unwrap().to_string();
    assert_eq!(hr.sync(&["--discard", &run]).0, 0);
    let other = crate::hr_sync_hold::approver(&hr, "someone-else", true);
    assert_eq!(
        crate::hr_sync_hold::approve(&hr, &run, "someone-else", &crate::hr_sync_hold::code_now(&other)).0,
        1,
        "a discarded run cannot be applied"
    );
    assert_eq!(hr.account("100001").unwrap().status, "active");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_lc_01_an_empty_directory_removes_nobody() {
    let hr = Hr::new(TestDb::sqlite(), &people(), (100, 100.0)).await;
    assert_eq!(hr.sync(&[]).0, 0);
    for p in people() {
        hr.ldap.delete(&p.dn()).await;
    }
    let (code, out, _) = hr.sync(&["--full"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("no people"), "{out}");
    assert_eq!(count(&mut conn(&hr.db.pool()), "SELECT COUNT(*) AS n FROM accounts WHERE status = 'active'"), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_lc_14_malformed_entries_are_skipped_reported_and_never_deprovisioned() {
    let mut bad_date = Fixture::new("100007", "shimin");
    bad_date.end_date = Some("2027-13-01".into());
    let mut unknown_dept = Fixture::new("100008", "himitsu");
    unknown_dept.name = "東雲 不明".into();
    let mut all = people();
    all.extend([bad_date, unknown_dept]);
    let hr = Hr::new(TestDb::sqlite(), &all, (20, 100.0)).await;
    let (code, out, err) = hr.sync(&[]);
    // Applied, but with entries skipped: a distinct exit code and the counts on one line.
    assert_eq!(code, 4, "{out}{err}");
    assert!(
        err.lines().any(|l| l.contains("sync applied:")
            && l.contains("2 entries skipped as malformed (top reasons:")
            && l.contains("exit 4")),
        "{err}"
    );
    assert!(
        out.contains("スキップ") && out.contains("employeeNumber=100007") && out.contains("shinonomeEndDate"),
        "{out}"
    );
    let metrics =
        tobira::app::metrics::render(&mut conn(&hr.db.pool()), &Default::default(), 0, Default::default(), 0).unwrap();
    assert!(metrics.contains("\ntobira_sync_entries_skipped 2\n"), "{metrics}");
    assert!(out.contains("department `himitsu` is not a known department"), "{out}");
    assert!(hr.account("100007").is_none() && hr.account("100008").is_none());
    assert!(hr.account("100001").is_some());
    // A known person whose entry turns malformed is not treated as gone.
    hr.ldap.set(&people()[0].dn(), "shinonomeEndDate", &["yesterday"]).await;
    let (code, out, _) = hr.sync(&["--full"]);
    assert_eq!(code, 4);
    assert!(out.contains("削除せず") && out.contains("100001"), "{out}");
    assert_eq!(hr.account("100001").unwrap().status, "active");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_lc_01_a_directory_that_is_down_or_cuts_the_read_short_changes_nothing() {
    let mut hr = Hr::new(TestDb::sqlite(), &people(), (100, 100.0)).await;
    assert_eq!(hr.sync(&[]).0, 0);
    let before = hr.audit_count();
    hr.ldap.stop();
    let (code, _, err) = hr.sync(&[]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot connect to the directory") && err.contains("nothing was changed"), "{err}");
    assert_eq!(hr.audit_count(), before);
    assert_eq!(count(&mut conn(&hr.db.pool()), "SELECT COUNT(*) AS n FROM accounts WHERE status = 'active'"), 6);
    hr.ldap.restart();
    assert_eq!(hr.sync(&[]).0, 0, "back to normal once the directory is up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_lc_01_a_search_cut_short_by_a_size_limit_changes_nothing() {
    let ldap = Slapd::start_with("sizelimit 3");
    ldap.load(DEPARTMENTS, &people()).await;
    let hr = Hr { db: TestDb::sqlite(), ldap, policy: policy_with_limits(100, 100.0) };
    let (code, _, err) = hr.sync(&[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("failed or was cut short"), "{err}");
    assert_eq!(count(&mut conn(&hr.db.pool()), "SELECT COUNT(*) AS n FROM accounts"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_bind_password_is_a_clear_error_without_the_secret() {
    let hr = Hr::new(TestDb::sqlite(), &people(), (20, 100.0)).await;
    let pw = hr.ldap.dir.path().join("wrong.pw");
    std::fs::write(&pw, "not-the-password-xyzzy").unwrap();
    let mut c = hr.cmd(&[]);
    c.env("TOBIRA__DIRECTORY__PASSWORD_FILE", &pw);
    let (code, out, err) = output(c);
    assert_eq!(code, 2);
    assert!(err.contains("refused the bind as cn=tobira-reader"), "{err}");
    assert!(!err.contains("xyzzy") && !out.contains("xyzzy"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_lc_01_dry_run_changes_nothing() {
    let hr = Hr::new(TestDb::sqlite(), &people(), (20, 100.0)).await;
    let (code, out, _) = hr.sync(&["--dry-run", "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["status"], "dry-run");
    assert!(v["plan"]["steps"].as_array().unwrap().len() >= 12);
    assert_eq!(count(&mut conn(&hr.db.pool()), "SELECT COUNT(*) AS n FROM accounts"), 0);
}

both_backends! {
    async fn r_lc_03_an_increment_is_held_by_the_percentage_of_every_active_account(db: TestDb) {
        // An increment plans only the people it names, but the removal percentage is still taken
        // of every active account: one deletion of six is 16.7%, under a 40% limit.
        let ldap = Slapd::start_with_session_log();
        ldap.load(DEPARTMENTS, &people()).await;
        let hr = Hr { db, ldap, policy: policy_with_limits(20, 40.0) };
        let (code, out, err) = hr.sync(&[]);
        assert_eq!(code, 0, "{out}{err}");
        hr.ldap.delete(&people()[1].dn()).await;
        let (code, out, err) = hr.sync(&[]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(err.contains("content sync"), "{err}");
        assert_eq!(hr.account("100002").unwrap().status, "disabled");
        // Three more deletions at once are 3 of 5 active accounts: 60%, held.
        for p in &people()[2..5] {
            hr.ldap.delete(&p.dn()).await;
        }
        let (code, out, err) = hr.sync(&[]);
        assert_eq!(code, 3, "{out}{err}");
        assert!(err.contains("60.0% of 5 active accounts"), "{err}");
        assert_eq!(hr.account("100003").unwrap().status, "active");
    }
}
