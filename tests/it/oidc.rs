//! The OpenID Connect provider driven by a standard relying-party library (`openidconnect`):
//! discovery, code + PKCE through the sign-in pages, ID tokens checked against the JWKS, userinfo,
//! refresh with rotation, introspection, revocation, logout and key rotation — on SQLite and
//! PostgreSQL.

use crate::oidc_rp::{self, access, browse, id_claims, param, payload, redeem, request, Op, BYE, CB, GW_CB, JUKI_CB};
use crate::support::both_backends;
use crate::web::enrol_totp;
use openidconnect::core::CoreJwsSigningAlgorithm as Alg;
use openidconnect::{OAuth2TokenResponse, RefreshToken, TokenResponse};
use tobira_domain::rbac::AccountStatus;

async fn refresh(op: &Op, client: &str, secret: &str, token: &str) -> (u16, serde_json::Value) {
    op.post_basic("/oauth/token", client, secret, &[("grant_type", "refresh_token"), ("refresh_token", token)]).await
}

both_backends! {
    async fn r_au_02_a_my_number_system_gets_two_kinds_and_only_its_own_roles(db: TestDb) {
        let op = oidc_rp::start(&db).await;
        let (rp, _) = op.rp("t-juki", JUKI_CB).await;
        let account = op.person("juki-taro", "100101", &["juki.clerk", "juki.admin", "bunsho.user"]).await;
        let first = op.s.client();
        assert_eq!(first.sign_in("juki-taro", oidc_rp::PASSWORD).await.status, 303);
        let totp = enrol_totp(&op.s, &first).await;
        op.s.clock.advance(time::Duration::seconds(30)); // the enrolment used this 30-second step

        let browser = op.s.client();
        let pending = request(&rp, &["profile", "roles"], &[]);
        let back = browse(&op, &browser, &pending, "juki-taro", Some(&totp)).await;
        assert!(back.starts_with(JUKI_CB), "{back}");
        let (tokens, nonce) = redeem(&op, &rp, pending, &back).await;
        // RS256 is the library's default: the ID token verifies against the published RSA key.
        let claims = id_claims(&rp, &tokens, &nonce, Alg::RsaSsaPkcs1V15Sha256);
        assert_eq!(claims.subject().as_str(), account);
        assert_eq!(claims.auth_context_ref().map(|a| a.as_str()), Some("urn:tobira:acr:kinds:2"), "R-AU-02: two kinds");
        let amr: Vec<String> = claims.auth_method_refs().unwrap().iter().map(|a| a.as_str().to_string()).collect();
        assert!(amr.contains(&"pwd".into()) && amr.contains(&"otp".into()) && amr.contains(&"mfa".into()), "{amr:?}");
        assert!(claims.auth_time().is_some());
        let id = payload(tokens.id_token().unwrap().to_string().as_str());
        assert_eq!(id["employee_number"], "100101");
        assert_eq!(id["name"], "東雲 太郎");
        assert_eq!(id["name#ja-Kana-JP"], "シノノメ タロウ");
        assert_eq!(id["department"]["name"], "市民課");
        assert_eq!(id["roles"], serde_json::json!(["juki.clerk"]), "not the privileged juki.admin, not bunsho's roles");
        // RFC 9068 access token for the one system.
        let at = access(&tokens);
        let header = payload(&format!("x.{}", at.split('.').next().unwrap()));
        assert_eq!((header["typ"].as_str(), header["alg"].as_str()), (Some("at+jwt"), Some("ES256")));
        let atc = payload(&at);
        assert_eq!((atc["aud"].as_str(), atc["client_id"].as_str()), (Some("juki"), Some("t-juki")));
        assert_eq!(atc["roles"], serde_json::json!(["juki.clerk"]));
        // UserInfo through the library.
        let info: openidconnect::core::CoreUserInfoClaims = rp.user_info(tokens.access_token().clone(), Some(claims.subject().clone())).unwrap().request_async(&op.http).await.expect("userinfo");
        assert_eq!(info.preferred_username().map(|u| u.as_str()), Some("juki-taro"));
        assert_eq!(op.s.audit_count("token.issued", Some("authorization_code")).await, 1);
        assert_eq!(op.s.audit_count("oidc.code_issued", Some("t-juki")).await, 1);

        // A person with a password only is not let in: they are sent to enrol a second factor first
        // (the policy allows it), and the request waits for them (R-AU-02).
        op.person("juki-hanako", "100102", &["juki.clerk"]).await;
        let pending = request(&rp, &[], &[]);
        let enrol = browse(&op, &op.s.client(), &pending, "juki-hanako", None).await;
        assert!(enrol.starts_with("/account/enrol?continue="), "{enrol}");
        assert_eq!(op.s.audit_count("oidc.code_issued", Some("juki-hanako")).await, 0);
    }
}

