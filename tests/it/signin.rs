//! Sign-in over HTTP against a running tobira: passwords, CSRF, cookies, lockout under concurrency,
//! forced password change, TOTP step-up and replay, time-outs with a fixed clock, officer actions,
//! and the network rules — on SQLite and PostgreSQL.

use crate::support::both_backends;
use crate::web::{self, enrol_totp, totp_code};

const PASSWORD: &str = "ume-boshi to ryokucha 3ji";

both_backends! {
    async fn r_au_11_sign_in_page_shows_the_banner_and_refuses_forms_without_csrf(db: TestDb) {
        let s = web::start(&db, |_| {}).await;
        s.account("taro", PASSWORD, false, false).await;
        let c = s.client();
        let page = c.get("/signin").await;
        assert_eq!(page.status, 200);
        assert!(page.by_id("banner").unwrap().contains("許可された職員のみ"), "banner shown (R-AU-11)");
        assert!(!page.body.contains("remember"), "no remember-my-password option (R-AU-10)");
        let en = c.get("/signin?lang=en").await;
        assert!(en.by_id("banner").unwrap().contains("Authorised staff only"));
        // Without the CSRF token the form is refused and nobody is signed in.
        let forged = c.post_raw("/signin", &[("login_id", "taro"), ("password", PASSWORD)]).await;
        assert_eq!(forged.status, 403);
        assert!(!c.cookies.lock().unwrap().contains_key(tobira::http::pages::SESSION_COOKIE));
    }
}

both_backends! {
    async fn r_au_01_wrong_password_and_unknown_login_look_the_same(db: TestDb) {
        let s = web::start(&db, |_| {}).await;
        s.account("taro", PASSWORD, false, false).await;
        let c = s.client();
        let wrong = c.sign_in("taro", "not the password").await;
        let unknown = c.sign_in("nobody", "not the password").await;
        assert_eq!((wrong.status, unknown.status), (401, 401));
        assert_eq!(wrong.by_id("error"), unknown.by_id("error"));
        assert!(!wrong.body.contains("not the password"));
        // The unknown login ID is not written down (people type passwords there by mistake).
        assert_eq!(s.audit_count("auth.sign_in_failed", Some("nobody")).await, 0);
        assert_eq!(s.audit_count("auth.sign_in_failed", None).await, 2);

        let ok = c.sign_in("taro", PASSWORD).await;
        assert_eq!(ok.status, 303);
        let cookie = ok.set_cookies.iter().find(|c| c.starts_with(&format!("{}=", tobira::http::pages::SESSION_COOKIE))).expect("session cookie");
        for flag in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
            assert!(cookie.contains(flag), "{flag} in {cookie}");
        }
        assert!(!cookie.contains("Max-Age") && !cookie.contains("Expires"), "no persistent cookie: {cookie}");
        assert_eq!(s.audit_count("auth.sign_in", None).await, 1);
    }
}

