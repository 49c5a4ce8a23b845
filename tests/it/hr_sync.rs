//! The HR sync against a real slapd, through the `tobira sync` command, on both backends.

use crate::slapd::{Fixture, Slapd, READER_DN};
use crate::support::{both_backends, conn, count, output, repo_path, tobira, TestDb};
use std::process::Command;
use tobira::store;

pub(crate) const DEPARTMENTS: &[(&str, &str, Option<&str>)] = &[("somu", "総務課", None), ("shimin", "市民課", Some("somu")), ("zeimu", "税務課", Some("somu")), ("kikaku", "企画課", None)];

/// A copy of the example policy with `[sync]` limits replaced.
pub(crate) fn policy_with_limits(max_removals: u32, max_percent: f64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(repo_path("policies")).unwrap() {
        let p = e.unwrap().path();
        let mut text = std::fs::read_to_string(&p).unwrap();
        text = text.replace("max_removals = 20", &format!("max_removals = {max_removals}")).replace("max_removal_percent = 2.0", &format!("max_removal_percent = {max_percent:.1}"));
        std::fs::write(dir.path().join(p.file_name().unwrap()), text).unwrap();
    }
    dir
}

pub(crate) struct Hr {
    pub(crate) db: TestDb,
    pub(crate) ldap: Slapd,
    pub(crate) policy: tempfile::TempDir,
}

impl Hr {
    pub(crate) async fn new(db: TestDb, people: &[Fixture], limits: (u32, f64)) -> Hr {
        let ldap = Slapd::start();
        ldap.load(DEPARTMENTS, people).await;
        Hr { db, ldap, policy: policy_with_limits(limits.0, limits.1) }
    }

    pub(crate) fn cmd(&self, args: &[&str]) -> Command {
        let mut c = self.command();
        c.arg("sync").args(args);
        c
    }

    /// `tobira` with this test's policy and directory.
    pub(crate) fn command(&self) -> Command {
        let mut c = tobira(&self.db);
        c.env("TOBIRA__POLICY_DIR", self.policy.path())
            .env("TOBIRA__DIRECTORY__URL", &self.ldap.url)
            .env("TOBIRA__DIRECTORY__ALLOW_PLAINTEXT", "true")
            .env("TOBIRA__DIRECTORY__BIND_DN", READER_DN)
            .env("TOBIRA__DIRECTORY__PASSWORD_FILE", self.ldap.password_file())
            .env("TOBIRA__DIRECTORY__TIMEOUT_SECONDS", "5")
            .env("SUDO_USER", "hr-operator");
        c
    }

    /// Replaces text in one of this test's policy files.
    pub(crate) fn edit_policy(&self, file: &str, edits: &[(&str, &str)]) {
        let p = self.policy.path().join(file);
        let mut text = std::fs::read_to_string(&p).unwrap();
        for (from, to) in edits {
            assert!(text.contains(from), "{file} has `{from}`");
            text = text.replace(from, to);
        }
        std::fs::write(p, text).unwrap();
    }

    pub(crate) fn sync(&self, args: &[&str]) -> (i32, String, String) {
        output(self.cmd(args))
    }

    pub(crate) fn account(&self, login: &str) -> Option<store::accounts::Account> {
        store::accounts::by_login_id(&mut conn(&self.db.pool()), login).unwrap()
    }

    pub(crate) fn roles(&self, login: &str) -> Vec<String> {
        let pool = self.db.pool();
        let c = &mut *conn(&pool);
        let a = store::accounts::by_login_id(c, login).unwrap().unwrap();
        let mut r: Vec<String> = store::accounts::grants_in_force(c, &a.id, i64::MAX / 4).unwrap().into_iter().map(|g| g.role_id).collect();
        r.sort();
        r
    }

    pub(crate) fn audit_count(&self) -> i64 {
        count(&mut conn(&self.db.pool()), "SELECT COUNT(*) AS n FROM audit_events")
    }
}

pub(crate) fn people() -> Vec<Fixture> {
    let mut head = Fixture::new("100004", "zeimu");
    head.head = true;
    let mut fixed = Fixture::new("100005", "kikaku");
    fixed.employment = "会計年度任用".into();
    fixed.end_date = Some("20990331".into());
    let mut dual = Fixture::new("100006", "somu");
    dual.concurrent = vec!["shimin".into()];
    vec![Fixture::new("100001", "shimin"), Fixture::new("100002", "shimin"), Fixture::new("100003", "zeimu"), head, fixed, dual]
}