both_backends! {
    async fn r_lc_03_refresh_rotates_reuse_revokes_the_family_and_a_leaver_gets_nothing(db: TestDb) {
        let op = oidc_rp::start(&db).await;
        let (rp, secret) = op.rp("t-bunsho", CB).await;
        let account = op.person("bunsho-jiro", "100201", &["bunsho.user"]).await;
        let pending = request(&rp, &["profile"], &[]);
        let back = browse(&op, &op.s.client(), &pending, "bunsho-jiro", None).await;
        let (tokens, nonce) = redeem(&op, &rp, pending, &back).await;
        let claims = id_claims(&rp, &tokens, &nonce, Alg::EcdsaP256Sha256);
        assert_eq!(claims.auth_context_ref().map(|a| a.as_str()), Some("urn:tobira:acr:kinds:1"));
        assert_eq!(payload(&format!("x.{}", access(&tokens).split('.').next().unwrap()))["alg"], "EdDSA", "the client's access token algorithm");
        let r1 = tokens.refresh_token().expect("a refresh token").clone();
        // Rotation through the library.
        let second = rp.exchange_refresh_token(&r1).unwrap().request_async(&op.http).await.expect("refresh");
        let r2 = second.refresh_token().expect("a new refresh token").clone();
        assert_ne!(r1.secret(), r2.secret());
        assert_eq!(op.introspect("t-bunsho", &secret, &access(&second)).await["active"], true);
        // The old one again: refused, and the whole family is revoked.
        let (status, body) = refresh(&op, "t-bunsho", &secret, r1.secret()).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
        assert_eq!(refresh(&op, "t-bunsho", &secret, r2.secret()).await.1["error"], "invalid_grant", "the family is revoked");
        assert_eq!(op.introspect("t-bunsho", &secret, &access(&second)).await["active"], false);
        assert_eq!(op.s.audit_count("token.refresh_reused", None).await, 1);

        // A new sign-in works until the person leaves: then refresh, introspection and userinfo stop at once.
        let pending = request(&rp, &["profile"], &[]);
        let back = browse(&op, &op.s.client(), &pending, "bunsho-jiro", None).await;
        let (tokens, _) = redeem(&op, &rp, pending, &back).await;
        let r3 = tokens.refresh_token().unwrap().clone();
        let fourth = rp.exchange_refresh_token(&r3).unwrap().request_async(&op.http).await.expect("refresh works");
        op.set_status(&account, AccountStatus::Disabled).await;
        let r4 = fourth.refresh_token().unwrap().secret().clone();
        assert_eq!(refresh(&op, "t-bunsho", &secret, &r4).await.1["error"], "invalid_grant");
        assert_eq!(op.introspect("t-bunsho", &secret, &access(&fourth)).await["active"], false);
        assert_eq!(op.introspect("t-bunsho", &secret, &r4).await["active"], false);
        let info = op.http.get(format!("{}/oauth/userinfo", op.issuer)).bearer_auth(access(&fourth)).send().await.unwrap();
        assert_eq!(info.status(), 401);
        assert!(info.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
        // And the door is shut: no new code.
        let pending = request(&rp, &[], &[]);
        let c = op.s.client();
        let at = c.get(&oidc_rp::local(&pending.url, &op.issuer)).await;
        let signin = at.location.unwrap();
        c.get(&signin).await;
        assert_eq!(c.post(&signin, &[("login_id", "bunsho-jiro"), ("password", oidc_rp::PASSWORD)]).await.status, 401);
        let _ = RefreshToken::new(String::new());
    }
}

both_backends! {
    async fn r_ac_05_client_credentials_introspection_and_revocation(db: TestDb) {
        let op = oidc_rp::start(&db).await;
        let batch = op.secret("t-batch").await;
        let other = op.secret("t-bunsho-batch").await;
        let (status, t) = op.post_basic("/oauth/token", "t-batch", &batch, &[("grant_type", "client_credentials")]).await;
        assert_eq!(status, 200, "{t}");
        assert_eq!(t["token_type"], "Bearer");
        let at = t["access_token"].as_str().unwrap().to_string();
        let seen = op.introspect("t-batch", &batch, &at).await;
        assert_eq!((seen["active"].as_bool(), seen["sub"].as_str(), seen["aud"].as_str()), (Some(true), Some("client:t-batch"), Some("zeimu")));
        // Another system is not the audience: it learns nothing.
        assert_eq!(op.introspect("t-bunsho-batch", &other, &at).await, serde_json::json!({ "active": false }));
        // Revocation (RFC 7009): by another client it changes nothing; by the owner it ends the token.
        assert_eq!(op.post_basic("/oauth/revoke", "t-bunsho-batch", &other, &[("token", &at)]).await.0, 200);
        assert_eq!(op.introspect("t-batch", &batch, &at).await["active"], true);
        assert_eq!(op.post_basic("/oauth/revoke", "t-batch", &batch, &[("token", &at)]).await.0, 200);
        assert_eq!(op.introspect("t-batch", &batch, &at).await["active"], false);
        assert_eq!(op.post_basic("/oauth/revoke", "t-batch", &batch, &[("token", "no-such-token")]).await.0, 200);
        assert_eq!(op.s.audit_count("token.issued", Some("\"owner\":\"900021\"")).await, 1, "the named owner is on record");

        // Refusals, each with the specification's error.
        let (status, e) = op.post_basic("/oauth/token", "t-batch", "wrong-secret", &[("grant_type", "client_credentials")]).await;
        assert_eq!((status, e["error"].as_str()), (401, Some("invalid_client")));
        let post = op.http.post(format!("{}/oauth/token", op.issuer)).form(&[("grant_type", "client_credentials"), ("client_id", "t-batch"), ("client_secret", batch.as_str())]).send().await.unwrap();
        assert_eq!(post.status(), 401, "a basic client may not switch to client_secret_post");
        assert_eq!(op.s.audit_count("client.auth_failed", None).await, 2);
        let pending = op.secret("t-pending").await;
        let (status, e) = op.post_basic("/oauth/token", "t-pending", &pending, &[("grant_type", "client_credentials")]).await;
        assert_eq!((status, e["error"].as_str()), (400, Some("unauthorized_client")), "R-AC-10: not approved, no token");
        assert_eq!(op.post_basic("/oauth/token", "t-batch", &batch, &[("grant_type", "client_credentials"), ("scope", "openid")]).await.1["error"], "invalid_scope");
        assert_eq!(op.post_basic("/oauth/token", "t-batch", &batch, &[("grant_type", "password")]).await.1["error"], "unsupported_grant_type");
        assert_eq!(op.post_basic("/oauth/token", "t-batch", &batch, &[("grant_type", "client_credentials"), ("grant_type", "client_credentials")]).await.1["error"], "invalid_request");
        assert_eq!(op.post_basic("/oauth/token", "t-batch", &batch, &[]).await.1["error"], "invalid_request");
        assert_eq!(op.post_basic("/oauth/token", "t-batch", &batch, &[("grant_type", "authorization_code"), ("code", "x")]).await.1["error"], "unauthorized_client");
        let garbage = op.http.post(format!("{}/oauth/token", op.issuer)).basic_auth("t-batch", Some(&batch)).body(vec![0xff, 0xfe, 0x00]).send().await.unwrap();
        assert_eq!(garbage.status(), 400, "a body that is not a form is a client error, not a 500");
        assert!(op.s.audit_count("token.refused", None).await >= 3);
    }
}

both_backends! {
    async fn authorization_and_token_errors_follow_the_specifications(db: TestDb) {
        let op = oidc_rp::start(&db).await;
        let (rp, secret) = op.rp("t-bunsho", CB).await;
        let (juki, _) = op.rp("t-juki", JUKI_CB).await;
        op.person("err-saburo", "100301", &["bunsho.user"]).await;
        let c = op.s.client();
        // Before the redirect URI is trusted, the person sees a page and nothing is redirected.
        for bad in ["/oauth/authorize?client_id=nobody&redirect_uri=http://localhost:9/cb&response_type=code", "/oauth/authorize?client_id=t-bunsho&redirect_uri=https://evil.example/cb&response_type=code"] {
            let page = c.get(bad).await;
            assert_eq!((page.status, page.location.is_none()), (400, true), "{bad}");
            assert!(page.body.contains("登録されていません") || page.body.contains("登録と一致しない"), "the page says why in Japanese: {}", page.body);
            let en = op.s.client().get(&format!("{bad}&lang=en")).await;
            assert!(en.body.contains("not registered"), "and in English: {}", en.body);
        }
        // After it: the error goes back with the state.
        let no_pkce = c.get("/oauth/authorize?client_id=t-bunsho&redirect_uri=http://localhost:9/cb&response_type=code&scope=openid&state=s1").await;
        let loc = no_pkce.location.unwrap();
        assert_eq!((param(&loc, "error").as_deref(), param(&loc, "state").as_deref()), (Some("invalid_request"), Some("s1")));
        let silent = request(&rp, &[], &[("prompt", "none")]);
        let loc = c.get(&oidc_rp::local(&silent.url, &op.issuer)).await.location.unwrap();
        assert_eq!(param(&loc, "error").as_deref(), Some("login_required"));
        // R-AC-10: a system that is not approved gets no code.
        let pend = op.secret("t-pending").await;
        let _ = pend;
        let p = "/oauth/authorize?client_id=t-pending&redirect_uri=http://localhost:9/pending&response_type=code&scope=openid&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256";
        let pending_back = browse(&op, &c, &oidc_rp::Pending { url: format!("{}{p}", op.issuer), ..request(&rp, &[], &[]) }, "err-saburo", None).await;
        assert_eq!(param(&pending_back, "error").as_deref(), Some("access_denied"), "{pending_back}");

        // Token endpoint: wrong verifier, wrong redirect URI, another client's code, reuse, expiry.
        let code_of = |url: &str| param(url, "code").unwrap();
        let token = |code: String, verifier: String, redirect: &'static str| {
            let (op, secret) = (&op, secret.clone());
            async move { op.post_basic("/oauth/token", "t-bunsho", &secret, &[("grant_type", "authorization_code"), ("code", &code), ("code_verifier", &verifier), ("redirect_uri", redirect)]).await }
        };
        let p1 = request(&rp, &[], &[]);
        let b1 = browse(&op, &c, &p1, "err-saburo", None).await;
        assert_eq!(token(code_of(&b1), "x".repeat(43), CB).await.1["error"], "invalid_grant", "wrong PKCE verifier");
        let p2 = request(&rp, &[], &[]);
        let b2 = browse(&op, &c, &p2, "err-saburo", None).await;
        assert_eq!(token(code_of(&b2), p2.verifier.secret().clone(), "http://localhost:9/other").await.1["error"], "invalid_grant", "redirect_uri differs");
        let p3 = request(&rp, &["openid"], &[]);
        let b3 = browse(&op, &c, &p3, "err-saburo", None).await;
        let (v3, code3) = (p3.verifier.secret().clone(), code_of(&b3));
        let (status, first) = token(code3.clone(), v3.clone(), CB).await;
        assert_eq!(status, 200, "{first}");
        let (_, again) = token(code3, v3, CB).await;
        assert_eq!(again["error"], "invalid_grant", "a code is good once");
        assert_eq!(op.introspect("t-bunsho", &secret, first["access_token"].as_str().unwrap()).await["active"], false, "what the first use issued is revoked");
        assert_eq!(op.introspect("t-bunsho", &secret, first["refresh_token"].as_str().unwrap()).await["active"], false);
        assert_eq!(op.s.audit_count("token.code_reused", None).await, 1);
        // An ID token for t-bunsho is not one for t-juki (audience).
        let idt: openidconnect::core::CoreIdToken = serde_json::from_value(first["id_token"].clone()).unwrap();
        let nonce = openidconnect::Nonce::new(payload(first["id_token"].as_str().unwrap())["nonce"].as_str().unwrap_or_default().to_string());
        assert!(idt.claims(&juki.id_token_verifier().set_allowed_algs(vec![Alg::EcdsaP256Sha256]), &nonce).is_err(), "wrong audience");
        assert!(idt.claims(&rp.id_token_verifier().set_allowed_algs(vec![Alg::EcdsaP256Sha256]), &nonce).is_ok());
        // A code older than oidc.code_seconds is refused.
        let p4 = request(&rp, &[], &[]);
        let b4 = browse(&op, &c, &p4, "err-saburo", None).await;
        op.s.clock.advance(time::Duration::seconds(61));
        assert_eq!(token(code_of(&b4), p4.verifier.secret().clone(), CB).await.1["error"], "invalid_grant", "expired code");
        // An access token past its lifetime stops at userinfo and introspection.
        let p5 = request(&rp, &["openid"], &[]);
        let b5 = browse(&op, &c, &p5, "err-saburo", None).await;
        let (_, t5) = token(code_of(&b5), p5.verifier.secret().clone(), CB).await;
        let at5 = t5["access_token"].as_str().unwrap().to_string();
        let ok = op.http.get(format!("{}/oauth/userinfo", op.issuer)).bearer_auth(&at5).send().await.unwrap();
        assert_eq!(ok.status(), 200);
        op.s.clock.advance(time::Duration::minutes(11));
        let late = op.http.get(format!("{}/oauth/userinfo", op.issuer)).bearer_auth(&at5).send().await.unwrap();
        assert_eq!(late.status(), 401, "expired");
        assert_eq!(op.introspect("t-bunsho", &secret, &at5).await["active"], false);
        assert_eq!(op.http.get(format!("{}/oauth/userinfo", op.issuer)).bearer_auth("not.a.token").send().await.unwrap().status(), 401);
    }
}

