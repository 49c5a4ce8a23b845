//! Tokens after issue: refresh with rotation and reuse detection, client credentials,
//! introspection and revocation, key rotation, and a locked account getting none.

use crate::harness::oidc::refresh;
use crate::oidc_rp::{self, access, browse, id_claims, param, payload, redeem, request, CB};
use crate::support::both_backends;
use openidconnect::core::CoreJwsSigningAlgorithm as Alg;
use openidconnect::{OAuth2TokenResponse, RefreshToken, TokenResponse};
use tobira_domain::rbac::AccountStatus;

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
