//! Lockout is not a lever (issue 18, item 1; R-AU-11, R-AU-19, R-AU-08): locks per network, correct
//! passwords tried at once never refused, locked or suspended accounts answered as a wrong password,
//! an unguessable bootstrap officer and the console's unlock and recover — on SQLite and PostgreSQL.

use crate::support::{both_backends, output, tobira, TestDb};
use crate::web::{self, Server};
use std::sync::Arc;
use tobira::app::clock::FixedClock;
use tobira_domain::rbac::AccountStatus;

const PASSWORD: &str = "ume-boshi to ryokucha 3ji";

/// The actors of the audit records of `action`.
async fn actors(s: &Server, action: &str) -> Vec<String> {
    let action = action.to_string();
    s.app
        .db(move |c| Ok(tobira::store::audit::by_action(c, &action, 100)?.into_iter().map(|r| r.event.actor).collect()))
        .await
        .unwrap()
}

/// `operator:NAME` for the user running the tests, as the CLI names it.
fn tobira_operator() -> String {
    let uid = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:").map(|v| v.split_whitespace().next().unwrap().to_string()))
        .unwrap();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    let name = passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() > 2 && f[2] == uid)
        .map(|f| f[0].to_string())
        .unwrap_or(format!("uid-{uid}"));
    format!("operator:{name}")
}

/// A server trusting `X-Forwarded-For` from the test (so a client can come from any address), with
/// the clock at the real time (the CLI's own clock agrees).
async fn server(db: &TestDb) -> Server {
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    web::start_with(db, Arc::new(FixedClock::new(now)), |c| {
        c.http.public_url = "http://localhost:8080".into();
        c.http.trusted_proxies = vec!["127.0.0.1/32".into()];
    })
    .await
}

/// A client whose requests come from `ip` (`None`: the test's own address, the office network).
fn from(s: &Server, ip: Option<&str>) -> web::Client {
    let mut c = s.client();
    if let Some(ip) = ip {
        c.headers.push(("x-forwarded-for".into(), ip.into()));
    }
    c
}

both_backends! {
    async fn r_au_19_a_flood_from_outside_does_not_lock_the_office_network(db: TestDb) {
        let s = server(&db).await;
        s.account("p-so-kanemoto", PASSWORD, false, true).await;
        let attacker = from(&s, Some("203.0.113.9"));
        for i in 0..20 {
            assert_eq!(attacker.sign_in("p-so-kanemoto", &format!("guess-{i}")).await.status, 401);
        }
        assert_eq!(s.audit_count("account.locked", Some("\"scope\":\"-\"")).await, 1, "locked for the outside");
        assert_eq!(attacker.sign_in("p-so-kanemoto", PASSWORD).await.status, 401, "from outside, even the right password is refused");
        // The office terminal (127.0.0.1, 庁内有線LAN) keeps working.
        assert_eq!(from(&s, None).sign_in("p-so-kanemoto", PASSWORD).await.status, 303, "the office is not locked out");
        // And a lock in the office network is the office's own: the wireless LAN is not locked by it.
        let office = from(&s, None);
        for i in 0..5 {
            office.sign_in("p-so-kanemoto", &format!("typo-{i}")).await;
        }
        assert_eq!(from(&s, None).sign_in("p-so-kanemoto", PASSWORD).await.status, 401);
        assert_eq!(from(&s, Some("10.20.0.8")).sign_in("p-so-kanemoto", PASSWORD).await.status, 303);
    }
}

both_backends! {
    async fn r_au_19_a_locked_suspended_or_disabled_account_answers_as_a_wrong_password(db: TestDb) {
        let s = server(&db).await;
        let locked = s.account("sato-kanae", PASSWORD, false, false).await;
        let suspended = s.account("ito-mirai", PASSWORD, false, false).await;
        let disabled = s.account("kato-ren", PASSWORD, false, false).await;
        let c = from(&s, None);
        let wrong = c.sign_in("sato-kanae", "not the password at all").await;
        assert_eq!(wrong.status, 401);
        let unknown = c.sign_in("nobody-here", PASSWORD).await;
        for _ in 0..10 {
            c.sign_in("sato-kanae", "still wrong, still wrong").await;
        }
        let (now, app) = (s.clock_ms(), s.app.clone());
        app.db(move |c| {
            tobira::store::accounts::set_status(c, &suspended, AccountStatus::Suspended, "test", now)?;
            Ok(tobira::store::accounts::set_status(c, &disabled, AccountStatus::Disabled, "test", now)?)
        })
        .await
        .unwrap();
        let _ = locked;
        for (login, why) in [("sato-kanae", "locked"), ("ito-mirai", "suspended"), ("kato-ren", "disabled")] {
            let page = c.sign_in(login, PASSWORD).await;
            assert_eq!((page.status, page.by_id("error")), (wrong.status, wrong.by_id("error")), "{why}: the same answer as a wrong password");
            assert_eq!(page.body, unknown.body, "{why}: the same page as an unknown login ID");
        }
        // The audit log keeps the truth.
        assert!(s.audit_count("auth.sign_in_failed", Some("\"locked\"")).await >= 1);
        assert_eq!(s.audit_count("auth.sign_in_failed", Some("account_unavailable")).await, 2);
    }
}

