//! Recertification campaigns from creation to deadline, and a department's self-inspection with
//! unused privileges flagged.

use crate::harness::review::{notified, requested, roles_of, DAY};
use crate::oidc_rp::{self, PASSWORD};
use crate::privileged::{officer, signed_in};
use crate::support::both_backends;
use diesel::prelude::*;
use serde_json::{json, Value};
use tobira::app::review::campaign;
use tobira::store::{self, schema};

both_backends! {
    async fn r_rv_05_a_campaign_from_creation_to_deadline_with_keep_remove_and_undecided_items(db: TestDb) {
        let op = oidc_rp::start(&db).await;
        let so = officer(&op, "p-so-0802").await;
        op.s.person("juki-kacho", "900011", "regular", false, &[]).await;
        let (owner, _) = signed_in(&op, "juki-kacho", PASSWORD).await;
        let head_id = op.s.person("shimin-kacho", "500000", "regular", true, &[]).await;
        let (head, _) = signed_in(&op, "shimin-kacho", PASSWORD).await;
        let mut staff = Vec::new();
        for n in ["500010", "500011", "500012"] {
            let id = op.s.person(n, n, "regular", false, &["groupware.user"]).await;
            requested(&op, &id, "juki.clerk").await;
            staff.push(id);
        }
        requested(&op, &head_id, "juki.clerk").await;

        let (code, made) = head.post_json("/api/review/campaigns", json!({ "kind": "system", "key": "juki" })).await;
        assert_eq!(code, 403, "security officers start campaigns");
        let (code, made2) = so.post_json("/api/review/campaigns", json!({ "kind": "system", "key": "juki" })).await;
        assert_eq!(code, 201, "{made} {made2}");
        assert_eq!(made2["items"], 4, "the requested grants; birthright ones follow the HR record");
        let (code, _) = so.post_json("/api/review/campaigns", json!({ "kind": "system", "key": "juki" })).await;
        assert_eq!(code, 409, "one open campaign per scope");

        let (_, inbox) = head.get_json("/api/review/inbox").await;
        let mine: Vec<&str> = inbox["items"].as_array().unwrap().iter().map(|i| i["login"].as_str().unwrap()).collect();
        assert_eq!(mine, ["500010", "500011", "500012"], "the head reviews their section, never their own grant");
        let item = |login: &str, v: &Value| v["items"].as_array().unwrap().iter().find(|i| i["login"] == login).map(|i| i["item"].as_str().unwrap().to_string());
        let (_, owners) = owner.get_json("/api/review/inbox").await;
        assert_eq!(owners["items"].as_array().unwrap().len(), 4, "the owner reviews every item of juki");
        let own = item("shimin-kacho", &owners).unwrap();

        // R-AC-02: the head's own grant, decided by the head, is refused and audited.
        let (code, r) = head.post_json("/api/review/decisions", json!({ "items": [own], "decision": "keep" })).await;
        assert_eq!((code, r["error"].as_str()), (403, Some("items_refused")), "a refusal is an error body like any other, with the items beside it: {r}");
        assert!(r["results"][0]["error"].as_str().unwrap().contains("R-AC-02"), "{r}");
        let (code, _) = head.post_json("/api/review/decisions", json!({ "items": [item("500010", &inbox).unwrap()], "decision": "keep" })).await;
        assert_eq!(code, 200);
        let b = item("500011", &inbox).unwrap();
        let (code, r) = head.post_json("/api/review/decisions", json!({ "items": [b], "decision": "remove" })).await;
        assert_eq!(code, 403, "a removal says why: {r}");
        let (code, _) = head.post_json("/api/review/decisions", json!({ "items": [b], "decision": "remove", "comment": "異動により不要" })).await;
        assert_eq!(code, 200);
        assert!(!roles_of(&op, &staff[1]).await.contains(&"juki.clerk".to_string()), "removed at once");
        assert!(roles_of(&op, &staff[0]).await.contains(&"juki.clerk".to_string()), "kept");
        let (code, _) = owner.post_json("/api/review/decisions", json!({ "items": [b], "decision": "keep" })).await;
        assert_eq!(code, 403, "decided once");

        // Three days before the deadline the reviewers of open items are reminded, once.
        let deadline = made2["deadline"].as_i64().unwrap();
        let policy = op.s.app.policy.clone();
        let pass = |at: i64| {
            let p = policy.clone();
            op.s.app.db(move |c| campaign::deadlines(c, &p, "http://localhost", at))
        };
        let d = pass(deadline - 3 * DAY).await.unwrap();
        assert_eq!(d.reminded, 2, "{d:?}");
        assert_eq!(notified(&op, "900011", "review.reminder").await, 1);
        assert_eq!(notified(&op, "500000", "review.reminder").await, 1, "the head, for 500012's item (not for their own)");
        assert_eq!(pass(deadline - DAY).await.unwrap().reminded, 0);

        // At the deadline the two open items go to the security officer.
        let d = pass(deadline).await.unwrap();
        assert_eq!(d.escalated, 2, "{d:?}");
        let (p, now) = (policy.clone(), op.s.clock_ms());
        let heads = op.s.app.db(move |c| { let f = tobira::app::approvers::of_person(c, &p, "500000", now)?; campaign::inbox(c, &p, &f) }).await.unwrap();
        assert!(heads.is_empty(), "escalated items leave the head's inbox: {heads:?}");
        let (_, so_inbox) = so.get_json("/api/review/inbox").await;
        assert_eq!(so_inbox["items"].as_array().unwrap().len(), 2, "the security officer's inbox: {so_inbox}");
        let (code, _) = so.post_json("/api/review/decisions", json!({ "items": [item("shimin-kacho", &so_inbox).unwrap()], "decision": "keep", "comment": "所属長の業務に必要" })).await;
        assert_eq!(code, 200);

        // Left undecided past the escalation: removed, and the campaign closes.
        let d = pass(deadline + 7 * DAY).await.unwrap();
        assert_eq!((d.removed, d.closed), (1, 1), "{d:?}");
        assert!(!roles_of(&op, &staff[2]).await.contains(&"juki.clerk".to_string()));
        let (_, progress) = so.get_json("/api/review/campaigns").await;
        let row = progress["rows"].as_array().unwrap().iter().find(|r| r["title"].as_str().unwrap().contains("住民")).unwrap().clone();
        assert_eq!((row["status"].as_str(), row["kept"].as_i64(), row["removed"].as_i64(), row["removed_at_deadline"].as_i64(), row["open"].as_i64()), (Some("closed"), Some(2), Some(1), Some(1), Some(0)), "{row}");
        assert_eq!(op.s.audit_count("review.item_decided", Some("\"refused\"")).await, 3, "each refusal is on record");
        assert_eq!(op.s.audit_count("review.campaign_closed", None).await, 1);
    }
}

