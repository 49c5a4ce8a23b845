//! The reviewer's page (`/review`, R-RV-05) in real headless Chromium: a security officer starts a
//! campaign for the resident registry (juki) through the API; the 所属長 of 市民課 signs in
//! (password, then a TOTP code as the second factor), sees the two staff grants to re-certify and
//! not their own (R-AC-02), is refused a removal without a comment (the item stays open), removes
//! one grant with a comment and keeps the other, and ends with an empty inbox. The database then
//! shows the removed grant revoked, the kept one in force and the decisions audited. Fixed clock.

use crate::browser::Browser;
use crate::oidc_rp::PASSWORD;
use crate::support::TestDb;
use crate::web::{self, signed_in, totp_code, Server};
use serde_json::json;
use std::time::Duration;
use tobira::store::{self, accounts::Grant};
use tobira_domain::rbac::GrantSource;

const WAIT: Duration = Duration::from_secs(30);
const COMMENT: &str = "異動のため不要";
/// The rows' checkboxes (`item-<login>-<role>`; the role's dot would need escaping after `#`).
const SATO_BOX: &str = r#"input[id="item-sato-juki.clerk"]"#;
const SUZUKI_BOX: &str = r#"input[id="item-suzuki-juki.clerk"]"#;

/// Gives `account` a requested-and-approved `juki.clerk` (campaigns review `request` grants, not
/// birthright); the grant's id.
async fn request_grant(s: &Server, account: &str) -> String {
    let (account, now) = (account.to_string(), s.clock_ms());
    s.app
        .db(move |c| {
            let g = Grant {
                reason: Some("窓口業務のため".into()),
                ..Grant::new(&account, "juki.clerk", GrantSource::Request, now)
            };
            store::accounts::insert_grant(c, &g)?;
            Ok(g.id)
        })
        .await
        .unwrap()
}

/// The ids of the grants of `account` in force now.
async fn in_force(s: &Server, account: &str) -> Vec<String> {
    let (account, now) = (account.to_string(), s.clock_ms());
    s.app
        .db(move |c| Ok(store::accounts::grants_in_force(c, &account, now)?.into_iter().map(|g| g.id).collect()))
        .await
        .unwrap()
}

/// The `data-login` of every row in the inbox table, in page order.
fn row_logins(p: &crate::browser::Page) -> Vec<String> {
    let v = p.eval("Array.from(document.querySelectorAll('#items tr[data-item]')).map(r => r.dataset.login)");
    v.as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_string()).collect()
}

