//! The console in real headless Chromium (CSP enforced, no inline script): a security officer signs
//! in (password, then a TOTP code), searches for a person by a half-width kana spelling of the
//! name, opens the person's page, unlocks the locked account with a reason and sees the notice and
//! the action in the person's trail; then reads it on the audit-log page, filtered by action
//! (R-AU-12, R-LG-11, R-RV-09). Fixed clock, SQLite.

use crate::browser::Browser;
use crate::console::{lock, locked, reshape};
use crate::oidc_rp::PASSWORD;
use crate::support::TestDb;
use crate::web::signed_in;
use crate::web::{self, totp_code};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_au_12_an_officer_finds_a_person_and_unlocks_them_with_a_reason_in_a_real_browser() {
    let db = TestDb::sqlite();
    let s = web::start(&db, |_| {}).await;
    s.account("p-so-0301", PASSWORD, false, true).await;
    let taro = s.person("shinonome", "300011", "regular", false, &[]).await;
    reshape(&s, &taro, "東雲 太郎", "シノノメ タロウ", None, "shimin").await;
    lock(&s, &taro).await;
    let (_, officer_totp) = signed_in(&s, "p-so-0301").await;
    let code = totp_code(&officer_totp, (s.clock_ms() / 1000) as u64);
    let base = s.base.clone();
    tokio::task::spawn_blocking(move || {
        let b = Browser::start();
        let p = b.new_page();
        p.goto(&format!("{base}/signin"));
        p.fill("#login_id", "p-so-0301");
        p.fill("#password", PASSWORD);
        p.submit_and_wait("#signin-submit");
        p.fill("#code", &code);
        p.submit_and_wait("#totp-submit");
        assert_ne!(p.path(), "/signin/second", "the TOTP code was accepted: {}", p.text());

        // Search by a half-width kana spelling; the one result leads to the person's page.
        p.goto(&format!("{base}/console/people"));
        p.fill("#q", "ｼﾉﾉﾒ");
        p.submit_and_wait("#search-submit");
        assert_eq!(
            p.eval("document.querySelectorAll('#results tr[data-person]').length"),
            serde_json::json!(1),
            "{}",
            p.text()
        );
        assert!(p.text().contains("東雲 太郎") && p.text().contains("shinonome（有効）"), "{}", p.text());
        p.submit_and_wait("#results .person-link");
        assert!(p.path().starts_with("/console/people/"), "{}", p.url());
        assert!(p.text().contains("ロック中"), "{}", p.text());

        // Unlock with a reason.
        let form = "section[data-login=\"shinonome\"] form.act-unlock";
        p.fill(&format!("{form} input[name=reason]"), "本人から電話で確認");
        p.submit_and_wait(&format!("{form} button"));
        let notice = p.eval("(document.getElementById('notice') || {}).innerText || ''").as_str().unwrap().to_string();
        assert!(
            notice.contains("実施しました") && notice.contains("ロック解除") && notice.contains("shinonome"),
            "{notice}"
        );
        assert!(p.text().contains("ロックなし"), "{}", p.text());
        assert_eq!(
            p.eval("document.querySelectorAll('#trail tr[data-action=\"account.unlocked\"]').length"),
            serde_json::json!(1)
        );

        // The audit-log page shows the action with its reason.
        p.goto(&format!("{base}/console/audit"));
        p.fill("#action", "account.unlocked");
        p.submit_and_wait("#audit-submit");
        assert_eq!(
            p.eval("document.querySelectorAll('#records tr[data-action=\"account.unlocked\"]').length"),
            serde_json::json!(1),
            "{}",
            p.text()
        );
        assert!(p.text().contains("本人から電話で確認") && p.text().contains("p-so-0301"), "{}", p.text());
        p.goto(&format!("{base}/console/audit?lang=en"));
        assert!(p.text().contains("Audit log"), "{}", p.text());
    })
    .await
    .unwrap();
    assert!(!locked(&s, &taro).await);
    assert_eq!(s.audit_count("account.unlocked", Some("本人から電話で確認")).await, 1);
}