both_backends! {
    async fn r_zn_03_telework_cannot_reach_the_my_number_zone(db: TestDb) {
        let op = oidc_rp::start_tuned(&db, |c| c.http.trusted_proxies = vec!["127.0.0.1/32".into()]).await;
        let (rp, _) = op.rp("t-juki", JUKI_CB).await;
        let (bunsho, _) = op.rp("t-bunsho", CB).await;
        op.person("tele-shiro", "100401", &["juki.clerk", "bunsho.user"]).await;
        let mut c = op.s.client();
        c.headers.push(("x-forwarded-for".into(), "10.40.3.3".into()));
        let back = browse(&op, &c, &request(&rp, &[], &[]), "tele-shiro", None).await;
        assert_eq!(param(&back, "error").as_deref(), Some("access_denied"), "{back}");
        // The same session may use the LGWAN document system from telework? No: lgwan lists no telework network.
        let back = browse(&op, &c, &request(&bunsho, &[], &[]), "tele-shiro", None).await;
        assert_eq!(param(&back, "error").as_deref(), Some("access_denied"), "{back}");
        assert_eq!(op.s.audit_count("oidc.authorize_refused", Some("R-ZN-03")).await, 2);
    }
}

both_backends! {
    async fn keys_rotate_while_clients_keep_working(db: TestDb) {
        let op = oidc_rp::start(&db).await;
        let (rp, secret) = op.rp("t-bunsho", CB).await;
        op.person("rot-goro", "100501", &["bunsho.user"]).await;
        let c = op.s.client();
        let p1 = request(&rp, &["openid"], &[]);
        let b1 = browse(&op, &c, &p1, "rot-goro", None).await;
        let (before, n1) = redeem(&op, &rp, p1, &b1).await;
        let (app, now) = (op.s.app.clone(), op.s.clock_ms());
        let kids = op.s.app.db(move |c| tobira::app::oidc::keys::rotate(c, &app.master_key, "operator:test", now)).await.unwrap();
        assert_eq!(kids.len(), 3);
        tobira::app::oidc::keys::reload(&op.s.app).await.unwrap();
        let jwks: serde_json::Value = op.http.get(format!("{}/oauth/jwks", op.issuer)).send().await.unwrap().json().await.unwrap();
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 6, "old and new keys are published");
        let p2 = request(&rp, &["openid"], &[]);
        let b2 = browse(&op, &c, &p2, "rot-goro", None).await;
        let (after, n2) = redeem(&op, &rp, p2, &b2).await;
        let kid = |t: &openidconnect::core::CoreTokenResponse| payload(&format!("x.{}", t.id_token().unwrap().to_string().split('.').next().unwrap()))["kid"].as_str().unwrap().to_string();
        assert_ne!(kid(&before), kid(&after));
        assert!(kids.contains(&kid(&after)), "the new key signs");
        // A relying party that fetches the JWKS again verifies both.
        let (fresh, _) = op.rp("t-bunsho", CB).await;
        id_claims(&fresh, &before, &n1, Alg::EcdsaP256Sha256);
        id_claims(&fresh, &after, &n2, Alg::EcdsaP256Sha256);
        let secret = { let _ = secret; op.secret("t-bunsho").await };
        assert_eq!(op.introspect("t-bunsho", &secret, &access(&before)).await["active"], true, "tokens signed with the old key stay good");
        assert_eq!(op.s.audit_count("key.retired", None).await, 3);
    }
}

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

