//! The forms of `/console/privileged` through the pages (SQLite and PostgreSQL): a security officer
//! makes a privileged ID (R-PR-01) and a development ID (R-LC-06) and sees each temporary password
//! once, on its own page, in no URL and no audit record; a delegate nominated on the page waits for
//! the CISO and is ended there (R-PR-03). The attacker's tries: staff posting the forms, a form
//! without its CSRF token, bad days and unknown people; each refused with nothing stored.

use crate::oidc_rp::PASSWORD;
use crate::privileged::{signed_in, with_owner};
use crate::support::{both_backends, count};
use crate::web::{Client, Page, Server};

const PAGE: &str = "/console/privileged";

/// The secret a page shows once, and the login ID its lead names.
fn shown(page: &Page) -> (String, String) {
    assert_eq!(page.status, 200, "{}", page.body);
    let secret = page.by_id("secret").expect("the secret on its own page");
    let login = page
        .body
        .split("ID: ")
        .nth(1)
        .and_then(|t| t.split(" — ").next())
        .expect("the login ID in the lead")
        .to_string();
    (login, secret)
}

/// Rows of `sql` (a `SELECT COUNT(*) AS n …`).
async fn rows(s: &Server, sql: &str) -> i64 {
    let sql = sql.to_string();
    s.app.db(move |c| Ok(count(c, &sql))).await.unwrap()
}

/// A JST day `days` from the server's now, `YYYY-MM-DD`.
fn day(s: &Server, days: i64) -> String {
    tobira_domain::time_util::jst_display(s.clock_ms() + days * 86_400_000)[..10].replace('/', "-")
}

