//! The authorization code flow end to end: the kinds of token a system gets, errors as the
//! specifications say, and `private_key_jwt` client assertions.

use crate::oidc_rp::{self, access, browse, id_claims, param, payload, redeem, request, CB, JUKI_CB};
use crate::support::both_backends;
use crate::web::enrol_totp;
use openidconnect::core::CoreJwsSigningAlgorithm as Alg;
use openidconnect::{OAuth2TokenResponse, TokenResponse};

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