both_backends! {
    async fn r_lc_01_joiners_movers_and_leavers_from_ldap(db: TestDb) {
        let hr = Hr::new(db, &people(), (20, 100.0)).await;
        let (code, out, err) = hr.sync(&[]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("アカウント作成") && out.contains("新規採用"), "{out}");
        assert_eq!(hr.roles("100001"), ["bunsho.user", "groupware.user", "juki.clerk"]);
        assert_eq!(hr.roles("100004"), ["bunsho.approver", "bunsho.user", "groupware.user", "zeimu.clerk"], "所属長 rule");
        assert_eq!(hr.roles("100006"), ["bunsho.user", "groupware.user", "juki.clerk"], "兼務 in shimin");
        assert!(hr.account("100001").unwrap().must_change_password, "R-AU-06");

        // The same directory again changes nothing.
        let before = hr.audit_count();
        let (code, out, _) = hr.sync(&[]);
        assert_eq!(code, 0);
        assert!(out.contains(": applied — 0 件の操作"), "{out}");
        assert_eq!(hr.audit_count(), before + 2, "only policy.loaded and sync.applied are recorded");

        // 異動, 休職, 退職 by status, retirement by deletion, and a leaver moved under ou=retired.
        let dn = |en: &str| people().into_iter().find(|p| p.employee_number == en).unwrap();
        hr.ldap.set(&dn("100001").dn(), "departmentNumber", &["zeimu"]).await;
        hr.ldap.set(&dn("100002").dn(), "description", &["休職"]).await;
        hr.ldap.set(&dn("100003").dn(), "description", &["退職"]).await;
        hr.ldap.delete(&dn("100005").dn()).await;
        hr.ldap.move_to_retired(&dn("100006")).await;
        let (code, out, err) = hr.sync(&["--full"]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("異動（shimin → zeimu）") && out.contains("休職") && out.contains("退職") && out.contains("人事情報から削除"), "{out}");
        assert_eq!(hr.roles("100001"), ["bunsho.user", "groupware.user", "zeimu.clerk"]);
        assert_eq!(hr.account("100002").unwrap().status, "suspended");
        assert_eq!(hr.roles("100002"), ["bunsho.user", "groupware.user", "juki.clerk"], "grants wait for the return");
        for gone in ["100003", "100005", "100006"] {
            let a = hr.account(gone).unwrap();
            assert_eq!(a.status, "disabled", "{gone}");
            assert!(a.deletion_due_at.is_some());
            assert!(hr.roles(gone).is_empty(), "{gone}");
        }

        // 復職 and 再採用: the same accounts come back; the rehired one gets no old grants.
        hr.ldap.set(&dn("100002").dn(), "description", &["在職"]).await;
        hr.ldap.add(&Fixture::new("100005", "somu")).await;
        let (code, out, err) = hr.sync(&[]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("復職") && out.contains("再採用"), "{out}");
        assert_eq!(hr.account("100002").unwrap().status, "active");
        assert_eq!(hr.account("100005").unwrap().status, "active");
        assert_eq!(hr.roles("100005"), ["bunsho.user", "groupware.user"]);

        // Every change is on the audit chain, which verifies.
        let v = store::audit::verify(&mut conn(&hr.db.pool()), 1000).unwrap();
        assert_eq!(v.first_break, None);
        assert!(count(&mut conn(&hr.db.pool()), "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'account.disabled'") >= 3);
    }
}

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
    assert_eq!(crate::hr_sync_hold::approve(&hr, &run, "someone-else", &crate::hr_sync_hold::code_now(&other)).0, 1, "a discarded run cannot be applied");
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
    assert!(err.lines().any(|l| l.contains("sync applied:") && l.contains("2 entries skipped as malformed (top reasons:") && l.contains("exit 4")), "{err}");
    assert!(out.contains("スキップ") && out.contains("employeeNumber=100007") && out.contains("shinonomeEndDate"), "{out}");
    let metrics = tobira::app::metrics::render(&mut conn(&hr.db.pool()), &Default::default(), 0, 0).unwrap();
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
    async fn r_lc_01_a_crash_between_batches_converges_on_the_next_run(db: TestDb) {
        let hr = Hr::new(db, &people(), (20, 100.0)).await;
        // Another directory with the same people, applied without interruption, is the reference.
        let reference = Hr::new(TestDb::sqlite(), &people(), (20, 100.0)).await;
        // Read and plan the first sync, then apply only a prefix of it, as a crash after the first
        // committed batch would leave the database.
        let policy = tobira::app::policy::read_dir(hr.policy.path()).unwrap();
        let mut cfg = hr.db.config();
        cfg.directory.url = hr.ldap.url.clone();
        cfg.directory.allow_plaintext = true;
        cfg.directory.bind_dn = READER_DN.into();
        cfg.directory.password = crate::slapd::READER_PW.into();
        let raw = tobira::directory::ldap::read(&cfg.directory, policy.directory.as_ref().unwrap(), &tobira::directory::ReadMode::Full).await.unwrap();
        let pool = hr.db.pool();
        let c = &mut *conn(&pool);
        tobira::app::policy::record(c, &policy, 1).unwrap();
        let checked = tobira::app::sync::check(&raw, &policy).unwrap();
        let plan = tobira::app::sync::plan_full(c, &policy, &checked.snapshot, 1, None).unwrap();
        let prefix = plan.steps.len() / 2;
        assert!(prefix > 2);
        let mut cache = store::hr_sync::ApplyCache::default();
        store::write_tx(c, |c| -> Result<(), store::StoreError> {
            let events = store::hr_sync::apply_steps(c, &mut cache, &plan.steps[..prefix], "crashed-run", 1, "system:hr-sync")?;
            store::audit::append(c, 1, events)?;
            Ok(())
        })
        .unwrap();
        // The next run completes the work; the one after does nothing.
        let (code, out, err) = hr.sync(&[]);
        assert_eq!(code, 0, "{out}{err}");
        assert_eq!(reference.sync(&[]).0, 0);
        for p in people() {
            let en = p.employee_number.as_str();
            assert_eq!(hr.roles(en), reference.roles(en), "{en}");
            assert_eq!(hr.account(en).unwrap().status, "active");
        }
        let (code, out, _) = hr.sync(&[]);
        assert_eq!(code, 0);
        assert!(out.contains(": applied — 0 件の操作"), "{out}");
        assert_eq!(store::audit::verify(c, 1000).unwrap().first_break, None);
    }
}

