//! Full sync runs: joiners, movers and leavers from LDAP, a crash between batches converging, and
//! what follows a leaver (the review run finds them, their privileged ID follows their account).

use super::{people, Hr};
use crate::slapd::{Fixture, READER_DN};
use crate::support::{both_backends, conn, count, output, TestDb};
use tobira::store;

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
