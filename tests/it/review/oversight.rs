//! Who reads what and what is watched: the auditor, audit-usage search, log findings, `/metrics`,
//! the compliance report and the nodes' clocks.

use crate::harness::review::{notified, requested};
use crate::oidc_rp::{self, PASSWORD};
use crate::privileged::{officer, signed_in};
use crate::support::{both_backends, output, tobira, TestDb};
use diesel::prelude::*;
use serde_json::{json, Value};
use tobira::app::review::findings;
use tobira::store::{self, schema};

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
        // The sign-ins' records went through this node's group commit, one way or the other.
        let batches: u64 = body.lines().filter_map(|l| l.strip_prefix("tobira_audit_batches_total{way=")).filter_map(|l| l.split(' ').nth(1)?.parse::<u64>().ok()).sum();
        assert!(batches >= 1, "{body}");
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
    c.env("TOBIRA__POLICY_DIR", crate::support::repo_path("policies")).args([
        "report",
        "compliance",
        "--format",
        "json",
    ]);
    let (code, out, err) = output(c);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let ids: Vec<&str> = v["rows"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    let source = std::fs::read_to_string(crate::support::repo_path("../shared/REQUIREMENTS.md"))
        .expect("shared/REQUIREMENTS.md beside the clone");
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
    csv.env("TOBIRA__POLICY_DIR", crate::support::repo_path("policies")).args([
        "report",
        "compliance",
        "--format",
        "csv",
    ]);
    let (_, out, _) = output(csv);
    assert!(out.starts_with("\u{feff}要件 / requirement,"), "UTF-8 with BOM for Excel");
    assert_eq!(out.matches("\r\n").count(), expected.len() + 1);
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
