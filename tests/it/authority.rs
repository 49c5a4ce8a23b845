//! Authority does not leak across accounts or posts, on both backends: an officer function held by
//! a person's privileged ID is exercised only from that account, not from their staff session
//! (R-PR-01, R-PR-07); a 所属長 with a concurrent post (兼務) has head-of-section authority only for
//! the department HR makes them head of (R-AC-01, R-AC-02).

use crate::oidc_rp::{self, Op, PASSWORD};
use crate::privileged::{change_temporary, officer, privileged_account, signed_in};
use crate::support::both_backends;
use diesel::prelude::*;
use serde_json::json;
use tobira::store::{self, schema};

fn today_plus(op: &Op, days: i64) -> String {
    let t =
        tobira_domain::time_util::from_millis(op.s.clock_ms() + days * 86_400_000).to_offset(time::macros::offset!(+9));
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

async fn grant(op: &Op, login: &str, role: &str) {
    let (login, role) = (login.to_string(), role.to_string());
    op.s.app
        .db(move |c| {
            let a = store::accounts::by_login_id(c, &login)?.unwrap();
            Ok(store::accounts::insert_grant(
                c,
                &store::accounts::Grant::new(&a.id, &role, tobira_domain::rbac::GrantSource::Bootstrap, 0),
            )?)
        })
        .await
        .unwrap();
}

both_backends! {
    async fn r_pr_01_an_officer_function_of_a_privileged_id_is_not_exercised_from_the_staff_session(db: TestDb) {
        let op = oidc_rp::start(&db).await;
        let so = officer(&op, "p-so-0951").await;
        op.s.person("ciso-staff", "100050", "regular", false, &[]).await;
        let (staff_session, _) = signed_in(&op, "ciso-staff", PASSWORD).await;
        let (priv_login, temporary) = privileged_account(&so, "100050").await;
        grant(&op, &priv_login, "tobira.ciso").await;
        op.s.person("500095", "500095", "regular", false, &[]).await;
        let (requester, _) = signed_in(&op, "500095", PASSWORD).await;
        let (code, made) = requester.post_json("/api/review/exceptions", json!({ "rule": "R-AU-02", "subjects": ["system:juki"], "reason": "端末更新", "until": today_plus(&op, 5) })).await;
        assert_eq!(code, 201, "{made}");
        let approve = format!("/api/review/exceptions/{}/approve", made["id"].as_str().unwrap());

        // The attacker's try: the CISO's function used from the person's staff session.
        let (code, body) = staff_session.post_json(&approve, json!({ "note": "x" })).await;
        assert_eq!(code, 403, "the staff session holds no CISO function: {body}");
        assert_eq!(staff_session.get_json("/api/review/reports/exceptions").await.0, 403, "nor reads the CISO's register");
        // From the privileged ID that holds it, it works.
        let (priv_session, _) = change_temporary(&op, &priv_login, &temporary).await;
        let (code, body) = priv_session.post_json(&approve, json!({ "note": "年度末まで" })).await;
        assert_eq!((code, body["standing"].as_str()), (200, Some("in_force")), "{body}");
    }
}

both_backends! {
    async fn r_ac_01_a_head_of_section_with_a_concurrent_post_heads_only_their_own_department(db: TestDb) {
        let op = oidc_rp::start(&db).await;
        let so = officer(&op, "p-so-0952").await;
        op.s.person("shimin-kacho", "500000", "regular", true, &[]).await;
        op.s.person("500096", "500096", "regular", false, &[]).await;
        op.s.person("700096", "700096", "regular", false, &[]).await;
        op.s.app
            .db(move |c| {
                store::org::upsert_department(c, &store::org::Department { code: "zeimu".into(), name: "税務課".into(), name_kana: None, parent_code: None, body: None, updated_at: 0 })?;
                let pid = |c: &mut store::DbConnection, n: &str| -> diesel::QueryResult<String> { schema::people::table.filter(schema::people::employee_number.eq(n)).select(schema::people::id).first(c) };
                // The head of 市民課 also holds a concurrent post (兼務) in 税務課, where they are not head.
                let head = pid(c, "500000")?;
                store::org::set_memberships(c, &head, "shimin", &["zeimu".to_string()])?;
                let other = pid(c, "700096")?;
                store::org::set_memberships(c, &other, "zeimu", &[])?;
                Ok(())
            })
            .await
            .unwrap();
        let (head, _) = signed_in(&op, "shimin-kacho", PASSWORD).await;

        for who in ["500096", "700096"] {
            let who = who.to_string();
            op.s.app
                .db(move |c| {
                    let a = store::accounts::by_login_id(c, &who)?.unwrap();
                    Ok(store::accounts::insert_grant(c, &store::accounts::Grant::new(&a.id, "juki.clerk", tobira_domain::rbac::GrantSource::Request, 0))?)
                })
                .await
                .unwrap();
        }

        // Reports: their own section's people, not the concurrent post's department.
        let (code, grants) = head.get_json("/api/review/reports/grants").await;
        assert_eq!(code, 200, "{grants}");
        let logins: Vec<&str> = grants["rows"].as_array().unwrap().iter().filter_map(|r| r["login"].as_str()).collect();
        assert!(logins.contains(&"500096"), "their own section: {logins:?}");
        assert!(!logins.contains(&"700096"), "税務課 is not theirs to read: {logins:?}");
        // Remote access: they approve for 市民課, not for 税務課.
        let ask = |approver: &str| json!({ "approved_by": approver, "until": today_plus(&op, 30), "reason": "在宅勤務" });
        let (code, body) = so.post_json("/api/officer/accounts/700096/remote-access", ask("500000")).await;
        assert_eq!(code, 400, "not the head of 税務課: {body}");
        let (code, body) = so.post_json("/api/officer/accounts/500096/remote-access", ask("500000")).await;
        assert_eq!(code, 200, "the head of 市民課: {body}");
        // Notices about 税務課 people do not go to them as 所属長.
        let heads = op.s.app.db(|c| tobira::app::review::heads_of(c, "700096")).await.unwrap();
        assert!(heads.is_empty(), "{heads:?}");
        let heads = op.s.app.db(|c| tobira::app::review::heads_of(c, "500096")).await.unwrap();
        assert_eq!(heads, ["500000"]);
    }
}
