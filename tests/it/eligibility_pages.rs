//! The eligibility console (`/privileged/eligibility`) over HTTP on both backends (R-PR-01, R-PR-09,
//! R-PR-04): juki's owner follows the link on `/account`, sees juki with its cap, names p-sato as a
//! holder of juki.admin through the page's form (the same function as the API: the eligibility is
//! in the store and audited), sees the row with the person, who named them, since when (JST) and
//! why, and revokes it with its button. The next holder over juki's cap of 2 is refused with the
//! app's message, as are a staff account (not a privileged ID) and a vendor; someone who owns no
//! system gets no link, a page saying so, and the app's refusals when posting anyway; without the
//! CSRF token nothing happens. In real headless Chromium: the owner signs in (password, TOTP),
//! follows the link, names p-sato with the form, sees the row in JST and revokes it with its button.

use crate::browser::Browser;
use crate::oidc_rp::{self, PASSWORD};
use crate::privileged::{officer, privileged_account, signed_in};
use crate::privileged_browser::browser_sign_in;
use crate::support::{both_backends, TestDb};
use crate::web::{totp_code, Client};

const PAGE: &str = "/privileged/eligibility";

/// Follows a page form's redirect; the notice or error it came back with.
async fn after(c: &Client, page: crate::web::Page) -> (String, String) {
    assert_eq!(page.status, 303, "{}", page.body);
    let loc = page.location.unwrap();
    assert!(loc.starts_with("/privileged/eligibility?"), "{loc}");
    let shown = c.get(&loc).await;
    assert_eq!(shown.status, 200);
    (shown.by_id("notice").unwrap_or_default(), shown.by_id("error").unwrap_or_default())
}

/// The eligibility ids of the holder rows on the page.
fn rows(body: &str) -> Vec<String> {
    body.split("data-eligibility=\"").skip(1).filter_map(|s| s.split('"').next()).map(str::to_string).collect()
}

async fn eligible(app: &tobira::app::App, login: &str) -> Vec<String> {
    let login = login.to_string();
    app.db(move |c| {
        let a = tobira::store::accounts::by_login_id(c, &login)?.unwrap();
        Ok(tobira::store::privileged::eligibility_of(c, &a.id)?.into_iter().map(|e| e.role_id).collect())
    })
    .await
    .unwrap()
}

