//! Periodic review on a running tobira (SQLite and PostgreSQL, fixed clock): dormant IDs noticed,
//! suspended and restored; a recertification campaign from creation to its deadline with keep,
//! remove and undecided items and self-review refused; the exceptions register with expiry; who
//! reads what (auditor, 所属長, audit-usage search); log findings; `/metrics`; the compliance report.

use crate::oidc_rp::{self, Op, PASSWORD};
use crate::privileged::{officer, signed_in};
use crate::support::{both_backends, output, tobira, TestDb};
use diesel::prelude::*;
use serde_json::{json, Value};
use tobira::app::review::{campaign, dormant, exceptions, findings};
use tobira::store::{self, schema};
use tobira_domain::rbac::GrantSource;

const DAY: i64 = 86_400_000;

/// Adds a `request` grant (the kind a campaign reviews) of `role` to the account.
async fn requested(op: &Op, account: &str, role: &str) -> String {
    let (acc, role, now) = (account.to_string(), role.to_string(), op.s.clock_ms());
    op.s.app
        .db(move |c| {
            let mut g = store::accounts::Grant::new(&acc, &role, GrantSource::Request, now);
            g.reason = Some("窓口業務のため".into());
            store::accounts::insert_grant(c, &g)?;
            Ok(g.id)
        })
        .await
        .unwrap()
}