fn vendor(en: &str, contract: &str) -> Fixture {
    let mut v = Fixture::new(en, "kikaku");
    v.employment = "委託".into();
    v.contract = Some(contract.into());
    v
}

both_backends! {
    async fn r_lc_13_a_contract_is_suspended_at_once_and_the_sync_does_not_undo_it(db: TestDb) {
        let mut all = people();
        all.extend([vendor("V00001", "C-2026-017"), vendor("V00002", "C-2026-017"), vendor("V00003", "C-2026-099")]);
        let hr = Hr::new(db, &all, (20, 100.0)).await;
        assert_eq!(hr.sync(&[]).0, 0);
        let v1 = hr.account("V00001").unwrap();
        assert!(v1.is_vendor, "R-LC-12: vendor accounts are flagged");
        assert!(hr.roles("V00001").is_empty(), "the staff birthright rules do not cover vendors");

        let contract = |args: &[&str]| {
            let mut c = tobira(&hr.db);
            c.env("SUDO_USER", "cso").arg("contract").args(args);
            output(c)
        };
        let (code, _, err) = contract(&["suspend", "C-2026-017", "--reason", ""]);
        assert_eq!(code, 1, "a reason is required: {err}");
        let (code, out, err) = contract(&["suspend", "C-2026-017", "--reason", "委託先での情報漏えい事案"]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("2 件"), "{out}");
        assert_eq!(hr.account("V00001").unwrap().status, "suspended");
        assert_eq!(hr.account("V00002").unwrap().status, "suspended");
        assert_eq!(hr.account("V00003").unwrap().status, "active", "another contract is untouched");
        assert_eq!(hr.account("100001").unwrap().status, "active");

        // HR still lists them as active: the sync must not lift the suspension.
        let (code, out, _) = hr.sync(&[]);
        assert_eq!(code, 0);
        assert!(out.contains(": applied — 0 件の操作"), "{out}");
        assert_eq!(hr.account("V00001").unwrap().status, "suspended");

        let (code, out, err) = contract(&["resume", "C-2026-017"]);
        assert_eq!(code, 0, "{out}{err}");
        assert_eq!(hr.account("V00002").unwrap().status, "active");
        assert_eq!(contract(&["resume", "C-2026-017"]).0, 1, "nothing left to resume");
        assert_eq!(contract(&["suspend", "C-0000-000", "--reason", "x"]).0, 1, "unknown contract");
        assert_eq!(count(&mut conn(&hr.db.pool()), "SELECT COUNT(*) AS n FROM audit_events WHERE action IN ('contract.suspended', 'contract.resumed') AND actor = 'operator:cso'"), 2);
    }
}