both_backends! {
    async fn r_pr_01_an_owner_names_a_holder_on_the_eligibility_page_and_revokes_them(db: TestDb) {
        let op = oidc_rp::start(&db).await;
        let so = officer(&op, "p-so-0501").await;
        op.s.person("juki-kacho", "900011", "regular", true, &[]).await;
        op.s.person("sato", "300001", "regular", false, &[]).await;
        let (owner, _) = signed_in(&op, "juki-kacho", PASSWORD).await;
        let (login, _) = privileged_account(&so, "300001").await;
        assert_eq!(login, "p-sato");

        // The link on /account, and juki with its cap and the naming form.
        assert!(owner.get("/account").await.body.contains("href=\"/privileged/eligibility\""), "the owner names holders");
        let page = owner.get(PAGE).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("特権IDの指名") && page.body.contains("data-system=\"juki\""), "{}", page.body);
        assert!(page.body.contains("<dd class=\"cap\">2</dd>") && page.body.contains("<dd class=\"holding\">0</dd>"), "juki's cap: {}", page.body);
        assert!(page.body.contains("value=\"juki.admin\"") && page.body.contains("保持者はいません。"), "{}", page.body);
        assert!(!page.body.contains("data-system=\"zeimu\""), "only the systems the owner manages");

        // Without the CSRF token nothing is named.
        assert_eq!(owner.post_raw(PAGE, &[("account", "p-sato"), ("role", "juki.admin"), ("reason", "運用担当")]).await.status, 403);
        assert!(eligible(&op.s.app, "p-sato").await.is_empty());

        let (n, e) = after(&owner, owner.post(PAGE, &[("account", "p-sato"), ("role", "juki.admin"), ("reason", "運用担当")]).await).await;
        assert!(n.contains("指名しました") && n.contains("p-sato") && e.is_empty(), "{n} {e}");
        assert_eq!(eligible(&op.s.app, "p-sato").await, vec!["juki.admin".to_string()], "named through the same function as the API");
        assert_eq!(op.s.audit_count("privileged.eligibility_granted", Some("運用担当")).await, 1);

        let page = owner.get(PAGE).await;
        let ids = rows(&page.body);
        assert_eq!(ids.len(), 1, "{}", page.body);
        let row = page.body.split(&format!("data-eligibility=\"{}\"", ids[0])).nth(1).unwrap().split("</tr>").next().unwrap().to_string();
        for shown in ["p-sato", "東雲 太郎", "juki.admin", "juki-kacho", "JST", "運用担当", "revoke-submit"] {
            assert!(row.contains(shown), "{shown} in the holder's row: {row}");
        }
        assert!(page.body.contains("<dd class=\"holding\">1</dd>"));
        // Naming them twice is refused with the app's message.
        let (_, e) = after(&owner, owner.post(PAGE, &[("account", "p-sato"), ("role", "juki.admin"), ("reason", "再指名")]).await).await;
        assert!(e.contains("already eligible"), "{e}");

        // Revoke with the row's button.
        assert_eq!(owner.post_raw("/privileged/eligibility/revoke", &[("id", &ids[0])]).await.status, 403, "CSRF");
        let (n, e) = after(&owner, owner.post("/privileged/eligibility/revoke", &[("id", &ids[0])]).await).await;
        assert!(n.contains("指名を解除しました") && e.is_empty(), "{n} {e}");
        assert!(eligible(&op.s.app, "p-sato").await.is_empty());
        let page = owner.get(PAGE).await;
        assert!(rows(&page.body).is_empty() && page.body.contains("保持者はいません。"), "{}", page.body);
        assert_eq!(op.s.audit_count("privileged.eligibility_revoked", Some(&ids[0])).await, 1);
        let (_, e) = after(&owner, owner.post("/privileged/eligibility/revoke", &[("id", &ids[0])]).await).await;
        assert!(e.contains("already revoked"), "{e}");

        // The security officer sees the page too (they may revoke).
        assert!(so.get("/account").await.body.contains("href=\"/privileged/eligibility\""));
        assert!(so.get(PAGE).await.body.contains("data-system=\"juki\""));
    }
}