both_backends! {
    async fn r_au_08_eight_parallel_correct_sign_ins_of_one_account_are_never_refused(db: TestDb) {
        // A shared ID at eight counters (R-AU-08), privileged so its limit is five: zero refusals.
        let s = server(&db).await;
        s.account("p-madoguchi", PASSWORD, false, true).await;
        let mut statuses = Vec::new();
        for _round in 0..4 {
            let tasks: Vec<_> = (0..8)
                .map(|_| {
                    let c = from(&s, None);
                    tokio::spawn(async move { c.sign_in("p-madoguchi", PASSWORD).await.status })
                })
                .collect();
            for t in tasks {
                statuses.push(t.await.unwrap());
            }
        }
        assert!(statuses.iter().all(|st| *st == 303), "every correct sign-in got in: {statuses:?}");
        assert_eq!(s.audit_count("auth.sign_in_failed", None).await, 0);
        assert_eq!(s.audit_count("auth.sign_in", None).await, 32);
    }
}

both_backends! {
    async fn r_au_19_the_bootstrap_officer_cannot_be_locked_out_for_good(db: TestDb) {
        let s = server(&db).await;
        let mut boot = tobira(&db);
        boot.args(["admin", "bootstrap"]);
        let (code, out, err) = output(boot);
        assert_eq!(code, 0, "{out}{err}");
        let login = out.lines().find_map(|l| l.trim().strip_prefix("login ID:")).unwrap().trim().to_string();
        let suffix = login.strip_prefix("p-so-").expect("the policy's prefix");
        assert!(suffix.len() >= 8 && suffix.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()), "not guessable: {login}");
        // Whoever learns the ID and hammers it from anywhere, with the policy's "until an officer
        // unlocks" (privileged lock_minutes = 0), and even a lock that applies everywhere:
        let attacker = from(&s, Some("198.51.100.7"));
        for i in 0..10 {
            attacker.sign_in(&login, &format!("guess-{i}")).await;
        }
        let (id, now, app) = (tobira::store::accounts::by_login_id(&mut crate::support::conn(&db.pool()), &login).unwrap().unwrap().id, s.clock_ms(), s.app.clone());
        let global = tobira_domain::authn::lockout::LockState { failures: 5, locked_at: Some(now), ..Default::default() };
        app.db(move |c| Ok(tobira::store::throttle::put_lock_state(c, &id, tobira_domain::authn::lockout::GLOBAL_SCOPE, &global, now)?)).await.unwrap();
        // ... the server's console gets the officer back in, with a reason, attributed and audited.
        let mut no_reason = tobira(&db);
        no_reason.args(["admin", "recover", "--reason", ""]);
        assert_eq!(output(no_reason).0, 1, "a reason is required");
        let mut recover = tobira(&db);
        recover.args(["admin", "recover", "--reason", "sole officer locked out by guessing"]);
        let (code, out, err) = output(recover);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains(&login), "{out}");
        let temporary = out.lines().find_map(|l| l.trim().strip_prefix("temporary password:")).unwrap().trim().to_string();
        let officer = from(&s, None);
        assert_eq!(officer.sign_in(&login, &temporary).await.status, 303);
        assert_eq!(officer.get("/account").await.location.as_deref(), Some("/account/password"), "must change it (R-AU-06)");
        assert_eq!(actors(&s, "account.recovered").await, vec![tobira_operator()], "attributed to the OS user");
        assert_eq!(s.audit_count("account.recovered", Some(&temporary)).await, 0, "never logged");
    }
}

