//! A held HR-sync plan against a real slapd, on both backends (R-LC-01, R-LC-03, R-AC-02): entries
//! deleted → held; a re-run renews that hold; HR restores the entries and the next run applies
//! them → the hold expires, and approving the old plan disables nobody present in HR. Approval
//! re-reads the directory and applies only what still holds. On the command line it needs a person
//! named by `[approvals] sync_hold`, not who ran it, with a one-time code of their own
//! authenticator: `SUDO_USER`, the runner, an unnamed person, a wrong or replayed code and a stale
//! hold are refused, each refusal audited under the account that tried.

use crate::hr_sync::{people, Hr};
use crate::support::{both_backends, conn, count, output};
use crate::web::totp_code;
use tobira::store::{
    self,
    accounts::{Account, Grant},
    credentials::Totp,
};

pub(crate) fn run_of(err: &str) -> String {
    err.split("--show ").nth(1).expect("the run is named").split('`').next().unwrap().to_string()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// An account `login` (a security officer when `officer`) with a TOTP sealed under the CLI's
/// master key; its secret.
pub(crate) fn approver(hr: &Hr, login: &str, officer: bool) -> Vec<u8> {
    let pool = hr.db.pool();
    let c = &mut *conn(&pool);
    let now = now_ms();
    let a = Account::new(store::new_id(), login.into(), None, now);
    store::accounts::insert(c, &a).unwrap();
    if officer {
        store::accounts::insert_grant(
            c,
            &Grant::new(&a.id, "tobira.security_officer", tobira_domain::rbac::GrantSource::Bootstrap, now),
        )
        .unwrap();
    }
    let (key, _) = tobira::crypto::master_key::MasterKey::load_or_create(&hr.db.config().master_key_path()).unwrap();
    let secret: Vec<u8> = login.bytes().cycle().take(20).collect();
    let t = Totp {
        id: store::new_id(),
        account_id: a.id.clone(),
        name: "phone".into(),
        secret_encrypted: key.seal("totp-secret", &secret).unwrap(),
        created_at: now,
        last_used_step: None,
    };
    store::credentials::insert_totp(c, &t).unwrap();
    secret
}

pub(crate) fn code_now(secret: &[u8]) -> String {
    totp_code(secret, (now_ms() / 1000) as u64)
}

pub(crate) fn approve(hr: &Hr, run: &str, login: &str, code: &str) -> (i32, String, String) {
    output(hr.cmd(&["--approve", run, "--login", login, "--code", code]))
}

fn status(hr: &Hr, run: &str) -> String {
    store::sync_runs::run(&mut conn(&hr.db.pool()), run).unwrap().unwrap().status
}

fn refusals(hr: &Hr, actor: &str, code: &str) -> i64 {
    count(&mut conn(&hr.db.pool()), &format!("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'sync.approve_refused' AND actor = '{actor}' AND details LIKE '%\"code\":\"{code}\"%'"))
}

both_backends! {
    async fn r_lc_01_a_held_plan_whose_deletions_hr_undid_disables_nobody_when_approved(db: TestDb) {
        let hr = Hr::new(db, &people(), (1, 100.0)).await;
        assert_eq!(hr.sync(&[]).0, 0);
        let gone = people()[..3].to_vec();
        for p in &gone {
            hr.ldap.delete(&p.dn()).await;
        }
        let (code, out, err) = hr.sync(&["--full"]);
        assert_eq!(code, 3, "held: {out}{err}");
        let run = run_of(&err);

        // A re-run while the plan is held renews that hold instead of adding another.
        let (code, _, err) = hr.sync(&["--full"]);
        assert_eq!(code, 3);
        assert_eq!(run_of(&err), run, "the same hold");
        assert_eq!(count(&mut conn(&hr.db.pool()), "SELECT COUNT(*) AS n FROM sync_runs WHERE status = 'held'"), 1);
        assert_eq!(count(&mut conn(&hr.db.pool()), "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'sync.hold_renewed'"), 1);

        // HR restores the entries; the next run sees them and applies; the hold is superseded.
        for p in &gone {
            hr.ldap.add(p).await;
        }
        let (code, out, err) = hr.sync(&[]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("停止・無効化 0 件"), "{out}");
        assert_eq!(status(&hr, &run), "expired");

        // The old plan approved by a security officer with a good code: refused, nobody disabled.
        let secret = approver(&hr, "so-2", true);
        let (code, _, err) = approve(&hr, &run, "so-2", &code_now(&secret));
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("superseded"), "{err}");
        for p in people() {
            assert_eq!(hr.account(&p.employee_number).unwrap().status, "active", "{} is in HR", p.employee_number);
        }
        assert_eq!(refusals(&hr, "so-2", "superseded"), 1, "audited under the approver's account");
    }
}

