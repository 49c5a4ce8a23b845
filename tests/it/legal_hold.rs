//! Legal hold and the CSIRT export (R-LG-06) with retention deletion (R-LG-01), on both backends:
//! `tobira audit prune` deletes the records past `audit.retention_days` and the chain still verifies
//! from the anchor it leaves; held records survive the pruning until the hold is released; the
//! export's MANIFEST.sha256 checks with `sha256sum -c` and a tampered file fails it; only the CISO
//! creates a hold (command line and page; a security officer and staff are refused and audited); a
//! forged form is refused.

use crate::support::{both_backends, conn, count, output, tobira, TestDb};
use crate::web;
use crate::web::signed_in;
use tobira::store::{self, accounts::Account, accounts::Grant};
use tobira_domain::audit::AuditEvent;
use tobira_domain::rbac::GrantSource;

const DAY: i64 = 86_400_000;

/// The policy's systems and roles in the database, as `serve` puts them there.
fn register(db: &TestDb) {
    let pool = db.pool();
    let policy = tobira::startup::policy(&db.config()).unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    tobira::app::registry::sync(&mut conn(&pool), &policy, now).unwrap();
}

/// An account holding `role` (none: plain staff).
fn account(db: &TestDb, login: &str, role: Option<&str>) {
    let pool = db.pool();
    let mut c = conn(&pool);
    let now = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    let a = Account::new(store::new_id(), login.to_string(), None, now - 30 * DAY);
    store::accounts::insert(&mut c, &a).unwrap();
    if let Some(r) = role {
        store::accounts::insert_grant(&mut c, &Grant::new(&a.id, r, GrantSource::Bootstrap, now - 30 * DAY)).unwrap();
    }
}

/// Appends `n` records by `actor` that occurred `days_ago` days ago.
fn old_records(db: &TestDb, actor: &str, n: usize, days_ago: i64) {
    let pool = db.pool();
    let mut c = conn(&pool);
    let at = time::OffsetDateTime::now_utc().unix_timestamp() * 1000 - days_ago * DAY;
    let events = (0..n)
        .map(|i| {
            AuditEvent::new(actor, "auth.signed_in", format!("account:{actor}"))
                .with_details(serde_json::json!({ "i": i }))
        })
        .collect();
    store::write_tx(&mut c, |c| store::audit::append(c, at, events)).unwrap();
}

/// The JST date `days_ago` days ago, as YYYY-MM-DD.
fn date(days_ago: i64) -> String {
    let t = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+9)) - time::Duration::days(days_ago);
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

fn cli(db: &TestDb, args: &[&str]) -> (i32, String, String) {
    let mut c = tobira(db);
    c.args(args);
    output(c)
}

fn records_of(db: &TestDb, actor: &str) -> i64 {
    let pool = db.pool();
    count(&mut conn(&pool), &format!("SELECT COUNT(*) AS n FROM audit_events WHERE actor = '{actor}'"))
}

