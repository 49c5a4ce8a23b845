//! The security officer's console pages. `/officer/returns` in real headless Chromium (R-LC-15,
//! R-AU-12): a mover's security key is listed for return; the officer signs in (password, then a
//! TOTP code), follows the console link, records the key as returned with a note, sees it move to
//! the records table and then records its destruction; the database shows the credential revoked
//! and both records audited, and a second record of the same state is refused with the app's
//! message. `/officer/shared-ids` over HTTP, on both backends (R-AU-08): an officer adds a user of
//! a shared ID with who permitted it and removes them again; refusals come back as the app's
//! message; a non-officer is refused both pages and their forms. Fixed clock.

use crate::browser::Browser;
use crate::oidc_rp::PASSWORD;
use crate::support::{both_backends, TestDb};
use crate::web::signed_in;
use crate::web::{self, totp_code, Client, Server};
use serde_json::json;
use tobira::store::{self, credentials::Webauthn, returns::AuthenticatorReturn};

const NOTE: &str = "総務課で回収";
const SHRED: &str = "シュレッダー処理";

/// A security key on `account`, listed for return because its holder (`employee_number`)
/// transferred, as the HR sync lists it. Returns (return id, credential id).
async fn listed_key(s: &Server, account: &str, employee_number: &str, label: &str) -> (String, String) {
    let (account, en, label, now) = (account.to_string(), employee_number.to_string(), label.to_string(), s.clock_ms());
    s.app
        .db(move |c| {
            let cred = store::new_id();
            let json = json!({ "cred": { "cred_id": cred, "counter": 0, "transports": ["usb", "nfc"], "user_verified": true, "backup_eligible": false, "backup_state": false } });
            store::credentials::insert_webauthn(
                c,
                &Webauthn {
                    id: cred.clone(),
                    account_id: account.clone(),
                    name: label.clone(),
                    credential_json: json.to_string(),
                    aaguid: None,
                    created_at: now - 86_400_000,
                    last_used_at: None,
                    credential_id: Some(format!("cid-{cred}")),
                    attested: false,
                },
            )?;
            let id = store::new_id();
            store::returns::insert(
                c,
                &AuthenticatorReturn {
                    id: id.clone(),
                    account_id: account,
                    employee_number: en,
                    credential_id: Some(cred.clone()),
                    kind: "security_key".into(),
                    label,
                    listed_at: now - 3_600_000,
                    listed_reason: "transferred".into(),
                    sync_run_id: "run-test".into(),
                    status: "due".into(),
                    recorded_by: None,
                    recorded_at: None,
                    note: None,
                },
            )?;
            Ok((id, cred))
        })
        .await
        .unwrap()
}

async fn credential_exists(s: &Server, account: &str, id: &str) -> bool {
    let (account, id) = (account.to_string(), id.to_string());
    s.app.db(move |c| Ok(store::credentials::webauthns_of(c, &account)?.iter().any(|w| w.id == id))).await.unwrap()
}

async fn return_status(s: &Server, id: &str) -> (String, Option<String>, Option<String>) {
    let id = id.to_string();
    let r = s.app.db(move |c| Ok(store::returns::by_id(c, &id)?.unwrap())).await.unwrap();
    (r.status, r.recorded_by, r.note)
}

/// The `data-return` ids of the rows of table `#{table}`.
fn rows(p: &crate::browser::Page, table: &str) -> Vec<String> {
    let v = p
        .eval(&format!("Array.from(document.querySelectorAll('#{table} tr[data-return]')).map(r => r.dataset.return)"));
    v.as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_string()).collect()
}

fn by_id(p: &crate::browser::Page, id: &str) -> String {
    p.eval(&format!("(document.getElementById('{id}') || {{}}).innerText || ''")).as_str().unwrap().to_string()
}

