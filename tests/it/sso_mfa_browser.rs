//! Single sign-on to the My Number system (two factor kinds) from a stock relying party on another
//! origin, in Chromium with CSP enforced (#17): password then TOTP; password then a security key;
//! the key alone with user verification; a first second factor enrolled inside the flow; without
//! self-enrolment, the page that says why; and a session that timed out while the request waited.
//! Where the relying party library checks token times against the real clock, tobira's test clock
//! runs at most 100 s ahead of it (Authlib allows 120 s).

use crate::browser::{AuthenticatorOptions, Browser, Page};
use crate::oidc_rp::PASSWORD;
use crate::sso::{self, amr, at_system, at_tobira, csp_violations, password, set_policy, watch_console};
use crate::support::both_backends;
use crate::web::{base32_decode, enrol_totp, totp_code};
use std::sync::Arc;
use std::time::Duration;
use tobira::app::clock::FixedClock;

fn now_s(clock: &FixedClock) -> u64 {
    use tobira::app::clock::Clock;
    (clock.now_ms() / 1000) as u64
}

fn two_kinds(claims: &serde_json::Value, method: &str) {
    assert_eq!(claims["acr"], "urn:tobira:acr:kinds:2", "{claims}");
    let amr = amr(claims);
    assert!(amr.iter().any(|m| m == method), "{method} in {amr:?}");
}

fn clean(p: &Page) {
    let v = csp_violations(p);
    assert!(v.is_empty(), "the pages' CSP blocked the flow: {v:?}");
}

fn totp_step(p: &Page, clock: &FixedClock, secret: &[u8]) {
    at_tobira(p, "/signin/second");
    p.fill("#code", &totp_code(secret, now_s(clock)));
    p.click("#totp-submit");
}