both_backends! {
    fn r_lg_06_prune_keeps_held_records_until_release_the_chain_verifies_and_the_export_checks_with_sha256sum(db: TestDb) {
        register(&db);
        account(&db, "p-ciso-601", Some("tobira.ciso"));
        account(&db, "p-so-601", Some("tobira.security_officer"));
        account(&db, "sato.601", None);
        old_records(&db, "old-jiro", 5, 3_000); // past retention, not held
        old_records(&db, "taro", 4, 2_500); // past retention, held
        old_records(&db, "hanako", 2, 2_500); // in the held range, another person
        old_records(&db, "new-ken", 3, 10); // within retention

        // Only the CISO holds records: a security officer and staff are refused, and it is on record.
        let add = |who: &str| cli(&db, &["audit", "hold", "add", "--as", who, "--from", &date(2_501), "--until", &date(2_499), "--subject", "taro", "--reason", "不正アクセスの疑い", "--case", "CSIRT-2026-007"]);
        for who in ["p-so-601", "sato.601"] {
            let (code, _, err) = add(who);
            assert_eq!(code, 1, "{who}: {err}");
            assert!(err.contains("CISO"), "{err}");
        }
        assert_eq!(records_of(&db, "p-so-601") + records_of(&db, "sato.601"), 2, "both refusals audited");
        let (code, out, err) = add("p-ciso-601");
        assert_eq!(code, 0, "{out}{err}");
        let hold = out.trim().to_string();
        let (code, list, _) = cli(&db, &["audit", "hold", "list", "--as", "p-ciso-601"]);
        assert!(code == 0 && list.contains(&hold) && list.contains("CSIRT-2026-007"), "{list}");

        // Pruning deletes the unheld old records only; the chain verifies from the anchor.
        let (code, out, err) = cli(&db, &["audit", "prune"]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("deleted 5 record(s)") && out.contains(&hold), "{out}");
        assert_eq!(records_of(&db, "old-jiro"), 0);
        assert_eq!((records_of(&db, "taro"), records_of(&db, "hanako"), records_of(&db, "new-ken")), (4, 2, 3), "held range and recent records survive");
        let (code, out, err) = cli(&db, &["audit", "verify"]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("audit chain intact"), "{out}");

        // The CSIRT export: the held person's records, the range's chain, the verification, a manifest.
        let dir = tempfile::tempdir().unwrap();
        let out_dir = dir.path().join("csirt");
        let (code, out, err) = cli(&db, &["audit", "export", "--hold", &hold, "--out", out_dir.to_str().unwrap(), "--as", "p-ciso-601"]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("4 held record(s)") && out.contains("intact"), "{out}");
        let check = || std::process::Command::new("sha256sum").args(["-c", "MANIFEST.sha256"]).current_dir(&out_dir).output().unwrap();
        let ok = check();
        assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stdout));
        let csv = std::fs::read(out_dir.join("held.csv")).unwrap();
        assert!(csv.starts_with("\u{feff}seq,".as_bytes()), "UTF-8 with BOM");
        assert_eq!(std::fs::read_to_string(out_dir.join("held.jsonl")).unwrap().lines().count(), 4);
        assert_eq!(std::fs::read_to_string(out_dir.join("chain.jsonl")).unwrap().lines().count(), 6, "every record of the range");
        let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out_dir.join("verification.json")).unwrap()).unwrap();
        assert_eq!(v["chain"]["intact"], true, "{v}");
        assert!(v["chain"]["verified_from"]["anchor_seq"].as_i64().is_some(), "the anchor it starts from: {v}");
        let mut tampered = csv.clone();
        tampered.extend_from_slice(b"9999,forged\r\n");
        std::fs::write(out_dir.join("held.csv"), tampered).unwrap();
        assert!(!check().status.success(), "a tampered file fails the manifest");
        assert_eq!(records_of(&db, "p-ciso-601"), 3, "hold created, read, exported: each audited");

        // Released (with a reason), the held records go at the next pruning; the chain still verifies.
        let (code, out, err) = cli(&db, &["audit", "hold", "release", &hold, "--as", "p-ciso-601", "--reason", "捜査終了"]);
        assert_eq!(code, 0, "{out}{err}");
        let (code, out, _) = cli(&db, &["audit", "prune"]);
        assert_eq!(code, 0);
        assert!(out.contains("deleted"), "{out}");
        assert_eq!((records_of(&db, "taro"), records_of(&db, "hanako"), records_of(&db, "new-ken")), (0, 0, 3));
        let (code, out, err) = cli(&db, &["audit", "verify"]);
        assert_eq!(code, 0, "{out}{err}");
    }
}

