//! The campaign reminder by mail (R-RV-05) on both backends: a juki campaign with undecided items,
//! the fixed clock moved to `deadline - review.reminder_days`, one deadline pass, one delivery
//! round to a real SMTP server (aiosmtpd, `tests/support/smtp_sink.py`, which decodes each message
//! with Python's own e-mail parser). The 所属長 and juki's owner each get one mail, to their own
//! address, whose Japanese subject reads 「権限棚卸し」 and whose body links to `/review`; the
//! notifications are marked sent, and later passes remind nobody twice.

use crate::mail::Sink;
use crate::support::both_backends;
use crate::web::{self, Server};
use tobira::app::mail_delivery;
use tobira::app::review::campaign;
use tobira::config::SmtpTls;
use tobira::mail::Mailer;
use tobira::store::{self, accounts::Grant};
use tobira_domain::rbac::GrantSource;
use tobira_domain::review::campaign::Scope;
use tobira_domain::review::DAY_MS;

const HEAD_MAIL: &str = "shimin-kacho@city.shinonome.lg.jp";
const OWNER_MAIL: &str = "juki-owner@city.shinonome.lg.jp";
const PUBLIC_URL: &str = "http://localhost:8080";

/// Sets the mail address of the person `number` (`Server::person` gives everybody the same one).
async fn set_mail(s: &Server, number: &str, mail: &str) {
    let (number, mail) = (number.to_string(), mail.to_string());
    s.app
        .db(move |c| {
            use diesel::prelude::*;
            use store::schema::people;
            diesel::update(people::table.filter(people::employee_number.eq(&number)))
                .set(people::mail.eq(Some(mail)))
                .execute(c)?;
            Ok(())
        })
        .await
        .unwrap()
}

/// Gives `account` a requested-and-approved `juki.clerk` (campaigns review `request` grants).
async fn request_grant(s: &Server, account: &str) {
    let (account, now) = (account.to_string(), s.clock_ms());
    s.app
        .db(move |c| {
            let g = Grant {
                reason: Some("窓口業務のため".into()),
                ..Grant::new(&account, "juki.clerk", GrantSource::Request, now)
            };
            Ok(store::accounts::insert_grant(c, &g)?)
        })
        .await
        .unwrap()
}

/// One deadline pass at the clock's time, as the review job runs it.
async fn deadlines(s: &Server) -> campaign::Deadlines {
    let (policy, now) = (s.app.policy.clone(), s.clock_ms());
    s.app.db(move |c| campaign::deadlines(c, &policy, PUBLIC_URL, now)).await.unwrap()
}

async fn round(s: &Server) -> mail_delivery::Round {
    let mailer = Mailer::new(&s.app.config.smtp).unwrap();
    mail_delivery::run_once(&s.app, &mailer, "node-test").await.unwrap().expect("this node holds the lease")
}

/// The `review.reminder` notifications: (recipient, subject, sent_at), by recipient.
async fn reminders(s: &Server) -> Vec<(String, String, Option<i64>)> {
    s.app
        .db(|c| {
            use diesel::prelude::*;
            use store::schema::notifications as n;
            Ok(n::table
                .filter(n::kind.eq("review.reminder"))
                .order((n::recipient, n::created_at))
                .select((n::recipient, n::subject, n::sent_at))
                .load(c)?)
        })
        .await
        .unwrap()
}

