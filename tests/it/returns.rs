//! What movers and leavers hand back, through a real slapd and the `tobira` command, on both
//! backends: security keys listed for return and recorded (R-LC-15, R-AU-12), over the CLI and the
//! officer API; the password of a shared ID falling due when one of its users moves on (R-AU-08).

use crate::hr_sync::{people, Hr};
use crate::support::{both_backends, conn, count, output};
use crate::web::{self, enrol_totp};
use tobira::store;

const PASSWORD: &str = "kaisatsu no mae de 3ji";

/// Registers a WebAuthn credential on `login` as webauthn-rs stores it (the passkey's transports
/// and backup-eligible flag are what tell a security key from a platform or synced passkey).
fn key(hr: &Hr, login: &str, name: &str, transports: &[&str], backup_eligible: bool) -> String {
    let pool = hr.db.pool();
    let c = &mut *conn(&pool);
    let a = store::accounts::by_login_id(c, login).unwrap().unwrap();
    let id = store::new_id();
    let cred = serde_json::json!({ "cred": { "cred_id": id, "counter": 0, "transports": transports, "user_verified": true, "backup_eligible": backup_eligible, "backup_state": backup_eligible } });
    store::credentials::insert_webauthn(
        c,
        &store::credentials::Webauthn {
            id: id.clone(),
            account_id: a.id,
            name: name.into(),
            credential_json: cred.to_string(),
            aaguid: None,
            created_at: 0,
            last_used_at: None,
            credential_id: Some(format!("cid-{id}")),
            attested: false,
        },
    )
    .unwrap();
    id
}

fn credential_exists(hr: &Hr, id: &str) -> bool {
    count(&mut conn(&hr.db.pool()), &format!("SELECT COUNT(*) AS n FROM webauthn_credentials WHERE id = '{id}'")) == 1
}

fn returns_cmd(hr: &Hr, args: &[&str]) -> (i32, String, String) {
    let mut c = hr.command();
    c.arg("returns").args(args);
    output(c)
}

fn due(hr: &Hr) -> Vec<serde_json::Value> {
    let (code, out, err) = returns_cmd(hr, &["list", "--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    serde_json::from_str::<serde_json::Value>(out.trim()).unwrap()["returns"].as_array().unwrap().clone()
}

fn return_of<'a>(list: &'a [serde_json::Value], label: &str) -> &'a serde_json::Value {
    list.iter().find(|r| r["label"] == label).unwrap_or_else(|| panic!("{label} in {list:?}"))
}

fn events(hr: &Hr, action: &str) -> i64 {
    count(&mut conn(&hr.db.pool()), &format!("SELECT COUNT(*) AS n FROM audit_events WHERE action = '{action}'"))
}

fn dn(en: &str) -> String {
    people().into_iter().find(|p| p.employee_number == en).unwrap().dn()
}

