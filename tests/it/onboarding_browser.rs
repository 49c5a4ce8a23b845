//! The onboarding page in real headless Chromium (R-LC-11): a joiner signs in, enrols a passkey, is
//! taken to the city's rules instead of their account page, cannot confirm without ticking the box
//! (the form's own check), confirms, and reaches the account page.

use crate::browser::Browser;
use crate::support::TestDb;
use crate::web;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_lc_11_a_joiner_confirms_the_rules_in_a_real_browser() {
    let db = TestDb::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let p = crate::onboarding::policies(dir.path(), &crate::onboarding::onboarding_toml("2026-04", false));
    let s = web::start(&db, |c| c.policy_dir = p).await;
    let joiner = s.person("nyu-browser", "400101", "regular", false, &[]).await;
    let base = s.base.clone();
    tokio::task::spawn_blocking(move || {
        let b = Browser::start();
        b.add_authenticator();
        b.goto(&format!("{base}/signin"));
        b.fill("#login_id", "nyu-browser");
        b.fill("#password", crate::oidc_rp::PASSWORD);
        b.click("#signin-submit", true);
        // A first second factor may be enrolled while the rules are owed; then the rules come first.
        assert_eq!(b.path(), "/account/enrol");
        b.fill("#key-name", "職員証");
        b.click("#key-register", false);
        b.wait_for("location.pathname === '/account/onboarding' && document.readyState === 'complete' && document.getElementById('rules')");
        assert!(b.text().contains("第1条 パスワードを他人に教えない。"), "{}", b.text());
        // Not ticked: the browser does not send the form.
        b.click("#confirm", false);
        assert_eq!(b.path(), "/account/onboarding");
        b.click("#agree", false);
        b.click("#confirm", true);
        b.wait_for("location.pathname === '/account' && document.readyState === 'complete'");
    })
    .await
    .unwrap();
    let id = joiner.clone();
    let confirmed = s.app.db(move |c| Ok(tobira::store::onboarding::of_account(c, &id)?)).await.unwrap();
    assert_eq!(confirmed.len(), 1);
    assert_eq!(confirmed[0].rules_version.as_deref(), Some("2026-04"));
    assert_eq!(s.audit_count("onboarding.rules_confirmed", Some("2026-04")).await, 1);
}
