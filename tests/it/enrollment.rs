//! Enrollment links (R-AU-06) end to end, on both backends: a joiner synced from a real slapd by
//! `tobira sync` gets the link by mail (a real SMTP sink), chooses a password on `/enroll` and signs
//! in with it; the link works once; an officer's re-issue revokes the older link and hands the URL
//! over; expired links, weak passwords and disabled accounts are refused; no token is ever stored in
//! the outbox or the audit log.

use crate::mail::Sink;
use crate::oidc_rp::PASSWORD;
use crate::slapd::{Fixture, Slapd, READER_DN};
use crate::support::{both_backends, conn, count, output, tobira, TestDb};
use crate::web::{self, enrol_totp, Client, Server};
use tobira::app::mail_delivery;
use tobira::config::SmtpTls;
use tobira::mail::Mailer;
use tobira::store;
use tobira_domain::rbac::AccountStatus;

const JOINER_MAIL: &str = "shokuin300001@city.shinonome.lg.jp";
/// A password that passes the staff rules and holds nothing personal.
const CHOSEN: &str = "sakura-namiki 3-chome de aimashou";

/// tobira with mail delivery to the sink (its scheduled round waits an hour, so the test runs them).
async fn start(db: &TestDb, sink: &Sink) -> Server {
    let port = sink.port;
    web::start(db, |c| {
        c.smtp.host = "127.0.0.1".into();
        c.smtp.port = port;
        c.smtp.tls = SmtpTls::None;
        c.smtp.from = "東雲市 情報政策課 <tobira@city.shinonome.lg.jp>".into();
        c.smtp.every_seconds = 3600;
        c.smtp.max_attempts = 3;
        c.smtp.timeout_seconds = 5;
    })
    .await
}

async fn round(s: &Server) -> mail_delivery::Round {
    let mailer = Mailer::new(&s.app.config.smtp).unwrap();
    mail_delivery::run_once(&s.app, &mailer, "node-test").await.unwrap().expect("this node holds the lease")
}

/// The token of an enrollment URL.
fn token_of(url: &str) -> String {
    url.split("token=")
        .nth(1)
        .expect("a token in the URL")
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_string()
}

/// How many rows of the outbox and the audit log hold `needle` anywhere.
fn stored_anywhere(db: &TestDb, needle: &str) -> i64 {
    let c = &mut conn(&db.pool());
    count(c, &format!("SELECT COUNT(*) AS n FROM notifications WHERE body LIKE '%{needle}%' OR subject LIKE '%{needle}%' OR COALESCE(last_error, '') LIKE '%{needle}%'"))
        + count(c, &format!("SELECT COUNT(*) AS n FROM audit_events WHERE details LIKE '%{needle}%' OR target LIKE '%{needle}%' OR actor LIKE '%{needle}%'"))
}

fn sealed_tokens(db: &TestDb) -> i64 {
    count(&mut conn(&db.pool()), "SELECT COUNT(*) AS n FROM enrollment_links WHERE token_sealed IS NOT NULL")
}

