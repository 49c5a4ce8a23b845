//! The held HR-sync plans console (`/sync/holds`) over HTTP against a real slapd, on both backends
//! (R-AC-02, R-LC-01): a plan held after three deletions, one entry restored before anyone decides.
//! A forged form (no CSRF token) changes nothing; the person who ran the sync and a clerk whom
//! `[approvals] sync_hold` does not name are refused, each audited under their account; a security
//! officer sees the limits exceeded, the steps per kind, the people and the difference since the
//! hold (the restored person no longer goes), approves, and only what still holds is applied.

use crate::hr_sync::{people, Hr};
use crate::hr_sync_hold::run_of;
use crate::oidc_rp::PASSWORD;
use crate::slapd::{READER_DN, READER_PW};
use crate::support::both_backends;
use crate::web::{Client, Server};

const PAGE: &str = "/sync/holds";

async fn signed_in(s: &Server, login: &str, officer: bool) -> Client {
    s.account(login, PASSWORD, false, officer).await;
    crate::web::signed_in_as(s, login, PASSWORD).await.0
}

async fn after(c: &Client, page: crate::web::Page) -> (String, String) {
    assert_eq!(page.status, 303, "{}", page.body);
    let shown = c.get(&page.location.unwrap()).await;
    (shown.by_id("notice").unwrap_or_default(), shown.by_id("error").unwrap_or_default())
}

both_backends! {
    async fn r_ac_02_a_held_plan_is_approved_on_the_console_page_by_a_named_person_only(db: TestDb) {
        let hr = Hr::new(db, &people(), (1, 100.0)).await;
        hr.edit_policy("directory.toml", &[("every_seconds = 900", "every_seconds = 0")]);
        assert_eq!(hr.sync(&[]).0, 0);
        for p in &people()[..3] {
            hr.ldap.delete(&p.dn()).await;
        }
        let (code, _, err) = hr.sync(&["--full"]);
        assert_eq!(code, 3);
        let run = run_of(&err);
        hr.ldap.add(&people()[0]).await;

        let (policy_dir, url, pw_file) = (hr.policy.path().display().to_string(), hr.ldap.url.clone(), READER_PW.to_string());
        let s = crate::web::start(&hr.db, move |c| {
            c.policy_dir = policy_dir;
            c.directory.url = url;
            c.directory.bind_dn = READER_DN.into();
            c.directory.password = pw_file;
            c.directory.timeout_seconds = 5;
            // The test directory listens on loopback without TLS.
            c.directory.allow_plaintext = true;
        })
        .await;
        let officer = signed_in(&s, "so-page", true).await;
        let runner = signed_in(&s, "hr-operator", true).await;
        let clerk = signed_in(&s, "clerk", false).await;

        // A forged form: no CSRF token, nothing happens.
        assert_eq!(officer.post_raw("/sync/holds/approve", &[("run", &run)]).await.status, 403);
        assert_eq!(hr.account("100002").unwrap().status, "active");

        // The one who ran it, and someone sync_hold does not name.
        let (_, e) = after(&runner, runner.post("/sync/holds/approve", &[("run", &run)]).await).await;
        assert!(e.contains("R-AC-02"), "{e}");
        let page = clerk.get(PAGE).await;
        assert!(page.body.contains("id=\"not-entitled\"") && !page.body.contains(&run), "{}", page.body);
        let (_, e) = after(&clerk, clerk.post("/sync/holds/approve", &[("run", &run)]).await).await;
        assert!(e.contains("sync_hold"), "{e}");
        assert_eq!(s.audit_count("sync.approve_refused", Some("own_run")).await, 1);
        assert_eq!(s.audit_count("sync.approve_refused", Some("not_entitled")).await, 1);

        // The officer sees the plan and the difference since it was held.
        let page = officer.get(PAGE).await;
        assert_eq!(page.status, 200);
        let body = page.body;
        for shown in [run.as_str(), "sync.max_removals = 1", "アカウント無効化", "権限削除", "data-person=\"100002\"", "data-person=\"100003\"", "operator:hr-operator", "JST"] {
            assert!(body.contains(shown), "{shown}: {body}");
        }
        let basis = body.split("class=\"basis\">").nth(1).unwrap().split("</dd>").next().unwrap();
        assert!(basis.contains("(full)"), "the directory state it was planned against: {basis}");
        let since = body.split("class=\"back-in-hr\"").nth(1).expect("the restored person is shown").split("</ul>").next().unwrap();
        assert!(since.contains("data-person=\"100001\"") && !since.contains("100002"), "{since}");

        let (n, e) = after(&officer, officer.post("/sync/holds/approve", &[("run", &run)]).await).await;
        assert!(n.contains("承認し、適用しました") && e.is_empty(), "{n} {e}");
        assert_eq!(hr.account("100001").unwrap().status, "active", "back in HR: not disabled");
        assert_eq!(hr.account("100002").unwrap().status, "disabled");
        assert_eq!(hr.account("100003").unwrap().status, "disabled");
        assert_eq!(s.audit_count("sync.approved", Some("so-page")).await, 1);
        assert!(officer.get(PAGE).await.body.contains("id=\"nothing\""));
    }
}