both_backends! {
    async fn r_au_06_temporary_password_must_be_changed_first(db: TestDb) {
        let s = web::start(&db, |_| {}).await;
        s.account("hanako", "Temporary-Pass-0001", true, false).await;
        let c = s.client();
        assert_eq!(c.sign_in("hanako", "Temporary-Pass-0001").await.status, 303);
        let home = c.get("/account").await;
        assert_eq!(home.location.as_deref(), Some("/account/password"), "forced change first");
        let form = c.get("/account/password").await;
        assert!(form.by_id("forced").is_some());
        // R-AU-05: the rules are applied and every problem named.
        let bad = c.post("/account/password", &[("current", "Temporary-Pass-0001"), ("new", "hanako-pw"), ("repeat", "hanako-pw")]).await;
        assert_eq!(bad.status, 422);
        assert!(bad.body.contains("12文字以上"), "too short: {}", bad.body);
        assert!(bad.body.contains("ログインIDを含む"), "contains the login ID: {}", bad.body);
        let mismatch = c.post("/account/password", &[("current", "Temporary-Pass-0001"), ("new", PASSWORD), ("repeat", "other")]).await;
        assert_eq!(mismatch.status, 422);
        let wrong = c.post("/account/password", &[("current", "wrong-current-pw"), ("new", PASSWORD), ("repeat", PASSWORD)]).await;
        assert_eq!(wrong.status, 422);
        let ok = c.post("/account/password", &[("current", "Temporary-Pass-0001"), ("new", PASSWORD), ("repeat", PASSWORD)]).await;
        assert_eq!(ok.status, 303, "{}", ok.body);
        // Changed: now the person must enrol a second factor before self-service (tobira is 3B).
        assert_eq!(c.get("/account").await.location.as_deref(), Some("/account/enrol"));
        // The old password no longer works; the new one does; reuse is refused.
        assert_eq!(s.client().sign_in("hanako", "Temporary-Pass-0001").await.status, 401);
        let again = s.client();
        assert_eq!(again.sign_in("hanako", PASSWORD).await.status, 303);
        let reuse = again.post("/account/password", &[("current", PASSWORD), ("new", "Temporary-Pass-0001"), ("repeat", "Temporary-Pass-0001")]).await;
        assert_eq!(reuse.status, 422, "history (R-AU-07)");
        assert_eq!(s.audit_count("password.changed", None).await, 1);
    }
}

both_backends! {
    async fn r_au_11_hundred_parallel_wrong_attempts_check_at_most_the_limit(db: TestDb) {
        let s = web::start(&db, |_| {}).await;
        s.account("jiro", PASSWORD, false, false).await;
        let c = s.client();
        c.get("/signin").await;
        let mut tasks = Vec::new();
        for i in 0..100 {
            let c = c.clone();
            tasks.push(tokio::spawn(async move { c.post("/signin", &[("login_id", "jiro"), ("password", &format!("wrong-{i}"))]).await.status }));
        }
        let mut statuses = Vec::new();
        for t in tasks {
            statuses.push(t.await.unwrap());
        }
        let limit = *s.app.policy.lockout.staff.max_failures.get_ref() as usize;
        // Only attempts whose password was actually checked are recorded as "wrong".
        let checked = s.audit_count("auth.sign_in_failed", Some("\"wrong")).await;
        assert_eq!(checked, limit, "exactly the limit's worth of password checks");
        // Locked or not, each is answered as a wrong password; some may find the argon2 queue full
        // (503 for anyone, whatever the account), never "locked" (R-AU-19).
        assert!(statuses.iter().all(|st| *st == 401 || *st == 503), "{statuses:?}");
        assert_eq!(s.audit_count("auth.sign_in_failed", Some("\"locked")).await, 100 - limit, "the audit log keeps the truth");
        assert_eq!(s.audit_count("account.locked", None).await, 1);
        // Locked: even the right password is refused without being checked, answered as wrong.
        assert_eq!(s.client().sign_in("jiro", PASSWORD).await.status, 401);
        // The lock lasts the policy's minutes, then the account opens again.
        s.advance_minutes(i64::from(s.app.policy.lockout.staff.lock_minutes));
        assert_eq!(s.client().sign_in("jiro", PASSWORD).await.status, 303);
    }
}