both_backends! {
    async fn private_key_jwt_assertions_are_checked_and_good_once(db: TestDb) {
        let op = oidc_rp::start(&db).await;
        let token_url = format!("{}/oauth/token", op.issuer);
        let now = op.s.clock_ms() / 1000;
        let send = |a: String, extra: Vec<(&'static str, String)>| {
            let (op, url) = (&op, token_url.clone());
            async move {
                let mut form = vec![("grant_type", "client_credentials".to_string()), ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into()), ("client_assertion", a)];
                form.extend(extra);
                let res = op.http.post(url).form(&form).send().await.unwrap();
                let status = res.status().as_u16();
                (status, res.json::<serde_json::Value>().await.unwrap_or_default())
            }
        };
        let good = oidc_rp::assertion(&op.job_key, "t-keyjob", &token_url, now + 60, "jti-1");
        let (status, body) = send(good.clone(), vec![]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(payload(body["access_token"].as_str().unwrap())["sub"], "client:t-keyjob");
        assert_eq!(send(good, vec![]).await.1["error"], "invalid_client", "an assertion is good once");
        // The issuer as audience is accepted too (OIDC Core §9).
        assert_eq!(send(oidc_rp::assertion(&op.job_key, "t-keyjob", &op.issuer, now + 60, "jti-2"), vec![]).await.0, 200);
        let refused = [
            oidc_rp::assertion(&op.job_key, "t-keyjob", "https://elsewhere.example/token", now + 60, "jti-3"),
            oidc_rp::assertion(&op.job_key, "t-keyjob", &token_url, now - 5, "jti-4"),
            oidc_rp::assertion(&op.job_key, "t-keyjob", &token_url, now + 3600, "jti-5"),
            oidc_rp::assertion(&oidc_rp::new_ec_key(), "t-keyjob", &token_url, now + 60, "jti-6"),
            oidc_rp::assertion(&op.job_key, "t-batch", &token_url, now + 60, "jti-7"),
        ];
        for (i, a) in refused.into_iter().enumerate() {
            let (status, body) = send(a, vec![]).await;
            assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")), "case {i}");
        }
        let both = oidc_rp::assertion(&op.job_key, "t-keyjob", &token_url, now + 60, "jti-8");
        assert_eq!(send(both, vec![("client_secret", "x".into())]).await.1["error"], "invalid_request");
        assert!(op.s.audit_count("client.auth_failed", None).await >= 6);
        let policy = op.s.app.policy.clone();
        let secret = op.s.app.db(move |c| Ok(tobira::app::oidc::new_client_secret(c, &policy, "t-keyjob", "operator:test", 0).is_err())).await.unwrap();
        assert!(secret, "a key client has no secret to generate");
    }
}

