//! The exceptions register: approval by the CISO, expiry, emergencies, and requests on the pages.

use crate::harness::review::{notified, requested, today_plus};
use crate::oidc_rp::{self, PASSWORD};
use crate::privileged::signed_in;
use crate::support::both_backends;
use serde_json::{json, Value};
use tobira::app::review::exceptions;

both_backends! {
    async fn r_ac_04_an_exception_is_approved_by_the_ciso_shows_in_reports_and_expires(db: TestDb) {
        let op = oidc_rp::start(&db).await;
        op.s.person("ciso", "100000", "regular", false, &["tobira.ciso"]).await;
        let (ciso, _) = signed_in(&op, "ciso", PASSWORD).await;
        let staff_id = op.s.person("500020", "500020", "regular", false, &[]).await;
        requested(&op, &staff_id, "juki.clerk").await;
        let (staff, _) = signed_in(&op, "500020", PASSWORD).await;

        let ask = |rule: &str, subjects: Value, until: String, emergency: bool| json!({ "rule": rule, "subjects": subjects, "reason": "窓口端末の更新が年度末まで", "until": until, "emergency": emergency });
        for (bad, why) in [
            (ask("R-ZZ-99", json!(["system:juki"]), today_plus(&op, 5), false), "unknown requirement"),
            (ask("R-AU-02", json!([]), today_plus(&op, 5), false), "no subject"),
            (ask("R-AU-02", json!(["juki"]), today_plus(&op, 5), false), "malformed subject"),
            (ask("R-AU-02", json!(["system:juki"]), today_plus(&op, 400), false), "past exception_max_days"),
        ] {
            let (code, body) = staff.post_json("/api/review/exceptions", bad).await;
            assert_eq!(code, 400, "{why}: {body}");
        }
        let (code, made) = staff.post_json("/api/review/exceptions", ask("R-AU-02", json!(["system:juki"]), today_plus(&op, 5), false)).await;
        assert_eq!(code, 201, "{made}");
        let id = made["id"].as_str().unwrap().to_string();
        assert_eq!(notified(&op, "100000", "review.exception_requested").await, 1, "the CISO is asked");
        let (code, _) = staff.post_json(&format!("/api/review/exceptions/{id}/approve"), json!({})).await;
        assert_eq!(code, 403, "not by the requester");
        let (code, r) = ciso.post_json(&format!("/api/review/exceptions/{id}/approve"), json!({ "note": "年度末まで" })).await;
        assert_eq!((code, r["standing"].as_str()), (200, Some("in_force")), "{r}");
        // Deciding it again is refused in words, never in Rust's form (`Approve`).
        let (code, again) = ciso.post_json(&format!("/api/review/exceptions/{id}/approve"), json!({})).await;
        assert_eq!(code, 409, "{again}");
        let said = again["message_en"].as_str().unwrap_or_default();
        assert!(said.contains("approved") && !said.contains("Approve"), "{again}");

        // It appears in every report it affects.
        let (_, grants) = ciso.get_json("/api/review/reports/grants").await;
        let juki = grants["rows"].as_array().unwrap().iter().find(|r| r["login"] == "500020" && r["system"] == "juki").unwrap().clone();
        assert_eq!(juki["exceptions"].as_array().unwrap().len(), 1, "{juki}");
        let (_, compliance) = ciso.get_json("/api/review/reports/compliance").await;
        let au02 = compliance["rows"].as_array().unwrap().iter().find(|r| r["id"] == "R-AU-02").unwrap().clone();
        assert_eq!(au02["exceptions"].as_array().unwrap().len(), 1, "{au02}");

        op.s.advance_minutes(1);
        // An emergency exception, declared by the CISO's deputy, runs at once and is reported to the CISO.
        op.s.person("fuku-ciso", "100001", "regular", false, &["tobira.deputy_ciso"]).await;
        let (deputy, _) = signed_in(&op, "fuku-ciso", PASSWORD).await;
        let (code, em) = deputy.post_json("/api/review/exceptions", ask("R-AU-07", json!(["person:500020"]), today_plus(&op, 1), true)).await;
        assert_eq!(code, 201, "{em}");
        assert_eq!(notified(&op, "100000", "review.exception_emergency").await, 1);
        let (_, register) = ciso.get_json("/api/review/reports/exceptions").await;
        let standings: Vec<&str> = register["rows"].as_array().unwrap().iter().map(|r| r["standing"].as_str().unwrap()).collect();
        assert_eq!(standings, ["emergency", "in_force"], "newest first");

        // Past its last day it expires by itself; the expiry is recorded once.
        op.s.advance_minutes(6 * 24 * 60);
        let (p, now) = (op.s.app.policy.clone(), op.s.clock_ms());
        assert_eq!(op.s.app.db(move |c| exceptions::expire(c, &p, now)).await.unwrap(), 2);
        let (p, now) = (op.s.app.policy.clone(), op.s.clock_ms());
        assert_eq!(op.s.app.db(move |c| exceptions::expire(c, &p, now)).await.unwrap(), 0);
        let (p, now) = (op.s.app.policy.clone(), op.s.clock_ms());
        let register = op.s.app.db(move |c| tobira::app::review::reports::exceptions_report(c, &p, now)).await.unwrap();
        assert!(register.rows.iter().all(|r| r["standing"] == "expired"), "{:?}", register.rows);
        assert_eq!(register.summary["in_force"], 0);
        assert_eq!(op.s.audit_count("review.exception_expired", None).await, 2);
    }
}