both_backends! {
    async fn r_au_02_totp_step_up_and_a_code_is_accepted_once(db: TestDb) {
        let s = web::start(&db, |_| {}).await;
        s.account("saburo", PASSWORD, false, false).await;
        let c = s.client();
        assert_eq!(c.sign_in("saburo", PASSWORD).await.status, 303);
        let secret = enrol_totp(&s, &c).await;
        // The enrolment code proved possession: this session now has two kinds.
        let home = c.get("/account").await;
        assert_eq!(home.status, 200, "{:?}", home.location);
        assert!(home.body.contains(r#"data-system="juki" data-decision="allowed""#), "My Number system allowed with two kinds");

        // A new sign-in with the password alone must step up; juki is not reachable meanwhile.
        s.advance_minutes(1);
        let d = s.client();
        assert_eq!(d.sign_in("saburo", PASSWORD).await.status, 303);
        assert_eq!(d.get("/account").await.location.as_deref(), Some("/signin/second"));
        let code = totp_code(&secret, (s.clock_ms() / 1000) as u64);
        assert_eq!(d.post("/signin/second/totp", &[("code", "000000")]).await.status, 401);
        assert_eq!(d.post("/signin/second/totp", &[("code", &code)]).await.status, 303);
        assert_eq!(d.get("/account").await.status, 200);
        // The same code in a third session is a replay and is refused.
        let e = s.client();
        assert_eq!(e.sign_in("saburo", PASSWORD).await.status, 303);
        assert_eq!(e.post("/signin/second/totp", &[("code", &code)]).await.status, 401);
        // The next step's code works.
        s.advance_minutes(1);
        let next = totp_code(&secret, (s.clock_ms() / 1000) as u64);
        assert_eq!(e.post("/signin/second/totp", &[("code", &next)]).await.status, 303);
        // The page tells what was missing and what was failed since (R-AU-11).
        let home = e.get("/account").await;
        assert_eq!(home.by_id("failures-since").as_deref(), Some("2"), "{}", home.body);
    }
}

both_backends! {
    async fn r_au_11_idle_and_absolute_timeouts_with_a_fixed_clock(db: TestDb) {
        let s = web::start(&db, |_| {}).await;
        s.account("shiro", PASSWORD, false, false).await;
        let c = s.client();
        c.sign_in("shiro", PASSWORD).await;
        enrol_totp(&s, &c).await;
        let idle = i64::from(*s.app.policy.session.staff.idle_minutes.get_ref());
        s.advance_minutes(idle - 1);
        assert_eq!(c.get("/account").await.status, 200, "activity within the idle limit");
        s.advance_minutes(idle - 1);
        assert_eq!(c.get("/account").await.status, 200, "activity resets the idle clock");
        s.advance_minutes(idle);
        assert_eq!(c.get("/account").await.location.as_deref(), Some("/signin"), "idle time-out");
        assert_eq!(s.audit_count("auth.session_ended", Some("idle_timeout")).await, 1);
    }
}

both_backends! {
    async fn r_pr_07_privileged_sessions_time_out_sooner(db: TestDb) {
        let s = web::start(&db, |_| {}).await;
        s.account("p-so-0001", PASSWORD, false, true).await;
        s.account("goro", PASSWORD, false, false).await;
        let (p, g) = (s.client(), s.client());
        p.sign_in("p-so-0001", PASSWORD).await;
        g.sign_in("goro", PASSWORD).await;
        let privileged_idle = i64::from(*s.app.policy.session.privileged.idle_minutes.get_ref());
        s.advance_minutes(privileged_idle);
        assert_eq!(p.get("/account/password").await.location.as_deref(), Some("/signin"));
        assert_eq!(g.get("/account/password").await.status, 200);
    }
}

both_backends! {
    async fn r_au_12_officer_revokes_a_lost_credential_and_its_sessions_end(db: TestDb) {
        let s = web::start(&db, |_| {}).await;
        s.account("p-so-0002", PASSWORD, false, true).await;
        s.account("rokuro", PASSWORD, false, false).await;
        let officer = s.client();
        officer.sign_in("p-so-0002", PASSWORD).await;
        // With one factor kind the officer API refuses in words, never in Rust's form (`Enrol`, `StepUp { … }`).
        let (status, refusal) = officer.get_json("/api/officer/lockouts").await;
        let text = refusal.to_string();
        assert_eq!(status, 403, "{text}");
        assert!(text.contains("認証要素") && !text.contains("Enrol") && !text.contains("StepUp"), "{text}");
        enrol_totp(&s, &officer).await;
        let user = s.client();
        user.sign_in("rokuro", PASSWORD).await;
        enrol_totp(&s, &user).await;
        assert_eq!(user.get("/account").await.status, 200);

        // An ordinary session may not use the officer API.
        assert_eq!(user.get_json("/api/officer/lockouts").await.0, 403);
        assert_eq!(s.client().get_json("/api/officer/lockouts").await.0, 401);

        let (status, creds) = officer.get_json("/api/officer/accounts/rokuro/credentials").await;
        assert_eq!(status, 200, "{creds}");
        let id = creds["credentials"][0]["id"].as_str().unwrap().to_string();
        let (status, body) = officer.post_json(&format!("/api/officer/accounts/rokuro/credentials/{id}/revoke"), serde_json::json!({ "reason": "職員証紛失" })).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["sessions_ended"], 1);
        assert_eq!(user.get("/account").await.location.as_deref(), Some("/signin"), "the session that used it ended at once");
        assert_eq!(s.audit_count("credential.revoked", Some("職員証紛失")).await, 1);
        assert_eq!(officer.post_json("/api/officer/accounts/rokuro/unlock", serde_json::json!({})).await.0, 200);
    }
}

both_backends! {
    async fn r_ac_03_suspension_ends_sessions_and_notifies(db: TestDb) {
        let s = web::start(&db, |_| {}).await;
        s.account("p-so-0003", PASSWORD, false, true).await;
        s.account("nanako", PASSWORD, false, false).await;
        let officer = s.client();
        officer.sign_in("p-so-0003", PASSWORD).await;
        enrol_totp(&s, &officer).await;
        let user = s.client();
        assert_eq!(user.sign_in("nanako", PASSWORD).await.status, 303);
        let (status, _) = officer.post_json("/api/officer/accounts/nanako/suspend", serde_json::json!({ "reason": "" })).await;
        assert_eq!(status, 400, "a suspension states its reason");
        let (status, body) = officer.post_json("/api/officer/accounts/nanako/suspend", serde_json::json!({ "reason": "指導後も改善なし" })).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["sessions_ended"], 1);
        assert_eq!(user.get("/account/password").await.location.as_deref(), Some("/signin"));
        assert_eq!(s.client().sign_in("nanako", PASSWORD).await.status, 401, "a suspended account cannot sign in");
        assert_eq!(s.audit_count("notification.account_suspended", Some("ciso")).await, 1);
        let (status, _) = officer.post_json("/api/officer/accounts/nanako/reinstate", serde_json::json!({})).await;
        assert_eq!(status, 200);
        assert_eq!(s.client().sign_in("nanako", PASSWORD).await.status, 303);
    }
}

