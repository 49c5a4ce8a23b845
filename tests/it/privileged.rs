//! Privileged IDs through the API on a running tobira (SQLite and PostgreSQL): linked privileged
//! accounts, eligibility under the system's cap, elevation with approval (never by the asker), the
//! role in a business system's tokens only while the elevation runs, the session ending with it,
//! break-glass reported, vendors refused and the refusals audited, delegates whose rights end on
//! time (fixed clock throughout).

use crate::oidc_rp::{self, access, browse, payload, redeem, request, Op, JUKI_CB, PASSWORD};
use crate::support::both_backends;
use crate::web::{enrol_totp, Client};
use serde_json::json;

const MIN: i64 = 60_000;

/// A signed-in client of `login` with a TOTP enrolled (the API needs two factor kinds); the secret.
pub(crate) async fn signed_in(op: &Op, login: &str, password: &str) -> (Client, Vec<u8>) {
    crate::web::signed_in_as(&op.s, login, password).await
}

/// A security officer's client.
pub(crate) async fn officer(op: &Op, login: &str) -> Client {
    op.s.account(login, PASSWORD, false, true).await;
    signed_in(op, login, PASSWORD).await.0
}

/// Gives `login` the security officer's role (a vendor's account here: the role alone must not let it
/// change privileged IDs).
async fn make_security_officer(op: &Op, login: &str) {
    let login = login.to_string();
    op.s.app
        .db(move |c| {
            let a = tobira::store::accounts::by_login_id(c, &login)?.unwrap();
            let g = tobira::store::accounts::Grant::new(
                &a.id,
                "tobira.security_officer",
                tobira_domain::rbac::GrantSource::Bootstrap,
                0,
            );
            Ok(tobira::store::accounts::insert_grant(c, &g)?)
        })
        .await
        .unwrap();
}

/// The privileged account of `number`, made by `officer`: its login and temporary password.
pub(crate) async fn privileged_account(officer: &Client, number: &str) -> (String, String) {
    let (status, made) = officer.post_json("/api/privileged/accounts", json!({ "employee_number": number })).await;
    assert_eq!(status, 201, "{made}");
    (made["login_id"].as_str().unwrap().to_string(), made["temporary_password"].as_str().unwrap().to_string())
}