both_backends! {
    async fn r_rv_05_a_reminder_mail_reaches_the_reviewer_over_smtp(db: TestDb) {
        let sink = Sink::start();
        let s = web::start(&db, |c| {
            c.smtp.host = "127.0.0.1".into();
            c.smtp.port = sink.port;
            c.smtp.tls = SmtpTls::None;
            c.smtp.from = "東雲市 情報政策課 <tobira@city.shinonome.lg.jp>".into();
            c.smtp.every_seconds = 3600; // no scheduled round during the test: rounds run by hand
            c.smtp.max_attempts = 3;
            c.smtp.timeout_seconds = 5;
        })
        .await;

        // 市民課: its 所属長, two staff with requested juki.clerk, and juki's owner (900011, not a head).
        s.person("shimin-kacho", "100001", "regular", true, &[]).await;
        s.person("juki-owner", "900011", "regular", false, &[]).await;
        for (login, number) in [("sato", "300001"), ("suzuki", "300002")] {
            let id = s.person(login, number, "regular", false, &[]).await;
            request_grant(&s, &id).await;
        }
        set_mail(&s, "100001", HEAD_MAIL).await;
        set_mail(&s, "900011", OWNER_MAIL).await;
        set_mail(&s, "300001", "sato@city.shinonome.lg.jp").await;
        set_mail(&s, "300002", "suzuki@city.shinonome.lg.jp").await;

        let (policy, now) = (s.app.policy.clone(), s.clock_ms());
        let made = s.app.db(move |c| campaign::create(c, &policy, &Scope::System("juki".into()), "p-so-0202", None, now)).await.unwrap();
        assert_eq!(made.items, 2, "{made:?}");
        let rules = &s.app.policy.review;
        assert_eq!((rules.campaign_days, rules.reminder_days), (14, 3), "the example policy's defaults");
        assert_eq!(made.deadline, now + 14 * DAY_MS);

        // Not yet: a pass the day before the reminder is due does nothing.
        let remind_at = made.deadline - i64::from(rules.reminder_days) * DAY_MS;
        s.clock.advance(time::Duration::milliseconds(remind_at - DAY_MS - s.clock_ms()));
        assert_eq!(deadlines(&s).await, campaign::Deadlines::default());
        assert!(reminders(&s).await.is_empty());

        // At deadline - reminder_days: each reviewer is reminded once, of both items.
        s.clock.advance(time::Duration::days(1));
        assert_eq!(s.clock_ms(), remind_at);
        assert_eq!(deadlines(&s).await, campaign::Deadlines { reminded: 2, ..Default::default() });
        let queued = reminders(&s).await;
        let to: Vec<&str> = queued.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(to, ["100001", "900011"], "the 所属長 and the owner, not the staff themselves: {queued:?}");
        assert!(queued.iter().all(|r| r.1.contains("2 件") && r.2.is_none()), "{queued:?}");

        // One delivery round to the real SMTP server.
        assert_eq!(round(&s).await, mail_delivery::Round { sent: 2, deferred: 0, undeliverable: 0 });
        let got = sink.wait_for(2, 10).await;
        assert_eq!(got.len(), 2, "{got:?}");
        let mut rcpts: Vec<String> = got.iter().map(|m| m["rcpt_tos"][0].as_str().unwrap().to_string()).collect();
        rcpts.sort();
        assert_eq!(rcpts, [OWNER_MAIL, HEAD_MAIL], "one mail to each reviewer's own address");
        for m in &got {
            assert_eq!(m["rcpt_tos"].as_array().unwrap().len(), 1, "{m}");
            let subject = m["subject"].as_str().unwrap();
            assert!(subject.contains("権限棚卸し") && subject.contains("2 件"), "the Japanese subject decodes intact: {subject}");
            let body = m["body"].as_str().unwrap().replace("\r\n", "\n");
            assert!(body.contains(&format!("{PUBLIC_URL}/review")), "the body links to the review page: {body}");
            assert!(body.contains("住民基本台帳システム の権限棚卸し") && body.contains("JST"), "the campaign and its deadline: {body}");
            let raw = m["raw"].as_str().unwrap();
            let subject_line = raw.lines().find(|l| l.starts_with("Subject:")).unwrap();
            assert!(subject_line.is_ascii(), "RFC 2047 encoded: {subject_line}");
        }
        let sent = reminders(&s).await;
        assert!(sent.iter().all(|r| r.2 == Some(remind_at)), "marked sent: {sent:?}");

        // Later passes before the deadline remind nobody again, and nothing more goes out.
        assert_eq!(deadlines(&s).await, campaign::Deadlines::default());
        s.clock.advance(time::Duration::days(1));
        assert_eq!(deadlines(&s).await, campaign::Deadlines::default());
        assert_eq!(reminders(&s).await.len(), 2, "still only the first two");
        assert_eq!(round(&s).await, mail_delivery::Round::default());
        assert_eq!(sink.messages().len(), 2);
        assert_eq!(s.audit_count("review.deadline_pass", None).await, 1, "one pass did something");
    }
}
