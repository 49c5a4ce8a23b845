//! Reads after the first: the scheduled sync in `serve`, incremental reads, RFC 4533 content sync
//! and its cookie.

use super::{people, policy_with_limits, Hr, DEPARTMENTS};
use crate::slapd::{Slapd, READER_DN};
use crate::support::{both_backends, conn, count, TestDb};
use tobira::store;

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
    store::sync_runs::state(&mut conn(&db.pool()), tobira::app::sync::COOKIE).unwrap()
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
    assert_eq!(
        out.lines().filter(|l| l.contains("アカウント無効化") && l.contains("人事情報から削除")).count(),
        2,
        "{out}"
    );
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
    let set_cookie = |c: &str| {
        store::sync_runs::set_state(&mut conn(&hr.db.pool()), tobira::app::sync::COOKIE, &hex::encode(c), 1).unwrap()
    };
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