both_backends! {
    async fn r_lg_06_only_the_ciso_holds_records_on_the_console_page_and_a_forged_form_is_refused(db: TestDb) {
        let s = web::start(&db, |_| {}).await;
        let ciso = s.account("p-ciso-602", crate::oidc_rp::PASSWORD, false, false).await;
        let (ciso_id, now) = (ciso.clone(), s.clock_ms());
        s.app.db(move |c| Ok(store::accounts::insert_grant(c, &Grant::new(&ciso_id, "tobira.ciso", GrantSource::Bootstrap, now))?)).await.unwrap();
        s.account("p-so-602", crate::oidc_rp::PASSWORD, false, true).await;
        s.person("sato.602", "600002", "regular", false, &[]).await;
        let (staff, _) = signed_in(&s, "sato.602").await;
        let (officer, _) = signed_in(&s, "p-so-602").await;
        let (c, _) = signed_in(&s, "p-ciso-602").await;
        let form = [("case_number", "CSIRT-2026-008"), ("from", "2026-03-01"), ("until", "2026-03-31"), ("subjects", "sato.602, juki"), ("reason", "標的型メールの調査")];

        for who in [&staff, &officer] {
            assert_eq!(who.get("/console/holds").await.status, 403);
            assert_eq!(who.post("/console/holds", &form).await.status, 403);
        }
        assert_eq!(c.post_raw("/console/holds", &form).await.status, 403, "a forged form");
        assert_eq!(s.audit_count("audit.hold_created", Some("not the CISO")).await, 2, "the refusals are on record");

        let made = c.post("/console/holds", &form).await;
        assert!(made.location.as_deref().is_some_and(|l| l.contains("notice=")), "{:?} {}", made.location, made.body);
        let page = c.get("/console/holds").await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("CSIRT-2026-008") && page.body.contains("sato.602, juki"), "{}", page.body);
        let id = page.body.split("data-hold=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        assert_eq!(staff.get(&format!("/console/holds/{id}/export")).await.status, 403, "staff cannot export");
        let tar = c.get(&format!("/console/holds/{id}/export")).await;
        assert_eq!(tar.status, 200);
        for name in ["held.jsonl", "held.csv", "chain.jsonl", "verification.json", "MANIFEST.sha256"] {
            assert!(tar.body.contains(&format!("hold-{id}/{name}")), "{name} in the archive");
        }
        assert_eq!(s.audit_count("audit.hold_exported", Some("CSIRT-2026-008")).await, 1);
        assert_eq!(c.post(&format!("/console/holds/{id}/release"), &[("reason", "")]).await.location.as_deref().map(|l| l.contains("error=")), Some(true), "a release names its reason");
        assert_eq!(officer.post(&format!("/console/holds/{id}/release"), &[("reason", "x")]).await.status, 403);
        let released = c.post(&format!("/console/holds/{id}/release"), &[("reason", "調査終了")]).await;
        assert!(released.location.as_deref().is_some_and(|l| l.contains("notice=")), "{:?}", released.location);
        assert_eq!(s.audit_count("audit.hold_released", Some("調査終了")).await, 1);
    }
}

both_backends! {
    async fn r_lg_01_the_scheduled_pruning_deletes_past_retention_once_per_period_and_spares_a_hold(db: TestDb) {
        use tobira::app::legal_hold::{prune_scheduled, PRUNE_ACTOR};
        register(&db);
        account(&db, "p-ciso-611", Some("tobira.ciso"));
        old_records(&db, "old-saburo", 3, 3_000); // past retention, not held
        old_records(&db, "held-shiro", 2, 2_500); // past retention, held
        old_records(&db, "new-goro", 2, 10); // within retention
        let hold = ["audit", "hold", "add", "--as", "p-ciso-611", "--from", &date(2_501), "--until", &date(2_499), "--subject", "held-shiro", "--reason", "内部調査", "--case", "CSIRT-2026-011"];
        let (code, out, err) = cli(&db, &hold);
        assert_eq!(code, 0, "{out}{err}");

        let s = web::start(&db, |_| {}).await;
        assert_eq!(s.app.policy.audit.prune_every_hours, 24, "the shipped policy prunes daily");
        let p = prune_scheduled(&s.app, "node-a").await.unwrap().expect("the first node takes the period's lease");
        assert_eq!((p.deleted, p.held_by.len()), (3, 1), "{p:?}");
        assert_eq!((records_of(&db, "old-saburo"), records_of(&db, "held-shiro"), records_of(&db, "new-goro")), (0, 2, 2));
        assert_eq!(records_of(&db, PRUNE_ACTOR), 1, "the pruning is on record under the schedule's name");
        // A second node in the same period does nothing; in the next period one of them runs again.
        assert!(prune_scheduled(&s.app, "node-b").await.unwrap().is_none(), "one node per period");
        s.clock.advance(time::Duration::hours(25));
        let again = prune_scheduled(&s.app, "node-b").await.unwrap().expect("the next period's lease");
        assert_eq!(again.deleted, 0, "nothing new past retention; the hold still stands");
        let (code, out, err) = cli(&db, &["audit", "verify"]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("audit chain intact"), "{out}");
    }
}

both_backends! {
    fn r_lg_01_pruning_every_record_leaves_a_chain_that_continues_from_the_anchor(db: TestDb) {
        // A quiet log: every record is past retention, so the pruning deletes all of them, and its
        // own record is then the only one. It must follow the anchor, not start a new chain at #1.
        old_records(&db, "quiet-rokuro", 3, 3_000);
        let (code, out, err) = cli(&db, &["audit", "prune"]);
        assert_eq!(code, 0, "{out}{err}");
        assert_eq!(records_of(&db, "quiet-rokuro"), 0, "{out}");
        let pool = db.pool();
        let seq = count(&mut conn(&pool), "SELECT MIN(seq) AS n FROM audit_events");
        assert_eq!(seq, 4, "the pruning's record follows the anchor at #3");
        let (code, out, err) = cli(&db, &["audit", "verify"]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("audit chain intact"), "{out}");
    }
}