both_backends! {
    async fn r_au_11_a_locked_account_gets_no_tokens(db: TestDb) {
        let op = oidc_rp::start(&db).await;
        let (rp, secret) = op.rp("t-bunsho", CB).await;
        let account = op.person("lock-kuro", "100801", &["bunsho.user"]).await;
        let c = op.s.client();
        let p = request(&rp, &["openid"], &[]);
        let b = browse(&op, &c, &p, "lock-kuro", None).await;
        let (tokens, _) = redeem(&op, &rp, p, &b).await;
        assert_eq!(op.introspect("t-bunsho", &secret, &access(&tokens)).await["active"], true);
        // A lock that applies everywhere (`lockout.scope = "global"`) stops the live session's tokens too.
        let (id, now) = (account.clone(), op.s.clock_ms());
        op.s.app
            .db(move |c| Ok(tobira::store::throttle::put_lock_state(c, &id, tobira_domain::authn::lockout::GLOBAL_SCOPE, &tobira_domain::authn::lockout::LockState { failures: 10, locked_at: Some(now), ..Default::default() }, now)?))
            .await
            .unwrap();
        assert_eq!(op.introspect("t-bunsho", &secret, &access(&tokens)).await["active"], false);
        assert_eq!(refresh(&op, "t-bunsho", &secret, tokens.refresh_token().unwrap().secret()).await.1["error"], "invalid_grant");
        let again = browse(&op, &c, &request(&rp, &["openid"], &[]), "lock-kuro", None).await;
        assert_eq!(param(&again, "error").as_deref(), Some("access_denied"), "no new code for the live session: {again}");
    }
}