/// Polls `f` every 100 ms for up to 30 s (no timing is asserted; the wait only bounds a hang).
async fn eventually(mut f: impl FnMut() -> bool) -> bool {
    for _ in 0..300 {
        if f() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

both_backends! {
    async fn r_lc_03_serve_syncs_on_schedule_and_a_deleted_entry_ends_sessions(db: TestDb) {
        let hr = Hr::new(db, &people(), (20, 100.0)).await;
        let dir = hr.policy.path();
        hr.edit_policy("directory.toml", &[("every_seconds = 900", "every_seconds = 1"), ("full_every_seconds = 86400", "full_every_seconds = 0")]);
        let mut config = hr.db.config();
        config.policy_dir = dir.display().to_string();
        config.directory.url = hr.ldap.url.clone();
        config.directory.allow_plaintext = true;
        config.directory.bind_dn = READER_DN.into();
        config.directory.password = crate::slapd::READER_PW.into();
        let app = tobira::startup::Application::build(config, std::sync::Arc::new(tobira::app::clock::SystemClock)).await.unwrap();
        let server = tokio::spawn(app.run());
        assert!(eventually(|| hr.account("100001").is_some()).await, "the scheduled sync created the accounts");

        // A session of 100002, then the entry is deleted from the directory.
        let a = hr.account("100002").unwrap();
        hr.db.raw(&format!("INSERT INTO sessions (id, account_id, created_at, last_seen_at, expires_at) VALUES ('s-test', '{}', 1, 1, 9999999999999)", a.id));
        hr.ldap.delete(&people()[1].dn()).await;
        assert!(eventually(|| hr.account("100002").is_some_and(|a| a.status == "disabled")).await, "the next run disables the leaver");
        assert_eq!(count(&mut conn(&hr.db.pool()), "SELECT COUNT(*) AS n FROM sessions WHERE id = 's-test' AND revoked_at IS NOT NULL"), 1, "R-LC-03: the session ended");
        server.abort();
    }
}

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
        c.env("TOBIRA__DIRECTORY__URL", url).env("TOBIRA__DIRECTORY__STARTTLS", starttls.to_string()).env("TOBIRA__DIRECTORY__CA_FILE", ca);
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

both_backends! {
    async fn r_lc_03_incremental_reads_apply_changes_and_full_reads_see_deletions(db: TestDb) {
        let hr = Hr::new(db, &people(), (20, 100.0)).await;
        hr.edit_policy("directory.toml", &[("incremental = \"auto\"", "incremental = \"modify_timestamp\"")]);
        let (code, _, err) = hr.sync(&[]);
        assert_eq!(code, 0);
        assert!(!err.contains("incremental"), "the first run reads in full: {err}");
        // Entries change a second later than the high-water mark (modifyTimestamp has whole seconds).
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        hr.ldap.set(&people()[0].dn(), "departmentNumber", &["zeimu"]).await;
        hr.ldap.delete(&people()[1].dn()).await;
        let (code, out, err) = hr.sync(&[]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(err.contains("incremental read of entries changed since"), "{err}");
        assert!(out.contains("異動（shimin → zeimu）"), "{out}");
        assert_eq!(hr.roles("100001"), ["bunsho.user", "groupware.user", "zeimu.clerk"]);
        assert_eq!(hr.account("100002").unwrap().status, "active", "an incremental read cannot see a deletion");
        let (code, out, _) = hr.sync(&["--full"]);
        assert_eq!(code, 0);
        assert!(out.contains("人事情報から削除"), "{out}");
        assert_eq!(hr.account("100002").unwrap().status, "disabled");
        let details = count(&mut conn(&hr.db.pool()), "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'sync.applied' AND details LIKE '%\"mode\":\"incremental\"%'");
        assert_eq!(details, 1);
    }
}

/// The content-sync cookie tobira stored, if any.
fn cookie(db: &TestDb) -> Option<String> {
    store::hr_sync::state(&mut conn(&db.pool()), tobira::app::sync::COOKIE).unwrap()
}

/// An RFC 4533 content sync against `ldap`: the first run reads in full and keeps the cookie; the
/// next reads only the changes, and sees an entry deleted and one moved out of the people subtree
/// as leavers without a full read; a third run finds nothing to do.
async fn content_sync_sees_changes_and_deletions(db: TestDb, ldap: Slapd) {
    ldap.load(DEPARTMENTS, &people()).await;
    let hr = Hr { db, ldap, policy: policy_with_limits(20, 100.0) };
    let (code, out, err) = hr.sync(&[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!err.contains("content sync"), "the first run reads in full: {err}");
    let first = cookie(&hr.db).expect("the server's cookie is kept once the run is applied");
    hr.ldap.set(&people()[0].dn(), "departmentNumber", &["zeimu"]).await;
    hr.ldap.delete(&people()[1].dn()).await;
    hr.ldap.move_to_retired(&people()[2]).await;
    let (code, out, err) = hr.sync(&[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("content sync (RFC 4533)"), "{err}");
    assert!(out.contains("異動（shimin → zeimu）"), "{out}");
    assert_eq!(out.lines().filter(|l| l.contains("アカウント無効化") && l.contains("人事情報から削除")).count(), 2, "{out}");
    assert_eq!(hr.account("100002").unwrap().status, "disabled", "a deletion seen without a full read");
    assert_eq!(hr.account("100003").unwrap().status, "disabled", "moved out of scope is gone too");
    assert_eq!(hr.account("100004").unwrap().status, "active");
    assert_ne!(cookie(&hr.db).unwrap(), first, "the cookie moves on");
    let (code, out, _) = hr.sync(&[]);
    assert_eq!(code, 0);
    assert!(out.contains(": applied — 0 件の操作"), "nothing changed, nothing to do: {out}");
    let methods = count(
        &mut conn(&hr.db.pool()),
        "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'sync.applied' AND details LIKE '%\"method\":\"content_sync\"%' AND details LIKE '%\"mode\":\"incremental\"%'",
    );
    assert_eq!(methods, 2);
}

both_backends! {
    async fn r_lc_03_content_sync_with_the_present_phase_sees_deletions_without_a_full_read(db: TestDb) {
        content_sync_sees_changes_and_deletions(db, Slapd::start()).await;
    }
}

both_backends! {
    async fn r_lc_03_content_sync_with_refresh_deletes_sees_deletions_without_a_full_read(db: TestDb) {
        content_sync_sees_changes_and_deletions(db, Slapd::start_with_session_log()).await;
    }
}

/// A cookie from long ago makes the server fall back to its present phase, which still sees the
/// deletion. A cookie the server cannot place (corrupted, or the directory restored from a backup)
/// may make it report nothing: nobody is removed wrongly, and the next full read (daily by default,
/// or `--full`) catches up and stores a fresh cookie.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_lc_01_a_stale_or_broken_content_sync_cookie_removes_nobody_wrongly_and_a_full_read_catches_up() {
    let hr = Hr::new(TestDb::sqlite(), &people(), (20, 100.0)).await;
    assert_eq!(hr.sync(&[]).0, 0);
    let set_cookie = |c: &str| store::hr_sync::set_state(&mut conn(&hr.db.pool()), tobira::app::sync::COOKIE, &hex::encode(c), 1).unwrap();
    hr.ldap.delete(&people()[1].dn()).await;
    set_cookie("garbage");
    let (code, out, err) = hr.sync(&[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("停止・無効化 0 件"), "{out}");
    assert_eq!(hr.account("100002").unwrap().status, "active");
    set_cookie("rid=000,csn=20000101000000.000000Z#000000#000#000000");
    let (code, out, err) = hr.sync(&[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("content sync (RFC 4533)"), "{err}");
    assert!(out.contains("停止・無効化 1 件"), "the present phase names everyone still there: {out}");
    assert_eq!(hr.account("100002").unwrap().status, "disabled");
    hr.ldap.delete(&people()[2].dn()).await;
    set_cookie("garbage");
    let (code, out, _) = hr.sync(&["--full"]);
    assert_eq!(code, 0);
    assert!(out.contains("停止・無効化 1 件"), "{out}");
    assert_eq!(hr.account("100003").unwrap().status, "disabled");
    assert!(cookie(&hr.db).is_some_and(|c| c != hex::encode("garbage")), "a full read stores the server's cookie");
}

both_backends! {
    async fn r_lc_04_an_account_whose_person_left_the_directory_is_found_by_the_review_run(db: TestDb) {
        let hr = Hr::new(db, &people(), (20, 100.0)).await;
        assert_eq!(hr.sync(&[]).0, 0);
        // 100002 leaves the directory; no sync runs (say it is held), so the account is still active.
        hr.ldap.delete(&people()[1].dn()).await;
        let mut run = hr.command();
        run.args(["review", "run"]);
        let (code, out, err) = output(run);
        assert_eq!(code, 0, "{out}{err}");
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(report["directory_checked"], true, "{out}");
        assert_eq!(report["hr_findings"], 1, "exactly the missing person: {out}");
        assert_eq!(report["self_inspections"], 4, "R-RV-08: each department's self-inspection for the fiscal year: {out}");
        assert_eq!(hr.account("100002").unwrap().status, "active", "a finding changes nothing by itself");

        let mut csv = hr.command();
        csv.args(["report", "findings", "--format", "csv"]);
        let (code, out, _) = output(csv);
        assert_eq!(code, 0);
        assert!(out.starts_with('\u{feff}'), "CSV for Excel");
        let rows: Vec<&str> = out.lines().filter(|l| l.contains("orphan_not_in_directory")).collect();
        assert_eq!(rows.len(), 1, "{out}");
        assert!(rows[0].contains("account:100002") && rows[0].contains("職員番号 100002"), "{out}");

        // A second run records nothing twice; with the directory down the run says so and still does the rest.
        let mut again = hr.command();
        again.args(["review", "run"]);
        let (code, out, _) = output(again);
        assert_eq!(code, 0);
        assert!(out.contains("\"hr_findings\": 0") && out.contains("\"self_inspections\": 0"), "once a fiscal year: {out}");
        let mut down = hr.command();
        down.env("TOBIRA__DIRECTORY__URL", "ldap://127.0.0.1:1").args(["review", "run"]);
        let (code, out, err) = output(down);
        assert_eq!(code, 1, "a failed step is an error exit: {out}{err}");
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(report["directory_checked"], false);
        assert!(report["errors"][0].as_str().unwrap().starts_with("directory:"), "{out}");
        assert!(!out.contains(&std::fs::read_to_string(hr.ldap.password_file()).unwrap().trim().to_string()), "no secret in the report");
    }
}

both_backends! {
    async fn r_lc_03_a_persons_privileged_id_follows_their_staff_account_on_leave_return_and_retirement(db: TestDb) {
        let hr = Hr::new(db, &people(), (20, 100.0)).await;
        assert_eq!(hr.sync(&[]).0, 0);
        let pool = hr.db.pool();
        for en in ["100002", "100003"] {
            let c = &mut *conn(&pool);
            let staff = store::accounts::by_login_id(c, en).unwrap().unwrap();
            let mut p = store::accounts::Account::new(store::new_id(), format!("p-{en}"), staff.person_id.clone(), 0);
            p.is_privileged = true;
            store::accounts::insert(c, &p).unwrap();
            let e = store::privileged::Eligibility { id: store::new_id(), account_id: p.id.clone(), role_id: "juki.admin".into(), system_id: "juki".into(), granted_by: "900011".into(), reason: "保守".into(), created_at: 0, revoked_at: None, revoked_by: None };
            store::privileged::insert_eligibility(c, &e).unwrap();
        }
        let dn = |en: &str| people().into_iter().find(|p| p.employee_number == en).unwrap().dn();
        hr.ldap.set(&dn("100002"), "description", &["休職"]).await;
        hr.ldap.set(&dn("100003"), "description", &["退職"]).await;
        let (code, out, err) = hr.sync(&["--full"]);
        assert_eq!(code, 0, "{out}{err}");
        assert_eq!(hr.account("p-100002").unwrap().status, "suspended", "on leave with the staff account");
        let gone = hr.account("p-100003").unwrap();
        assert_eq!(gone.status, "disabled", "a leaver's privileged ID goes at once");
        assert!(gone.deletion_due_at.is_some());
        assert!(!store::privileged::is_eligible(&mut conn(&pool), &gone.id, "juki.admin").unwrap(), "and its eligibility is revoked");
        assert_eq!(count(&mut conn(&pool), "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'account.disabled' AND details LIKE '%p-100003%'"), 1, "on the audit record");

        // Back from leave: the privileged ID returns with the staff account; the leaver's does not.
        hr.ldap.set(&dn("100002"), "description", &["在職"]).await;
        let (code, out, err) = hr.sync(&[]);
        assert_eq!(code, 0, "{out}{err}");
        assert_eq!(hr.account("p-100002").unwrap().status, "active");
        assert!(store::privileged::is_eligible(&mut conn(&pool), &hr.account("p-100002").unwrap().id, "juki.admin").unwrap(), "eligibility waited for the return");
        assert_eq!(hr.account("p-100003").unwrap().status, "disabled");
    }
}

/// The HR system's CSV export as the source (`kind = "csv"`), with the same mapping idea.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_lc_10_a_csv_export_is_a_source_and_a_broken_row_removes_nobody() {
    let hr = Hr::new(TestDb::sqlite(), &[], (20, 100.0)).await;
    let text = std::fs::read_to_string(hr.policy.path().join("directory.toml")).unwrap();
    let departments = text.find("[directory.departments]").unwrap();
    let next = departments + text[departments..].find("\n[directory.employment_types]").unwrap();
    std::fs::write(hr.policy.path().join("directory.toml"), format!("{}{}", &text[..departments], &text[next..]).replace("kind = \"ldap\"", "kind = \"csv\"")).unwrap();
    let csv = hr.policy.path().join("hr-export.csv");
    let header = "employeeNumber,cn,displayName,departmentNumber,ou,businessCategory,employeeType,description\r\n";
    let row = |en: &str, dept: &str, also: &str| format!("{en},\"東雲 職員{en}\",シノノメ ショクイン{en},{dept},\"課, {dept}\",{also},正規,在職\r\n");
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

/// A JST date `days` from today, as the register writes it.
fn jst_date(days: i64) -> String {
    let d = (time::OffsetDateTime::now_utc().to_offset(tobira_domain::time_util::JST) + time::Duration::days(days)).date();
    format!("{}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

both_backends! {
    async fn r_lc_13_a_contract_register_binds_vendors_ends_them_with_the_contract_and_records_the_return(db: TestDb) {
        let vendor = |en: &str, contract: Option<&str>| {
            let mut f = Fixture::new(en, "kikaku");
            f.employment = "委託".into();
            f.contract = contract.map(String::from);
            f
        };
        let people = [Fixture::new("400001", "somu"), vendor("400002", Some("R8-001")), vendor("400003", Some("R8-001-A")), vendor("400004", Some("R9-999")), vendor("400005", None)];
        let hr = Hr::new(db, &people, (20, 100.0)).await;
        hr.edit_policy("directory.toml", &[("[directory.attributes]", "[directory.contracts]\nnumber = \"契約番号\"\nvendor = \"事業者\"\nstart_date = \"開始日\"\nend_date = \"終了日\"\nparent = \"元契約\"\n\n[directory.attributes]")]);
        let register = hr.policy.path().join("contracts.csv");
        let write = |main_end: &str| {
            let rows = format!("契約番号,事業者,開始日,終了日,元契約\r\nR8-001,株式会社しののめ情報,2026-04-01,{main_end},\r\nR8-001-A,有限会社再委託,2026-04-01,2099-03-31,R8-001\r\n");
            std::fs::write(&register, rows).unwrap();
        };
        let sync = |args: &[&str]| {
            let mut c = hr.cmd(args);
            c.env("TOBIRA__DIRECTORY__CONTRACTS_FILE", &register);
            output(c)
        };
        // Without the register's file the sync refuses to run: a vendor's end could be missed.
        let (code, _, err) = output(hr.cmd(&[]));
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("directory.contracts_file is not set") && err.contains("nothing was changed"), "{err}");

        let main_end = jst_date(120);
        write(&main_end);
        let (code, out, err) = sync(&[]);
        assert_eq!(code, if out.contains("スキップ") { 4 } else { 0 }, "exit 4 exactly when entries were skipped: {out}{err}");
        assert_eq!(out.matches("アカウント作成").count(), 3, "staff, a vendor and a sub-contractor's worker: {out}");
        assert!(out.contains("contract R9-999 is not in the contract register"), "{out}");
        assert!(out.contains("a vendor must name a contract of the contract register"), "{out}");
        assert!(hr.account("400004").is_none() && hr.account("400005").is_none(), "no account without a contract in the register");
        let end = |en: &str| store::org::person_by_employee_number(&mut conn(&hr.db.pool()), en).unwrap().unwrap().end_date;
        assert_eq!(end("400002").as_deref(), Some(main_end.as_str()), "the contract's end is the person's");
        assert_eq!(end("400003").as_deref(), Some(main_end.as_str()), "a sub-contract ends with its parent");
        assert_eq!(end("400001"), None);

        // The contract ends early (e.g. cancelled): the changed register alone makes the next run
        // read everyone, and both workers under it lose access; staff are untouched.
        write(&jst_date(-1));
        let (code, out, err) = sync(&[]);
        assert_eq!(code, if out.contains("スキップ") { 4 } else { 0 }, "exit 4 exactly when entries were skipped: {out}{err}");
        assert!(!err.contains("content sync") && !err.contains("incremental read"), "a changed register is read with everyone: {err}");
        assert_eq!(out.lines().filter(|l| l.contains("アカウント無効化") && l.contains("任期・契約満了")).count(), 2, "{out}");
        assert_eq!(hr.account("400002").unwrap().status, "disabled");
        assert_eq!(hr.account("400003").unwrap().status, "disabled");
        assert_eq!(hr.account("400001").unwrap().status, "active");
        // The same register again: an incremental run with nothing to do.
        let (code, out, err) = sync(&[]);
        assert_eq!(code, if out.contains("スキップ") { 4 } else { 0 }, "exit 4 exactly when entries were skipped: {out}{err}");
        assert!(err.contains("content sync"), "{err}");
        assert!(out.contains(": applied — 0 件の操作"), "{out}");

        // R-LC-13: the vendors report names the vendor and, once the contract has ended, asks for
        // the confirmation that the information handed over was returned or erased.
        let run = |args: &[&str]| {
            let mut c = hr.command();
            c.args(args);
            output(c)
        };
        let (code, out, err) = run(&["report", "vendors", "--format", "json"]);
        assert_eq!(code, if out.contains("スキップ") { 4 } else { 0 }, "exit 4 exactly when entries were skipped: {out}{err}");
        assert!(out.contains("株式会社しののめ情報") && out.contains("未確認 / not confirmed"), "{out}");
        let note = "貸与資料の返却と作業端末のデータ消去を確認（消去証明書を受領）";
        let (code, out, err) = run(&["contract", "confirm-return", "R8-001", "--note", note]);
        assert_eq!(code, if out.contains("スキップ") { 4 } else { 0 }, "exit 4 exactly when entries were skipped: {out}{err}");
        let (code, _, err) = run(&["contract", "confirm-return", "R8-001", "--note", "again"]);
        assert_eq!(code, 1);
        assert!(err.contains("already confirmed by operator:hr-operator"), "{err}");
        let (code, _, err) = run(&["contract", "confirm-return", "R9-999", "--note", note]);
        assert_eq!(code, 1);
        assert!(err.contains("not in the contract register"), "{err}");
        let (_, out, _) = run(&["report", "vendors", "--format", "json"]);
        assert!(out.contains("hr-operator") && !out.contains("未確認"), "{out}");
        assert_eq!(count(&mut conn(&hr.db.pool()), "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'contract.return_confirmed'"), 1);
        assert_eq!(count(&mut conn(&hr.db.pool()), "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'contract.saved' AND target = 'contract:R8-001'"), 2, "saved, then its new end date");

        // A register that cannot be read changes nothing; a broken row is reported, and the people
        // under its contract are skipped, not removed.
        std::fs::write(&register, "契約番号,事業者,開始日,終了日\r\nR8-001,\"株式会社").unwrap();
        let (code, _, err) = sync(&[]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("never closes") && err.contains("nothing was changed"), "{err}");
        std::fs::write(&register, "契約番号,事業者,開始日,終了日,元契約\r\nR8-001,株式会社しののめ情報,2026-04-01,2099-02-30,\r\n").unwrap();
        let (code, out, err) = sync(&[]);
        assert_eq!(code, if out.contains("スキップ") { 4 } else { 0 }, "exit 4 exactly when entries were skipped: {out}{err}");
        assert!(out.contains("contracts.csv:2: 終了日: `2099-02-30` is not a valid date"), "{out}");
        assert!(out.contains("400002") && out.contains("contract R8-001 cannot be read from the contract register"), "{out}");
        assert_eq!(hr.account("400001").unwrap().status, "active");
    }
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