both_backends! {
    async fn r_rv_08_a_departments_self_inspection_covers_its_people_only_r_rv_04_unused_privileges_are_flagged(db: TestDb) {
        let op = oidc_rp::start(&db).await;
        let so = officer(&op, "p-so-0805").await;
        op.s.person("kansa", "100100", "regular", false, &["tobira.auditor"]).await;
        let (auditor, _) = signed_in(&op, "kansa", PASSWORD).await;
        let here = op.s.person("500060", "500060", "regular", false, &[]).await;
        requested(&op, &here, "juki.clerk").await;
        let there = op.s.person("700060", "700060", "regular", false, &[]).await;
        requested(&op, &there, "zeimu.clerk").await;
        let p_id = op.s.account("p-500060", PASSWORD, false, true).await;
        let now = op.s.clock_ms();
        op.s.app
            .db(move |c| {
                store::org::upsert_department(c, &store::org::Department { code: "zeimu".into(), name: "税務課".into(), name_kana: None, parent_code: None, body: None, updated_at: 0 })?;
                let pid: String = schema::people::table.filter(schema::people::employee_number.eq("700060")).select(schema::people::id).first(c)?;
                store::org::set_memberships(c, &pid, "zeimu", &[])?;
                let e = store::privileged::Eligibility { id: store::new_id(), account_id: p_id, role_id: "juki.admin".into(), system_id: "juki".into(), granted_by: "900011".into(), reason: "保守".into(), created_at: now, revoked_at: None, revoked_by: None };
                store::privileged::insert_eligibility(c, &e)?;
                Ok(())
            })
            .await
            .unwrap();

        let (code, made) = so.post_json("/api/review/campaigns", json!({ "kind": "department", "key": "zeimu" })).await;
        assert_eq!((code, made["items"].as_i64()), (201, Some(1)), "税務課's people only: {made}");
        let logins: Vec<String> = op.s.app.db(|c| Ok(schema::review_items::table.select(schema::review_items::login_id).load(c)?)).await.unwrap();
        assert_eq!(logins, ["700060"]);
        let (_, campaigns) = auditor.get_json("/api/review/campaigns").await;
        assert!(campaigns["rows"][0]["title"].as_str().unwrap().contains("税務課 の自己点検"), "{campaigns}");

        // The privileged report, read by the auditor, flags eligibility never used by an elevation.
        let (code, report) = auditor.get_json("/api/privileged/report").await;
        assert_eq!(code, 200, "{report}");
        let juki = report["systems"].as_array().unwrap().iter().find(|s| s["system"] == "juki").unwrap().clone();
        assert_eq!(juki["eligibility"][0]["unused"], true, "{juki}");
        let (staff, _) = signed_in(&op, "500060", PASSWORD).await;
        assert_eq!(staff.get_json("/api/privileged/report").await.0, 403);
    }
}