both_backends! {
    async fn r_zn_11_telework_needs_a_grant_the_head_of_section_approved(db: TestDb) {
        let op = oidc_rp::start_tuned(&db, |c| c.http.trusted_proxies = vec!["127.0.0.1/32".into()]).await;
        let (rp, _) = op.rp("t-groupware", GW_CB).await;
        op.person("tele-juro", "100901", &["groupware.user"]).await;
        op.person("other-clerk", "100902", &[]).await;
        op.person_as("head-shimin", "100903", &[], true).await;
        op.s.account("p-so-0101", oidc_rp::PASSWORD, false, true).await;
        let officer = op.s.client();
        assert_eq!(officer.sign_in("p-so-0101", oidc_rp::PASSWORD).await.status, 303);
        enrol_totp(&op.s, &officer).await;
        let mut home = op.s.client();
        home.headers.push(("x-forwarded-for".into(), "10.40.3.3".into()));
        // The groupware allows telework by zone and classification, but not without the person's grant.
        let back = browse(&op, &home, &request(&rp, &[], &[]), "tele-juro", None).await;
        assert_eq!(param(&back, "error").as_deref(), Some("access_denied"), "{back}");
        let until = (time::OffsetDateTime::now_utc() + time::Duration::days(30)).date().to_string();
        let grant = |approver: &str, reason: &str| serde_json::json!({ "approved_by": approver, "until": until, "reason": reason });
        let path = "/api/officer/accounts/tele-juro/remote-access";
        assert_eq!(officer.post_json(path, grant("100902", "在宅勤務")).await.0, 400, "not the head of the section");
        assert_eq!(officer.post_json(path, grant("100901", "在宅勤務")).await.0, 400, "not the person themself (R-AC-02)");
        assert_eq!(officer.post_json(path, grant("100903", "")).await.0, 400, "a reason is required");
        let (status, body) = officer.post_json(path, grant("100903", "在宅勤務（育児）")).await;
        assert_eq!(status, 200, "{body}");
        let back = browse(&op, &home, &request(&rp, &[], &[]), "tele-juro", None).await;
        assert!(back.starts_with(GW_CB) && param(&back, "code").is_some(), "{back}");
        // Revoked: telework stops at once; the office still works.
        assert_eq!(officer.post_json("/api/officer/accounts/tele-juro/remote-access/revoke", serde_json::json!({})).await.0, 200);
        let back = browse(&op, &home, &request(&rp, &[], &[]), "tele-juro", None).await;
        assert_eq!(param(&back, "error").as_deref(), Some("access_denied"), "{back}");
        let office = browse(&op, &op.s.client(), &request(&rp, &[], &[]), "tele-juro", None).await;
        assert!(param(&office, "code").is_some(), "{office}");
        assert_eq!(op.s.audit_count("remote_access.granted", Some("100903")).await, 1);
        assert_eq!(op.s.audit_count("remote_access.revoked", None).await, 1);
    }
}