both_backends! {
    async fn r_pr_01_over_the_cap_is_refused_on_the_eligibility_page_and_a_non_owner_is_refused(db: TestDb) {
        let op = oidc_rp::start(&db).await;
        let so = officer(&op, "p-so-0502").await;
        op.s.person("juki-kacho", "900011", "regular", true, &[]).await;
        op.s.person("sato", "300001", "regular", false, &[]).await;
        op.s.person("suzuki", "300002", "regular", false, &[]).await;
        op.s.person("v-hoshu", "800001", "vendor", false, &[]).await;
        op.s.person("jiro", "300009", "regular", false, &[]).await;
        let (owner, _) = signed_in(&op, "juki-kacho", PASSWORD).await;
        let (staff, _) = signed_in(&op, "jiro", PASSWORD).await;
        let (one, _) = privileged_account(&so, "300001").await;
        let (two, _) = privileged_account(&so, "300002").await;
        let (vendor, _) = privileged_account(&so, "800001").await;

        // A staff account is not a privileged ID (R-PR-01).
        let (_, e) = after(&owner, owner.post(PAGE, &[("account", "sato"), ("role", "juki.admin"), ("reason", "保守")]).await).await;
        assert!(e.contains("separate privileged account"), "{e}");
        for who in [&one, &two] {
            let (n, e) = after(&owner, owner.post(PAGE, &[("account", who), ("role", "juki.admin"), ("reason", "保守")]).await).await;
            assert!(n.contains("指名しました") && e.is_empty(), "{who}: {n} {e}");
        }
        // The third person is over juki's cap of 2: the app's message, on the page.
        let (n, e) = after(&owner, owner.post(PAGE, &[("account", &vendor), ("role", "juki.admin"), ("reason", "保守")]).await).await;
        assert!(n.is_empty() && e.contains("already has 2 privileged holders, its cap (R-PR-01)"), "{n} {e}");
        assert!(eligible(&op.s.app, &vendor).await.is_empty());
        assert_eq!(op.s.audit_count("privileged.eligibility_refused", Some("R-PR-01")).await, 2, "the staff account and the cap");
        let page = owner.get(PAGE).await;
        assert_eq!(rows(&page.body).len(), 2);
        assert!(page.body.contains("<dd class=\"holding\">2</dd>"), "{}", page.body);
        let first = rows(&page.body)[0].clone();

        // Someone who manages no system: no link, a page saying so, and the app's refusals.
        assert!(!staff.get("/account").await.body.contains("/privileged/eligibility"));
        let page = staff.get(PAGE).await;
        assert_eq!(page.status, 200);
        assert!(page.by_id("nothing").is_some() && rows(&page.body).is_empty() && !page.body.contains("class=\"grant\""), "{}", page.body);
        let (_, e) = after(&staff, staff.post(PAGE, &[("account", &vendor), ("role", "juki.admin"), ("reason", "保守")]).await).await;
        assert!(e.contains("owner names its privileged holders"), "{e}");
        let (_, e) = after(&staff, staff.post("/privileged/eligibility/revoke", &[("id", &first)]).await).await;
        assert!(e.contains("owner or a security officer ends an eligibility"), "{e}");
        assert_eq!(rows(&owner.get(PAGE).await.body).len(), 2, "nothing changed");
        assert_eq!(op.s.audit_count("privileged.eligibility_refused", Some("R-PR-09")).await, 1);
        assert_eq!(op.s.audit_count("privileged.eligibility_revoke_refused", Some(&first)).await, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_pr_01_an_owner_names_and_revokes_a_holder_on_the_eligibility_page_in_a_browser() {
    let db = TestDb::sqlite();
    let op = oidc_rp::start(&db).await;
    let so = officer(&op, "p-so-0503").await;
    op.s.person("juki-kacho", "900011", "regular", true, &[]).await;
    op.s.person("sato", "300001", "regular", false, &[]).await;
    let (_, owner_totp) = signed_in(&op, "juki-kacho", PASSWORD).await;
    privileged_account(&so, "300001").await;
    let code = totp_code(&owner_totp, (op.s.clock_ms() / 1000) as u64);
    let (base, rt, app) = (op.s.base.clone(), tokio::runtime::Handle::current(), op.s.app.clone());
    tokio::task::spawn_blocking(move || {
        let b = Browser::start();
        let p = b.new_page();
        browser_sign_in(&p, &base, "juki-kacho", &code);
        p.goto(&format!("{base}/account"));
        p.submit_and_wait("#eligibility-link");
        assert_eq!(p.path(), PAGE);
        let text = p.text();
        for shown in ["特権IDの指名", "住基", "保持者はいません。"] {
            assert!(text.contains(shown), "{shown} on the page: {text}");
        }
        let form = "#system-juki form.grant";
        p.fill(&format!("{form} .grant-account"), "p-sato");
        p.fill(&format!("{form} .grant-reason"), "運用担当");
        p.submit_and_wait(&format!("{form} .grant-submit"));
        assert_eq!(p.path(), PAGE, "back on the page (PRG)");
        let notice = p.eval("(document.getElementById('notice') || {}).innerText || ''").as_str().unwrap().to_string();
        assert!(notice.contains("指名しました"), "{notice}");
        let row = p
            .eval("(document.querySelector('#system-juki tr[data-account=\"p-sato\"]') || {}).innerText || ''")
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            row.contains("東雲 太郎") && row.contains("juki-kacho") && row.contains("JST") && row.contains("運用担当"),
            "{row}"
        );
        assert_eq!(rt.block_on(eligible(&app, "p-sato")), vec!["juki.admin".to_string()]);

        p.submit_and_wait("#system-juki tr[data-account=\"p-sato\"] .revoke-submit");
        assert_eq!(p.path(), PAGE);
        assert!(p.text().contains("指名を解除しました") && p.text().contains("保持者はいません。"), "{}", p.text());
        assert!(rt.block_on(eligible(&app, "p-sato")).is_empty());

        // English second.
        p.goto(&format!("{base}{PAGE}?lang=en"));
        assert!(
            p.text().contains("Privileged holders")
                && p.text().contains("Nobody holds a privileged role of this system."),
            "{}",
            p.text()
        );
    })
    .await
    .unwrap();
    assert_eq!(op.s.audit_count("privileged.eligibility_granted", Some("運用担当")).await, 1);
    assert_eq!(op.s.audit_count("privileged.eligibility_revoked", None).await, 1);
}