/// Opens the link's page (for the CSRF cookie) and submits `password` twice.
async fn follow(c: &Client, token: &str, password: &str) -> web::Page {
    let page = c.get(&format!("/enroll?token={token}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    c.post("/enroll", &[("token", token), ("new", password), ("repeat", password)]).await
}

/// A signed-in security officer with a TOTP (as the officer API requires).
async fn officer(s: &Server, login: &str) -> Client {
    s.account(login, PASSWORD, false, true).await;
    let c = s.client();
    assert_eq!(c.sign_in(login, PASSWORD).await.status, 303);
    enrol_totp(s, &c).await;
    c
}

async fn set_status(s: &Server, login: &str, to: AccountStatus) {
    let (login, now) = (login.to_string(), s.clock_ms());
    s.app
        .db(move |c| {
            let a = store::accounts::by_login_id(c, &login)?.unwrap();
            store::accounts::set_status(c, &a.id, to, "officer: test", now)?;
            Ok(())
        })
        .await
        .unwrap();
}

both_backends! {
    async fn r_au_06_a_synced_joiner_gets_a_link_by_mail_and_chooses_the_password_to_sign_in_with(db: TestDb) {
        let ldap = Slapd::start();
        let (mailed, unmailed) = (Fixture::new("300001", "shimin"), Fixture::new("300002", "shimin"));
        ldap.load(&[("somu", "総務課", None), ("shimin", "市民課", Some("somu"))], &[mailed.clone(), unmailed]).await;
        ldap.set(&mailed.dn(), "mail", &[JOINER_MAIL]).await;
        let sink = Sink::start();
        let s = start(&db, &sink).await;
        let mut sync = tobira(&db);
        sync.arg("sync")
            .env("TOBIRA__DIRECTORY__URL", &ldap.url)
            .env("TOBIRA__DIRECTORY__ALLOW_PLAINTEXT", "true")
            .env("TOBIRA__DIRECTORY__BIND_DN", READER_DN)
            .env("TOBIRA__DIRECTORY__PASSWORD_FILE", ldap.password_file())
            .env("SUDO_USER", "hr-operator");
        let (code, out, err) = output(sync);
        assert_eq!(code, 0, "{out}{err}");
        let c = &mut conn(&db.pool());
        assert_eq!(count(c, "SELECT COUNT(*) AS n FROM enrollment_links"), 2, "one link per joiner");
        assert_eq!(count(c, "SELECT COUNT(*) AS n FROM notifications WHERE kind = 'enrollment_link'"), 1, "a mail only where there is an address");
        assert_eq!(sealed_tokens(&db), 1, "only the mailed link keeps a sealed token, until it is sent");
        assert_eq!(count(c, "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'enrollment.issued' AND actor = 'system:hr-sync'"), 2);

        assert_eq!(round(&s).await, mail_delivery::Round { sent: 1, deferred: 0, undeliverable: 0 });
        let got = sink.wait_for(1, 5).await;
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0]["rcpt_tos"], serde_json::json!([JOINER_MAIL]));
        assert!(got[0]["subject"].as_str().unwrap().starts_with("【東雲市】パスワードの設定"), "{}", got[0]["subject"]);
        let body = got[0]["body"].as_str().unwrap().replace("\r\n", "\n");
        assert!(body.find("ログインID: 300001").unwrap() < body.find("Login ID: 300001").unwrap(), "Japanese first: {body}");
        assert!(body.contains(" JST"), "the expiry in JST: {body}");
        let url = body.lines().find(|l| l.starts_with("http://localhost:8080/enroll?token=")).expect("the link in the mail").to_string();
        let token = token_of(&url);
        assert_eq!(token.len(), 43, "32 random bytes, base64url");
        assert_eq!(sealed_tokens(&db), 0, "sent: the sealed token is erased");
        assert_eq!(stored_anywhere(&db, &token), 0, "neither the outbox nor the audit log holds the token");
        assert_eq!(count(c, "SELECT COUNT(*) AS n FROM notifications WHERE body LIKE '%[[enrollment-link:%'"), 1, "the stored body names the link only");

        let joiner = s.client();
        let page = joiner.get(&format!("/enroll?token={token}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(page.by_id("login").as_deref(), Some("300001"));
        assert!(page.body.contains("パスワードの設定"), "Japanese first");
        let done = joiner.post("/enroll", &[("token", &token), ("new", CHOSEN), ("repeat", CHOSEN)]).await;
        assert_eq!((done.status, done.location.as_deref()), (303, Some("/signin?enrolled=1")), "{}", done.body);
        assert!(joiner.get("/signin?enrolled=1").await.by_id("enrolled").is_some());
        let a = store::accounts::by_login_id(c, "300001").unwrap().unwrap();
        assert!(!a.must_change_password, "the person chose it: no forced change");
        assert_eq!(joiner.sign_in("300001", CHOSEN).await.status, 303, "signs in with the chosen password");
        assert_ne!(joiner.get("/account").await.location.as_deref(), Some("/account/password"), "no forced password change");

        let again = s.client();
        assert_eq!(again.get(&format!("/enroll?token={token}")).await.status, 404, "single use");
        again.get("/signin").await;
        let replay = again.post("/enroll", &[("token", &token), ("new", "another-long passphrase 42"), ("repeat", "another-long passphrase 42")]).await;
        assert_eq!(replay.status, 404, "a second POST with the same token fails");
        assert_eq!(s.client().sign_in("300001", CHOSEN).await.status, 303, "the first password stands");
        assert_eq!(count(c, "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'enrollment.completed' AND target = 'account:300001'"), 1);
        assert_eq!(count(c, "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'enrollment.refused' AND details LIKE '%\"used\"%'"), 1);
        assert_eq!(stored_anywhere(&db, &token), 0);
    }
}

both_backends! {
    async fn r_au_06_an_officers_reissue_revokes_the_old_link_and_an_expired_link_is_refused(db: TestDb) {
        let sink = Sink::start();
        let s = start(&db, &sink).await;
        s.person("kyuro", "300010", "regular", false, &[]).await;
        let so = officer(&s, "p-so-0010").await;
        let (status, first) = so.post_json("/api/officer/accounts/kyuro/enrollment-link", serde_json::json!({})).await;
        assert_eq!(status, 200, "{first}");
        assert_eq!(first["mailed"], true, "the person has an address");
        let (status, second) = so.post_json("/api/officer/accounts/kyuro/enrollment-link", serde_json::json!({})).await;
        assert_eq!(status, 200, "{second}");
        assert_eq!(second["revoked_previous"], 1);
        let (old, new) = (token_of(first["url"].as_str().unwrap()), token_of(second["url"].as_str().unwrap()));
        assert_ne!(old, new);
        assert_eq!(s.client().get(&format!("/enroll?token={old}")).await.status, 404, "the re-issue revoked the older link");
        assert_eq!(s.client().get(&format!("/enroll?token={new}")).await.status, 200);
        for t in [&old, &new] {
            assert_eq!(stored_anywhere(&db, t), 0, "no token in the outbox or the audit log");
        }
        assert_eq!(count(&mut conn(&db.pool()), "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'enrollment.issued' AND actor = 'p-so-0010' AND target = 'account:kyuro'"), 2);

        // The mail of the revoked link is not sent; the new one is, with the new link.
        assert_eq!(round(&s).await, mail_delivery::Round { sent: 1, deferred: 0, undeliverable: 1 });
        let got = sink.wait_for(1, 5).await;
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0]["body"].as_str().unwrap().contains(&new), "the mail carries the link in force");
        assert_eq!(sealed_tokens(&db), 0);

        let refused = s.client();
        refused.get("/signin").await;
        s.clock.advance(time::Duration::hours(i64::from(s.app.policy.signin.enrollment_link_hours)));
        assert_eq!(refused.get(&format!("/enroll?token={new}")).await.status, 404, "expired at its hour");
        let post = refused.post("/enroll", &[("token", &new), ("new", CHOSEN), ("repeat", CHOSEN)]).await;
        assert_eq!(post.status, 404);
        assert!(post.body.contains("このリンクは使用できません") && post.body.contains("This link cannot be used"), "{}", post.body);
        let unknown = refused.get(&format!("/enroll?token={}", "x".repeat(43))).await;
        assert_eq!((unknown.status, unknown.by_id("message")), (404, post.by_id("message")), "an unknown token gets the same answer");
        assert_eq!(refused.get("/enroll?token=short").await.status, 404);
        assert_eq!(s.client().sign_in("kyuro", CHOSEN).await.status, 401, "nothing was set");
    }
}

