//! The access-request pages in real headless Chromium with the CSP enforced (R-LC-02, R-AC-01):
//! sato asks for juki.clerk on `/requests` with a reason and an end date; the 所属長 of 市民課 and then
//! juki's owner, each in their own browser, approve it from `/requests/queue`; sato sees it granted,
//! and the business system's token carries the role. A request that would break separation of
//! duties is refused on the page with the policy's reason, and nothing is granted.

use crate::access_requests::{day, juki_token, office};
use crate::browser::{Browser, Page};
use crate::oidc_rp::{self, PASSWORD};
use crate::privileged::signed_in;
use crate::privileged_browser::browser_sign_in;
use crate::support::{count, TestDb};
use crate::web::totp_code;
use serde_json::json;

fn by_id(p: &Page, id: &str) -> String {
    p.eval(&format!("(document.getElementById('{id}') || {{}}).innerText || ''")).as_str().unwrap().to_string()
}

/// Fills the ask form on `/requests` and submits it.
fn ask(p: &Page, role: &str, reason: &str, until: &str) {
    p.fill("#ask-role", role);
    p.fill("#ask-reason", reason);
    p.fill("#ask-until", until);
    p.submit_and_wait("#ask-submit");
    assert_eq!(p.path(), "/requests", "back on the page (PRG)");
}

/// Signs `login` in in a new browser, approves request `id` from the queue, returns the notice.
fn approve_in_queue(base: &str, login: &str, code: &str, id: &str) -> String {
    let b = Browser::start();
    let p = b.new_page();
    browser_sign_in(&p, base, login, code);
    p.goto(&format!("{base}/requests"));
    p.submit_and_wait("#queue-link a");
    assert_eq!(p.path(), "/requests/queue");
    let q = format!("#queue tr[data-request=\"{id}\"]");
    let cells = p.eval(&format!("document.querySelector('{q}').innerText")).as_str().unwrap().to_string();
    assert!(cells.contains("sato") && cells.contains("窓口繁忙期の応援") && cells.contains("JST"), "{cells}");
    p.fill(&format!("{q} form.approve input[name=note]"), "了承");
    p.submit_and_wait(&format!("{q} .approve-submit"));
    assert_eq!(p.path(), "/requests/queue");
    assert!(p.eval("document.getElementById('queue') === null").as_bool().unwrap(), "nothing left: {}", p.text());
    by_id(&p, "notice")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_lc_02_asked_on_the_page_approved_on_two_queues_and_carried_in_the_systems_token() {
    let db = TestDb::sqlite();
    let (op, (_, staff_totp), (_, head_totp), (_, owner_totp)) = office(&db).await;
    op.s.clock.advance(time::Duration::seconds(30));
    let now = (op.s.clock_ms() / 1000) as u64;
    let codes = (totp_code(&staff_totp, now), totp_code(&head_totp, now), totp_code(&owner_totp, now));
    let (base, until) = (op.s.base.clone(), day(&op, 7));
    tokio::task::spawn_blocking(move || {
        let sb = Browser::start();
        let s = sb.new_page();
        browser_sign_in(&s, &base, "sato", &codes.0);
        s.goto(&format!("{base}/account"));
        s.submit_and_wait("#requests-link");
        assert_eq!(s.path(), "/requests", "the account page links the requests page");
        let text = s.text();
        for shown in ["アクセス申請", "申請できるロール", "住基 事務担当", "住民基本台帳システム", "90"]
        {
            assert!(text.contains(shown), "{shown} on the page: {text}");
        }
        assert!(!text.contains("juki.admin"), "no privileged role is offered: {text}");
        ask(&s, "juki.clerk", "窓口繁忙期の応援", &until);
        assert!(by_id(&s, "notice").contains("申請しました"), "{}", s.text());
        let id =
            s.eval("document.querySelector('#mine tr[data-request]').dataset.request").as_str().unwrap().to_string();
        let row = format!("#mine tr[data-request=\"{id}\"]");
        assert!(s.eval(&format!("document.querySelector('{row}').innerText")).as_str().unwrap().contains("承認待ち"));

        assert!(approve_in_queue(&base, "shimin-kacho", &codes.1, &id).contains("次の承認者へ"));
        assert!(approve_in_queue(&base, "juki-kanri", &codes.2, &id).contains("ロールを付与しました"));

        s.goto(&format!("{base}/requests"));
        assert_eq!(s.eval(&format!("document.querySelector('{row}').dataset.status")), json!("granted"));
        let cells = s.eval(&format!("document.querySelector('{row}').innerText")).as_str().unwrap().to_string();
        assert!(
            cells.contains("付与済み") && cells.contains("shimin-kacho") && cells.contains("juki-kanri"),
            "{cells}"
        );
        s.goto(&format!("{base}/requests?lang=en"));
        assert!(s.text().contains("Access requests") && s.text().contains("Granted"), "English second: {}", s.text());
    })
    .await
    .unwrap();
    assert_eq!(
        juki_token(&op, "sato", &staff_totp).await["roles"],
        json!(["juki.clerk"]),
        "the relying party's token carries the role"
    );
    assert_eq!(op.s.audit_count("access.granted", None).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_ac_01_a_request_breaking_separation_of_duties_is_refused_on_the_page_with_the_reason() {
    let db = TestDb::sqlite();
    let op = oidc_rp::start(&db).await;
    op.s.person("sato", "300001", "regular", false, &["zeimu.kazei_input"]).await;
    let (_, totp) = signed_in(&op, "sato", PASSWORD).await;
    op.s.clock.advance(time::Duration::seconds(30));
    let code = totp_code(&totp, (op.s.clock_ms() / 1000) as u64);
    let (base, until) = (op.s.base.clone(), day(&op, 30));
    tokio::task::spawn_blocking(move || {
        let b = Browser::start();
        let p = b.new_page();
        browser_sign_in(&p, &base, "sato", &code);
        p.goto(&format!("{base}/requests"));
        ask(&p, "zeimu.kazei_approve", "決裁のため", &until);
        let error = by_id(&p, "error");
        assert!(
            error.contains("職務の分離") && error.contains("相互牽制"),
            "the policy's reason on the page: {}",
            p.text()
        );
        assert!(
            p.eval("document.getElementById('mine') === null").as_bool().unwrap(),
            "no request was made: {}",
            p.text()
        );
    })
    .await
    .unwrap();
    let pool = op.s.app.pool.clone();
    let n = tokio::task::spawn_blocking(move || {
        count(&mut pool.get().unwrap(), "SELECT COUNT(*) AS n FROM access_requests")
    })
    .await
    .unwrap();
    assert_eq!(n, 0);
    assert_eq!(op.s.audit_count("access.request_refused", Some("kazei")).await, 1);
}