both_backends! {
    async fn r_au_02_my_number_sso_with_totp_a_key_a_passkey_enrolment_and_a_timed_out_session(db: TestDb) {
        // Staff sessions time out after a minute of rest here.
        let sso = sso::start(&db, |dir| {
            set_policy(dir, "authentication.toml", "[session.staff]\nidle_minutes = 30", "[session.staff]\nidle_minutes = 1");
            set_policy(dir, "authentication.toml", "[session.privileged]\nidle_minutes = 10", "[session.privileged]\nidle_minutes = 1");
        })
        .await;
        let s = &sso.op.s;
        for (login, number) in [("rp-taro", "100801"), ("rp-hanako", "100802"), ("rp-kagi", "100803")] {
            sso.op.person(login, number, &["juki.clerk"]).await;
        }
        let setup = s.client();
        setup.sign_in("rp-taro", PASSWORD).await;
        let secret = enrol_totp(s, &setup).await;
        s.clock.advance(time::Duration::seconds(30)); // the enrolment used this time step
        let (rp, op, clock): (String, String, Arc<FixedClock>) = (sso.juki.base.clone(), sso.op.issuer.clone(), s.clock.clone());
        tokio::task::spawn_blocking(move || {
            let b = Browser::start();
            // Password, then a TOTP code for the step-up.
            let p = b.new_page();
            watch_console(&p);
            p.goto(&format!("{rp}/login"));
            password(&p, "rp-taro", PASSWORD);
            totp_step(&p, &clock, &secret);
            let got = at_system(&p, &rp, "/cb");
            two_kinds(&got["claims"], "otp");
            assert_eq!(got["has_refresh"], false, "offline_access is dropped for a client without the refresh grant");
            assert_eq!(got["scope"], "openid profile email");
            clean(&p);

            // No second factor yet: enrolment of a TOTP inside the flow, then on to the system.
            let p = b.new_page();
            watch_console(&p);
            p.send("Network.clearBrowserCookies", serde_json::json!({}));
            p.goto(&format!("{rp}/login"));
            password(&p, "rp-hanako", PASSWORD);
            at_tobira(&p, "/account/enrol");
            p.click("#totp-link");
            at_tobira(&p, "/account/totp");
            let key = base32_decode(p.eval("document.getElementById('totp-secret').textContent").as_str().unwrap());
            p.fill("#totp-name", "スマホ");
            p.fill("#code", &totp_code(&key, now_s(&clock)));
            p.click("#totp-submit");
            two_kinds(&at_system(&p, &rp, "/cb")["claims"], "otp");
            clean(&p);

            // A security key registered on tobira's pages, then used for the step-up, then alone.
            let p = b.new_page();
            watch_console(&p);
            p.send("Network.clearBrowserCookies", serde_json::json!({}));
            let authenticator = p.add_virtual_authenticator(AuthenticatorOptions { transport: "usb", ..Default::default() });
            p.goto(&format!("{op}/signin"));
            password(&p, "rp-kagi", PASSWORD);
            at_tobira(&p, "/account/enrol");
            p.fill("#key-name", "セキュリティキー");
            p.click("#key-register");
            at_tobira(&p, "/account");
            assert_eq!(p.credentials(&authenticator).len(), 1);
            p.send("Network.clearBrowserCookies", serde_json::json!({}));
            p.goto(&format!("{rp}/login"));
            password(&p, "rp-kagi", PASSWORD);
            at_tobira(&p, "/signin/second");
            p.click("#key-stepup");
            let stepped = at_system(&p, &rp, "/cb")["claims"].clone();
            two_kinds(&stepped, "pwd");
            p.send("Network.clearBrowserCookies", serde_json::json!({}));
            p.goto(&format!("{rp}/login"));
            at_tobira(&p, "/signin");
            p.click("#passkey-signin");
            let alone = at_system(&p, &rp, "/cb")["claims"].clone();
            assert_eq!(alone["acr"], "urn:tobira:acr:kinds:2", "a key with user verification alone counts two kinds: {alone}");
            assert!(!amr(&alone).contains(&"pwd".to_string()), "no password was used: {alone}");
            clean(&p);

            // The request waits while the session times out: signing in again carries it on.
            let p = b.new_page();
            watch_console(&p);
            p.send("Network.clearBrowserCookies", serde_json::json!({}));
            p.goto(&format!("{rp}/login"));
            password(&p, "rp-taro", PASSWORD);
            at_tobira(&p, "/signin/second");
            clock.advance(time::Duration::seconds(70));
            p.fill("#code", &totp_code(&secret, now_s(&clock)));
            p.click("#totp-submit");
            password(&p, "rp-taro", PASSWORD);
            totp_step(&p, &clock, &secret);
            two_kinds(&at_system(&p, &rp, "/cb")["claims"], "otp");
            clean(&p);
        })
        .await
        .unwrap();
        assert_eq!(s.audit_count("oidc.code_issued", Some("rp-juki")).await, 5);
        assert_eq!(s.audit_count("credential.added", Some("totp")).await, 2);
    }
}

both_backends! {
    async fn r_au_02_without_self_enrolment_the_page_says_why_in_japanese(db: TestDb) {
        let sso = sso::start(&db, |dir| {
            set_policy(dir, "authentication.toml", "[signin]\n", "[signin]\nfirst_factor_self_enrollment = false\n");
        })
        .await;
        let s = &sso.op.s;
        sso.op.person("rp-shiro", "100811", &["juki.clerk"]).await;
        let rp = sso.juki.base.clone();
        tokio::task::spawn_blocking(move || {
            let b = Browser::start();
            let p = b.new_page();
            watch_console(&p);
            p.goto(&format!("{rp}/login"));
            password(&p, "rp-shiro", PASSWORD);
            p.wait_for("!!document.getElementById('back-to-system')", Duration::from_secs(30));
            let text = p.text();
            assert!(text.contains("2 種類") && text.contains("二要素目") && text.contains("情報政策課"), "{text}");
            p.click("#back-to-system");
            assert_eq!(at_system(&p, &rp, "/cb")["error"], "unmet_authentication_requirements");
        })
        .await
        .unwrap();
        assert_eq!(s.audit_count("oidc.authorize_refused", Some("unmet_authentication_requirements")).await, 1);
    }
}