both_backends! {
    async fn r_au_15_officer_reset_issues_a_temporary_password_and_unlocks(db: TestDb) {
        let s = web::start(&db, |_| {}).await;
        s.account("p-so-0004", PASSWORD, false, true).await;
        s.account("hachiro", PASSWORD, false, false).await;
        let officer = s.client();
        officer.sign_in("p-so-0004", PASSWORD).await;
        enrol_totp(&s, &officer).await;
        for i in 0..*s.app.policy.lockout.staff.max_failures.get_ref() {
            s.client().sign_in("hachiro", &format!("guess-{i}")).await;
        }
        let (_, locked) = officer.get_json("/api/officer/lockouts").await;
        assert_eq!(locked["locked"][0]["login_id"], "hachiro", "{locked}");
        let (status, body) = officer.post_json("/api/officer/accounts/hachiro/password-reset", serde_json::json!({})).await;
        assert_eq!(status, 200);
        let temporary = body["temporary_password"].as_str().unwrap().to_string();
        assert_eq!(temporary.len(), 20);
        assert!(s.audit_count("password.reset", None).await == 1 && s.audit_count("password.reset", Some(&temporary)).await == 0, "never logged");
        let user = s.client();
        assert_eq!(user.sign_in("hachiro", &temporary).await.status, 303, "unlocked and reset");
        assert_eq!(user.get("/account").await.location.as_deref(), Some("/account/password"), "must change it (R-AU-06)");
    }
}