/// The value of `?{key}=` in a redirect's location, decoded.
fn query_value(location: &str, key: &str) -> String {
    let q = location.split_once('?').map_or("", |(_, q)| q);
    url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == key).map(|(_, v)| v.into_owned()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_lc_15_an_officer_records_a_returned_key_on_the_returns_page_in_a_real_browser() {
    let db = TestDb::sqlite();
    let s = web::start_with(&db, crate::support::fixed_clock(), |c| c.http.public_url = "http://localhost:8080".into())
        .await;
    s.account("p-so-0301", PASSWORD, false, true).await;
    let holder = s.person("takahashi", "300011", "regular", false, &[]).await;
    let (staff, _) = signed_in(&s, "takahashi").await;
    let (ret, cred) = listed_key(&s, &holder, "300011", "YubiKey 5 NFC").await;
    let (officer, officer_totp) = signed_in(&s, "p-so-0301").await;

    // Officers only: an ordinary full session is refused the page and its form, and sees no link.
    let page = staff.get("/officer/returns").await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(page.body.contains("この操作を行う権限がありません。"), "{}", page.body);
    let page = staff.post("/officer/returns", &[("id", &ret), ("action", "returned")]).await;
    assert_eq!(page.status, 403);
    assert_eq!(return_status(&s, &ret).await.0, "due", "nothing recorded by a non-officer");
    assert!(!staff.get("/account").await.body.contains("/officer/returns"), "no officer link for staff");
    // Without the CSRF token the form is refused too.
    assert_eq!(officer.post_raw("/officer/returns", &[("id", &ret), ("action", "returned")]).await.status, 403);

    let code = totp_code(&officer_totp, (s.clock_ms() / 1000) as u64);
    assert!(credential_exists(&s, &holder, &cred).await);
    let (base, r) = (s.base.clone(), ret.clone());
    tokio::task::spawn_blocking(move || {
        let b = Browser::start();
        let p = b.new_page();
        p.goto(&format!("{base}/signin"));
        p.fill("#login_id", "p-so-0301");
        p.fill("#password", PASSWORD);
        p.submit_and_wait("#signin-submit");
        assert_eq!(p.path(), "/signin/second");
        p.fill("#code", &code);
        p.submit_and_wait("#totp-submit");
        assert_ne!(p.path(), "/signin/second", "the TOTP code was accepted: {}", p.text());

        // The console link leads to the page; the key waits in the first table.
        p.goto(&format!("{base}/account"));
        p.submit_and_wait("#returns-link");
        assert_eq!(p.path(), "/officer/returns");
        assert_eq!(rows(&p, "due"), std::slice::from_ref(&r), "{}", p.text());
        assert!(p.eval("document.getElementById('records') === null").as_bool().unwrap());
        let text = p.text();
        for shown in [
            "東雲 太郎",
            "300011",
            "takahashi",
            "セキュリティキー・ICカード",
            "YubiKey 5 NFC",
            "異動",
            "2026-04-01 08:00 JST",
        ] {
            assert!(text.contains(shown), "{shown} on the page: {text}");
        }
        if let Some(png) = p.send("Page.captureScreenshot", json!({ "format": "png" }))["data"].as_str() {
            use base64::Engine;
            let _ = std::fs::write(
                "/tmp/officer-returns-page.png",
                base64::engine::general_purpose::STANDARD.decode(png).unwrap(),
            );
        }

        // 返却 (the default choice) with a note.
        let row = format!("#due tr[data-return=\"{r}\"]");
        assert_eq!(p.eval(&format!("document.querySelector('{row} input[value=returned]').checked")), json!(true));
        p.fill(&format!("{row} input[name=note]"), NOTE);
        p.submit_and_wait(&format!("{row} .record-submit"));
        assert_eq!(p.path(), "/officer/returns", "back on the page (PRG)");
        let n = by_id(&p, "notice");
        assert!(
            n.contains("記録しました")
                && n.contains("YubiKey 5 NFC")
                && n.contains("返却済み")
                && n.contains("認証要素を無効化しました"),
            "{n}"
        );
        assert!(rows(&p, "due").is_empty() && p.text().contains("返却待ちの認証媒体はありません。"), "{}", p.text());
        assert_eq!(rows(&p, "records"), std::slice::from_ref(&r));
        let rec = format!("#records tr[data-return=\"{r}\"]");
        assert_eq!(p.eval(&format!("document.querySelector('{rec}').dataset.status")), json!("returned"));
        let cells = p.eval(&format!("document.querySelector('{rec}').innerText")).as_str().unwrap().to_string();
        assert!(
            cells.contains("返却済み")
                && cells.contains("p-so-0301")
                && cells.contains(NOTE)
                && cells.contains("2026-04-01 09:0"),
            "by whom, when, note: {cells}"
        );

        // R-AU-12: the collected key is then destroyed, from the records table.
        p.fill(&format!("{rec} input[name=note]"), SHRED);
        p.submit_and_wait(&format!("{rec} .destroy-submit"));
        assert!(by_id(&p, "notice").contains("廃棄済み"), "{}", by_id(&p, "notice"));
        assert_eq!(p.eval(&format!("document.querySelector('{rec}').dataset.status")), json!("destroyed"));
        assert!(
            p.eval(&format!("document.querySelector('{rec} .destroy-submit') === null")).as_bool().unwrap(),
            "destroyed once"
        );

        // English second.
        p.goto(&format!("{base}/officer/returns?lang=en"));
        assert!(p.text().contains("Authenticator returns") && p.text().contains("destroyed"), "{}", p.text());
    })
    .await
    .unwrap();

    // The key can no longer sign in: its credential is revoked, by the same revocation as a loss.
    assert!(!credential_exists(&s, &holder, &cred).await, "the returned key's credential is gone");
    assert_eq!(return_status(&s, &ret).await, ("destroyed".into(), Some("p-so-0301".into()), Some(SHRED.into())));
    assert_eq!(s.audit_count("credential.revoked", Some("authenticator_returned")).await, 1);
    assert_eq!(s.audit_count("authenticator.return_recorded", Some(NOTE)).await, 1);
    assert_eq!(s.audit_count("authenticator.return_recorded", Some(SHRED)).await, 1);

    // A second record is refused with the app's message and changes nothing.
    let page = officer.post("/officer/returns", &[("id", &ret), ("action", "lost")]).await;
    assert_eq!(page.status, 303);
    let loc = page.location.unwrap();
    assert!(
        loc.starts_with("/officer/returns?") && query_value(&loc, "error").contains("already recorded as destroyed"),
        "{loc}"
    );
    let shown = officer.get(&loc).await;
    assert!(shown.by_id("error").is_some_and(|e| e.contains("already recorded")), "{}", shown.body);
    assert_eq!(return_status(&s, &ret).await.0, "destroyed");
    assert_eq!(s.audit_count("authenticator.return_recorded", None).await, 2);
}

/// Marks account `id` as a shared ID.
async fn make_shared(s: &Server, id: String) {
    s.app
        .db(move |c| {
            Ok(diesel::RunQueryDsl::execute(
                diesel::update(diesel::QueryDsl::find(store::schema::accounts::table, &id))
                    .set(diesel::ExpressionMethods::eq(store::schema::accounts::is_shared, true)),
                c,
            )?)
        })
        .await
        .unwrap();
}

async fn users_of(s: &Server, login: &str) -> Vec<(String, String)> {
    let login = login.to_string();
    s.app
        .db(move |c| {
            Ok(tobira::app::shared_ids::list(c, &login)?
                .into_iter()
                .map(|u| (u.employee_number, u.permitted_by))
                .collect())
        })
        .await
        .unwrap()
}

/// Follows a page form's redirect; the notice or error it came back with.
async fn after(c: &Client, page: web::Page) -> (String, String) {
    assert_eq!(page.status, 303, "{}", page.body);
    let loc = page.location.unwrap();
    assert!(loc.starts_with("/officer/shared-ids?"), "{loc}");
    let shown = c.get(&loc).await;
    assert_eq!(shown.status, 200);
    (shown.by_id("notice").unwrap_or_default(), shown.by_id("error").unwrap_or_default())
}

both_backends! {
    async fn r_au_08_an_officer_adds_and_removes_a_shared_ids_user_on_the_page(db: TestDb) {
        let s = web::start(&db, |_| {}).await;
        s.account("p-so-0302", PASSWORD, false, true).await;
        s.person("jiro", "200011", "regular", false, &[]).await;
        s.person("kacho", "200012", "regular", true, &[]).await;
        make_shared(&s, s.account("madoguchi-03", PASSWORD, false, false).await).await;
        let (officer, _) = signed_in(&s, "p-so-0302").await;
        let (staff, _) = signed_in(&s, "jiro").await;

        // Officers only.
        assert_eq!(staff.get("/officer/shared-ids").await.status, 403);
        assert_eq!(staff.post("/officer/shared-ids/users", &[("login", "madoguchi-03"), ("employee_number", "200011"), ("permitted_by", "200012")]).await.status, 403);
        assert!(users_of(&s, "madoguchi-03").await.is_empty());

        // The page lists the shared ID (and no personal account) with nobody on it yet.
        let page = officer.get("/officer/shared-ids").await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("data-login=\"madoguchi-03\"") && !page.body.contains("data-login=\"jiro\""), "{}", page.body);
        assert!(page.body.contains("利用者は登録されていません。"));
        assert!(officer.get("/account").await.body.contains("href=\"/officer/shared-ids\""), "the console link for officers");

        // Refusals are the app's: an unknown permitter, a personal account.
        let (_, e) = after(&officer, officer.post("/officer/shared-ids/users", &[("login", "madoguchi-03"), ("employee_number", "200011"), ("permitted_by", "999999")]).await).await;
        assert!(e.contains("no person with employee number 999999"), "{e}");
        let (_, e) = after(&officer, officer.post("/officer/shared-ids/users", &[("login", "jiro"), ("employee_number", "200011"), ("permitted_by", "200012")]).await).await;
        assert!(e.contains("共用IDではありません"), "{e}");

        // Add: listed with who permitted it.
        let (n, e) = after(&officer, officer.post("/officer/shared-ids/users", &[("login", "madoguchi-03"), ("employee_number", "200011"), ("permitted_by", "200012")]).await).await;
        assert!(n.contains("利用者を追加しました") && e.is_empty(), "{n} {e}");
        assert_eq!(users_of(&s, "madoguchi-03").await, [("200011".to_string(), "200012".to_string())]);
        let page = officer.get("/officer/shared-ids").await;
        assert!(page.body.contains("data-user=\"200011\"") && page.body.contains("<td>200012</td>") && page.body.contains("<td>p-so-0302</td>"), "{}", page.body);
        let (_, e) = after(&officer, officer.post("/officer/shared-ids/users", &[("login", "madoguchi-03"), ("employee_number", "200011"), ("permitted_by", "200012")]).await).await;
        assert!(e.contains("already a user"), "once: {e}");

        // Remove, with a reason.
        let (n, _) = after(&officer, officer.post("/officer/shared-ids/users/remove", &[("login", "madoguchi-03"), ("employee_number", "200011"), ("reason", "担当替え")]).await).await;
        assert!(n.contains("利用者を削除しました"), "{n}");
        assert!(users_of(&s, "madoguchi-03").await.is_empty());
        assert!(!officer.get("/officer/shared-ids").await.body.contains("data-user=\"200011\""));
        let (_, e) = after(&officer, officer.post("/officer/shared-ids/users/remove", &[("login", "madoguchi-03"), ("employee_number", "200011")]).await).await;
        assert!(e.contains("not found"), "{e}");

        assert_eq!(s.audit_count("shared_id.user_added", Some("200012")).await, 1);
        assert_eq!(s.audit_count("shared_id.user_removed", Some("担当替え")).await, 1);
        let en = officer.get("/officer/shared-ids?lang=en").await;
        assert!(en.body.contains("Shared-ID users") && en.body.contains("Add a user"), "English second");
    }
}