fn notice(p: &crate::browser::Page) -> String {
    p.eval("(document.getElementById('notice') || {}).innerText || ''").as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_rv_05_a_head_of_section_reviews_grants_on_the_page_in_a_real_browser() {
    let db = TestDb::sqlite();
    let s = web::start_with(&db, crate::support::fixed_clock(), |c| c.http.public_url = "http://localhost:8080".into())
        .await;

    // A security officer, the 所属長 of 市民課 and two staff, each with a requested juki.clerk.
    s.account("p-so-0201", PASSWORD, false, true).await;
    let (officer, _) = signed_in(&s, "p-so-0201").await;
    let head = s.person("shimin-kacho", "100001", "regular", true, &[]).await;
    let sato = s.person("sato", "300001", "regular", false, &[]).await;
    let suzuki = s.person("suzuki", "300002", "regular", false, &[]).await;
    let head_grant = request_grant(&s, &head).await;
    let sato_grant = request_grant(&s, &sato).await;
    let suzuki_grant = request_grant(&s, &suzuki).await;
    let (head_api, head_totp) = signed_in(&s, "shimin-kacho").await;

    let (status, made) = officer.post_json("/api/review/campaigns", json!({ "kind": "system", "key": "juki" })).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["items"], 3, "one item per requested juki grant, the 所属長's own included: {made}");

    let code = totp_code(&head_totp, (s.clock_ms() / 1000) as u64);
    let base = s.base.clone();
    tokio::task::spawn_blocking(move || {
        let b = Browser::start();
        let p = b.new_page();

        // Password first; the page then asks for the second factor.
        p.goto(&format!("{base}/signin"));
        p.fill("#login_id", "shimin-kacho");
        p.fill("#password", PASSWORD);
        p.submit_and_wait("#signin-submit");
        assert_eq!(p.path(), "/signin/second", "a password alone is not enough for the review page");
        p.fill("#code", &code);
        p.submit_and_wait("#totp-submit");
        assert_ne!(p.path(), "/signin/second", "the TOTP code was accepted: {}", p.text());

        // The inbox: the two staff, never the 所属長's own grant (R-AC-02).
        p.goto(&format!("{base}/review"));
        assert_eq!(p.path(), "/review");
        let mut logins = row_logins(&p);
        logins.sort();
        assert_eq!(logins, ["sato", "suzuki"], "{}", p.text());
        let text = p.text();
        assert!(
            text.contains("住民基本台帳システム") && text.contains("窓口業務のため") && text.contains("申請・承認"),
            "system, reason and source shown: {text}"
        );
        if let Some(png) = p.send("Page.captureScreenshot", json!({ "format": "png" }))["data"].as_str() {
            use base64::Engine;
            let _ =
                std::fs::write("/tmp/review-page.png", base64::engine::general_purpose::STANDARD.decode(png).unwrap());
        }

        // Removing needs a reason: without a comment the item is refused and stays.
        p.click(SATO_BOX);
        p.click("#decision-remove");
        p.fill("#comment", "");
        p.submit_and_wait("#decide");
        let n = notice(&p);
        assert!(n.contains("1 件は回答できませんでした"), "the notice says it could not be decided: {n}");
        assert!(n.contains("削除にはコメント"), "and why, in Japanese: {n}");
        assert_eq!(row_logins(&p).len(), 2, "both items still wait");

        // Remove with a comment.
        p.click(SATO_BOX);
        p.click("#decision-remove");
        p.fill("#comment", COMMENT);
        p.submit_and_wait("#decide");
        let n = notice(&p);
        assert!(n.starts_with("1 件に回答しました。") && !n.contains("できませんでした"), "{n}");
        assert_eq!(row_logins(&p), ["suzuki"]);

        // Keep the other (keep is the default choice).
        p.click(SUZUKI_BOX);
        assert_eq!(p.eval("document.getElementById('decision-keep').checked"), json!(true));
        p.submit_and_wait("#decide");
        assert!(notice(&p).starts_with("1 件に回答しました。"), "{}", notice(&p));
        p.wait_for("document.getElementById('empty')", WAIT);
        assert!(
            p.eval("document.getElementById('items') === null").as_bool().unwrap(),
            "no table once everything is decided"
        );
        assert!(p.text().contains("確認待ちの項目はありません。"));
    })
    .await
    .unwrap();

    // The removal revoked the grant; the kept one and the 所属長's own (undecided) stay in force.
    assert!(!in_force(&s, &sato).await.contains(&sato_grant), "the removed grant is revoked");
    assert!(in_force(&s, &suzuki).await.contains(&suzuki_grant), "the kept grant stays");
    assert!(in_force(&s, &head).await.contains(&head_grant), "nobody decided the 所属長's own grant");
    let revoked = s
        .app
        .db(move |c| {
            use diesel::prelude::*;
            use store::schema::grants;
            Ok(grants::table.find(&sato_grant).select(grants::revoked_reason).first::<Option<String>>(c)?)
        })
        .await
        .unwrap();
    assert_eq!(revoked.as_deref(), Some("review.removed"));

    // Audited: two decisions, the refusal too.
    assert_eq!(s.audit_count("review.item_decided", None).await, 3, "two decisions and one refusal");
    assert_eq!(s.audit_count("review.item_decided", Some(COMMENT)).await, 1, "the removal with its comment");
    assert_eq!(s.audit_count("review.item_decided", Some("\"keep\"")).await, 1);
    assert_eq!(s.audit_count("review.item_decided", Some("comment is required")).await, 1, "the refused removal");
    assert_eq!(s.audit_count("review.campaign_created", None).await, 1);

    // The API agrees: nothing is left for the 所属長 (the HTTP session enrolled the TOTP earlier).
    let (status, inbox) = head_api.get_json("/api/review/inbox").await;
    assert_eq!((status, inbox["items"].as_array().map(Vec::len)), (200, Some(0)), "{inbox}");
}
