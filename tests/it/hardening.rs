//! Smaller protections of issue 18 (item 7): the HR directory is not read in clear unless the
//! operator says so, and the evidence bundle is private.

use crate::hr_sync::{people, Hr};
use crate::support::{both_backends, output, tobira};

both_backends! {
    async fn r_au_09_plain_ldap_without_starttls_is_refused_unless_allowed(db: TestDb) {
        let hr = Hr::new(db, &people(), (20, 100.0)).await;
        // The bind password would cross the network in clear: refused before connecting.
        let mut plain = hr.cmd(&["--dry-run"]);
        plain.env("TOBIRA__DIRECTORY__ALLOW_PLAINTEXT", "false");
        let (code, out, err) = output(plain);
        assert_ne!(code, 0, "{out}{err}");
        assert!(err.contains("in clear") && err.contains("directory.allow_plaintext"), "{err}");
        assert!(!err.contains(crate::slapd::READER_PW), "no secret in the message");
        // The operator's explicit choice (a directory on this host) is honoured.
        let (code, out, err) = output(hr.cmd(&["--dry-run"]));
        assert_eq!(code, 0, "{out}{err}");
    }
}

#[cfg(unix)]
#[test]
fn r_au_09_the_evidence_bundle_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let db = crate::support::TestDb::sqlite();
    let out = db.dir.path().join("evidence-2026");
    // A file left from an earlier, careless copy is made private too.
    std::fs::create_dir_all(&out).unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::write(out.join("dormant.csv"), "old").unwrap();
    std::fs::set_permissions(out.join("dormant.csv"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let fresh = db.dir.path().join("bundle/new");
    for dir in [&out, &fresh] {
        let mut c = tobira(&db);
        c.args(["review", "evidence", "--out", &dir.display().to_string()]);
        let (code, stdout, err) = output(c);
        assert_eq!(code, 0, "{stdout}{err}");
        assert_eq!(std::fs::metadata(dir).unwrap().permissions().mode() & 0o777, 0o700, "{}", dir.display());
        let files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        assert!(files.len() > 5);
        for f in files {
            assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o777, 0o600, "{}", f.display());
        }
    }
}

both_backends! {
    async fn r_ac_10_refresh_and_code_exchange_stop_when_the_approval_is_withdrawn(db: TestDb) {
        use crate::oidc_rp::{self, browse, param, redeem, request, CB};
        use openidconnect::OAuth2TokenResponse;
        let op = oidc_rp::start(&db).await;
        let (rp, secret) = op.rp("t-bunsho", CB).await;
        op.person("appr-goro", "101901", &["bunsho.user"]).await;
        let p = request(&rp, &["openid"], &[]);
        let b = browse(&op, &op.s.client(), &p, "appr-goro", None).await;
        let (tokens, _) = redeem(&op, &rp, p, &b).await;
        let refresh = tokens.refresh_token().unwrap().secret().clone();
        // A second code, issued while the system was approved, not yet redeemed.
        let pending = request(&rp, &["openid"], &[]);
        let back = browse(&op, &op.s.client(), &pending, "appr-goro", None).await;
        let code = param(&back, "code").unwrap();
        drop(op);
        // The CISO withdraws the system's approval; the policy is reloaded (a restart).
        let op = oidc_rp::start_tuned(&db, |c| {
            let path = std::path::Path::new(&c.policy_dir).join("systems.toml");
            let text = std::fs::read_to_string(&path).unwrap();
            let approved = "approval = { status = \"approved\", approved_by = \"CISO（副市長）\", approved_on = \"2026-04-01\" }";
            let i = text.find("id = \"bunsho\"").unwrap();
            let j = i + text[i..].find(approved).unwrap();
            std::fs::write(&path, format!("{}approval = {{ status = \"pending\" }}{}", &text[..j], &text[j + approved.len()..])).unwrap();
        })
        .await;
        let (status, body) = op.post_basic("/oauth/token", "t-bunsho", &secret, &[("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("unauthorized_client")), "{body}");
        let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", CB), ("code_verifier", pending.verifier.secret().as_str())];
        let (status, body) = op.post_basic("/oauth/token", "t-bunsho", &secret, &form).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("unauthorized_client")), "{body}");
        assert_eq!(op.s.audit_count("token.refused", Some("R-AC-10")).await, 2);
    }
}

both_backends! {
    async fn r_pr_07_one_elevation_of_a_role_at_a_time_even_when_asked_at_once(db: TestDb) {
        use crate::privileged::{change_temporary, privileged_account, signed_in, with_owner};
        use serde_json::json;
        let (op, so, owner) = with_owner(&db, "p-so-0181").await;
        op.s.person("sato", "300001", "regular", false, &["juki.clerk"]).await;
        signed_in(&op, "sato", crate::oidc_rp::PASSWORD).await;
        let (login, temporary) = privileged_account(&so, "300001").await;
        let (p, _) = change_temporary(&op, &login, &temporary).await;
        let (status, body) = owner.post_json("/api/privileged/eligibility", json!({ "account": login, "role": "juki.admin", "reason": "運用担当" })).await;
        assert_eq!(status, 201, "{body}");
        // Eight requests at once for the same role: one is recorded, the others are refused.
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let p = p.clone();
                tokio::spawn(async move { p.post_json("/api/privileged/elevations", json!({ "role": "juki.admin", "minutes": 30, "reason": "障害対応", "ticket": format!("INC-{i}") })).await.0 })
            })
            .collect();
        let mut statuses = Vec::new();
        for t in tasks {
            statuses.push(t.await.unwrap());
        }
        assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 7, "{statuses:?}");
        assert_eq!(op.s.audit_count("privileged.elevation_requested", None).await, 1);
    }
}

