//! Access requests through the API on a running tobira (SQLite and PostgreSQL): asked by a member of
//! staff, approved by their 所属長 and then the system's owner, granted with validity so the business
//! system's tokens carry the role until the end date and not after; never decided by the requester
//! (API or forged form), no stale decision on a withdrawn or lapsed request, separation of duties,
//! the longest period and privileged roles refused, every refusal audited (fixed clock throughout).

use crate::oidc_rp::{self, access, browse, payload, redeem, request, Op, JUKI_CB, PASSWORD};
use crate::privileged::signed_in;
use crate::support::{both_backends, count};
use crate::web::Client;
use serde_json::{json, Value};
use tobira_domain::time_util::{from_millis, JST};

const DAY_MIN: i64 = 24 * 60;

/// The JST date `days` from the server's now, `YYYY-MM-DD`.
pub(crate) fn day(op: &Op, days: i64) -> String {
    let d = from_millis(op.s.clock_ms()).to_offset(JST).date() + time::Duration::days(days);
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The access-token claims a t-juki sign-in of `login` gets now.
pub(crate) async fn juki_token(op: &Op, login: &str, totp: &[u8]) -> Value {
    op.s.clock.advance(time::Duration::seconds(30));
    let (rp, _) = op.rp("t-juki", JUKI_CB).await;
    let pending = request(&rp, &["profile", "roles"], &[]);
    let back = browse(op, &op.s.client(), &pending, login, Some(totp)).await;
    let (tokens, _) = redeem(op, &rp, pending, &back).await;
    payload(&access(&tokens))
}

/// A running tobira with sato (市民課, 300001), the 所属長 of 市民課 (300050) and juki's owner
/// (900011, not a head), each signed in with a TOTP.
pub(crate) async fn office(
    db: &crate::support::TestDb,
) -> (Op, (Client, Vec<u8>), (Client, Vec<u8>), (Client, Vec<u8>)) {
    let op = oidc_rp::start(db).await;
    op.s.person("sato", "300001", "regular", false, &[]).await;
    op.s.person("shimin-kacho", "300050", "regular", true, &[]).await;
    op.s.person("juki-kanri", "900011", "regular", false, &[]).await;
    let staff = signed_in(&op, "sato", PASSWORD).await;
    let head = signed_in(&op, "shimin-kacho", PASSWORD).await;
    let owner = signed_in(&op, "juki-kanri", PASSWORD).await;
    (op, staff, head, owner)
}

/// A new session of `login` (password, then the TOTP step when asked), e.g. after days passed.
async fn sign_in_again(op: &Op, login: &str, totp: &[u8]) -> Client {
    let c = op.s.client();
    assert_eq!(c.sign_in(login, PASSWORD).await.status, 303);
    c.get("/signin/second").await;
    op.s.clock.advance(time::Duration::seconds(30));
    let code = crate::web::totp_code(totp, (op.s.clock_ms() / 1000) as u64);
    let done = c.post("/signin/second/totp", &[("code", &code)]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    c
}

async fn notified(op: &Op, number: &str) -> i64 {
    let pool = op.s.app.pool.clone();
    let sql = format!(
        "SELECT COUNT(*) AS n FROM notifications WHERE recipient = '{number}' AND kind = 'access.request_waiting'"
    );
    tokio::task::spawn_blocking(move || count(&mut pool.get().unwrap(), &sql)).await.unwrap()
}

both_backends! {
    async fn r_lc_02_a_request_approved_by_the_head_then_the_owner_puts_the_role_in_tokens_until_its_end(db: TestDb) {
        let (op, (staff, totp), (head, _), (owner, _)) = office(&db).await;
        let (status, con) = staff.get_json("/api/requests").await;
        assert_eq!(status, 200, "{con}");
        let roles: Vec<&str> = con["requestable"].as_array().unwrap().iter().map(|r| r["role"].as_str().unwrap()).collect();
        assert!(roles.contains(&"juki.clerk") && !roles.contains(&"juki.admin"), "{roles:?}");

        let until = day(&op, 3);
        let (status, asked) = staff.post_json("/api/requests", json!({ "role": "juki.clerk", "reason": "窓口繁忙期の応援", "until": until })).await;
        assert_eq!(status, 201, "{asked}");
        assert_eq!((asked["status"].as_str(), asked["steps"].as_str()), (Some("asked"), Some("head_of_section,system_owner")));
        let id = asked["id"].as_str().unwrap().to_string();
        assert_eq!(notified(&op, "300050").await, 1, "the 所属長 is told by mail");
        assert_eq!(notified(&op, "900011").await, 0, "the owner not yet");

        // The owner cannot take the 所属長's step.
        let (status, body) = owner.post_json(&format!("/api/requests/{id}/approve"), json!({})).await;
        assert_eq!(status, 403, "{body}");
        let (_, queue) = head.get_json("/api/requests").await;
        assert_eq!(queue["queue"][0]["id"].as_str(), Some(id.as_str()), "the head's queue: {queue}");
        let (status, step) = head.post_json(&format!("/api/requests/{id}/approve"), json!({ "note": "了承" })).await;
        assert_eq!((status, step["steps_done"].as_i64(), step["status"].as_str()), (200, Some(1), Some("asked")), "{step}");
        assert_eq!(notified(&op, "900011").await, 1, "then the owner is told");
        let (status, _) = head.post_json(&format!("/api/requests/{id}/approve"), json!({})).await;
        assert_eq!(status, 403, "one person decides one step");
        assert_eq!(juki_token(&op, "sato", &totp).await["roles"], json!([]), "nothing before the last approval");

        let (status, done) = owner.post_json(&format!("/api/requests/{id}/approve"), json!({ "note": "承認" })).await;
        assert_eq!((status, done["status"].as_str()), (200, Some("granted")), "{done}");
        let grant = done["grant_id"].as_str().unwrap().to_string();
        let g = grant.clone();
        let row = op.s.app.db(move |c| Ok(diesel::RunQueryDsl::load::<tobira::store::accounts::Grant>(diesel::QueryDsl::filter(tobira::store::schema::grants::table, diesel::ExpressionMethods::eq(tobira::store::schema::grants::id, g)), c)?)).await.unwrap();
        assert_eq!(row[0].source, "request");
        assert_eq!(row[0].valid_until, done["valid_until"].as_i64());
        assert!(row[0].approved_by.is_some() && row[0].requested_by.is_some());
        assert_eq!(op.s.audit_count("access.granted", Some(&grant)).await, 1);

        // The system's token carries the role, and ends no later than the grant.
        let at = juki_token(&op, "sato", &totp).await;
        assert_eq!(at["roles"], json!(["juki.clerk"]), "{at}");
        assert!(at["exp"].as_i64().unwrap() * 1000 <= done["valid_until"].as_i64().unwrap());
        let (_, mine) = staff.get_json("/api/requests").await;
        assert_eq!(mine["mine"][0]["decisions"].as_array().map(Vec::len), Some(2), "{mine}");
        // After the end date, no more.
        op.s.advance_minutes(4 * DAY_MIN);
        assert_eq!(juki_token(&op, "sato", &totp).await["roles"], json!([]), "the grant ended with its end date");
    }
}

both_backends! {
    async fn r_ac_02_the_requester_never_decides_their_own_request_nor_anyone_a_withdrawn_or_lapsed_one(db: TestDb) {
        let (op, (staff, _), (head, head_totp), _owner) = office(&db).await;
        // The 所属長 asks: as the only head of 市民課 they cannot decide it, by API or by form.
        let (status, own) = head.post_json("/api/requests", json!({ "role": "juki.clerk", "reason": "応援", "until": day(&op, 5) })).await;
        assert_eq!(status, 201, "{own}");
        let own = own["id"].as_str().unwrap().to_string();
        let (status, body) = head.post_json(&format!("/api/requests/{own}/approve"), json!({})).await;
        assert_eq!(status, 403, "{body}");
        assert!(body["message_en"].as_str().unwrap().contains("R-AC-02"), "{body}");
        let (_, queue) = head.get_json("/api/requests").await;
        assert_eq!(queue["queue"], json!([]), "one's own request is not in one's queue");
        head.get("/requests/queue").await;
        let forged = head.post("/requests/queue/decide", &[("id", &own), ("decision", "approve"), ("note", "")]).await;
        assert_eq!(forged.status, 303);
        assert!(forged.location.as_deref().unwrap().starts_with("/requests/queue?error="), "{:?}", forged.location);
        let without_csrf = head.post_raw("/requests/queue/decide", &[("id", &own), ("decision", "approve")]).await;
        assert_eq!(without_csrf.status, 403, "a form without the CSRF token");
        assert_eq!(op.s.audit_count("access.decision_refused", Some("R-AC-02")).await, 2);

        // Withdrawn: no decision after it, and only its requester withdraws.
        let (status, body) = staff.post_json(&format!("/api/requests/{own}/withdraw"), json!({})).await;
        assert_eq!(status, 403, "{body}");
        let (status, w) = head.post_json(&format!("/api/requests/{own}/withdraw"), json!({})).await;
        assert_eq!((status, w["status"].as_str()), (200, Some("withdrawn")));

        // Lapsed: sato's request nobody decides within [access_requests] lapse_days.
        let (_, asked) = staff.post_json("/api/requests", json!({ "role": "juki.clerk", "reason": "応援", "until": day(&op, 20) })).await;
        let lapsing = asked["id"].as_str().unwrap().to_string();
        op.s.advance_minutes(15 * DAY_MIN);
        let now = op.s.clock_ms();
        assert_eq!(op.s.app.db(move |c| tobira::app::requests::sweep(c, now)).await.unwrap(), 1);
        assert_eq!(op.s.audit_count("access.request_lapsed", Some(&lapsing)).await, 1);
        let head = sign_in_again(&op, "shimin-kacho", &head_totp).await;
        for id in [&own, &lapsing] {
            let (status, body) = head.post_json(&format!("/api/requests/{id}/approve"), json!({})).await;
            assert_eq!(status, 403, "{body}");
            assert!(body["message_en"].as_str().unwrap().contains("no longer open"), "{body}");
        }
    }
}

both_backends! {
    async fn r_ac_01_requests_breaking_separation_of_duties_the_longest_period_or_for_privileged_roles_are_refused(db: TestDb) {
        let (op, (staff, _), (head, _), _owner) = office(&db).await;
        op.s.person("zeimu-kacho", "900021", "regular", false, &[]).await;
        let (zeimu_owner, _) = signed_in(&op, "zeimu-kacho", PASSWORD).await;
        let (status, a) = staff.post_json("/api/requests", json!({ "role": "zeimu.kazei_input", "reason": "課税入力", "until": day(&op, 30) })).await;
        assert_eq!(status, 201, "{a}");
        // Asked for, not yet held, already counts.
        let (status, body) = staff.post_json("/api/requests", json!({ "role": "zeimu.kazei_approve", "reason": "決裁", "until": day(&op, 30) })).await;
        assert_eq!(status, 403, "{body}");
        assert!(body["message_en"].as_str().unwrap().contains("相互牽制"), "the policy's reason: {body}");
        assert_eq!(body["error"], "separation_of_duties", "the rule's stable code: {body}");
        assert!(body["message"].as_str().unwrap().starts_with("職務の分離により申請できません"), "{body}");
        let id = a["id"].as_str().unwrap();
        head.post_json(&format!("/api/requests/{id}/approve"), json!({})).await;
        let (status, g) = zeimu_owner.post_json(&format!("/api/requests/{id}/approve"), json!({})).await;
        assert_eq!((status, g["status"].as_str()), (200, Some("granted")), "{g}");
        let (status, _) = staff.post_json("/api/requests", json!({ "role": "zeimu.kazei_approve", "reason": "決裁", "until": day(&op, 30) })).await;
        assert_eq!(status, 403, "held now");
        assert_eq!(op.s.audit_count("access.request_refused", Some("kazei")).await, 2);

        let (status, body) = staff.post_json("/api/requests", json!({ "role": "juki.clerk", "reason": "応援", "until": day(&op, 120) })).await;
        assert_eq!(status, 403, "beyond max_request_days = 90: {body}");
        assert!(body["message_en"].as_str().unwrap().contains("at most 90 days"), "{body}");
        assert_eq!(body["error"], "too_long", "{body}");
        let (status, body) = staff.post_json("/api/requests", json!({ "role": "juki.admin", "reason": "運用", "until": day(&op, 1) })).await;
        assert_eq!((status, body["error"].as_str()), (403, Some("not_requestable")), "a privileged role is not requested: {body}");
        let (status, body) = staff.post_json("/api/requests", json!({ "role": "juki.clerk", "reason": "応援", "until": "来週" })).await;
        assert_eq!(status, 400, "{body}");
        assert!(!body.to_string().contains("Err("), "no Debug output: {body}");

        // Both roles held already (given before the rule, or by two birthright rules): a review finding.
        op.s.person("suzuki", "300003", "regular", false, &["zeimu.kazei_input", "zeimu.kazei_approve"]).await;
        let (policy, now) = (op.s.app.policy.clone(), op.s.clock_ms());
        op.s.app.db(move |c| tobira::app::review::findings::hr_cross_check(c, &policy, None, "20260401", now)).await.unwrap();
        let pool = op.s.app.pool.clone();
        let found = tokio::task::spawn_blocking(move || count(&mut pool.get().unwrap(), "SELECT COUNT(*) AS n FROM findings WHERE kind = 'sod_conflict' AND subject LIKE '%suzuki%' AND detail LIKE '%相互牽制%'")).await.unwrap();
        assert_eq!(found, 1, "sato holds one of the pair only; suzuki both");
        let pool = op.s.app.pool.clone();
        let all = tokio::task::spawn_blocking(move || count(&mut pool.get().unwrap(), "SELECT COUNT(*) AS n FROM findings WHERE kind = 'sod_conflict'")).await.unwrap();
        assert_eq!(all, 1);
    }
}

both_backends! {
    async fn r_ac_03_a_suspended_requesters_request_is_not_granted(db: TestDb) {
        let (op, (staff, _), (head, _), (owner, _)) = office(&db).await;
        let (_, a) = staff.post_json("/api/requests", json!({ "role": "juki.clerk", "reason": "応援", "until": day(&op, 10) })).await;
        let id = a["id"].as_str().unwrap().to_string();
        head.post_json(&format!("/api/requests/{id}/approve"), json!({})).await;
        let sato = a["account_id"].as_str().unwrap().to_string();
        op.set_status(&sato, tobira_domain::rbac::AccountStatus::Suspended).await;
        let (status, body) = owner.post_json(&format!("/api/requests/{id}/approve"), json!({})).await;
        assert_eq!(status, 409, "{body}");
        // The reason in each language, in its own field: not a generic sentence, not both in one.
        assert_eq!(body["error"], "requester_not_active", "its own code, under 409: {body}");
        assert_eq!(body["message"], "申請者のアカウントは利用できません（状態：利用停止）", "{body}");
        assert_eq!(body["message_en"], "the requester's account is suspended", "{body}");
        let pool = op.s.app.pool.clone();
        let grants = tokio::task::spawn_blocking(move || count(&mut pool.get().unwrap(), &format!("SELECT COUNT(*) AS n FROM grants WHERE account_id = '{sato}' AND source = 'request'"))).await.unwrap();
        assert_eq!(grants, 0);
    }
}