both_backends! {
    async fn r_lc_15_a_movers_and_a_leavers_security_keys_are_listed_for_return_and_recorded(db: TestDb) {
        let hr = Hr::new(db, &people(), (20, 100.0)).await;
        assert_eq!(hr.sync(&[]).0, 0);
        let mover_key = key(&hr, "100001", "YubiKey 5 NFC", &["usb", "nfc"], false);
        let hello = key(&hr, "100001", "Windows Hello", &["internal"], false);
        let leaver_card = key(&hr, "100003", "職員証ICカード", &["nfc"], false);
        let stayer_key = key(&hr, "100002", "同僚のキー", &["usb"], false);

        // 異動 of 100001, 退職 of 100003.
        hr.ldap.set(&dn("100001"), "departmentNumber", &["zeimu"]).await;
        hr.ldap.set(&dn("100003"), "description", &["退職"]).await;
        let (code, out, err) = hr.sync(&["--full"]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("認証媒体の返却") && out.contains("YubiKey 5 NFC") && out.contains("職員証ICカード"), "shown in the plan: {out}");
        assert!(!out.contains("Windows Hello") && !out.contains("同僚のキー"), "a platform passkey stays with the PC; a stayer returns nothing: {out}");
        let list = due(&hr);
        assert_eq!(list.len(), 2, "{list:?}");
        let (moved, left) = (return_of(&list, "YubiKey 5 NFC"), return_of(&list, "職員証ICカード"));
        assert_eq!((moved["listed_reason"].as_str(), moved["kind"].as_str(), moved["employee_number"].as_str()), (Some("transferred"), Some("security_key"), Some("100001")));
        assert_eq!((left["listed_reason"].as_str(), left["credential_id"].as_str()), (Some("retired"), Some(leaver_card.as_str())));
        assert_eq!(events(&hr, "authenticator.return_due"), 2, "each listing is audited");

        // A rerun lists nothing twice.
        let (code, out, _) = hr.sync(&["--full"]);
        assert_eq!(code, 0);
        assert!(out.contains(": applied — 0 件の操作"), "{out}");
        assert_eq!(due(&hr).len(), 2);

        // Recording the return revokes the credential at once; recording it twice is refused.
        let id = moved["id"].as_str().unwrap().to_string();
        let (code, out, err) = returns_cmd(&hr, &["record", &id, "--action", "returned", "--note", "総務課で回収"]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("返却済み") && out.contains("credential revoked"), "{out}");
        assert!(!credential_exists(&hr, &mover_key), "the returned key can no longer sign in");
        assert!(credential_exists(&hr, &hello) && credential_exists(&hr, &stayer_key));
        assert_eq!(count(&mut conn(&hr.db.pool()), "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'credential.revoked' AND details LIKE '%authenticator_returned%'"), 1);
        let (code, _, err) = returns_cmd(&hr, &["record", &id, "--action", "returned"]);
        assert_eq!(code, 1);
        assert!(err.contains("already recorded as returned"), "a clear refusal: {err}");
        // R-AU-12: the collected key is then destroyed, on record with who and when.
        let (code, out, err) = returns_cmd(&hr, &["record", &id, "--action", "destroyed", "--note", "シュレッダー処理"]);
        assert_eq!(code, 0, "{out}{err}");
        let (code, out, _) = returns_cmd(&hr, &["list", "--status", "destroyed", "--format", "json"]);
        assert_eq!(code, 0);
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(v["returns"][0]["recorded_by"], "operator:hr-operator");
        assert_eq!(v["returns"][0]["note"], "シュレッダー処理");
        assert_eq!(events(&hr, "authenticator.return_recorded"), 2);
        assert_eq!(due(&hr).len(), 1, "the leaver's card is still due");
        assert_eq!(store::audit::verify(&mut conn(&hr.db.pool()), 1000).unwrap().first_break, None);
    }
}

both_backends! {
    async fn r_au_12_an_officer_records_a_movers_card_as_lost_over_the_api_and_its_sessions_end(db: TestDb) {
        let hr = Hr::new(db, &people(), (20, 100.0)).await;
        assert_eq!(hr.sync(&[]).0, 0);
        let card = key(&hr, "100001", "職員証ICカード", &["nfc"], false);
        hr.ldap.set(&dn("100001"), "departmentNumber", &["zeimu"]).await;
        assert_eq!(hr.sync(&["--full"]).0, 0);
        // A session that signed in with the card.
        let session = {
            let pool = hr.db.pool();
            let c = &mut *conn(&pool);
            let a = store::accounts::by_login_id(c, "100001").unwrap().unwrap();
            let factors = vec![tobira_domain::authn::ProvedFactor { method: tobira_domain::authn::Method::Webauthn, credential: Some(card.clone()), kinds: vec![], at: 0 }];
            // Live at the server's clock: a session idle past its limit is ended by the back-channel job.
            let now = crate::support::now_ms(&crate::support::fixed_clock());
            let s = store::sessions::Session { id: store::new_id(), account_id: a.id, created_at: now, last_seen_at: now, expires_at: i64::MAX / 4, factors: serde_json::to_string(&factors).unwrap(), privileged: false, source_ip: None, user_agent: None, revoked_at: None, revoked_reason: None };
            store::sessions::insert(c, &s).unwrap();
            s.id
        };

        let s = web::start(&hr.db, |_| {}).await;
        s.account("p-so-0015", PASSWORD, false, true).await;
        s.account("kyoko", PASSWORD, false, false).await;
        let officer = s.client();
        officer.sign_in("p-so-0015", PASSWORD).await;
        enrol_totp(&s, &officer).await;
        let user = s.client();
        user.sign_in("kyoko", PASSWORD).await;
        assert_eq!(user.get_json("/api/officer/returns?status=due").await.0, 403, "officers only");

        let (status, body) = officer.get_json("/api/officer/returns?status=due").await;
        assert_eq!(status, 200, "{body}");
        let id = body["returns"][0]["id"].as_str().unwrap().to_string();
        assert_eq!(body["returns"][0]["credential_id"], card.as_str());
        assert_eq!(officer.post_json(&format!("/api/officer/returns/{id}"), serde_json::json!({ "action": "misplaced" })).await.0, 400);
        let (status, body) = officer.post_json(&format!("/api/officer/returns/{id}"), serde_json::json!({ "action": "lost", "note": "異動時に紛失の届出" })).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!((body["record"]["status"].as_str(), body["credential_revoked"].as_bool(), body["sessions_ended"].as_u64()), (Some("lost"), Some(true), Some(1)));
        assert!(!credential_exists(&hr, &card));
        let revoked = count(&mut conn(&hr.db.pool()), &format!("SELECT COUNT(*) AS n FROM sessions WHERE id = '{session}' AND revoked_reason = 'credential_revoked'"));
        assert_eq!(revoked, 1, "a lost card's sessions end as with any lost credential");
        let (status, body) = officer.post_json(&format!("/api/officer/returns/{id}"), serde_json::json!({ "action": "returned" })).await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(s.audit_count("authenticator.return_recorded", Some("異動時に紛失の届出")).await, 1);
        assert_eq!(officer.get_json("/api/officer/returns?status=due").await.1["returns"].as_array().unwrap().len(), 0);
    }
}

