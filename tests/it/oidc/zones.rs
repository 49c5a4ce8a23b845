//! Network zones: telework cannot reach the My Number zone, and needs a grant the head of section
//! approved.

use crate::oidc_rp::{self, browse, param, request, CB, GW_CB, JUKI_CB};
use crate::support::both_backends;
use crate::web::enrol_totp;

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
