//! Single sign-on from a stock relying party on another origin, in Chromium with CSP enforced
//! (#17): a class-2 LGWAN system with a password, `offline_access`, refresh, RP-initiated logout with
//! and without a hint; `prompt=none`, `prompt=login` and `max_age=0`; a temporary password changed
//! in the middle of the flow; back-channel logout when an officer suspends the person.

use crate::browser::{Browser, Page};
use crate::oidc_rp::PASSWORD;
use crate::sso::{self, amr, at_system, at_tobira, csp_violations, password, watch_console};
use crate::support::both_backends;
use crate::web::enrol_totp;
use serde_json::json;

const NEW_PASSWORD: &str = "sakura-mochi to hojicha 4ji";

fn no_csp_violations(p: &Page) {
    let v = csp_violations(p);
    assert!(v.is_empty(), "the pages' CSP blocked the flow: {v:?}");
}

both_backends! {
    async fn r_au_02_a_stock_relying_party_signs_staff_in_refreshes_and_logs_out(db: TestDb) {
        let sso = sso::start(&db, |_| {}).await;
        let account = sso.op.person("rp-ichiro", "100701", &["bunsho.user"]).await;
        let rp = sso.bunsho.base.clone();
        let clock = sso.op.s.clock.clone();
        let (first, second) = tokio::task::spawn_blocking(move || {
            let b = Browser::start();
            let p = b.new_page();
            watch_console(&p);
            // A stock library's scopes, and one tobira does not know.
            p.goto(&format!("{rp}/login?scope=openid+profile+email+offline_access+phone"));
            password(&p, "rp-ichiro", PASSWORD);
            let got = at_system(&p, &rp, "/cb");
            no_csp_violations(&p);
            let claims = got["claims"].clone();
            assert_eq!(claims["acr"], "urn:tobira:acr:kinds:1", "a class-2 system: a password is enough");
            assert_eq!(amr(&claims), vec!["pwd"]);
            assert_eq!(claims["name"], "東雲 太郎");
            assert_eq!(got["has_refresh"], true, "offline_access gives a refresh token");
            assert_eq!(got["scope"], "openid profile email offline_access", "the unknown scope is ignored");

            // Refresh rotates; the old refresh token replayed is refused (and ends the family).
            p.goto(&format!("{rp}/refresh"));
            assert_eq!(at_system(&p, &rp, "/refresh")["rotated"], true);
            p.goto(&format!("{rp}/userinfo"));
            let info = at_system(&p, &rp, "/userinfo");
            assert_eq!((info["status"].as_u64(), info["body"]["preferred_username"].as_str()), (Some(200), Some("rp-ichiro")));
            p.goto(&format!("{rp}/refresh-old"));
            let replay = at_system(&p, &rp, "/refresh-old");
            assert_eq!((replay["status"].as_u64(), replay["body"]["error"].as_str()), (Some(400), Some("invalid_grant")));

            // RP-initiated logout with the ID token as hint: straight back to the system.
            p.goto(&format!("{rp}/logout"));
            let bye = at_system(&p, &rp, "/bye");
            assert_eq!(bye, json!({ "signed_out": true, "state": "bye-1" }));

            // Again, and a logout without a hint: the person confirms on tobira's page, then the
            // browser goes back to the system (a form, then another origin).
            clock.advance(time::Duration::seconds(2));
            p.goto(&format!("{rp}/login"));
            password(&p, "rp-ichiro", PASSWORD);
            let again = at_system(&p, &rp, "/cb");
            p.goto(&format!("{rp}/logout?hint=0"));
            at_tobira(&p, "/oauth/logout");
            assert!(p.text().contains("サインアウトしますか"), "{}", p.text());
            p.click("#signout");
            assert_eq!(at_system(&p, &rp, "/bye")["state"], "bye-1");
            no_csp_violations(&p);
            (claims, again["claims"].clone())
        })
        .await
        .unwrap();
        assert_eq!(first["sub"], account);
        assert!(second["auth_time"].as_i64() > first["auth_time"].as_i64(), "a new sign-in after the logout");
        let s = &sso.op.s;
        assert_eq!(s.audit_count("oidc.code_issued", Some("\"ignored_scopes\":[\"phone\"]")).await, 1, "the ignored scope is recorded");
        assert_eq!(s.audit_count("token.refresh_reused", None).await, 1, "the replayed refresh token is recorded");
        assert_eq!(s.audit_count("auth.sign_out", None).await, 2);
    }
}

