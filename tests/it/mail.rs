//! Mail delivery of the notification outbox against a real SMTP server (aiosmtpd, started per test
//! on a free 127.0.0.1 port by `tests/support/smtp_sink.py`, which decodes each message with
//! Python's own e-mail parser): the right address, the Japanese subject and body intact, sent once;
//! a recipient without an address given up while the others go; an outage survived with attempts
//! counted; a refusing server given up after `max_attempts`; `serve` delivering on its own.

use crate::support::{both_backends, repo_path, TestDb};
use crate::web::{self, Server};
use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tobira::app::{approvers, mail_delivery};
use tobira::config::SmtpTls;
use tobira::mail::Mailer;
use tobira::store::{self, notifications::Outgoing};

const SUBJECT: &str = "【東雲市】特権IDの緊急使用（ブレークグラス）の報告";
const BODY: &str = "住民記録システムの特権ID p-sato が緊急使用されました。\n事後の確認をお願いします。";
const KACHO_MAIL: &str = "juki-kacho@city.shinonome.lg.jp";

/// A running aiosmtpd that stores what it receives; killed when dropped.
pub(crate) struct Sink {
    child: Child,
    pub(crate) port: u16,
    dir: tempfile::TempDir,
}

impl Sink {
    pub(crate) fn start() -> Sink {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Sink::start_on(port, tempfile::tempdir().unwrap())
    }

    fn start_on(port: u16, dir: tempfile::TempDir) -> Sink {
        // Debian's python3 has python3-aiosmtpd (scripts/setup-deps.sh test); a python3 earlier on
        // PATH (pyenv) may not.
        let python = if Path::new("/usr/bin/python3").exists() { "/usr/bin/python3" } else { "python3" };
        let mut child = Command::new(python)
            .arg(repo_path("tests/support/smtp_sink.py"))
            .arg(dir.path())
            .arg(port.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 with aiosmtpd (apt-get install python3-aiosmtpd)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready", "the SMTP sink did not start (is python3-aiosmtpd installed?)");
        Sink { child, port, dir }
    }

    /// Stops the server, keeping what it received.
    fn stop(mut self) -> (u16, tempfile::TempDir) {
        self.kill();
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap());
        (self.port, dir)
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Every message received so far, in order.
    pub(crate) fn messages(&self) -> Vec<serde_json::Value> {
        let mut names: Vec<_> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        names.sort();
        names.iter().map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()).collect()
    }