/// Sets an account's last sign-in and creation time.
async fn used(op: &Op, login: &str, last: Option<i64>, created: i64) {
    let login = login.to_string();
    op.s.app
        .db(move |c| {
            use schema::accounts as a;
            diesel::update(a::table.filter(a::login_id.eq(&login))).set((a::last_login_at.eq(last), a::created_at.eq(created))).execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
}

async fn status(op: &Op, login: &str) -> String {
    let login = login.to_string();
    op.s.app.db(move |c| Ok(store::accounts::by_login_id(c, &login)?.unwrap().status)).await.unwrap()
}

async fn roles_of(op: &Op, account: &str) -> Vec<String> {
    let (acc, now) = (account.to_string(), op.s.clock_ms());
    op.s.app.db(move |c| Ok(store::accounts::grants_in_force(c, &acc, now)?.into_iter().map(|g| g.role_id).collect())).await.unwrap()
}

async fn notified(op: &Op, who: &str, kind: &str) -> usize {
    let (who, kind) = (who.to_string(), kind.to_string());
    op.s.app.db(move |c| Ok(store::privileged::notifications_to(c, &who)?.into_iter().filter(|n| n.kind == kind).count())).await.unwrap()
}

fn logins(report: &Value) -> Vec<String> {
    report["rows"].as_array().unwrap().iter().map(|r| r["login"].as_str().unwrap_or_default().to_string()).collect()
}

fn today_plus(op: &Op, days: i64) -> String {
    let t = tobira_domain::time_util::from_millis(op.s.clock_ms() + days * DAY).to_offset(time::macros::offset!(+9));
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

both_backends! {
    async fn r_rv_03_dormant_accounts_are_noticed_then_suspended_unless_used_and_restored_by_their_head(db: TestDb) {
        let op = oidc_rp::start(&db).await;
        let so = officer(&op, "p-so-0801").await;
        op.s.person("shimin-kacho", "500000", "regular", true, &[]).await;
        let now = op.s.clock_ms();
        // One account each side of its kind's threshold (staff 90, vendor 30, shared 60, never used 30).
        for (login, kind, days) in [("500001", "regular", 89), ("500002", "regular", 90), ("500003", "vendor", 31), ("500004", "vendor", 29)] {
            op.s.person(login, &login.replace("50000", "60000"), kind, false, &[]).await;
            used(&op, login, Some(now - days * DAY), now - 400 * DAY).await;
        }
        op.s.person("500005", "600005", "regular", false, &[]).await;
        used(&op, "500005", None, now - 30 * DAY).await;
        op.s.account("kyoyo-01", PASSWORD, false, false).await;
        op.s.app.db(|c| Ok(diesel::update(schema::accounts::table.filter(schema::accounts::login_id.eq("kyoyo-01"))).set(schema::accounts::is_shared.eq(true)).execute(c)?)).await.unwrap();
        used(&op, "kyoyo-01", Some(now - 45 * DAY), now - 400 * DAY).await;

        let policy = op.s.app.policy.clone();
        let sweep = |at: i64| {
            let p = policy.clone();
            op.s.app.db(move |c| dormant::sweep(c, &p, at))
        };
        let s = sweep(now).await.unwrap();
        assert_eq!((s.noticed, s.suspended), (3, 0), "{s:?}");
        let (code, report) = so.get_json("/api/review/reports/dormant").await;
        assert_eq!(code, 200, "{report}");
        let mut dormant = logins(&report);
        dormant.sort();
        assert_eq!(dormant, ["500002", "500003", "500005"]);
        assert_eq!(notified(&op, "600002", "review.dormant_notice").await, 1, "the holder is told");
        assert_eq!(notified(&op, "500000", "review.dormant_notice").await, 3, "and their 所属長");
        assert_eq!(sweep(now).await.unwrap().noticed, 0, "one notice per dormancy");

        // The vendor signs in during the notice period; the others do not.
        op.s.advance_minutes(1);
        assert_eq!(op.s.client().sign_in("500003", PASSWORD).await.status, 303);
        op.s.advance_minutes(14 * 24 * 60);
        let s = sweep(op.s.clock_ms()).await.unwrap();
        assert_eq!((s.suspended, s.cancelled), (2, 1), "{s:?}");
        assert_eq!(status(&op, "500002").await, "suspended");
        assert_eq!(status(&op, "500005").await, "suspended");
        assert_eq!(status(&op, "500003").await, "active");
        assert_ne!(op.s.client().sign_in("500002", PASSWORD).await.status, 303, "a suspended account cannot sign in");

        // Restoring: not by a colleague, not by the holder's own hand, but by the 所属長.
        let (colleague, _) = signed_in(&op, "500001", PASSWORD).await;
        let (code, _) = colleague.post_json("/api/review/dormant/500002/restore", json!({})).await;
        assert_eq!(code, 403);
        let (head, _) = signed_in(&op, "shimin-kacho", PASSWORD).await;
        let (code, body) = head.post_json("/api/review/dormant/500002/restore", json!({})).await;
        assert_eq!(code, 200, "{body}");
        assert_eq!(status(&op, "500002").await, "active");
        let (code, _) = head.post_json("/api/review/dormant/500002/restore", json!({})).await;
        assert_eq!(code, 409, "restored once");
        assert_eq!(op.s.audit_count("review.dormant_restored", Some("refused")).await, 1);
        assert_eq!(op.s.audit_count("review.dormant_restored", Some("suspend_again_at")).await, 1);
        // The restored holder has a fresh notice period to sign in.
        op.s.advance_minutes(14 * 24 * 60);
        sweep(op.s.clock_ms()).await.unwrap();
        assert_eq!(status(&op, "500002").await, "suspended", "unused through the new notice: suspended again");
    }
}

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
        assert_eq!(code, 403);
        assert!(r.to_string().contains("R-AC-02"), "{r}");
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
    async fn r_rv_09_the_auditor_reads_and_changes_nothing_r_lg_11_usage_search_is_limited_and_audited(db: TestDb) {
        let op = oidc_rp::start(&db).await;
        let so = officer(&op, "p-so-0803").await;
        op.s.person("kansa", "100100", "regular", false, &["tobira.auditor"]).await;
        let (auditor, _) = signed_in(&op, "kansa", PASSWORD).await;
        op.s.person("ciso", "100000", "regular", false, &["tobira.ciso"]).await;
        let (ciso, _) = signed_in(&op, "ciso", PASSWORD).await;
        op.s.person("shimin-kacho", "500000", "regular", true, &[]).await;
        let (head, _) = signed_in(&op, "shimin-kacho", PASSWORD).await;
        let mine = op.s.person("500030", "500030", "regular", false, &[]).await;
        requested(&op, &mine, "juki.clerk").await;
        let other = op.s.person("700001", "700001", "regular", false, &[]).await;
        requested(&op, &other, "zeimu.clerk").await;
        op.s.app
            .db(move |c| {
                store::org::upsert_department(c, &store::org::Department { code: "zeimu".into(), name: "税務課".into(), name_kana: None, parent_code: None, body: None, updated_at: 0 })?;
                let pid: String = schema::people::table.filter(schema::people::employee_number.eq("700001")).select(schema::people::id).first(c)?;
                store::org::set_memberships(c, &pid, "zeimu", &[])?;
                Ok(())
            })
            .await
            .unwrap();
        let (code, made) = so.post_json("/api/review/campaigns", json!({ "kind": "city" })).await;
        assert_eq!(code, 201, "{made}");

        // The auditor reads every report …
        for r in ["dormant", "grants", "exceptions", "findings", "campaigns", "compliance"] {
            let (code, body) = auditor.get_json(&format!("/api/review/reports/{r}")).await;
            assert_eq!(code, 200, "{r}: {body}");
        }
        // The same reports in the console, as a page with the CSV download.
        let page = auditor.get("/review/reports/compliance").await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("R-RV-07") && page.body.contains("/api/review/reports/compliance?format=csv"), "{}", page.body);
        assert_eq!(head.get("/review/reports/compliance").await.status, 403, "not for a 所属長");
        let mine = head.get("/review/reports/grants").await;
        assert!(mine.status == 200 && mine.body.contains("500030") && !mine.body.contains("700001"), "their own section only");
        // … and changes nothing.
        let any: String = op.s.app.db(|c| Ok(schema::review_items::table.select(schema::review_items::id).first(c)?)).await.unwrap();
        assert_eq!(auditor.post_json("/api/review/decisions", json!({ "items": [any], "decision": "keep" })).await.0, 403);
        assert_eq!(auditor.post_json("/api/review/campaigns", json!({ "kind": "system", "key": "zeimu" })).await.0, 403);
        assert_eq!(auditor.post_json("/api/review/run", json!({})).await.0, 403);
        assert!(auditor.get_json("/api/review/inbox").await.1["items"].as_array().unwrap().is_empty());

        // A 所属長 sees their own section's people only, and no other report.
        let (code, grants) = head.get_json("/api/review/reports/grants").await;
        assert_eq!(code, 200);
        let seen: Vec<&str> = grants["rows"].as_array().unwrap().iter().filter_map(|r| r["employee_number"].as_str()).collect();
        assert!(seen.contains(&"500030") && !seen.contains(&"700001"), "{seen:?}");
        assert_eq!(head.get_json("/api/review/reports/compliance").await.0, 403);
        assert_eq!(op.s.client().get_json("/api/review/reports/grants").await.0, 401, "signed in first");

        // Searching a person's usage: the CISO with a reason; not the auditor; each search audited.
        let (code, _) = auditor.get_json("/api/review/audit-usage?login=500030&reason=x").await;
        assert_eq!(code, 403);
        let (code, _) = ciso.get_json("/api/review/audit-usage?login=500030").await;
        assert_eq!(code, 400, "a search names its reason");
        let (code, found) = ciso.get_json("/api/review/audit-usage?login=shimin-kacho&reason=%E4%B8%8D%E6%AD%A3%E3%82%A2%E3%82%AF%E3%82%BB%E3%82%B9%E8%AA%BF%E6%9F%BB").await;
        assert_eq!(code, 200, "{found}");
        assert!(found["records"].as_array().unwrap().iter().any(|r| r["action"] == "auth.sign_in"), "{found}");
        assert_eq!(op.s.audit_count("audit.searched", Some("refused")).await, 2);
        assert_eq!(op.s.audit_count("audit.searched", Some("不正アクセス調査")).await, 1);
    }
}

both_backends! {
    async fn r_lg_03_a_burst_of_failed_sign_ins_is_one_finding_recorded_once(db: TestDb) {
        let op = oidc_rp::start(&db).await;
        officer(&op, "p-so-0804").await;
        op.s.person("500040", "500040", "regular", false, &[]).await;
        let policy = op.s.app.policy.clone();
        for round in 0..2 {
            // Twelve failures against one account from one source, a few seconds apart.
            let start = op.s.clock_ms();
            op.s.app
                .db(move |c| {
                    store::write_tx(c, |c| {
                        for i in 0..12 {
                            let e = tobira_domain::audit::AuditEvent::new("500040", "auth.sign_in_failed", "account:500040")
                                .with_outcome(tobira_domain::audit::Outcome::Failure)
                                .with_origin(Some("10.10.3.7".into()), None);
                            store::audit::append(c, start + i * 5_000, vec![e])?;
                        }
                        Ok::<_, tobira::app::AppError>(())
                    })
                })
                .await
                .unwrap();
            let (p, now) = (policy.clone(), op.s.clock_ms());
            let (n, _) = op.s.app.db(move |c| findings::analyse(c, &p, now)).await.unwrap();
            let (p, now) = (policy.clone(), op.s.clock_ms());
            let (again, _) = op.s.app.db(move |c| findings::analyse(c, &p, now)).await.unwrap();
            // The officer's sign-in may add an unusual-hours finding (the clock starts at the real time).
            assert!(n >= 2 && again == 0, "round {round}: the account and the source ({n}), and nothing twice ({again})");
            op.s.advance_minutes(60);
        }
        let report = op.s.app.db(|c| tobira::app::review::reports::findings(c, 0)).await.unwrap();
        let bursts = report.rows.iter().filter(|r| r["kind"] == "failed_burst" && r["subject"] == "account:500040").count();
        assert_eq!(bursts, 2, "{:?}", report.rows);
        assert_eq!(op.s.audit_count("review.finding", Some("failed_burst")).await, 4);
        assert!(notified(&op, "account:p-so-0804", "review.findings").await >= 1, "the security officers are told");
    }
}

both_backends! {
    async fn r_lg_08_metrics_are_served_in_prometheus_format_to_the_allowed_networks_only(db: TestDb) {
        let op = oidc_rp::start(&db).await;
        op.s.person("500050", "500050", "regular", false, &[]).await;
        assert_eq!(op.s.client().sign_in("500050", PASSWORD).await.status, 303);
        op.s.client().sign_in("500050", "wrong").await;
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        let text = reqwest::get(format!("{}/metrics", op.s.base)).await.unwrap();
        assert_eq!(text.status(), 200);
        assert!(text.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
        let body = text.text().await.unwrap();
        for line in ["tobira_sign_ins_total 1", "tobira_sign_in_failures_total 1", "# TYPE tobira_review_items_overdue gauge", "tobira_audit_chain_intact 0"] {
            assert!(body.lines().any(|l| l == line || l.starts_with(line)), "{line} in\n{body}");
        }
        // The counters go on from the last scrape's tally: a later sign-in adds one.
        assert_eq!(op.s.client().sign_in("500050", PASSWORD).await.status, 303);
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        let body = reqwest::get(format!("{}/metrics", op.s.base)).await.unwrap().text().await.unwrap();
        assert!(body.lines().any(|l| l == "tobira_sign_ins_total 2") && body.lines().any(|l| l == "tobira_sign_in_failures_total 1"), "{body}");
        let closed = oidc_rp::start_tuned(&db, |c| c.http.metrics_from = Vec::new()).await;
        assert_eq!(reqwest::get(format!("{}/metrics", closed.s.base)).await.unwrap().status(), 404, "empty metrics_from: nobody");
    }
}

#[test]
fn r_rv_07_the_compliance_report_names_every_requirement() {
    let db = TestDb::sqlite();
    let mut c = tobira(&db);
    c.env("TOBIRA__POLICY_DIR", crate::support::repo_path("policies")).args(["report", "compliance", "--format", "json"]);
    let (code, out, err) = output(c);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let ids: Vec<&str> = v["rows"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    let source = std::fs::read_to_string(crate::support::repo_path("../shared/REQUIREMENTS.md")).expect("shared/REQUIREMENTS.md beside the clone");
    let expected: Vec<&str> = source.lines().filter_map(|l| l.strip_prefix("- R-")).map(|l| &l[..5]).collect();
    assert_eq!(ids.len(), expected.len());
    for (got, want) in ids.iter().zip(&expected) {
        assert_eq!(&got[2..], *want);
    }
    for r in v["rows"].as_array().unwrap() {
        assert!(["enforced", "partly", "not", "outside"].contains(&r["status"].as_str().unwrap()), "{r}");
    }
    assert_eq!(v["summary"]["requirements"], expected.len());
    let mut csv = tobira(&db);
    csv.env("TOBIRA__POLICY_DIR", crate::support::repo_path("policies")).args(["report", "compliance", "--format", "csv"]);
    let (_, out, _) = output(csv);
    assert!(out.starts_with("\u{feff}要件 / requirement,"), "UTF-8 with BOM for Excel");
    assert_eq!(out.matches("\r\n").count(), expected.len() + 1);
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

both_backends! {
    async fn r_rv_10_vendor_accounts_and_their_activity_are_reported_per_contract(db: TestDb) {
        let op = oidc_rp::start(&db).await;
        op.s.person("kansa", "100100", "regular", false, &["tobira.auditor"]).await;
        let (auditor, _) = signed_in(&op, "kansa", PASSWORD).await;
        op.s.person("shimin-kacho", "500000", "regular", true, &[]).await;
        let (head, _) = signed_in(&op, "shimin-kacho", PASSWORD).await;
        op.s.person("v-800010", "800010", "vendor", false, &[]).await;
        op.s.person("500080", "500080", "regular", false, &[]).await;
        op.s.app
            .db(|c| Ok(diesel::update(schema::people::table.filter(schema::people::employee_number.eq("800010"))).set((schema::people::contract_id.eq("C-2026-017"), schema::people::end_date.eq("2027-03-31"))).execute(c)?))
            .await
            .unwrap();
        assert_eq!(op.s.client().sign_in("v-800010", PASSWORD).await.status, 303);
        op.s.client().sign_in("v-800010", "wrong").await;
        tokio::time::sleep(std::time::Duration::from_millis(150)).await; // the group commit lands

        let (code, report) = auditor.get_json("/api/review/reports/vendors").await;
        assert_eq!(code, 200, "{report}");
        let rows = report["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "vendors only: {report}");
        let r = &rows[0];
        assert_eq!((r["contract"].as_str(), r["login"].as_str(), r["end_date"].as_str()), (Some("C-2026-017"), Some("v-800010"), Some("2027-03-31")), "{r}");
        assert_eq!((r["sign_ins"].as_i64(), r["failures"].as_i64()), (Some(1), Some(1)), "{r}");
        assert_eq!(report["summary"]["accounts_per_contract"]["C-2026-017"], 1);
        assert_eq!(head.get_json("/api/review/reports/vendors").await.0, 403, "not for a 所属長");
    }
}

both_backends! {
    async fn r_au_16_passwords_overdue_temporary_or_below_the_cost_are_reported(db: TestDb) {
        let op = oidc_rp::start(&db).await;
        op.s.person("kansa", "100100", "regular", false, &["tobira.auditor"]).await;
        let (auditor, _) = signed_in(&op, "kansa", PASSWORD).await;
        op.s.person("shimin-kacho", "500000", "regular", true, &[]).await;
        let (head, _) = signed_in(&op, "shimin-kacho", PASSWORD).await;
        op.s.person("500081", "500081", "regular", false, &[]).await;
        op.s.person("500082", "500082", "regular", false, &[]).await;
        op.s.person("500083", "500083", "regular", false, &[]).await;
        let now = op.s.clock_ms();
        let weak = tobira::crypto::password::hash(PASSWORD, &tobira_domain::policy::HashingRule { memory_kib: 8, iterations: 1, parallelism: 1 }).unwrap();
        op.s.app
            .db(move |c| {
                let id = |c: &mut tobira::store::DbConnection, login: &str| tobira::store::accounts::by_login_id(c, login).unwrap().unwrap().id;
                let (expired, temporary, weakly) = (id(c, "500081"), id(c, "500082"), id(c, "500083"));
                let pc = schema::password_credentials::table;
                diesel::update(pc.find(&expired)).set(schema::password_credentials::expires_at.eq(Some(now - 1000))).execute(c)?;
                diesel::update(pc.find(&temporary)).set(schema::password_credentials::is_temporary.eq(true)).execute(c)?;
                diesel::update(pc.find(&weakly)).set(schema::password_credentials::hash.eq(weak)).execute(c)?;
                Ok(())
            })
            .await
            .unwrap();
        let (code, report) = auditor.get_json("/api/review/reports/passwords").await;
        assert_eq!(code, 200, "{report}");
        let issue = |login: &str| report["rows"].as_array().unwrap().iter().filter(|r| r["login"] == login).map(|r| r["issue"].as_str().unwrap().to_string()).collect::<Vec<_>>();
        assert_eq!(issue("500081"), ["有効期限切れ / expired"]);
        assert_eq!(issue("500082"), ["仮パスワードのまま / still temporary"]);
        assert_eq!(issue("500083"), ["保存強度が現行設定未満 / stored below the current cost"]);
        assert!(issue("kansa").is_empty() && issue("shimin-kacho").is_empty(), "in date, chosen, at the current cost: {report}");
        assert_eq!(report["summary"]["by_issue"]["expired"], 1);
        // A 所属長 sees their own section's people only (all of 市民課 here), without the summary.
        let (code, mine) = head.get_json("/api/review/reports/passwords").await;
        assert_eq!(code, 200, "{mine}");
        assert_eq!(mine["rows"].as_array().unwrap().len(), 3, "{mine}");
        assert_eq!(mine["summary"]["section_only"], true);
    }
}

both_backends! {
    async fn r_lg_04_the_nodes_clock_is_compared_with_the_database_servers(db: TestDb) {
        use tobira::app::clock_check::{check, host_now_ms};
        let pg = db.url.starts_with("postgres");
        let op = oidc_rp::start(&db).await;
        let policy = op.s.app.policy.clone();
        let (in_step, ahead) = op
            .s
            .app
            .db(move |c| Ok((check(c, &policy, "node-a", host_now_ms)?, check(c, &policy, "node-b", || host_now_ms() + 5_000)?)))
            .await
            .unwrap();
        if pg {
            let (skew, event) = in_step;
            assert!(skew.unwrap().abs() <= 1_000 && event.is_none(), "the same host's clock is in step: {skew:?}");
            let (skew, event) = ahead;
            assert!((4_000..=6_000).contains(&skew.unwrap()), "{skew:?}");
            let e = event.expect("a skew beyond audit.max_clock_skew_ms is an audit event");
            assert_eq!((e.action.as_str(), e.target.as_str(), e.outcome), ("clock.skew_exceeded", "node:node-b", tobira_domain::audit::Outcome::Failure));
        } else {
            assert_eq!((in_step.0, ahead.0), (None, None), "SQLite has no clock of its own to compare with");
        }
        let ready: Value = reqwest::get(format!("{}/readyz", op.s.base)).await.unwrap().json().await.unwrap();
        assert_eq!(ready["clock_in_step"], if pg { Value::Bool(true) } else { Value::Null }, "{ready}");
        let metrics = reqwest::get(format!("{}/metrics", op.s.base)).await.unwrap().text().await.unwrap();
        assert_eq!(metrics.contains("\ntobira_clock_skew_milliseconds "), pg, "{metrics}");
    }
}