both_backends! {
    async fn r_zn_03_self_service_is_refused_from_telework(db: TestDb) {
        let s = web::start(&db, |c| c.http.trusted_proxies = vec!["127.0.0.1/32".into(), "::1/128".into()]).await;
        s.account("kuro", PASSWORD, false, false).await;
        let mut c = s.client();
        c.headers.push(("x-forwarded-for".into(), "10.40.1.20".into()));
        assert_eq!(c.sign_in("kuro", PASSWORD).await.status, 303);
        let page = c.get("/account").await;
        assert_eq!(page.status, 403, "tobira (LGWAN, 3B) is not reachable from telework");
        assert!(page.by_id("message").unwrap().contains("ネットワーク"));
        // An untrusted peer cannot claim an office address.
        let s2 = web::start(&db, |_| {}).await;
        let mut d = s2.client();
        d.headers.push(("x-forwarded-for".into(), "10.40.1.20".into()));
        assert_eq!(d.sign_in("kuro", PASSWORD).await.status, 303);
        assert_eq!(d.get("/account").await.location.as_deref(), Some("/account/enrol"), "the header was ignored: loopback is the office network");
    }
}

both_backends! {
    async fn r_au_12_changing_factors_needs_a_recent_proof(db: TestDb) {
        let s = web::start(&db, |_| {}).await;
        s.account("shiro", PASSWORD, false, false).await;
        let c = s.client();
        assert_eq!(c.sign_in("shiro", PASSWORD).await.status, 303);
        let secret = enrol_totp(&s, &c).await;
        assert_eq!(c.get("/account/totp").await.status, 200, "just proved: a second factor may be added");
        // Later in the same session (still inside its idle time-out) nothing was proved recently.
        let window = i64::from(s.app.policy.signin.reauth_minutes);
        s.advance_minutes(window + 1);
        assert_eq!(c.get("/account").await.status, 200, "the session itself is fine");
        assert_eq!(c.get("/account/enrol").await.location.as_deref(), Some("/signin/second?then=enrol"));
        assert_eq!(c.get("/account/totp").await.location.as_deref(), Some("/signin/second?then=enrol"));
        let ask = c.get("/signin/second?then=enrol").await;
        assert!(ask.by_id("need").unwrap().contains("もう一度本人確認"), "{}", ask.body);
        let totp_id = s.app.db(|conn| { let id = account_id(conn, "shiro"); Ok(tobira::store::credentials::totps_of(conn, &id)?[0].id.clone()) }).await.unwrap();
        let removed = c.post("/account/credentials/remove", &[("id", &totp_id)]).await;
        assert_eq!(removed.location.as_deref(), Some("/signin/second?then=account"), "removal is refused too");
        assert_eq!(s.app.db(|conn| { let id = account_id(conn, "shiro"); Ok(tobira::store::credentials::totps_of(conn, &id)?.len()) }).await.unwrap(), 1);
        // Proving the TOTP again opens the way back to the enrolment page.
        let code = totp_code(&secret, (s.clock_ms() / 1000) as u64);
        let back = c.post("/signin/second/totp?then=enrol", &[("code", &code)]).await;
        assert_eq!(back.location.as_deref(), Some("/account/enrol"));
        assert_eq!(c.get("/account/totp").await.status, 200);
        // Only the listed pages can be returned to.
        assert_eq!(c.get("/signin/second?then=https://evil.example/").await.status, 200);
        assert!(!c.get("/signin/second?then=https://evil.example/").await.body.contains("evil.example"));
    }
}

fn account_id(conn: &mut tobira::store::DbConnection, login: &str) -> String {
    tobira::store::accounts::by_login_id(conn, login).unwrap().unwrap().id
}