/// Signs in with the temporary password, changes it to [`PASSWORD`] and enrols a TOTP.
pub(crate) async fn change_temporary(op: &Op, login: &str, temporary: &str) -> (Client, Vec<u8>) {
    let c = op.s.client();
    assert_eq!(c.sign_in(login, temporary).await.status, 303);
    assert_eq!(
        c.get("/account").await.location.as_deref(),
        Some("/account/password"),
        "a temporary password is changed first"
    );
    c.get("/account/password").await;
    let done = c.post("/account/password", &[("current", temporary), ("new", PASSWORD), ("repeat", PASSWORD)]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let totp = enrol_totp(&op.s, &c).await;
    op.s.clock.advance(time::Duration::seconds(30));
    (c, totp)
}

/// A running tobira with a security officer `so_login` and juki's owner (900011), both signed in.
pub(crate) async fn with_owner(db: &crate::support::TestDb, so_login: &str) -> (Op, Client, Client) {
    let op = oidc_rp::start(db).await;
    let so = officer(&op, so_login).await;
    op.s.person("juki-kacho", "900011", "regular", true, &[]).await;
    let (owner, _) = signed_in(&op, "juki-kacho", PASSWORD).await;
    (op, so, owner)
}

/// The access-token claims a t-juki sign-in of `login` gets now.
async fn juki_token(op: &Op, login: &str, totp: &[u8]) -> serde_json::Value {
    op.s.clock.advance(time::Duration::seconds(30)); // a fresh TOTP step: a used code is refused
    let (rp, _) = op.rp("t-juki", JUKI_CB).await;
    let pending = request(&rp, &["profile", "roles"], &[]);
    let back = browse(op, &op.s.client(), &pending, login, Some(totp)).await;
    let (tokens, _) = redeem(op, &rp, pending, &back).await;
    payload(&access(&tokens))
}

both_backends! {
    async fn r_pr_02_an_approved_elevation_puts_the_role_in_tokens_until_it_ends_with_the_session(db: TestDb) {
        let (op, so, owner) = with_owner(&db, "p-so-0101").await;
        op.s.person("sato", "300001", "regular", false, &["juki.clerk"]).await;
        let (staff, _) = signed_in(&op, "sato", PASSWORD).await;

        // R-PR-01: a separate privileged account, linked to the person, named by the policy's prefix.
        let (login, temporary) = privileged_account(&so, "300001").await;
        assert_eq!(login, "p-sato");
        let (p, totp) = change_temporary(&op, &login, &temporary).await;
        let (status, body) = owner.post_json("/api/privileged/eligibility", json!({ "account": "sato", "role": "juki.admin", "reason": "運用担当" })).await;
        assert_eq!(status, 403, "a staff account holds no privileged role: {body}");
        let (status, body) = owner.post_json("/api/privileged/eligibility", json!({ "account": "p-sato", "role": "juki.admin", "reason": "運用担当" })).await;
        assert_eq!(status, 201, "{body}");

        // Eligible is not active: the token has no juki.admin yet.
        assert_eq!(juki_token(&op, "p-sato", &totp).await["roles"], json!([]));

        let (status, el) = p.post_json("/api/privileged/elevations", json!({ "role": "juki.admin", "minutes": 30, "reason": "月次バッチ障害対応", "ticket": "INC-0412" })).await;
        assert_eq!(status, 201, "{el}");
        assert_eq!(el["status"], "pending");
        let id = el["id"].as_str().unwrap().to_string();
        let (status, body) = p.post_json("/api/privileged/elevations", json!({ "role": "juki.admin", "minutes": 500, "reason": "x", "ticket": "T" })).await;
        assert_eq!((status, body["error"].as_str()), (403, Some("duration")), "longer than privileged.max_elevation_minutes (R-PR-07): {body}");

        // R-AC-02: nobody approves their own, from either of their accounts.
        for own in [&p, &staff] {
            let (status, body) = own.post_json(&format!("/api/privileged/elevations/{id}/approve"), json!({})).await;
            assert_eq!(status, 403, "{body}");
        }
        assert_eq!(op.s.audit_count("privileged.decision_refused", Some("R-AC-02")).await, 2);
        let (status, listed) = owner.get_json("/api/privileged/elevations").await;
        assert_eq!((status, listed["to_decide"][0]["id"].as_str()), (200, Some(id.as_str())), "the owner sees it to decide");
        let (status, el) = owner.post_json(&format!("/api/privileged/elevations/{id}/approve"), json!({ "note": "承認" })).await;
        assert_eq!(status, 200, "{el}");
        assert_eq!(el["status"], "active");
        let started = op.s.clock_ms();

        // While it runs, t-juki's tokens carry the role, and end no later than the elevation.
        let at = juki_token(&op, "p-sato", &totp).await;
        assert_eq!(at["roles"], json!(["juki.admin"]));
        assert!(at["exp"].as_i64().unwrap() * 1000 <= started + 30 * MIN, "{at}");
        assert_eq!(op.s.audit_count("token.issued", Some(&id)).await, 1, "the token's audit record names the elevation");
        assert_eq!(p.get("/account").await.status, 200);

        // At its end the privileged session ends and new tokens lose the role.
        op.s.advance_minutes(31);
        assert_eq!(p.get("/account").await.location.as_deref(), Some("/signin"), "the session ended with the elevation");
        assert_eq!(op.s.audit_count("auth.session_ended", Some("elevation_ended")).await, 1);
        let now = op.s.clock_ms();
        let swept = { let policy = op.s.app.policy.clone(); op.s.app.db(move |c| tobira::app::privileged::sweep::sweep(c, &policy, now)) }.await.unwrap();
        assert_eq!((swept.lapsed, swept.expired), (0, 1));
        assert_eq!(op.s.audit_count("privileged.elevation_ended", Some("expired")).await, 1);
        assert_eq!(juki_token(&op, "p-sato", &totp).await["roles"], json!([]));
        let now = op.s.clock_ms();
        assert_eq!({ let policy = op.s.app.policy.clone(); op.s.app.db(move |c| tobira::app::privileged::sweep::sweep(c, &policy, now)) }.await.unwrap(), Default::default(), "a second sweep finds nothing");

        // The report names who asked, who approved, and how it ended.
        let so = officer(&op, "p-so-0102").await;
        let (status, report) = so.get_json("/api/privileged/report").await;
        assert_eq!(status, 200, "{report}");
        let e = &report["elevations"][0];
        assert_eq!((e["account"].as_str(), e["status"].as_str(), e["decided_by"].as_str()), (Some("p-sato"), Some("expired"), Some("juki-kacho")));
        let juki = report["systems"].as_array().unwrap().iter().find(|s| s["system"] == "juki").unwrap();
        assert_eq!((juki["cap"].as_u64(), juki["holders_now"].as_u64()), (Some(2), Some(1)));
    }
}

both_backends! {
    async fn r_pr_01_the_cap_refuses_the_next_holder_and_r_pr_04_vendors_are_refused_and_audited(db: TestDb) {
        let (op, so, owner) = with_owner(&db, "p-so-0201").await;
        op.s.person("sato", "300001", "regular", false, &[]).await;
        op.s.person("suzuki", "300002", "regular", false, &[]).await;
        op.s.person("v-hoshu", "800001", "vendor", false, &[]).await;
        let (one, temp_one) = privileged_account(&so, "300001").await;
        let (two, _) = privileged_account(&so, "300002").await;
        let (vendor, vendor_pw) = privileged_account(&so, "800001").await;
        for (who, status) in [(&one, 201), (&two, 201), (&vendor, 403)] {
            let (s, body) = owner.post_json("/api/privileged/eligibility", json!({ "account": who, "role": "juki.admin", "reason": "保守" })).await;
            assert_eq!(s, status, "{who}: {body}");
        }
        assert_eq!(op.s.audit_count("privileged.eligibility_refused", Some("R-PR-01")).await, 1, "juki's cap is 2");

        // R-PR-06: a privileged ID is never a default name.
        op.s.person("admin", "300009", "regular", false, &[]).await;
        let (status, body) = so.post_json("/api/privileged/accounts", json!({ "employee_number": "300009" })).await;
        assert_eq!(status, 400, "{body}");

        // R-PR-04: a vendor's privileged ID keeps the password staff set; its holder cannot change it.
        let v = op.s.client();
        assert_eq!(v.sign_in(&vendor, &vendor_pw).await.status, 303, "not a temporary password to change");
        enrol_totp(&op.s, &v).await;
        op.s.clock.advance(time::Duration::seconds(30));
        v.get("/account/password").await;
        let refused = v.post("/account/password", &[("current", &vendor_pw), ("new", "a-new-vendor-password-1"), ("repeat", "a-new-vendor-password-1")]).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert_eq!(op.s.audit_count("password.change_refused", Some("R-PR-04")).await, 1);
        assert_eq!(v.get("/account").await.status, 200, "the old password still stands: nothing changed");
        // Nor may a vendor grant privileged roles, or unlock or revoke a privileged ID's credentials,
        // even as a security officer.
        make_security_officer(&op, &vendor).await;
        let (status, body) = v.post_json("/api/privileged/eligibility", json!({ "account": one, "role": "juki.admin", "reason": "x" })).await;
        assert_eq!(status, 403, "{body}");
        let (status, body) = v.post_json(&format!("/api/officer/accounts/{one}/unlock"), json!({})).await;
        assert_eq!(status, 403, "{body}");
        let (status, body) = v.post_json(&format!("/api/officer/accounts/{one}/credentials/any/revoke"), json!({ "reason": "x" })).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(op.s.audit_count("account.unlock_refused", Some("vendor")).await, 1);
        assert_eq!(op.s.audit_count("credential.revoke_refused", Some("vendor")).await, 1);

        // Break-glass: at once, for a short time, always reported to the officers.
        let (p, p_totp) = change_temporary(&op, &one, &temp_one).await;
        let (status, el) = p.post_json("/api/privileged/elevations", json!({ "role": "juki.admin", "minutes": 20, "reason": "窓口停止", "ticket": "INC-9", "break_glass": true })).await;
        assert_eq!(status, 201, "{el}");
        assert_eq!((el["status"].as_str(), el["review_required"].as_bool()), (Some("active"), Some(true)));
        assert_eq!(op.s.audit_count("privileged.break_glass", Some("p-so-0201")).await, 1, "the officer is told");
        let sent = op.s.app.db(|c| Ok(tobira::store::privileged::notifications_to(c, "account:p-so-0201")?)).await.unwrap();
        assert_eq!(sent.iter().filter(|n| n.kind == "privileged.break_glass").count(), 1);
        let id = el["id"].as_str().unwrap().to_string();
        let (status, ended) = p.post_json(&format!("/api/privileged/elevations/{id}/end"), json!({})).await;
        assert_eq!((status, ended["status"].as_str()), (200, Some("ended")));
        // Reviewed afterwards by someone who could have approved it, never by its holder.
        assert_eq!(p.get("/account").await.location.as_deref(), Some("/signin"), "ending the elevation ended the privileged session");
        let p = op.s.client();
        assert_eq!(p.sign_in(&one, PASSWORD).await.status, 303);
        p.post("/signin/second/totp", &[("code", &crate::web::totp_code(&p_totp, (op.s.clock_ms() / 1000) as u64))]).await;
        let (status, body) = p.post_json(&format!("/api/privileged/elevations/{id}/review"), json!({ "note": "自分で" })).await;
        assert_eq!(status, 403, "{body}");
        let (status, reviewed) = owner.post_json(&format!("/api/privileged/elevations/{id}/review"), json!({ "note": "妥当" })).await;
        assert_eq!((status, reviewed["reviewed_by"].as_str()), (200, Some("juki-kacho")), "{reviewed}");
    }
}

both_backends! {
    async fn r_pr_03_a_delegate_approved_by_the_ciso_acts_for_the_owner_until_the_period_ends(db: TestDb) {
        let (op, so, owner) = with_owner(&db, "p-so-0301").await;
        op.s.person("ciso", "100000", "regular", false, &["tobira.ciso"]).await;
        let (ciso, _) = signed_in(&op, "ciso", PASSWORD).await;
        op.s.person("kakari", "300005", "regular", false, &[]).await;
        let (deputy, deputy_totp) = signed_in(&op, "kakari", PASSWORD).await;
        op.s.person("sato", "300001", "regular", false, &[]).await;
        op.s.person("suzuki", "300002", "regular", false, &[]).await;
        let (one, _) = privileged_account(&so, "300001").await;
        let (two, _) = privileged_account(&so, "300002").await;

        let today = tobira_domain::time_util::jst_display(op.s.clock_ms())[..10].replace('/', "-");
        let nominate = json!({ "principal": "system_owner:juki", "delegate": "300005", "from": today, "until": today, "reason": "課長 出張" });
        let (status, _) = deputy.post_json("/api/privileged/delegations", nominate.clone()).await;
        assert_eq!(status, 403, "only the owner nominates their delegate");
        let (status, d) = owner.post_json("/api/privileged/delegations", nominate).await;
        assert_eq!(status, 201, "{d}");
        let id = d["id"].as_str().unwrap().to_string();
        let (status, _) = deputy.post_json("/api/privileged/eligibility", json!({ "account": one, "role": "juki.admin", "reason": "x" })).await;
        assert_eq!(status, 403, "not before the CISO approves");
        let (status, _) = owner.post_json(&format!("/api/privileged/delegations/{id}/approve"), json!({})).await;
        assert_eq!(status, 403, "the CISO approves, not the nominator");
        let (status, d) = ciso.post_json(&format!("/api/privileged/delegations/{id}/approve"), json!({})).await;
        assert_eq!((status, d["status"].as_str()), (200, Some("approved")), "{d}");
        // The CISO's approval tells the officers and the system owners.
        for who in ["900011", "100000", "account:p-so-0301"] {
            let n = op.s.app.db(move |c| Ok(tobira::store::privileged::notifications_to(c, who)?)).await.unwrap();
            assert_eq!(n.iter().filter(|n| n.kind == "privileged.delegate_approved").count(), 1, "{who}");
        }

        let (status, body) = deputy.post_json("/api/privileged/eligibility", json!({ "account": one, "role": "juki.admin", "reason": "課長不在中の保守" })).await;
        assert_eq!(status, 201, "the delegate acts for the owner: {body}");

        // After the last day (JST) the delegate's rights are gone.
        op.s.advance_minutes(24 * 60);
        let deputy = op.s.client();
        assert_eq!(deputy.sign_in("kakari", PASSWORD).await.status, 303);
        let code = crate::web::totp_code(&deputy_totp, (op.s.clock_ms() / 1000) as u64);
        deputy.post("/signin/second/totp", &[("code", &code)]).await;
        let (status, body) = deputy.post_json("/api/privileged/eligibility", json!({ "account": two, "role": "juki.admin", "reason": "x" })).await;
        assert_eq!(status, 403, "{body}");
        assert!(body.to_string().contains("owner"), "{body}");
    }
}

both_backends! {
    async fn r_lc_06_a_development_id_names_its_people_and_is_disabled_when_its_end_date_passes(db: TestDb) {
        let op = oidc_rp::start(&db).await;
        let so = officer(&op, "p-so-0401").await;
        op.s.person("juki-kacho", "900011", "regular", true, &[]).await;
        let day = |ms: i64| tobira_domain::time_util::jst_display(ms)[..10].replace('/', "-");
        let body = |until: String| json!({ "login_id": "dev-juki-01", "responsible": "900011", "worker": "東雲システム 開発太郎", "reason": "住基 改修", "until": until });
        let (status, err) = so.post_json("/api/privileged/development-accounts", body(day(op.s.clock_ms() + 400 * 24 * 60 * MIN))).await;
        assert_eq!(status, 400, "beyond privileged.max_development_days: {err}");
        let (status, made) = so.post_json("/api/privileged/development-accounts", body(day(op.s.clock_ms() + 24 * 60 * MIN))).await;
        assert_eq!(status, 201, "{made}");
        let temporary = made["temporary_password"].as_str().unwrap().to_string();
        assert_eq!(op.s.client().sign_in("dev-juki-01", &temporary).await.status, 303);

        op.s.advance_minutes(3 * 24 * 60);
        let now = op.s.clock_ms();
        let swept = { let policy = op.s.app.policy.clone(); op.s.app.db(move |c| tobira::app::privileged::sweep::sweep(c, &policy, now)) }.await.unwrap();
        assert_eq!(swept.development, 1);
        assert_eq!(op.s.audit_count("account.disabled", Some("development_ended")).await, 1);
        assert_eq!(op.s.client().sign_in("dev-juki-01", &temporary).await.status, 401, "disabled");
    }
}

both_backends! {
    async fn r_pr_05_a_shared_privileged_ids_password_changes_after_each_use(db: TestDb) {
        let op = oidc_rp::start(&db).await;
        let id = op.s.account("p-juki-batch", PASSWORD, false, true).await;
        op.s.app.db(move |c| {
            use diesel::prelude::*;
            use tobira::store::schema::accounts as a;
            diesel::update(a::table.find(&id)).set(a::is_shared.eq(true)).execute(c)?;
            Ok(())
        }).await.unwrap();
        let c = op.s.client();
        assert_eq!(c.sign_in("p-juki-batch", PASSWORD).await.status, 303);
        c.get("/account").await;
        let out = c.post("/signout", &[]).await;
        assert!(out.status == 303 || out.status == 200, "{}", out.status);
        assert_eq!(op.s.audit_count("password.rotated_after_use", None).await, 1);
        assert_eq!(op.s.client().sign_in("p-juki-batch", PASSWORD).await.status, 401, "the used password no longer works");
    }
}

both_backends! {
    async fn r_pr_03_a_delegation_ended_early_by_the_ciso_stops_the_delegates_authority_at_once(db: TestDb) {
        let (op, so, owner) = with_owner(&db, "p-so-0302").await;
        op.s.person("ciso", "100000", "regular", false, &["tobira.ciso"]).await;
        let (ciso, _) = signed_in(&op, "ciso", PASSWORD).await;
        op.s.person("kakari", "300005", "regular", false, &[]).await;
        let (deputy, _) = signed_in(&op, "kakari", PASSWORD).await;
        op.s.person("sato", "300001", "regular", false, &[]).await;
        let (one, _) = privileged_account(&so, "300001").await;
        let today = tobira_domain::time_util::jst_display(op.s.clock_ms())[..10].replace('/', "-");
        let (_, d) = owner.post_json("/api/privileged/delegations", json!({ "principal": "system_owner:juki", "delegate": "300005", "from": today, "until": today, "reason": "課長 出張" })).await;
        let id = d["id"].as_str().unwrap().to_string();
        assert_eq!(ciso.post_json(&format!("/api/privileged/delegations/{id}/approve"), json!({})).await.0, 200);

        // The owner is back early: not the delegate, but the CISO (or the owner) ends it.
        assert_eq!(deputy.post_json(&format!("/api/privileged/delegations/{id}/end"), json!({})).await.0, 403);
        let (status, ended) = ciso.post_json(&format!("/api/privileged/delegations/{id}/end"), json!({})).await;
        assert_eq!((status, ended["status"].as_str()), (200, Some("ended")), "{ended}");
        let (status, body) = deputy.post_json("/api/privileged/eligibility", json!({ "account": one, "role": "juki.admin", "reason": "x" })).await;
        assert_eq!(status, 403, "no longer the owner's delegate: {body}");
        assert_eq!(ciso.post_json(&format!("/api/privileged/delegations/{id}/end"), json!({})).await.0, 404, "ended once");
        assert_eq!(op.s.audit_count("privileged.delegate_ended", None).await, 1);
        assert_eq!(op.s.audit_count("privileged.delegation_end_refused", None).await, 1);
    }
}

both_backends! {
    async fn r_pr_04_under_supervision_a_vendors_change_needs_the_supervisors_own_code(db: TestDb) {
        let op = oidc_rp::start_tuned(&db, |c| {
            let p = std::path::Path::new(&c.policy_dir).join("authentication.toml");
            let text = std::fs::read_to_string(&p).unwrap().replace("vendors_may_change_under_supervision = false", "vendors_may_change_under_supervision = true");
            std::fs::write(&p, text).unwrap();
        })
        .await;
        let so = officer(&op, "p-so-0401").await;
        op.s.person("sato", "300001", "regular", false, &[]).await;
        op.s.person("v-hoshu", "800001", "vendor", false, &[]).await;
        op.s.person("kakari", "300005", "regular", false, &[]).await;
        let (_, supervisor_totp) = signed_in(&op, "kakari", PASSWORD).await;
        let (target, _) = privileged_account(&so, "300001").await;
        let (vendor, vendor_pw) = privileged_account(&so, "800001").await;
        make_security_officer(&op, &vendor).await;
        let v = op.s.client();
        assert_eq!(v.sign_in(&vendor, &vendor_pw).await.status, 303);
        enrol_totp(&op.s, &v).await;
        op.s.clock.advance(time::Duration::seconds(30));

        let reset = format!("/api/officer/accounts/{target}/password-reset");
        let code_now = || crate::web::totp_code(&supervisor_totp, (op.s.clock_ms() / 1000) as u64);
        for (body, why) in [
            (json!({}), "no supervisor"),
            (json!({ "supervision": { "employee_number": "800001", "code": code_now() } }), "the vendor supervising themselves"),
            (json!({ "supervision": { "employee_number": "300005", "code": "000000" } }), "a wrong code"),
            (json!({ "supervision": { "employee_number": "300005" } }), "no code: naming a supervisor is not enough"),
        ] {
            let (status, r) = v.post_json(&reset, body).await;
            assert_eq!(status, 403, "{why}: {r}");
        }
        let (status, r) = v.post_json(&reset, json!({ "supervision": { "employee_number": "300005", "code": code_now() } })).await;
        assert_eq!(status, 202, "the supervisor confirmed with their own code; a privileged ID's reset then waits for a second officer (R-AC-02): {r}");
        let (status, done) = so.post_json(&format!("/api/officer/requests/{}/approve", r["request"].as_str().unwrap()), json!({})).await;
        assert_eq!(status, 200, "{done}");
        assert_eq!(op.s.audit_count("password.reset", Some("\"supervised_by\":\"300005\"")).await, 1);
        let (status, _) = v.post_json(&reset, json!({ "supervision": { "employee_number": "300005", "code": code_now() } })).await;
        assert_eq!(status, 403, "a code is used once");
        assert_eq!(op.s.audit_count("password.reset_refused", Some("vendor")).await, 5, "every refusal is on record");
    }
}
