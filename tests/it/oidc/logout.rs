//! The end of a sign-in: RP-initiated logout and back-channel logout to the systems.

use crate::harness::oidc::refresh;
use crate::oidc_rp::{self, access, browse, param, payload, redeem, request, Op, BYE, CB};
use crate::support::both_backends;
use openidconnect::{OAuth2TokenResponse, TokenResponse};
use tobira_domain::rbac::AccountStatus;

both_backends! {
    async fn rp_initiated_logout_ends_the_session_and_its_tokens(db: TestDb) {
        let op = oidc_rp::start(&db).await;
        let (rp, secret) = op.rp("t-bunsho", CB).await;
        op.person("out-rokuro", "100601", &["bunsho.user"]).await;
        let c = op.s.client();
        let p = request(&rp, &["openid"], &[]);
        let b = browse(&op, &c, &p, "out-rokuro", None).await;
        let (tokens, _) = redeem(&op, &rp, p, &b).await;
        let hint = tokens.id_token().unwrap().to_string();
        let bad = c.get(&format!("/oauth/logout?id_token_hint={hint}&post_logout_redirect_uri=https://evil.example/")).await;
        assert_eq!(bad.status, 400, "an unregistered post_logout_redirect_uri is refused");
        let confirm = c.get("/oauth/logout").await;
        assert_eq!(confirm.status, 200, "without a hint the person is asked");
        assert!(confirm.body.contains("action=\"/oauth/logout\""), "the confirmation carries the request on");
        let out = c.get(&format!("/oauth/logout?id_token_hint={hint}&post_logout_redirect_uri={BYE}&state=bye-1")).await;
        let loc = out.location.expect("back to the system");
        assert!(loc.starts_with(BYE) && param(&loc, "state").as_deref() == Some("bye-1"), "{loc}");
        assert_eq!(c.get("/account").await.location.as_deref(), Some("/signin"), "signed out");
        let r = tokens.refresh_token().unwrap().secret().clone();
        assert_eq!(refresh(&op, "t-bunsho", &secret, &r).await.1["error"], "invalid_grant", "the session's tokens end with it");
        assert_eq!(op.introspect("t-bunsho", &secret, &access(&tokens)).await["active"], false);
        assert_eq!(op.s.audit_count("auth.sign_out", None).await, 1);
    }
}

both_backends! {
    async fn r_lc_03_systems_are_told_when_a_sign_in_ends(db: TestDb) {
        let op = oidc_rp::start_tuned(&db, |c| c.oidc.backchannel_every_seconds = 1).await;
        let (rp, _) = op.rp("t-bunsho", CB).await;
        let leaver = op.person("bcl-nanako", "100701", &["bunsho.user"]).await;
        let p = request(&rp, &["openid"], &[]);
        let b = browse(&op, &op.s.client(), &p, "bcl-nanako", None).await;
        let (tokens, _) = redeem(&op, &rp, p, &b).await;
        let sid = payload(&tokens.id_token().unwrap().to_string())["sid"].as_str().unwrap().to_string();
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        assert!(op.logouts.lock().unwrap().is_empty(), "nothing is sent while the sign-in lasts");
        // The HR sync disables a leaver: the system hears of it within a round or two.
        op.set_status(&leaver, AccountStatus::Disabled).await;
        let body = wait_for_logout(&op, 1).await;
        let token = param(&format!("http://x/?{body}"), "logout_token").expect("a logout_token form field");
        let (header, claims) = op.s.app.keys.verify(&token).expect("signed by tobira");
        assert_eq!(header["typ"], "logout+jwt");
        assert_eq!((claims["aud"].as_str(), claims["sub"].as_str(), claims["sid"].as_str()), (Some("t-bunsho"), Some(leaver.as_str()), Some(sid.as_str())));
        assert!(claims["events"].get("http://schemas.openid.net/event/backchannel-logout").is_some());
        assert!(claims.get("nonce").is_none(), "a logout token never carries a nonce");
        // Told once, not every round.
        tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
        assert_eq!(op.logouts.lock().unwrap().len(), 1);
        assert_eq!(op.s.audit_count("oidc.backchannel_logout", None).await, 1);

        // A sign-out is told the same way.
        op.person("bcl-hachiro", "100702", &["bunsho.user"]).await;
        let c = op.s.client();
        let p = request(&rp, &["openid"], &[]);
        let b = browse(&op, &c, &p, "bcl-hachiro", None).await;
        redeem(&op, &rp, p, &b).await;
        c.get("/account").await;
        assert_eq!(c.post("/signout", &[]).await.status, 303);
        wait_for_logout(&op, 2).await;
    }
}

/// Waits (at most 10 s) until the test system has received `n` back-channel logouts; the last body.
async fn wait_for_logout(op: &Op, n: usize) -> String {
    for _ in 0..100 {
        if let Some(b) = op.logouts.lock().unwrap().get(n - 1) {
            return b.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no back-channel logout #{n} within 10 s")
}
