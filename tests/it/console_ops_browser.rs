//! The console's approvals and privileged-ID pages, and the helpdesk, in real headless Chromium (CSP
//! enforced, no inline script): one security officer asks to unlock an auditor's account, a second
//! signs in (password, then a TOTP code), opens `/console/approvals`, approves it with a reason and
//! sees the notice; the asker's forged approve POST was refused before; the second officer then reads
//! `/console/privileged`, which staff are refused. The helpdesk unlocks a member of staff on the
//! person page, has no button on an officer's account (a forged POST is refused) and is refused the
//! audit log (R-AC-02, R-PR-01, R-LG-11). Fixed clock, SQLite.

use crate::browser::Browser;
use crate::console::{lock, locked, reshape};
use crate::oidc_rp::PASSWORD;
use crate::support::TestDb;
use crate::web::signed_in;
use crate::web::{self, totp_code};

/// Signs `login` in at `/signin` with the password and a TOTP code.
fn sign_in(p: &crate::browser::Page, base: &str, login: &str, code: &str) {
    p.goto(&format!("{base}/signin"));
    p.fill("#login_id", login);
    p.fill("#password", PASSWORD);
    p.submit_and_wait("#signin-submit");
    p.fill("#code", code);
    p.submit_and_wait("#totp-submit");
    assert_ne!(p.path(), "/signin/second", "the TOTP code was accepted: {}", p.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_ac_02_a_second_officer_approves_on_the_approvals_page_and_the_askers_forged_approval_is_refused() {
    let db = TestDb::sqlite();
    let s = web::start(&db, |_| {}).await;
    s.account("p-so-1301", PASSWORD, false, true).await;
    s.account("p-so-1302", PASSWORD, false, true).await;
    let kansa = s.person("kansa", "100100", "regular", false, &["tobira.auditor"]).await;
    let kansa_id = reshape(&s, &kansa, "監査 花子", "カンサ ハナコ", None, "kansa").await;
    s.person("500090", "500090", "regular", false, &[]).await;
    lock(&s, &kansa).await;
    let (asker, _) = signed_in(&s, "p-so-1301").await;
    let (staff, _) = signed_in(&s, "500090").await;
    let (_, second_totp) = signed_in(&s, "p-so-1302").await;
    let r = asker
        .post(
            &format!("/console/people/{kansa_id}/act"),
            &[("login", "kansa"), ("action", "unlock"), ("reason", "監査人から電話")],
        )
        .await;
    assert!(r.location.as_deref().unwrap().contains("notice="), "{:?}", r.location);
    let page = asker.get("/console/approvals").await;
    let id = page.body.split("data-request=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let forged = asker
        .post(&format!("/console/approvals/{id}/decide"), &[("decision", "approve"), ("reason", "自分で承認")])
        .await;
    assert_eq!(forged.status, 403, "the asker's forged approval: {}", forged.body);
    assert!(locked(&s, &kansa).await);
    assert_eq!(staff.get("/console/privileged").await.status, 403, "staff are refused the privileged page");

    let code = totp_code(&second_totp, (s.clock_ms() / 1000) as u64);
    let base = s.base.clone();
    let request = id.clone();
    tokio::task::spawn_blocking(move || {
        let b = Browser::start();
        let p = b.new_page();
        sign_in(&p, &base, "p-so-1302", &code);
        p.goto(&format!("{base}/console/approvals"));
        let text = p.text();
        assert!(
            text.contains("二者承認待ちの操作")
                && text.contains("監査人から電話")
                && text.contains("p-so-1301")
                && text.contains("ロック解除"),
            "{text}"
        );
        let row = format!("tr[data-request=\"{request}\"]");
        p.fill(&format!("{row} input[name=reason]"), "本人確認済み");
        p.submit_and_wait(&format!("{row} button.approve"));
        let notice = p.eval("(document.getElementById('notice') || {}).innerText || ''").as_str().unwrap().to_string();
        assert!(notice.contains("承認し、操作を実行しました"), "{notice} / {}", p.text());
        assert_eq!(
            p.eval("document.querySelectorAll('#approvals tr[data-request]').length"),
            serde_json::json!(0),
            "nothing waits any more"
        );

        // The privileged page, for the officer.
        p.goto(&format!("{base}/console/privileged"));
        let text = p.text();
        assert!(
            text.contains("特権ID・開発用IDの一覧") && text.contains("p-so-1301") && text.contains("代行者"),
            "{text}"
        );
        p.goto(&format!("{base}/console/privileged?lang=en"));
        assert!(p.text().contains("Privileged and development accounts"), "{}", p.text());
    })
    .await
    .unwrap();
    assert!(!locked(&s, &kansa).await, "unlocked by the second officer");
    assert_eq!(s.audit_count("officer.action_approved", Some("本人確認済み")).await, 1);
    assert_eq!(s.audit_count("officer.action_approved", Some("refused")).await, 1, "the forged approval is on record");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_lg_11_the_helpdesk_unlocks_staff_in_a_real_browser_but_not_an_officer_nor_reads_the_audit_log() {
    let db = TestDb::sqlite();
    let s = web::start(&db, |_| {}).await;
    s.person("madoguchi", "300070", "regular", false, &["tobira.helpdesk"]).await;
    let taro = s.person("shinonome", "300011", "regular", false, &[]).await;
    let taro_id = reshape(&s, &taro, "東雲 太郎", "シノノメ タロウ", None, "shimin").await;
    let so = s.person("p-so-kojin", "100200", "regular", false, &["tobira.security_officer"]).await;
    let so_id = reshape(&s, &so, "情報 一郎", "ジョウホウ イチロウ", None, "johoseisaku").await;
    lock(&s, &taro).await;
    lock(&s, &so).await;
    let (hd, hd_totp) = signed_in(&s, "madoguchi").await;
    let forged = hd
        .post(
            &format!("/console/people/{so_id}/act"),
            &[("login", "p-so-kojin"), ("action", "unlock"), ("reason", "x")],
        )
        .await;
    assert!(forged.location.as_deref().unwrap().contains("error="), "{:?}", forged.location);
    let code = totp_code(&hd_totp, (s.clock_ms() / 1000) as u64);
    let base = s.base.clone();
    tokio::task::spawn_blocking(move || {
        let b = Browser::start();
        let p = b.new_page();
        sign_in(&p, &base, "madoguchi", &code);
        p.goto(&format!("{base}/account"));
        p.submit_and_wait("#console-link");
        assert_eq!(p.path(), "/console/people", "{}", p.url());
        p.goto(&format!("{base}/console/people/{taro_id}"));
        assert!(p.text().contains("ヘルプデスク"), "{}", p.text());
        assert_eq!(
            p.eval("document.querySelectorAll('form.act-suspend, form.act-reset').length"),
            serde_json::json!(0)
        );
        let form = "section[data-login=\"shinonome\"] form.act-unlock";
        p.fill(&format!("{form} input[name=reason]"), "本人から電話で確認");
        p.submit_and_wait(&format!("{form} button"));
        let notice = p.eval("(document.getElementById('notice') || {}).innerText || ''").as_str().unwrap().to_string();
        assert!(notice.contains("実施しました") && notice.contains("shinonome"), "{notice}");
        p.goto(&format!("{base}/console/people/{so_id}"));
        assert_eq!(
            p.eval("document.querySelectorAll('form.act-unlock').length"),
            serde_json::json!(0),
            "no button on an officer's account"
        );
        p.goto(&format!("{base}/console/audit"));
        assert!(p.text().contains("CISO"), "refused, with the reason: {}", p.text());
        assert_eq!(p.eval("document.querySelectorAll('#records').length"), serde_json::json!(0));
    })
    .await
    .unwrap();
    assert!(!locked(&s, &taro).await);
    assert!(locked(&s, &so).await, "the officer stays locked");
    assert_eq!(s.audit_count("account.unlocked", Some("本人から電話で確認")).await, 1);
    assert_eq!(s.audit_count("console.helpdesk_refused", None).await, 1);
}