fn shared_id_cmd(hr: &Hr, args: &[&str]) -> (i32, String, String) {
    let mut c = hr.command();
    c.arg("shared-id").args(args);
    output(c)
}

fn shared_password_expires_at(hr: &Hr) -> Option<i64> {
    let pool = hr.db.pool();
    let c = &mut *conn(&pool);
    let a = store::accounts::by_login_id(c, "madoguchi-01").unwrap().unwrap();
    use diesel::prelude::*;
    use tobira::store::schema::password_credentials as p;
    p::table.find(&a.id).select(p::expires_at).first::<Option<i64>>(c).unwrap()
}

both_backends! {
    async fn r_au_08_a_shared_ids_password_falls_due_when_a_user_transfers(db: TestDb) {
        let hr = Hr::new(db, &people(), (20, 100.0)).await;
        assert_eq!(hr.sync(&[]).0, 0);
        // tobira serves with a clock a minute ahead of the `tobira sync` runs.
        let clock = std::sync::Arc::new(tobira::app::clock::FixedClock::new(time::OffsetDateTime::now_utc() + time::Duration::minutes(1)));
        let s = web::start_with(&hr.db, clock, |c| c.http.public_url = "http://localhost:8080".into()).await;
        let shared = s.account("madoguchi-01", PASSWORD, false, false).await;
        hr.db.raw(&format!("UPDATE accounts SET is_shared = TRUE WHERE id = '{shared}'"));
        let before = s.client();
        assert_eq!(before.sign_in("madoguchi-01", PASSWORD).await.status, 303);
        let home = before.get("/account").await;
        assert_eq!(home.location.as_deref(), Some("/account/enrol"), "no password change is due yet, only the second factor to enrol");
        for user in ["100001", "100002"] {
            let (code, out, err) = shared_id_cmd(&hr, &["add", "madoguchi-01", "--person", user, "--permitted-by", "100004"]);
            assert_eq!(code, 0, "{out}{err}");
        }
        let (code, _, err) = shared_id_cmd(&hr, &["add", "100003", "--person", "100001", "--permitted-by", "100004"]);
        assert_eq!(code, 1);
        assert!(err.contains("not a shared ID"), "{err}");
        let (code, _, err) = shared_id_cmd(&hr, &["add", "madoguchi-01", "--person", "100001", "--permitted-by", "100004"]);
        assert_eq!(code, 1, "already a user: {err}");

        // A non-user's transfer changes nothing.
        hr.ldap.set(&dn("100003"), "departmentNumber", &["shimin"]).await;
        let (code, out, err) = hr.sync(&["--full"]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(!out.contains("共用ID"), "{out}");
        assert_eq!(shared_password_expires_at(&hr), None);
        assert_eq!(events(&hr, "shared_id.password_change_due"), 0);

        // A user's transfer: the password is due, the user is removed, whoever permitted it is told.
        hr.ldap.set(&dn("100001"), "departmentNumber", &["zeimu"]).await;
        let (code, out, err) = hr.sync(&["--full"]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("共用IDのPW変更") && out.contains("madoguchi-01"), "{out}");
        assert!(out.contains("停止・無効化 0 件"), "not a removal: {out}");
        let due_at = shared_password_expires_at(&hr).expect("the password now expires");
        assert!(due_at <= tobira::app::clock::Clock::now_ms(&tobira::app::clock::SystemClock), "expired already: the next sign-in forces a change (R-AU-07)");
        let (code, out, _) = shared_id_cmd(&hr, &["list", "madoguchi-01"]);
        assert_eq!(code, 0);
        assert!(!out.contains("100001") && out.contains("100002"), "{out}");
        assert_eq!(count(&mut conn(&hr.db.pool()), "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'shared_id.password_change_due' AND details LIKE '%transferred%' AND details LIKE '%100001%'"), 1);
        assert_eq!(count(&mut conn(&hr.db.pool()), "SELECT COUNT(*) AS n FROM notifications WHERE recipient = '100004' AND kind = 'shared_id.password_change_due'"), 1);
        let counter = s.client();
        assert_eq!(counter.sign_in("madoguchi-01", PASSWORD).await.status, 303);
        assert_eq!(counter.get("/account").await.location.as_deref(), Some("/account/password"), "the next sign-in must change the password first");

        // A rerun does nothing.
        let (code, out, _) = hr.sync(&["--full"]);
        assert_eq!(code, 0);
        assert!(out.contains(": applied — 0 件の操作"), "{out}");
        assert_eq!(events(&hr, "shared_id.password_change_due"), 1);
        assert_eq!(shared_password_expires_at(&hr), Some(due_at));
    }
}

both_backends! {
    async fn r_au_08_officers_register_a_shared_ids_users_with_who_permitted_it_over_the_api(db: TestDb) {
        let s = web::start(&db, |_| {}).await;
        s.account("p-so-0016", PASSWORD, false, true).await;
        s.person("jiro", "200001", "regular", false, &[]).await;
        s.person("kacho", "200002", "regular", true, &[]).await;
        let shared = s.account("madoguchi-02", PASSWORD, false, false).await;
        s.app.db(move |c| Ok(diesel::RunQueryDsl::execute(diesel::update(diesel::QueryDsl::find(store::schema::accounts::table, &shared)).set(diesel::ExpressionMethods::eq(store::schema::accounts::is_shared, true)), c)?)).await.unwrap();
        let officer = s.client();
        officer.sign_in("p-so-0016", PASSWORD).await;
        enrol_totp(&s, &officer).await;

        let add = serde_json::json!({ "employee_number": "200001", "permitted_by": "200002" });
        assert_eq!(officer.post_json("/api/officer/shared-ids/jiro/users", add.clone()).await.0, 400, "refused for a personal account");
        let (status, body) = officer.post_json("/api/officer/shared-ids/madoguchi-02/users", serde_json::json!({ "employee_number": "200001", "permitted_by": "999999" })).await;
        assert_eq!(status, 400, "the permission names a known person: {body}");
        let (status, body) = officer.post_json("/api/officer/shared-ids/madoguchi-02/users", add.clone()).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(officer.post_json("/api/officer/shared-ids/madoguchi-02/users", add).await.0, 409, "once");
        let (status, body) = officer.get_json("/api/officer/shared-ids/madoguchi-02/users").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!((body["users"][0]["employee_number"].as_str(), body["users"][0]["permitted_by"].as_str()), (Some("200001"), Some("200002")));
        let (status, body) = officer.post_json("/api/officer/shared-ids/madoguchi-02/users/200001/remove", serde_json::json!({ "reason": "担当替え" })).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(officer.get_json("/api/officer/shared-ids/madoguchi-02/users").await.1["users"].as_array().unwrap().len(), 0);
        assert_eq!(officer.post_json("/api/officer/shared-ids/madoguchi-02/users/200001/remove", serde_json::json!({})).await.0, 404);
        assert_eq!(s.audit_count("shared_id.user_added", Some("200002")).await, 1);
        assert_eq!(s.audit_count("shared_id.user_removed", Some("担当替え")).await, 1);
    }
}