both_backends! {
    async fn r_au_02_prompt_max_age_and_a_temporary_password_in_the_middle_of_the_flow(db: TestDb) {
        let sso = sso::start(&db, |_| {}).await;
        sso.op.person("rp-jiro", "100702", &["bunsho.user"]).await;
        sso.op.s.account("rp-new", "Temporary-Pass-0702", true, false).await;
        let rp = sso.bunsho.base.clone();
        let clock = sso.op.s.clock.clone();
        tokio::task::spawn_blocking(move || {
            let b = Browser::start();
            let p = b.new_page();
            watch_console(&p);
            // prompt=none without a session: the system hears login_required, no page is shown.
            p.goto(&format!("{rp}/login?prompt=none"));
            assert_eq!(at_system(&p, &rp, "/cb")["error"], "login_required");
            p.goto(&format!("{rp}/login"));
            password(&p, "rp-jiro", PASSWORD);
            let first = at_system(&p, &rp, "/cb")["claims"].clone();
            // prompt=none with a session: a code at once.
            clock.advance(time::Duration::seconds(5));
            p.goto(&format!("{rp}/login?prompt=none"));
            let silent = at_system(&p, &rp, "/cb")["claims"].clone();
            assert_eq!((silent["sub"].clone(), silent["auth_time"].clone()), (first["sub"].clone(), first["auth_time"].clone()), "the same sign-in");
            // prompt=login and max_age=0: the person signs in again, then goes back.
            for ask in ["prompt=login", "max_age=0"] {
                clock.advance(time::Duration::seconds(5));
                p.goto(&format!("{rp}/login?{ask}"));
                password(&p, "rp-jiro", PASSWORD);
                let again = at_system(&p, &rp, "/cb")["claims"].clone();
                assert!(again["auth_time"].as_i64() > first["auth_time"].as_i64(), "{ask}: a new sign-in");
            }
            no_csp_violations(&p);

            // A temporary password: changed in the middle of the flow, then on to the system.
            let b2 = Browser::start();
            let p = b2.new_page();
            watch_console(&p);
            p.goto(&format!("{rp}/login"));
            password(&p, "rp-new", "Temporary-Pass-0702");
            at_tobira(&p, "/account/password");
            assert!(p.text().contains("新しいパスワードに変更してください"), "{}", p.text());
            p.fill("#current", "Temporary-Pass-0702");
            p.fill("#new", NEW_PASSWORD);
            p.fill("#repeat", NEW_PASSWORD);
            p.click("#password-submit");
            let got = at_system(&p, &rp, "/cb");
            assert_eq!(got["claims"]["acr"], "urn:tobira:acr:kinds:1");
            no_csp_violations(&p);
        })
        .await
        .unwrap();
        let s = &sso.op.s;
        assert_eq!(s.audit_count("oidc.authorize_refused", Some("login_required")).await, 1);
        assert_eq!(s.audit_count("password.changed", None).await, 1, "the change is recorded");
    }
}

both_backends! {
    async fn r_lc_03_the_relying_party_hears_of_a_suspension_on_its_back_channel(db: TestDb) {
        let sso = sso::start(&db, |_| {}).await;
        let account = sso.op.person("rp-saburo", "100703", &["bunsho.user"]).await;
        sso.op.s.account("p-so-0703", PASSWORD, false, true).await;
        let rp = sso.bunsho.base.clone();
        let claims = tokio::task::spawn_blocking(move || {
            let b = Browser::start();
            let p = b.new_page();
            p.goto(&format!("{rp}/login"));
            password(&p, "rp-saburo", PASSWORD);
            at_system(&p, &rp, "/cb")["claims"].clone()
        })
        .await
        .unwrap();
        assert!(sso.bunsho.backchannel_log().is_empty(), "nothing is sent while the person works");
        let officer = sso.op.s.client();
        officer.sign_in("p-so-0703", PASSWORD).await;
        enrol_totp(&sso.op.s, &officer).await;
        let (status, body) = officer.post_json("/api/officer/accounts/rp-saburo/suspend", json!({ "reason": "不正利用の疑い" })).await;
        assert_eq!(status, 200, "{body}");
        // Delivery is asynchronous: wait (bounded) until the system has verified a logout token.
        let mut log = Vec::new();
        for _ in 0..100 {
            log = sso.bunsho.backchannel_log();
            if !log.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(log.len(), 1, "one logout token, verified by the system's library");
        assert_eq!(log[0]["sid"], claims["sid"], "for the session the system knows");
        assert_eq!(log[0]["sub"], account);
    }
}