    /// Waits up to `secs` for at least `n` messages.
    pub(crate) async fn wait_for(&self, n: usize, secs: u64) -> Vec<serde_json::Value> {
        for _ in 0..secs * 10 {
            let got = self.messages();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.messages()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.kill();
    }
}

/// tobira with mail delivery to `port` (no TLS, a local sink); the scheduled round waits
/// `every_seconds` before its first run.
async fn start(db: &TestDb, port: u16, every_seconds: u64, max_attempts: u32) -> Server {
    web::start(db, |c| {
        c.smtp.host = "127.0.0.1".into();
        c.smtp.port = port;
        c.smtp.tls = SmtpTls::None;
        c.smtp.from = "東雲市 情報政策課 <tobira@city.shinonome.lg.jp>".into();
        c.smtp.every_seconds = every_seconds;
        c.smtp.max_attempts = max_attempts;
        c.smtp.timeout_seconds = 5;
    })
    .await
}

/// A person `number` (account `login`) whose mail address is `mail`.
async fn person_with_mail(s: &Server, login: &str, number: &str, mail: Option<&str>) {
    s.person(login, number, "regular", false, &[]).await;
    let (number, mail) = (number.to_string(), mail.map(str::to_string));
    s.app
        .db(move |c| {
            use diesel::prelude::*;
            use store::schema::people;
            diesel::update(people::table.filter(people::employee_number.eq(&number)))
                .set(people::mail.eq(mail))
                .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
}

/// Queues the break-glass report to `to` the way the elevation does (`approvers::notify` in a
/// write transaction); the notifications' ids in the order of `to`.
async fn queue(s: &Server, to: &[&str]) -> Vec<String> {
    let (to, now): (Vec<String>, i64) = (to.iter().map(|t| t.to_string()).collect(), s.clock_ms());
    s.app
        .db(move |c| {
            store::write_tx(c, |c| approvers::notify(c, &to, "privileged.break_glass", SUBJECT, BODY, now))?;
            let mut ids = Vec::new();
            for r in &to {
                ids.push(store::privileged::notifications_to(c, r)?.last().unwrap().id.clone());
            }
            Ok(ids)
        })
        .await
        .unwrap()
}

async fn state(s: &Server, id: &str) -> Outgoing {
    let id = id.to_string();
    s.app.db(move |c| Ok(store::notifications::by_id(c, &id)?.unwrap())).await.unwrap()
}

async fn round(s: &Server) -> mail_delivery::Round {
    let mailer = Mailer::new(&s.app.config.smtp).unwrap();
    mail_delivery::run_once(&s.app, &mailer, "node-test").await.unwrap().expect("this node holds the lease")
}

fn text(v: &serde_json::Value) -> String {
    v.as_str().unwrap_or_default().replace("\r\n", "\n").trim_end().to_string()
}

both_backends! {
    async fn r_pr_03_queued_notifications_reach_their_recipients_by_mail_once(db: TestDb) {
        let sink = Sink::start();
        let s = start(&db, sink.port, 3600, 3).await;
        person_with_mail(&s, "juki-kacho", "900011", Some(KACHO_MAIL)).await;
        person_with_mail(&s, "sato", "300001", None).await;
        let ids = queue(&s, &["300001", "900011", "account:p-so-0101"]).await;

        let r = round(&s).await;
        assert_eq!(r, mail_delivery::Round { sent: 1, deferred: 0, undeliverable: 2 }, "one address among three; the missing ones do not block it");
        let got = sink.wait_for(1, 5).await;
        assert_eq!(got.len(), 1, "{got:?}");
        let m = &got[0];
        assert_eq!(m["rcpt_tos"], serde_json::json!([KACHO_MAIL]));
        assert!(m["to"].as_str().unwrap().contains(KACHO_MAIL), "{m}");
        assert_eq!(m["mail_from"], "tobira@city.shinonome.lg.jp");
        assert_eq!(m["subject"], SUBJECT, "the Japanese subject decodes intact");
        assert_eq!(text(&m["body"]), BODY);
        assert_eq!((m["content_type"].as_str(), m["charset"].as_str()), (Some("text/plain"), Some("utf-8")));
        let raw = m["raw"].as_str().unwrap();
        let subject_line = raw.lines().find(|l| l.starts_with("Subject:")).unwrap();
        assert!(subject_line.is_ascii() && subject_line.contains("=?utf-8?"), "RFC 2047 encoded: {subject_line}");
        assert!(raw.lines().any(|l| l.starts_with("Date: ")) && raw.contains(&format!("Message-ID: <{}@city.shinonome.lg.jp>", ids[1])), "{raw}");

        let sent = state(&s, &ids[1]).await;
        assert!(sent.sent_at.is_some() && sent.undeliverable_at.is_none(), "{sent:?}");
        assert_eq!(sent.attempts, 1);
        for id in [&ids[0], &ids[2]] {
            let n = state(&s, id).await;
            assert!(n.sent_at.is_none() && n.undeliverable_at.is_some(), "{n:?}");
            assert!(n.last_error.as_deref().unwrap().contains("no mail address"), "{n:?}");
            assert_eq!(n.attempts, 0, "nothing was tried");
        }

        assert_eq!(round(&s).await, mail_delivery::Round::default(), "a second round sends nothing twice");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(sink.messages().len(), 1);

        assert_eq!(s.audit_count("notification.mail_round", None).await, 1, "one audit event for the round that did something");
        assert_eq!(s.audit_count("notification.mail_round", Some(&ids[1])).await, 1);
        assert_eq!(s.audit_count("notification.mail_round", Some("事後の確認")).await, 0, "no body in the audit log");
    }
}

both_backends! {
    async fn r_pr_03_an_smtp_outage_keeps_notifications_until_the_server_is_back(db: TestDb) {
        let (port, dir) = Sink::start().stop();
        let s = start(&db, port, 60, 2).await;
        person_with_mail(&s, "juki-kacho", "900011", Some(KACHO_MAIL)).await;
        let ids = queue(&s, &["900011"]).await;

        assert_eq!(round(&s).await, mail_delivery::Round { sent: 0, deferred: 1, undeliverable: 0 });
        let n = state(&s, &ids[0]).await;
        assert!(n.sent_at.is_none() && n.undeliverable_at.is_none(), "{n:?}");
        assert_eq!(n.attempts, 1);
        assert!(n.last_error.as_deref().is_some_and(|e| e.contains("cannot reach")), "{n:?}");
        assert_eq!(n.next_attempt_at, Some(s.clock_ms() + 60_000), "the next try waits smtp.every_seconds");
        assert_eq!(round(&s).await, mail_delivery::Round::default(), "not due again before then");
        assert_eq!(s.audit_count("notification.mail_round", Some("cannot reach")).await, 1, "the failed round is audited");

        let sink = Sink::start_on(port, dir);
        s.clock.advance(time::Duration::seconds(61));
        assert_eq!(round(&s).await, mail_delivery::Round { sent: 1, deferred: 0, undeliverable: 0 });
        let got = sink.wait_for(1, 5).await;
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0]["subject"], SUBJECT);
        let n = state(&s, &ids[0]).await;
        assert!(n.sent_at.is_some(), "{n:?}");
        assert_eq!(n.attempts, 2, "the failed try and the one that went");

        // A server that refuses a recipient: retried, then given up after max_attempts (2).
        person_with_mail(&s, "sato", "300001", Some("reject-sato@city.shinonome.lg.jp")).await;
        let refused = queue(&s, &["300001"]).await;
        assert_eq!(round(&s).await, mail_delivery::Round { sent: 0, deferred: 1, undeliverable: 0 });
        s.clock.advance(time::Duration::seconds(61));
        assert_eq!(round(&s).await, mail_delivery::Round { sent: 0, deferred: 0, undeliverable: 1 });
        let n = state(&s, &refused[0]).await;
        assert!(n.undeliverable_at.is_some() && n.sent_at.is_none(), "{n:?}");
        assert_eq!(n.attempts, 2);
        assert!(n.last_error.as_deref().is_some_and(|e| e.contains("550")), "the server's reply is kept: {n:?}");
        s.clock.advance(time::Duration::hours(2));
        assert_eq!(round(&s).await, mail_delivery::Round::default(), "given up for good");
        assert_eq!(sink.messages().len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_pr_03_serve_delivers_the_outbox_on_its_own_schedule() {
    let db = TestDb::sqlite();
    let sink = Sink::start();
    let s = start(&db, sink.port, 1, 3).await;
    person_with_mail(&s, "juki-kacho", "900011", Some(KACHO_MAIL)).await;
    let ids = queue(&s, &["900011"]).await;
    let got = sink.wait_for(1, 15).await;
    assert_eq!(got.len(), 1, "the scheduled round sent the notification");
    assert_eq!(got[0]["rcpt_tos"], serde_json::json!([KACHO_MAIL]));
    for _ in 0..50 {
        if state(&s, &ids[0]).await.sent_at.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(state(&s, &ids[0]).await.sent_at.is_some());
}

both_backends! {
    async fn r_lc_17_mail_goes_only_to_the_municipalitys_domains_unless_an_exception_permits(db: TestDb) {
        let sink = Sink::start();
        let s = start(&db, sink.port, 3600, 3).await;
        person_with_mail(&s, "kacho", "900011", Some(KACHO_MAIL)).await;
        person_with_mail(&s, "ku", "300011", Some("suzuki@ku.city.shinonome.lg.jp")).await;
        person_with_mail(&s, "outside", "300012", Some("someone@example.com")).await;
        person_with_mail(&s, "permitted", "300013", Some("vendor-staff@example.net")).await;
        let now = s.clock_ms();
        s.app
            .db(move |c| {
                let e = store::review::Exception {
                    id: "ex-mail-1".into(), rule: "R-LC-17".into(), subjects: r#"["person:300013"]"#.into(), reason: "委託先常駐者の連絡先（CISO許可）".into(),
                    valid_until: now + 86_400_000, status: "approved".into(), emergency: false, requested_by: "p-so-0001".into(), requester_number: None,
                    requested_at: now, decided_by: Some("ciso".into()), decided_at: Some(now), decision_note: None, reviewed_at: None, expired_noted_at: None,
                };
                Ok(store::review::insert_exception(c, &e)?)
            })
            .await
            .unwrap();
        let ids = queue(&s, &["900011", "300011", "300012", "300013"]).await;
        assert_eq!(round(&s).await, mail_delivery::Round { sent: 3, deferred: 0, undeliverable: 1 });
        let got = sink.wait_for(3, 5).await;
        let mut to: Vec<String> = got.iter().map(|m| m["rcpt_tos"][0].as_str().unwrap().to_string()).collect();
        to.sort();
        let mut want = vec![KACHO_MAIL.to_string(), "suzuki@ku.city.shinonome.lg.jp".into(), "vendor-staff@example.net".into()];
        want.sort();
        assert_eq!(to, want, "the municipality's domain, a subdomain, and an address an exception permits");
        let refused = state(&s, &ids[2]).await;
        assert!(refused.undeliverable_at.is_some() && refused.last_error.as_deref().unwrap().contains("outside the municipality's mail domains"), "{refused:?}");
    }
}