both_backends! {
    async fn r_au_11_admin_unlock_lifts_every_lock_and_names_the_operator(db: TestDb) {
        let s = server(&db).await;
        s.account("p-so-ueno", PASSWORD, false, true).await;
        s.account("p-so-oda", PASSWORD, false, true).await;
        for i in 0..5 {
            from(&s, None).sign_in("p-so-ueno", &format!("typo-{i}")).await;
        }
        assert_eq!(from(&s, None).sign_in("p-so-ueno", PASSWORD).await.status, 401, "locked until someone unlocks");
        // Not the sole officer and locked: recover is for the sole or locked officer; unlock is enough.
        let mut unlock = tobira(&db);
        unlock.args(["admin", "unlock", "p-so-ueno", "--reason", "confirmed by phone, ticket 4411"]);
        let (code, out, err) = output(unlock);
        assert_eq!(code, 0, "{out}{err}");
        assert_eq!(from(&s, None).sign_in("p-so-ueno", PASSWORD).await.status, 303);
        assert_eq!(s.audit_count("account.unlocked", Some("ticket 4411")).await, 1);
        assert_eq!(actors(&s, "account.unlocked").await, vec![tobira_operator()], "attributed to the OS user");
        // Recover refuses an officer who is neither locked nor alone: another officer resets them.
        let mut recover = tobira(&db);
        recover.args(["admin", "recover", "--login-id", "p-so-oda", "--reason", "forgot the password"]);
        let (code, _, err) = output(recover);
        assert_eq!(code, 1, "{err}");
    }
}

/// [`server`] with a copy of the example policy edited by `edits` (file, from, to).
async fn server_with_policy(
    db: &TestDb,
    edits: &[(&str, &str, &str)],
    tune: impl FnOnce(&mut tobira::config::Config),
) -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(crate::support::repo_path("policies")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    for (file, from, to) in edits {
        let p = dir.path().join(file);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains(from), "{file} has `{from}`");
        std::fs::write(&p, text.replace(from, to)).unwrap();
    }
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let policy_dir = dir.path().display().to_string();
    let s = web::start_with(db, Arc::new(FixedClock::new(now)), |c| {
        c.http.public_url = "http://localhost:8080".into();
        c.http.trusted_proxies = vec!["127.0.0.1/32".into()];
        c.policy_dir = policy_dir;
        tune(c);
    })
    .await;
    (s, dir)
}

both_backends! {
    async fn r_au_19_failed_sign_ins_from_one_address_are_capped(db: TestDb) {
        let edits = [("authentication.toml", "max_failures = 20\nwindow_seconds = 300\ndelay_ms = 1000\ncap_failures = 100", "max_failures = 3\nwindow_seconds = 300\ndelay_ms = 1\ncap_failures = 6")];
        let (s, _policy) = server_with_policy(&db, &edits, |_| {}).await;
        s.account("abe-sora", PASSWORD, false, false).await;
        let attacker = from(&s, Some("203.0.113.50"));
        for i in 0..6 {
            assert_eq!(attacker.sign_in(&format!("guess-{i}"), "password-spray-2026").await.status, 401);
        }
        // Past the cap the address is refused outright, whatever it sends ...
        let refused = attacker.sign_in("abe-sora", PASSWORD).await;
        assert_eq!(refused.status, 429, "{}", refused.body);
        assert!(refused.body.contains("too_many_attempts"), "{}", refused.body);
        // ... and nobody else is.
        assert_eq!(from(&s, Some("203.0.113.51")).sign_in("abe-sora", PASSWORD).await.status, 303);
    }
}

both_backends! {
    async fn r_au_19_a_full_argon2_queue_answers_503_not_a_pile_up(db: TestDb) {
        // Each verify is made slow (40 passes) so the attempts in flight pile up behind the one argon2
        // thread whatever the machine's load: the queue's bound, not the timing, decides the answer.
        let edits = [("authentication.toml", "hashing_queue_max = 64", "hashing_queue_max = 1"), ("authentication.toml", "iterations = 2", "iterations = 40")];
        let (s, _policy) = server_with_policy(&db, &edits, |c| c.crypto.argon2_concurrency = 1).await;
        s.account("ota-nagi", PASSWORD, false, false).await;
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let c = from(&s, Some(&format!("198.18.0.{}", i + 1)));
                tokio::spawn(async move { c.sign_in("ota-nagi", &format!("wrong-{i}")).await })
            })
            .collect();
        let mut statuses = Vec::new();
        for t in tasks {
            let page = t.await.unwrap();
            if page.status == 503 {
                assert!(page.body.contains("\"busy\""), "{}", page.body);
            }
            statuses.push(page.status);
        }
        assert!(statuses.iter().all(|s| *s == 401 || *s == 503), "{statuses:?}");
        assert!(statuses.contains(&503), "the queue is bounded: {statuses:?}");
        // When the flood is over, sign-in works again.
        assert_eq!(from(&s, None).sign_in("ota-nagi", PASSWORD).await.status, 303);
    }
}