both_backends! {
    async fn r_ac_04_only_the_ciso_or_deputy_declares_an_emergency_and_r_lc_17_never_is_one(db: TestDb) {
        let op = oidc_rp::start(&db).await;
        op.s.person("ciso", "100000", "regular", false, &["tobira.ciso"]).await;
        let (ciso, _) = signed_in(&op, "ciso", PASSWORD).await;
        op.s.person("500021", "500021", "regular", false, &[]).await;
        let (staff, _) = signed_in(&op, "500021", PASSWORD).await;
        let ask = |rule: &str, emergency: bool| json!({ "rule": rule, "subjects": ["person:500021"], "reason": "私用アドレスへの転送", "until": today_plus(&op, 5), "emergency": emergency });
        let in_force = || async {
            let (_, register) = ciso.get_json("/api/review/reports/exceptions").await;
            register["summary"]["in_force"].as_i64().unwrap_or(-1)
        };

        // The attacker's try: a member of staff declares an R-LC-17 emergency (API) …
        let (code, body) = staff.post_json("/api/review/exceptions", ask("R-LC-17", true)).await;
        assert_eq!(code, 400, "R-LC-17 is never an emergency: {body}");
        let (code, body) = staff.post_json("/api/review/exceptions", ask("R-AU-07", true)).await;
        assert_eq!(code, 403, "staff may not declare an emergency: {body}");
        // … and on the page, where the form has no emergency box for them.
        assert!(!staff.get("/review/exceptions").await.body.contains("id=\"emergency\""));
        let tried = staff.post("/review/exceptions", &[("rule", "R-AU-07"), ("subjects", "person:500021"), ("reason", "窓口端末の更新"), ("until", &today_plus(&op, 3)), ("emergency", "1")]).await;
        assert_eq!(tried.status, 303);
        assert!(staff.get(tried.location.as_deref().unwrap()).await.body.contains("exception_emergency"), "the refusal says who may");
        assert_eq!(in_force().await, 0, "nothing is in force");
        assert_eq!(notified(&op, "100000", "review.exception_emergency").await, 0);
        assert_eq!(op.s.audit_count("review.exception_emergency", Some("refused")).await, 2, "each try is on record");

        // Even the CISO's emergency cannot set R-LC-17 aside; an ordinary request for it waits for approval.
        assert_eq!(ciso.post_json("/api/review/exceptions", ask("R-LC-17", true)).await.0, 400);
        let (code, _) = staff.post_json("/api/review/exceptions", ask("R-LC-17", false)).await;
        assert_eq!(code, 201);
        assert_eq!(in_force().await, 0);

        // The CISO declares one; it is in force at once and records who declared it.
        assert!(ciso.get("/review/exceptions").await.body.contains("id=\"emergency\""));
        let (code, made) = ciso.post_json("/api/review/exceptions", ask("R-AU-07", true)).await;
        assert_eq!(code, 201, "{made}");
        assert_eq!(in_force().await, 1);
        assert_eq!(op.s.audit_count("review.exception_emergency", Some("\"declared_by\":\"100000\"")).await, 1);
    }
}

both_backends! {
    async fn r_ac_04_an_exception_is_requested_and_approved_on_the_pages(db: TestDb) {
        let op = oidc_rp::start(&db).await;
        op.s.person("ciso", "100000", "regular", false, &["tobira.ciso"]).await;
        let (ciso, _) = signed_in(&op, "ciso", PASSWORD).await;
        op.s.person("500070", "500070", "regular", false, &[]).await;
        let (staff, _) = signed_in(&op, "500070", PASSWORD).await;

        let page = staff.get("/review/exceptions").await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("id=\"request-exception\"") && !page.body.contains("id=\"exceptions\""), "staff may ask, not read the register");
        let bad = staff.post("/review/exceptions", &[("rule", "R-ZZ-99"), ("subjects", "system:juki"), ("reason", "x"), ("until", &today_plus(&op, 3))]).await;
        assert_eq!(bad.status, 303);
        assert!(staff.get(bad.location.as_deref().unwrap()).await.body.contains("R-ZZ-99"), "the refusal says why");
        let done = staff.post("/review/exceptions", &[("rule", "R-AU-02"), ("subjects", "system:juki\nperson:500070"), ("reason", "窓口端末の更新が年度末まで"), ("until", &today_plus(&op, 3))]).await;
        assert_eq!(done.status, 303);

        let register = ciso.get("/review/exceptions").await;
        assert!(register.body.contains("data-standing=\"requested\""), "{}", register.body);
        let id = register.body.split("data-exception=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        let decided = ciso.post("/review/exceptions/decide", &[("id", &id), ("verdict", "approve")]).await;
        assert_eq!(decided.status, 303);
        assert!(ciso.get("/review/exceptions").await.body.contains("data-standing=\"in_force\""));
        let own = staff.post("/review/exceptions/decide", &[("id", &id), ("verdict", "end")]).await;
        let shown = staff.get(own.location.as_deref().unwrap_or("/review/exceptions")).await;
        assert!(shown.body.contains("R-AC-02"), "the requester never decides their own: {}", shown.body);
        assert_eq!(op.s.audit_count("review.exception_decided", Some("refused")).await, 1);
    }
}