/// Posts a form of owned values (with the CSRF token).
async fn post_form(c: &Client, path: &str, f: &[(&str, String)]) -> Page {
    c.post(path, &f.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await
}

/// The error a refused form went back to the page with.
fn error_of(p: &Page) -> String {
    let l = p.location.clone().unwrap_or_default();
    assert!(l.starts_with(PAGE) && l.contains("error="), "back to the page with an error: {l:?} {}", p.body);
    url::form_urlencoded::parse(l.split_once('?').unwrap().1.as_bytes())
        .find(|(k, _)| k == "error")
        .unwrap()
        .1
        .into_owned()
}

both_backends! {
    async fn r_pr_01_an_officer_creates_a_privileged_id_on_the_page_and_sees_its_password_once(db: TestDb) {
        let (op, so, _) = with_owner(&db, "p-so-1301").await;
        op.s.person("sato", "300001", "regular", false, &[]).await;
        op.s.person("kakari", "300005", "regular", false, &[]).await;
        let (staff, _) = signed_in(&op, "kakari", PASSWORD).await;
        let privileged_of = "SELECT COUNT(*) AS n FROM accounts a JOIN people p ON p.id = a.person_id WHERE p.employee_number = '300001' AND a.is_privileged";
        let page = so.get(PAGE).await;
        assert!(page.body.contains("id=\"new-privileged\"") && page.body.contains("id=\"new-development\""), "{}", page.body);

        // Staff, a form without its token, an unknown person: refused, nothing made.
        assert_eq!(staff.post("/console/privileged/accounts", &[("employee_number", "300001")]).await.status, 403);
        assert_eq!(so.post_raw("/console/privileged/accounts", &[("employee_number", "300001")]).await.status, 403, "no CSRF token");
        let unknown = so.post("/console/privileged/accounts", &[("employee_number", "399999")]).await;
        assert!(error_of(&unknown).contains("399999"));
        assert_eq!(rows(&op.s, privileged_of).await, 0);

        // Made: the password on a page of its own, not in a URL; it signs in.
        let made = so.post("/console/privileged/accounts", &[("employee_number", "300001")]).await;
        assert_eq!(made.location, None, "no redirect carries the password");
        let (login, password) = shown(&made);
        assert!(password.len() >= 12, "{password}");
        assert_eq!(rows(&op.s, privileged_of).await, 1);
        assert_eq!(op.s.client().sign_in(&login, &password).await.status, 303, "the shown password is the account's");
        assert_eq!(rows(&op.s, &format!("SELECT COUNT(*) AS n FROM audit_events WHERE details LIKE '%{password}%' OR target LIKE '%{password}%'")).await, 0, "never in the audit log");
        assert_eq!(op.s.audit_count("account.created", Some("\"privileged\":true")).await, 1, "made once, on record");
        assert!(so.get(PAGE).await.body.contains(&format!("data-login=\"{login}\"")));
        // A second one for the same person is refused with the reason.
        let again = so.post("/console/privileged/accounts", &[("employee_number", "300001")]).await;
        let said = error_of(&again);
        assert!(said.starts_with("職員番号 300001 の職員は既に特権IDを持っています / ") && said.contains("already has a privileged account"), "Japanese first: {said}");
        // Staff see no console page at all, so no form either.
        assert_eq!(staff.get(PAGE).await.status, 403);
    }
}

both_backends! {
    async fn r_lc_06_a_development_id_made_on_the_page_names_its_people_and_refuses_a_bad_last_day(db: TestDb) {
        let (op, so, _) = with_owner(&db, "p-so-1302").await;
        let form = |until: String| vec![("login_id", "dev-juki-02".to_string()), ("responsible", "900011".into()), ("worker", "東雲システム 開発花子".into()), ("reason", "住基 改修".into()), ("until", until)];
        let post = |f: Vec<(&'static str, String)>| {
            let so = so.clone();
            async move { post_form(&so, "/console/privileged/development-accounts", &f).await }
        };
        let dev = "SELECT COUNT(*) AS n FROM accounts WHERE login_id = 'dev-juki-02'";
        // "日本語x" is ten bytes, as a date is: it once made the date reader panic and lose the worker.
        for (bad, says) in [("2027/03/31".to_string(), "YYYY-MM-DD"), ("".into(), "YYYY-MM-DD"), ("日本語x".into(), "YYYY-MM-DD"), (day(&op.s, 400), "")] {
            let r = post(form(bad.clone())).await;
            assert!(error_of(&r).contains(says), "{bad}: {:?}", r.location);
        }
        let mut no_one = form(day(&op.s, 30));
        no_one[1].1 = "399999".into();
        assert!(error_of(&post(no_one).await).contains("399999"), "the responsible person must exist");
        let api = serde_json::json!({ "login_id": "dev-juki-02", "responsible": "900011", "worker": "w", "reason": "r", "until": "日本語x" });
        assert_eq!(so.post_json("/api/privileged/development-accounts", api).await.0, 400, "the API answers the same day with 400");
        assert_eq!(rows(&op.s, dev).await, 0, "nothing stored by a refused form");

        let made = post(form(day(&op.s, 30))).await;
        let (login, password) = shown(&made);
        assert_eq!(login, "dev-juki-02");
        assert_eq!(op.s.client().sign_in(&login, &password).await.status, 303);
        let page = so.get(PAGE).await;
        assert!(page.body.contains("data-login=\"dev-juki-02\"") && page.body.contains("900011 / 東雲システム 開発花子"), "{}", page.body);
    }
}

both_backends! {
    async fn r_pr_03_a_delegate_nominated_on_the_page_waits_for_the_ciso_and_its_nominator_ends_it(db: TestDb) {
        let (op, so, _) = with_owner(&db, "p-so-1303").await;
        op.s.person("ciso", "100000", "regular", false, &["tobira.ciso"]).await;
        let (ciso, _) = signed_in(&op, "ciso", PASSWORD).await;
        op.s.person("kakari", "300005", "regular", false, &[]).await;
        let (staff, _) = signed_in(&op, "kakari", PASSWORD).await;
        op.s.person("dairi", "300006", "regular", false, &[]).await;
        let nominate = |c: &Client, from: String, until: String| {
            let c = c.clone();
            async move { post_form(&c, "/console/privileged/delegations", &[("principal", "officer:security_officer".into()), ("delegate", "300006".into()), ("from", from), ("until", until), ("reason", "担当者 長期出張".into())]).await }
        };
        let page = so.get(PAGE).await;
        assert!(page.body.contains("id=\"nominate\"") && page.body.contains("value=\"officer:security_officer\""), "{}", page.body);
        assert!(!page.body.contains("value=\"system_owner:juki\"") && !page.body.contains("value=\"officer:ciso\""), "only what the officer holds is offered");
        assert!(page.body.contains("<option value=\"officer:security_officer\">セキュリティ担当</option>"), "the authority in words");
        let delegations = "SELECT COUNT(*) AS n FROM delegations";

        // Staff forging the form are not the principal; no token; a bad or reversed period.
        let today = day(&op.s, 0);
        assert!(error_of(&nominate(&staff, today.clone(), today.clone()).await).contains("only the holder of the function"));
        let no_token = [("principal", "officer:security_officer"), ("delegate", "300006"), ("from", today.as_str()), ("until", today.as_str()), ("reason", "x")];
        assert_eq!(so.post_raw("/console/privileged/delegations", &no_token).await.status, 403, "no CSRF token");
        assert!(error_of(&nominate(&so, "2027-02-30".into(), today.clone()).await).contains("from must be a date"));
        assert!(error_of(&nominate(&so, day(&op.s, 5), day(&op.s, 1)).await).contains("the period must end after it starts"));
        assert_eq!(rows(&op.s, delegations).await, 0, "nothing stored");

        // Nominated on the page: it waits for the CISO, who approves it there.
        let done = nominate(&so, today.clone(), day(&op.s, 6)).await;
        assert!(done.location.as_deref().is_some_and(|l| l.contains("notice=")), "{:?} {}", done.location, done.body);
        let page = so.get(PAGE).await;
        let id = page.body.split("data-delegation=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        assert!(page.body.contains(&format!("data-delegation=\"{id}\" data-status=\"nominated\"")), "{}", page.body);
        assert!(!page.body.contains("class=\"end-delegate\""), "nothing to end before approval");
        let r = ciso.post(&format!("/console/privileged/delegations/{id}/decide"), &[("decision", "approve")]).await;
        assert!(r.location.as_deref().unwrap().contains("notice="), "{:?}", r.location);

        // Staff cannot end it; its nominator does, on the page.
        let end = format!("/console/privileged/delegations/{id}/end");
        assert!(error_of(&staff.post(&end, &[]).await).contains("nominated"), "staff are refused");
        assert_eq!(so.post_raw(&end, &[]).await.status, 403, "no CSRF token");
        assert!(so.get(PAGE).await.body.contains(&format!("data-delegation=\"{id}\" data-status=\"approved\"")));
        let ended = so.post(&end, &[]).await;
        assert!(ended.location.as_deref().is_some_and(|l| l.contains("notice=")), "{:?}", ended.location);
        assert!(so.get(PAGE).await.body.contains(&format!("data-delegation=\"{id}\" data-status=\"ended\"")));
        assert_eq!(op.s.audit_count("privileged.delegate_ended", None).await, 1);
        assert_eq!(op.s.audit_count("privileged.delegation_end_refused", None).await, 1, "the staff's try is on record");
    }
}