both_backends! {
    async fn r_pr_04_a_delegate_who_became_a_vendor_since_the_nomination_is_not_approved(db: TestDb) {
        use crate::privileged::{signed_in, with_owner};
        use serde_json::json;
        let (op, _so, owner) = with_owner(&db, "p-so-0184").await;
        op.s.person("ciso", "100000", "regular", false, &["tobira.ciso"]).await;
        let (ciso, _) = signed_in(&op, "ciso", crate::oidc_rp::PASSWORD).await;
        op.s.person("kakari", "300005", "regular", false, &[]).await;
        let today = tobira_domain::time_util::jst_display(op.s.clock_ms())[..10].replace('/', "-");
        let nominate = json!({ "principal": "system_owner:juki", "delegate": "300005", "from": today, "until": today, "reason": "課長 出張" });
        let (status, d) = owner.post_json("/api/privileged/delegations", nominate).await;
        assert_eq!(status, 201, "{d}");
        let id = d["id"].as_str().unwrap().to_string();
        // Before the CISO decides, the HR feed makes the delegate a vendor's worker.
        op.s.app
            .db(|c| {
                use diesel::prelude::*;
                use tobira::store::schema::people as p;
                diesel::update(p::table.filter(p::employee_number.eq("300005"))).set(p::employment_type.eq("vendor")).execute(c)?;
                Ok(())
            })
            .await
            .unwrap();
        let (status, body) = ciso.post_json(&format!("/api/privileged/delegations/{id}/approve"), json!({})).await;
        assert_eq!(status, 403, "a vendor is no delegate (R-PR-04): {body}");
        assert_eq!(op.s.audit_count("privileged.delegation_decision_refused", Some(&id)).await, 1);
        assert_eq!(op.s.audit_count("privileged.delegate_approved", None).await, 0);
    }
}

both_backends! {
    async fn r_au_11_a_csrf_token_is_bound_to_the_session_and_cookies_are_host_only(db: TestDb) {
        use tobira::http::pages::{CSRF_COOKIE, SESSION_COOKIE};
        let s = crate::web::start(&db, |_| {}).await;
        s.account("tani-yu", "ume-boshi to ryokucha 3ji", false, false).await;
        s.account("kubo-an", "ume-boshi to ryokucha 3ji", false, false).await;
        let c = s.client();
        c.get("/signin").await;
        let before = c.csrf();
        let signed_in = c.post("/signin", &[("login_id", "tani-yu"), ("password", "ume-boshi to ryokucha 3ji")]).await;
        assert_eq!(signed_in.status, 303);
        // __Host- cookies: Secure, Path=/, no Domain, so no other host can plant or overwrite them.
        for name in [SESSION_COOKIE, CSRF_COOKIE] {
            assert!(name.starts_with("__Host-"));
            let set = signed_in.set_cookies.iter().find(|h| h.starts_with(&format!("{name}="))).unwrap_or_else(|| panic!("{name} set at sign-in: {:?}", signed_in.set_cookies));
            assert!(set.contains("Secure") && set.contains("Path=/") && !set.to_ascii_lowercase().contains("domain="), "{set}");
        }
        // A token from before the sign-in (one an attacker could have planted or read) is refused ...
        assert_ne!(c.csrf(), before, "the sign-in binds a new token to the session");
        assert_eq!(c.post_raw("/signout", &[("csrf", &before)]).await.status, 403);
        // ... and so is another session's token.
        let other = s.client();
        other.sign_in("kubo-an", "ume-boshi to ryokucha 3ji").await;
        assert_eq!(c.post_raw("/signout", &[("csrf", &other.csrf())]).await.status, 403);
        assert_eq!(c.get("/account/enrol").await.status, 200, "still signed in");
        // The session's own token, as its pages carry it, works.
        let page = c.get("/account/enrol").await;
        let token = page.input("csrf").expect("the page's form carries the token");
        assert_eq!(token, c.csrf());
        assert_eq!(c.post_raw("/signout", &[("csrf", &token)]).await.status, 303);
    }
}
