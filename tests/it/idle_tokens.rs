//! The idle time-out holds for tokens (issue 18, item 4; R-AU-11, R-PR-07): with `idle_minutes = 1`,
//! a refresh within the idle window is activity, a refresh after 75 s of idleness is refused and ends
//! the session (its cookie no longer opens `/account`, its access token is inactive, the systems are
//! told by back-channel logout), and a sign-in nobody touches is ended and reported by the job alone.

use crate::oidc_rp::{self, access, browse, payload, redeem, request, Op, CB};
use crate::support::both_backends;
use openidconnect::{OAuth2TokenResponse, TokenResponse};

/// Starts the provider with one-minute idle limits for staff and privileged sessions.
async fn one_minute_idle(db: &crate::support::TestDb) -> Op {
    oidc_rp::start_tuned(db, |c| {
        c.oidc.backchannel_every_seconds = 1;
        let path = std::path::Path::new(&c.policy_dir).join("authentication.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let text = text
            .replace("[session.staff]\nidle_minutes = 30", "[session.staff]\nidle_minutes = 1")
            .replace("[session.privileged]\nidle_minutes = 10", "[session.privileged]\nidle_minutes = 1");
        assert_eq!(text.matches("idle_minutes = 1\n").count(), 2, "the test's policy sets both idle limits");
        std::fs::write(path, text).unwrap();
    })
    .await
}

async fn refresh(op: &Op, secret: &str, token: &str) -> (u16, serde_json::Value) {
    op.post_basic("/oauth/token", "t-bunsho", secret, &[("grant_type", "refresh_token"), ("refresh_token", token)])
        .await
}

/// Waits (at most 10 s) until the test system has received `n` back-channel logouts.
async fn logouts(op: &Op, n: usize) -> Vec<String> {
    for _ in 0..100 {
        let got = op.logouts.lock().unwrap().clone();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("fewer than {n} back-channel logouts within 10 s")
}

both_backends! {
    async fn r_au_11_a_refresh_after_the_idle_limit_is_refused_and_ends_the_session(db: TestDb) {
        let op = one_minute_idle(&db).await;
        let (rp, secret) = op.rp("t-bunsho", CB).await;
        op.person("idle-ichiro", "101801", &["bunsho.user"]).await;
        let browser = op.s.client();
        let p = request(&rp, &["openid"], &[]);
        let b = browse(&op, &browser, &p, "idle-ichiro", None).await;
        let (tokens, _) = redeem(&op, &rp, p, &b).await;
        let sid = payload(&tokens.id_token().unwrap().to_string())["sid"].as_str().unwrap().to_string();

        // Within the idle window a refresh is activity: 50 s, then 50 s more, and the session lives on.
        op.s.clock.advance(time::Duration::seconds(50));
        let (status, body) = refresh(&op, &secret, tokens.refresh_token().unwrap().secret()).await;
        assert_eq!(status, 200, "{body}");
        op.s.clock.advance(time::Duration::seconds(50));
        let (status, body) = refresh(&op, &secret, body["refresh_token"].as_str().unwrap()).await;
        assert_eq!(status, 200, "a refresh within the window kept the session alive: {body}");
        let (last_refresh, last_access) = (body["refresh_token"].as_str().unwrap().to_string(), body["access_token"].as_str().unwrap().to_string());
        assert_eq!(op.introspect("t-bunsho", &secret, &last_access).await["active"], true);

        // 75 s of nothing: the refresh is refused and revives nothing.
        op.s.clock.advance(time::Duration::seconds(75));
        let (status, body) = refresh(&op, &secret, &last_refresh).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
        assert_eq!(op.introspect("t-bunsho", &secret, &last_access).await["active"], false, "the access token's session has ended");
        let info = op.http.get(format!("{}/oauth/userinfo", op.issuer)).bearer_auth(&last_access).send().await.unwrap();
        assert_eq!(info.status(), 401, "userinfo refuses it too");
        assert_eq!(browser.get("/account").await.location.as_deref(), Some("/signin"), "the browser's cookie opens nothing");
        assert_eq!(op.s.audit_count("auth.session_ended", Some("idle_timeout")).await, 1);
        // And the system hears of it.
        let told = logouts(&op, 1).await;
        let token = crate::oidc_rp::param(&format!("http://x/?{}", told[0]), "logout_token").unwrap();
        assert_eq!(op.s.app.keys.verify(&token).unwrap().1["sid"].as_str(), Some(sid.as_str()));
        let _ = access(&tokens);
    }
}

both_backends! {
    async fn r_au_11_a_sign_in_left_idle_is_ended_and_reported_without_anyone_calling(db: TestDb) {
        let op = one_minute_idle(&db).await;
        let (rp, secret) = op.rp("t-bunsho", CB).await;
        op.person("idle-jiro", "101802", &["bunsho.user"]).await;
        let p = request(&rp, &["openid"], &[]);
        let b = browse(&op, &op.s.client(), &p, "idle-jiro", None).await;
        let (tokens, _) = redeem(&op, &rp, p, &b).await;
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        assert!(op.logouts.lock().unwrap().is_empty(), "nothing is sent while the sign-in is within its idle limit");
        op.s.clock.advance(time::Duration::seconds(75));
        logouts(&op, 1).await;
        assert_eq!(op.s.audit_count("auth.session_ended", Some("idle_timeout")).await, 1);
        assert_eq!(refresh(&op, &secret, tokens.refresh_token().unwrap().secret()).await.1["error"], "invalid_grant");
    }
}