both_backends! {
    async fn r_lc_01_approval_re_reads_the_directory_and_applies_only_what_still_holds(db: TestDb) {
        let hr = Hr::new(db, &people(), (1, 100.0)).await;
        assert_eq!(hr.sync(&[]).0, 0);
        let gone = people()[..3].to_vec();
        for p in &gone {
            hr.ldap.delete(&p.dn()).await;
        }
        let (code, _, err) = hr.sync(&["--full"]);
        assert_eq!(code, 3);
        let run = run_of(&err);
        // Two of the three come back before anyone decides; no run in between.
        hr.ldap.add(&gone[0]).await;
        hr.ldap.add(&gone[1]).await;

        let secret = approver(&hr, "so-2", true);
        let (code, out, err) = approve(&hr, &run, "so-2", &code_now(&secret));
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("適用 4 件、取りやめ（人事情報が戻った）8 件"), "the difference is shown: {out}");
        assert!(out.contains("取りやめ / no longer holds: アカウント無効化 100001"), "{out}");
        assert_eq!(hr.account("100001").unwrap().status, "active");
        assert_eq!(hr.account("100002").unwrap().status, "active");
        assert_eq!(hr.account("100003").unwrap().status, "disabled", "what still holds is applied");
        assert_eq!(status(&hr, &run), "applied");
        let mut c = conn(&hr.db.pool());
        assert_eq!(count(&mut c, "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'sync.approved' AND actor = 'so-2' AND details LIKE '%no_longer_holds_people%100001%100002%'"), 1);
        assert_eq!(count(&mut c, "SELECT COUNT(*) AS n FROM sync_runs WHERE decided_by = 'so-2'"), 1);
    }
}

both_backends! {
    async fn r_ac_02_a_held_plan_is_approved_only_by_a_named_person_with_their_own_code(db: TestDb) {
        let hr = Hr::new(db, &people(), (0, 100.0)).await;
        assert_eq!(hr.sync(&[]).0, 0);
        hr.ldap.delete(&people()[0].dn()).await;
        let (code, _, err) = hr.sync(&["--full"]);
        assert_eq!(code, 3);
        let run = run_of(&err);

        // SUDO_USER proves nothing: --approve needs a login and a code.
        let mut c = hr.cmd(&["--approve", &run]);
        c.env("SUDO_USER", "security-officer-2");
        assert_eq!(output(c).0, 2, "no approval without the approver's login and code");
        // The runner (hr-operator, who ran it under sudo) with a good code of their own.
        let runner = approver(&hr, "hr-operator", true);
        let (code, _, err) = approve(&hr, &run, "hr-operator", &code_now(&runner));
        assert_eq!(code, 1);
        assert!(err.contains("R-AC-02"), "{err}");
        // Someone [approvals] sync_hold does not name.
        let clerk = approver(&hr, "clerk", false);
        let (code, _, err) = approve(&hr, &run, "clerk", &code_now(&clerk));
        assert_eq!(code, 1);
        assert!(err.contains("sync_hold"), "{err}");
        // A wrong code.
        let so2 = approver(&hr, "so-2", true);
        let right = code_now(&so2);
        let wrong = if right == "000000" { "111111" } else { "000000" };
        assert_eq!(approve(&hr, &run, "so-2", wrong).0, 1);
        // A stale hold: planned longer ago than sync.hold_max_age_minutes (240).
        hr.db.raw(&format!("UPDATE sync_runs SET created_at = created_at - {} WHERE id = '{run}'", 241 * 60_000));
        let (code, _, err) = approve(&hr, &run, "so-2", &right);
        assert_eq!(code, 1);
        assert!(err.contains("hold_max_age_minutes"), "{err}");
        hr.db.raw(&format!("UPDATE sync_runs SET created_at = created_at + {} WHERE id = '{run}'", 241 * 60_000));
        // The same code again: replayed, refused like a wrong one.
        let (code, _, err) = approve(&hr, &run, "so-2", &right);
        assert_eq!(code, 1);
        assert!(err.contains("wrong code"), "{err}");
        assert_eq!(hr.account("100001").unwrap().status, "active", "nothing applied by any of them");
        assert_eq!(status(&hr, &run), "held");

        assert_eq!(refusals(&hr, "hr-operator", "own_run"), 1);
        assert_eq!(refusals(&hr, "clerk", "not_entitled"), 1);
        assert_eq!(refusals(&hr, "so-2", "wrong_code"), 2, "the wrong and the replayed code");
        assert_eq!(refusals(&hr, "so-2", "too_old"), 1);

        // Another security officer with their own code applies it.
        let so3 = approver(&hr, "so-3", true);
        let (code, out, err) = approve(&hr, &run, "so-3", &code_now(&so3));
        assert_eq!(code, 0, "{out}{err}");
        assert_eq!(hr.account("100001").unwrap().status, "disabled");
        assert_eq!(approve(&hr, &run, "so-3", &code_now(&so3)).0, 1, "a run is applied once");
    }
}
