//! Review of accounts: dormant IDs noticed, suspended and restored; vendor accounts reported per
//! contract; passwords overdue, temporary or below the cost.

use crate::harness::review::{logins, notified, status, used, DAY};
use crate::oidc_rp::{self, PASSWORD};
use crate::privileged::{officer, signed_in};
use crate::support::both_backends;
use diesel::prelude::*;
use serde_json::json;
use tobira::app::review::dormant;
use tobira::store::schema;

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