both_backends! {
    async fn r_au_06_a_weak_password_is_refused_with_the_rules_message_and_the_link_stays_usable(db: TestDb) {
        let sink = Sink::start();
        let s = start(&db, &sink).await;
        s.person("juro", "300020", "regular", false, &[]).await;
        s.account("nomail", PASSWORD, false, false).await;
        let so = officer(&s, "p-so-0020").await;
        let (status, link) = so.post_json("/api/officer/accounts/nomail/enrollment-link", serde_json::json!({})).await;
        assert_eq!(status, 200, "{link}");
        assert_eq!(link["mailed"], false, "no address: the URL is handed over");
        assert_eq!(sealed_tokens(&db), 0, "nothing to mail, nothing sealed");
        let token = token_of(link["url"].as_str().unwrap());

        let c = s.client();
        let short = follow(&c, &token, "tanpen").await;
        assert_eq!(short.status, 422);
        let min = s.app.policy.password.staff.min_length.get_ref();
        assert!(short.by_id("problems").is_some_and(|p| p.contains(&format!("{min}文字以上にしてください。"))), "{}", short.body);
        let personal = c.post("/enroll", &[("token", &token), ("new", "nomail-no-pasuwaado-desu"), ("repeat", "nomail-no-pasuwaado-desu")]).await;
        assert_eq!(personal.status, 422);
        assert!(personal.body.contains("ログインIDを含むパスワードは使えません。"), "the personal-data checks of a change: {}", personal.body);
        let differ = c.post("/enroll", &[("token", &token), ("new", CHOSEN), ("repeat", "something else entirely")]).await;
        assert_eq!(differ.status, 422);
        assert!(differ.body.contains("新しいパスワードが一致しません。"));
        assert_eq!(c.post("/enroll", &[("token", &token), ("new", CHOSEN), ("repeat", CHOSEN)]).await.status, 303, "the link stayed usable");
        assert_eq!(s.client().sign_in("nomail", CHOSEN).await.status, 303);

        // Without the CSRF token nothing happens.
        let (status, again) = so.post_json("/api/officer/accounts/juro/enrollment-link", serde_json::json!({})).await;
        assert_eq!(status, 200, "{again}");
        let forged = s.client().post_raw("/enroll", &[("token", &token_of(again["url"].as_str().unwrap())), ("new", CHOSEN), ("repeat", CHOSEN)]).await;
        assert_eq!(forged.status, 403);
        assert_eq!(s.client().get_json("/api/officer/lockouts").await.0, 401);
        let user = s.client();
        user.sign_in("nomail", CHOSEN).await;
        assert_eq!(user.post_json("/api/officer/accounts/juro/enrollment-link", serde_json::json!({})).await.0, 403, "only officers issue links");
    }
}

