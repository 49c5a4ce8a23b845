//! The sign-in pages in real headless Chromium with a virtual authenticator that performs user
//! verification: forced change of a temporary password, enrolling a passkey, signing in with the
//! passkey alone, a My Number system allowed with two kinds and not with a password alone, and a
//! removed key ending the session that used it.

use crate::browser::Browser;
use crate::support::TestDb;
use crate::web;

const NEW_PASSWORD: &str = "ume-boshi to ryokucha 3ji";

fn decision(b: &mut Browser, system: &str) -> String {
    b.eval(&format!("document.querySelector('tr[data-system=\"{system}\"]').dataset.decision"))
        .as_str()
        .unwrap()
        .to_string()
}

fn sign_in_with_password(b: &mut Browser, base: &str, login: &str, password: &str) {
    b.goto(&format!("{base}/signin"));
    b.fill("#login_id", login);
    b.fill("#password", password);
    b.click("#signin-submit", true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_au_02_passkey_enrolment_and_sign_in_in_a_real_browser() {
    let db = TestDb::sqlite();
    let s = web::start(&db, |_| {}).await;
    s.account("p-so-0100", "Temporary-Pass-0100", true, true).await;
    s.account("ichiro", NEW_PASSWORD, false, false).await;
    let base = s.base.clone();
    tokio::task::spawn_blocking(move || {
        let mut b = Browser::start();
        let key = b.add_authenticator();

        // R-AU-11 banner; R-AU-06 the temporary password must be changed first.
        sign_in_with_password(&mut b, &base, "p-so-0100", "Temporary-Pass-0100");
        assert_eq!(b.path(), "/account/password");
        b.fill("#current", "Temporary-Pass-0100");
        b.fill("#new", NEW_PASSWORD);
        b.fill("#repeat", NEW_PASSWORD);
        b.click("#password-submit", true);
        // No second factor yet: self-service is closed until one is enrolled (tobira is 3B).
        assert_eq!(b.path(), "/account/enrol");
        let cookies = b.cookies();
        let session = cookies.iter().find(|c| c["name"] == tobira::http::pages::SESSION_COOKIE).expect("session cookie");
        assert_eq!((session["httpOnly"].as_bool(), session["secure"].as_bool(), session["sameSite"].as_str()), (Some(true), Some(true), Some("Lax")));

        // Enrol a passkey: registration needs user verification.
        b.fill("#key-name", "職員証");
        b.click("#key-register", false);
        b.wait_for("location.pathname === '/account' && document.readyState === 'complete' && document.getElementById('systems')");
        assert_eq!(b.credentials(&key).len(), 1, "a resident credential was created");
        assert_eq!(decision(&mut b, "juki"), "allowed", "password + key: two kinds for the My Number system");
        assert!(b.text().contains("職員証"));

        // Sign out, then sign in with the passkey alone (possession + user verification).
        b.click("#signout", true);
        assert_eq!(b.path(), "/signin");
        b.set_user_verified(&key, false);
        b.click("#passkey-signin", false);
        b.wait_for("!document.getElementById('js-error').hidden");
        assert_eq!(b.path(), "/signin", "without user verification the key is refused");
        b.set_user_verified(&key, true);
        b.click("#passkey-signin", false);
        b.wait_for("location.pathname === '/account' && document.readyState === 'complete' && document.getElementById('systems')");
        assert_eq!(decision(&mut b, "juki"), "allowed");
        let text = b.text();
        assert!(text.contains("前回のサインイン") && text.contains("JST"), "previous sign-in shown in JST: {text}");

        // Removing the key ends the session that used it (R-AU-12).
        b.click("#factors button.remove", true);
        assert_eq!(b.path(), "/signin");

        // Another person with a password alone cannot reach self-service or the My Number system.
        sign_in_with_password(&mut b, &base, "ichiro", NEW_PASSWORD);
        assert_eq!(b.path(), "/account/enrol");
        let status = b.eval("fetch('/account', { redirect: 'manual' }).then(r => r.type)");
        assert_eq!(status, "opaqueredirect", "the account page redirects a one-kind session");
    })
    .await
    .unwrap();
    assert_eq!(s.audit_count("credential.added", Some("webauthn")).await, 1);
    assert_eq!(s.audit_count("credential.revoked", None).await, 1);
    assert_eq!(s.audit_count("auth.sign_in", Some("webauthn")).await, 1);
}

/// Signs `login` in with a password, enrols a passkey at /account/enrol and signs out.
fn enrol_passkey_and_sign_out(b: &mut Browser, base: &str, login: &str) {
    sign_in_with_password(b, base, login, NEW_PASSWORD);
    assert_eq!(b.path(), "/account/enrol");
    b.fill("#key-name", "職員証");
    b.click("#key-register", false);
    b.wait_for(
        "location.pathname === '/account' && document.readyState === 'complete' && document.getElementById('systems')",
    );
    b.click("#signout", true);
    assert_eq!(b.path(), "/signin");
}

/// Locks `account` everywhere, as guessing its password (with `lockout.scope = "global"`) would.
async fn lock_everywhere(s: &web::Server, account: String) {
    let now = s.clock_ms();
    let state = tobira_domain::authn::lockout::LockState { failures: 10, locked_at: Some(now), ..Default::default() };
    s.app
        .db(move |c| {
            Ok(tobira::store::throttle::put_lock_state(
                c,
                &account,
                tobira_domain::authn::lockout::GLOBAL_SCOPE,
                &state,
                now,
            )?)
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_au_19_a_password_lock_does_not_refuse_a_passkey_unless_the_policy_says_so() {
    for ignores in [true, false] {
        let db = TestDb::sqlite();
        let policy = tempfile::tempdir().unwrap();
        for e in std::fs::read_dir(crate::support::repo_path("policies")).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), policy.path().join(e.file_name())).unwrap();
        }
        let file = policy.path().join("authentication.toml");
        let text = std::fs::read_to_string(&file)
            .unwrap()
            .replace("webauthn_ignores_password_lock = true", &format!("webauthn_ignores_password_lock = {ignores}"));
        std::fs::write(&file, text).unwrap();
        let dir = policy.path().display().to_string();
        let s = web::start(&db, |c| c.policy_dir = dir).await;
        let account = s.account("kawa", NEW_PASSWORD, false, false).await;
        let base = s.base.clone();
        let mut b = tokio::task::spawn_blocking(move || {
            let mut b = Browser::start();
            b.add_authenticator();
            enrol_passkey_and_sign_out(&mut b, &base, "kawa");
            b
        })
        .await
        .unwrap();
        lock_everywhere(&s, account).await;
        let base = s.base.clone();
        b = tokio::task::spawn_blocking(move || {
            sign_in_with_password(&mut b, &base, "kawa", NEW_PASSWORD);
            assert_eq!(b.path(), "/signin", "the password is locked");
            b.click("#passkey-signin", false);
            if ignores {
                b.wait_for("location.pathname === '/account' && document.readyState === 'complete'");
            } else {
                b.wait_for("!document.getElementById('js-error').hidden");
                assert_eq!(b.path(), "/signin", "the policy makes the lock stop keys too");
            }
            b
        })
        .await
        .unwrap();
        drop(b);
        assert_eq!(s.audit_count("auth.sign_in", Some("webauthn")).await, usize::from(ignores), "ignores = {ignores}");
    }
}