both_backends! {
    async fn r_au_06_a_disabled_accounts_link_is_refused(db: TestDb) {
        let sink = Sink::start();
        let s = start(&db, &sink).await;
        s.person("shiro", "300030", "regular", false, &[]).await;
        let so = officer(&s, "p-so-0030").await;
        let (_, link) = so.post_json("/api/officer/accounts/shiro/enrollment-link", serde_json::json!({})).await;
        let token = token_of(link["url"].as_str().unwrap());
        let c = s.client();
        assert_eq!(c.get(&format!("/enroll?token={token}")).await.status, 200);
        set_status(&s, "shiro", AccountStatus::Disabled).await;
        assert_eq!(c.get(&format!("/enroll?token={token}")).await.status, 404);
        assert_eq!(c.post("/enroll", &[("token", &token), ("new", CHOSEN), ("repeat", CHOSEN)]).await.status, 404);
        assert_eq!(s.audit_count("enrollment.refused", Some("account_unavailable")).await, 1);
        set_status(&s, "shiro", AccountStatus::Suspended).await;
        assert_eq!(c.post("/enroll", &[("token", &token), ("new", CHOSEN), ("repeat", CHOSEN)]).await.status, 404, "nor a suspended one");
        let (status, _) = so.post_json("/api/officer/accounts/shiro/enrollment-link", serde_json::json!({})).await;
        assert_eq!(status, 409, "no link is issued to an account that cannot sign in");
        set_status(&s, "shiro", AccountStatus::Active).await;
        assert_eq!(c.post("/enroll", &[("token", &token), ("new", CHOSEN), ("repeat", CHOSEN)]).await.status, 303, "the same link works once the account is back");
    }
}
