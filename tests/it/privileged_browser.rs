//! The elevations console (`/privileged/elevations`). In real headless Chromium (R-PR-02, R-AC-02):
//! a holder's privileged account, made eligible for juki.admin by juki's owner through the API,
//! signs in (password, then a TOTP code), follows the console link, asks for a 30-minute elevation;
//! their own approval through the page's form is refused with the application's message; the owner,
//! in another browser, approves it from the queue; the holder sees it active with its times in JST
//! and ends it now, which ends the privileged session with it (R-PR-08). Over HTTP on both backends:
//! a request beyond the policy's limit is refused with the app's message, the owner denies a request
//! with a reason, the holder sees it denied with that reason, a second decision is refused, and a
//! person with nothing to do with elevations gets no link and a page saying so; a break-glass
//! elevation waits for its review afterwards, which its holder may not record and the owner does.

use crate::browser::{Browser, Page};
use crate::oidc_rp::{self, Op, PASSWORD};
use crate::privileged::{change_temporary, officer, privileged_account, signed_in};
use crate::support::{both_backends, TestDb};
use crate::web::{totp_code, Client};
use serde_json::json;

const PAGE: &str = "/privileged/elevations";
const REASON: &str = "月次バッチ障害対応";

/// Juki's owner (900011) and p-sato, 300001's privileged account, eligible for juki.admin; both
/// signed in over HTTP with a TOTP enrolled: (op, owner, owner's TOTP secret, holder, holder's secret).
async fn holder_and_owner(db: &TestDb, so_login: &str) -> (Op, Client, Vec<u8>, Client, Vec<u8>) {
    let op = oidc_rp::start(db).await;
    let so = officer(&op, so_login).await;
    op.s.person("juki-kacho", "900011", "regular", true, &[]).await;
    op.s.person("sato", "300001", "regular", false, &["juki.clerk"]).await;
    let (owner, owner_totp) = signed_in(&op, "juki-kacho", PASSWORD).await;
    let (login, temporary) = privileged_account(&so, "300001").await;
    assert_eq!(login, "p-sato");
    let (holder, holder_totp) = change_temporary(&op, &login, &temporary).await;
    let (status, body) = owner
        .post_json(
            "/api/privileged/eligibility",
            json!({ "account": "p-sato", "role": "juki.admin", "reason": "運用担当" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    (op, owner, owner_totp, holder, holder_totp)
}

/// The elevation's status and who decided it, from the database.
async fn elevation(app: &tobira::app::App, id: &str) -> (String, Option<String>, Option<String>) {
    let id = id.to_string();
    let e = app.db(move |c| Ok(tobira::store::privileged::elevation(c, &id)?.unwrap())).await.unwrap();
    (e.status, e.decided_by, e.decision_note)
}

/// The `data-elevation` ids of the rows of table `#{table}`.
fn rows(p: &Page, table: &str) -> Vec<String> {
    let v = p.eval(&format!(
        "Array.from(document.querySelectorAll('#{table} tr[data-elevation]')).map(r => r.dataset.elevation)"
    ));
    v.as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_string()).collect()
}

fn by_id(p: &Page, id: &str) -> String {
    p.eval(&format!("(document.getElementById('{id}') || {{}}).innerText || ''")).as_str().unwrap().to_string()
}

/// Signs `login` in on `p` with the password and then the TOTP `code`.
pub(crate) fn browser_sign_in(p: &Page, base: &str, login: &str, code: &str) {
    p.goto(&format!("{base}/signin"));
    p.fill("#login_id", login);
    p.fill("#password", PASSWORD);
    p.submit_and_wait("#signin-submit");
    assert_eq!(p.path(), "/signin/second", "{login}: {}", p.text());
    p.fill("#code", code);
    p.submit_and_wait("#totp-submit");
    assert_ne!(p.path(), "/signin/second", "{login}'s TOTP code was accepted: {}", p.text());
}

/// The value of `?{key}=` in a redirect's location, decoded.
fn query_value(location: &str, key: &str) -> String {
    let q = location.split_once('?').map_or("", |(_, q)| q);
    url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == key).map(|(_, v)| v.into_owned()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_pr_02_a_holder_asks_on_the_page_another_person_approves_it_there_and_the_holder_ends_it() {
    let db = TestDb::sqlite();
    let (op, _owner, owner_totp, holder, holder_totp) = holder_and_owner(&db, "p-so-0401").await;
    let now = (op.s.clock_ms() / 1000) as u64;
    let (holder_code, owner_code) = (totp_code(&holder_totp, now), totp_code(&owner_totp, now));
    let (base, rt, s) = (op.s.base.clone(), tokio::runtime::Handle::current(), op.s.app.clone());
    let id = tokio::task::spawn_blocking(move || {
        let hb = Browser::start();
        let h = hb.new_page();
        browser_sign_in(&h, &base, "p-sato", &holder_code);

        // The console link on /account leads to the page: the eligible role and the form.
        h.goto(&format!("{base}/account"));
        h.submit_and_wait("#elevations-link");
        assert_eq!(h.path(), PAGE);
        let text = h.text();
        for shown in ["特権の昇格", "住基 システム管理者", "juki.admin", "juki-kacho", "上限: 120 分"]
        {
            assert!(text.contains(shown), "{shown} on the page: {text}");
        }
        assert!(h.eval("document.getElementById('to-decide') === null").as_bool().unwrap(), "no queue for the holder");

        // Ask for 30 minutes with a reason and a ticket.
        h.fill("#ask-minutes", "30");
        h.fill("#ask-reason", REASON);
        h.fill("#ask-ticket", "INC-0412");
        h.submit_and_wait("#ask-submit");
        assert_eq!(h.path(), PAGE, "back on the page (PRG)");
        assert!(by_id(&h, "notice").contains("申請しました"), "{}", by_id(&h, "notice"));
        let mine = rows(&h, "mine");
        assert_eq!(mine.len(), 1, "{}", h.text());
        let id = mine[0].clone();
        let row = format!("#mine tr[data-elevation=\"{id}\"]");
        assert_eq!(h.eval(&format!("document.querySelector('{row}').dataset.status")), json!("pending"));
        assert!(h.eval(&format!("document.querySelector('{row}').innerText")).as_str().unwrap().contains("承認待ち"));

        // R-AC-02: the holder's own approval, through the page's form, is refused with the app's message.
        let refused = rt.block_on(
            holder.post("/privileged/elevations/decide", &[("id", &id), ("decision", "approve"), ("note", "自分で")]),
        );
        assert_eq!(refused.status, 303);
        let loc = refused.location.unwrap();
        assert!(loc.starts_with("/privileged/elevations?"), "{loc}");
        assert!(query_value(&loc, "error").contains("nobody approves their own elevation (R-AC-02)"), "{loc}");
        h.goto(&format!("{base}{loc}"));
        assert!(
            by_id(&h, "error").contains("nobody approves their own elevation (R-AC-02)"),
            "shown on the page: {}",
            h.text()
        );
        assert_eq!(rt.block_on(elevation(&s, &id)).0, "pending");

        // The owner, in another browser, finds it in the queue and approves it.
        let ob = Browser::start();
        let o = ob.new_page();
        browser_sign_in(&o, &base, "juki-kacho", &owner_code);
        o.goto(&format!("{base}/account"));
        o.submit_and_wait("#elevations-link");
        assert_eq!(rows(&o, "to-decide"), std::slice::from_ref(&id), "{}", o.text());
        let q = format!("#to-decide tr[data-elevation=\"{id}\"]");
        let cells = o.eval(&format!("document.querySelector('{q}').innerText")).as_str().unwrap().to_string();
        assert!(
            cells.contains("p-sato") && cells.contains(REASON) && cells.contains("INC-0412") && cells.contains("JST"),
            "{cells}"
        );
        o.fill(&format!("{q} form.approve input[name=note]"), "承認");
        o.submit_and_wait(&format!("{q} .approve-submit"));
        assert_eq!(o.path(), PAGE);
        assert!(by_id(&o, "notice").contains("承認しました"), "{}", by_id(&o, "notice"));
        assert!(rows(&o, "to-decide").is_empty() && o.text().contains("判断を待つ申請はありません。"), "{}", o.text());

        // The holder sees it active, from and until in JST, and ends it now.
        h.goto(&format!("{base}{PAGE}"));
        assert_eq!(h.eval(&format!("document.querySelector('{row}').dataset.status")), json!("active"));
        let cells = h.eval(&format!("document.querySelector('{row}').innerText")).as_str().unwrap().to_string();
        assert!(
            cells.contains("有効") && cells.contains("juki-kacho") && cells.matches("JST").count() >= 3,
            "asked, from, until: {cells}"
        );
        if let Some(png) = h.send("Page.captureScreenshot", json!({ "format": "png" }))["data"].as_str() {
            use base64::Engine;
            let _ = std::fs::write(
                "/tmp/privileged-elevations-page.png",
                base64::engine::general_purpose::STANDARD.decode(png).unwrap(),
            );
        }
        h.submit_and_wait(&format!("{row} .end-submit"));
        assert_eq!(h.path(), "/signin", "the privileged session ends with the elevation (R-PR-08): {}", h.text());

        // English second.
        o.goto(&format!("{base}{PAGE}?lang=en"));
        assert!(
            o.text().contains("Privileged elevations") && o.text().contains("No request waits for your decision."),
            "{}",
            o.text()
        );
        id
    })
    .await
    .unwrap();

    assert_eq!(elevation(&op.s.app, &id).await, ("ended".into(), Some("juki-kacho".into()), Some("承認".into())));
    assert_eq!(op.s.audit_count("privileged.decision_refused", Some("R-AC-02")).await, 1);
    assert_eq!(op.s.audit_count("privileged.elevation_approved", Some(&id)).await, 1);
    assert_eq!(op.s.audit_count("privileged.elevation_ended", Some("ended_early")).await, 1);
}

/// Follows a page form's redirect; the notice or error it came back with.
async fn after(c: &Client, page: crate::web::Page) -> (String, String) {
    assert_eq!(page.status, 303, "{}", page.body);
    let loc = page.location.unwrap();
    assert!(loc.starts_with("/privileged/elevations?"), "{loc}");
    let shown = c.get(&loc).await;
    assert_eq!(shown.status, 200);
    (shown.by_id("notice").unwrap_or_default(), shown.by_id("error").unwrap_or_default())
}

both_backends! {
    async fn r_pr_02_an_approver_denies_a_request_on_the_elevations_page_with_a_reason(db: TestDb) {
        let (op, owner, _, holder, _) = holder_and_owner(&db, "p-so-0402").await;
        op.s.person("jiro", "300002", "regular", false, &[]).await;
        let (staff, _) = signed_in(&op, "jiro", PASSWORD).await;

        // Someone with nothing to do with elevations: no link, and the page says so.
        assert!(!staff.get("/account").await.body.contains("/privileged/elevations"));
        let page = staff.get(PAGE).await;
        assert_eq!(page.status, 200);
        assert!(page.by_id("nothing").is_some() && !page.body.contains("id=\"ask\""), "{}", page.body);
        assert!(owner.get("/account").await.body.contains("href=\"/privileged/elevations\""), "the owner decides elevations");
        assert!(holder.get("/account").await.body.contains("href=\"/privileged/elevations\""), "the holder is eligible");

        // The page's refusals are the app's: beyond the policy's limit (R-PR-07), not eligible.
        let (_, e) = after(&holder, holder.post(PAGE, &[("role", "juki.admin"), ("minutes", "500"), ("reason", REASON), ("ticket", "INC-1")]).await).await;
        assert!(e.contains("between 1 and 120 minutes (R-PR-07)"), "{e}");
        let (_, e) = after(&holder, holder.post(PAGE, &[("role", "zeimu.admin"), ("minutes", "30"), ("reason", REASON), ("ticket", "INC-1")]).await).await;
        assert!(e.contains("not eligible"), "{e}");
        let (_, e) = after(&holder, holder.post(PAGE, &[("role", "juki.admin"), ("minutes", "半時間"), ("reason", REASON), ("ticket", "INC-1")]).await).await;
        assert!(e.contains("数字"), "{e}");
        // Without the CSRF token nothing is asked.
        assert_eq!(holder.post_raw(PAGE, &[("role", "juki.admin"), ("minutes", "30"), ("reason", REASON), ("ticket", "INC-1")]).await.status, 403);

        let (n, e) = after(&holder, holder.post(PAGE, &[("role", "juki.admin"), ("minutes", "45"), ("reason", REASON), ("ticket", "INC-2")]).await).await;
        assert!(n.contains("申請しました") && e.is_empty(), "{n} {e}");
        let (status, listed) = holder.get_json("/api/privileged/elevations").await;
        assert_eq!(status, 200);
        let id = listed["mine"][0]["id"].as_str().unwrap().to_string();
        assert_eq!(listed["mine"][0]["minutes"], 45, "the page asked through the same function as the API");

        // Only an approver may deny: staff's form is refused with the app's message.
        let (_, e) = after(&staff, staff.post("/privileged/elevations/decide", &[("id", &id), ("decision", "deny"), ("note", "x")]).await).await;
        assert!(e.contains("not one of those the policy names"), "{e}");

        let page = owner.get(PAGE).await;
        assert!(page.body.contains(&format!("<tr data-elevation=\"{id}\">")), "in the owner's queue: {}", page.body);
        let (n, e) = after(&owner, owner.post("/privileged/elevations/decide", &[("id", &id), ("decision", "deny"), ("note", "チケット不備")]).await).await;
        assert!(n.contains("却下しました") && e.is_empty(), "{n} {e}");
        assert_eq!(elevation(&op.s.app, &id).await, ("denied".into(), Some("juki-kacho".into()), Some("チケット不備".into())));
        assert!(owner.get(PAGE).await.body.contains("判断を待つ申請はありません。"));

        // The holder sees it denied, with the reason; a second decision is refused.
        let page = holder.get(PAGE).await;
        assert!(page.body.contains(&format!("data-elevation=\"{id}\" data-status=\"denied\"")) && page.body.contains("チケット不備") && page.body.contains("却下"), "{}", page.body);
        assert!(!page.body.contains("end-submit"), "nothing to end");
        let (_, e) = after(&owner, owner.post("/privileged/elevations/decide", &[("id", &id), ("decision", "approve")]).await).await;
        assert!(e.contains("pending elevation"), "{e}");
        assert_eq!(op.s.audit_count("privileged.elevation_denied", Some("チケット不備")).await, 1);
        assert_eq!(op.s.audit_count("privileged.decision_refused", Some(&id)).await, 1, "staff's attempt is evidence too");
    }
}

both_backends! {
    async fn r_pr_02_a_break_glass_elevation_is_reviewed_afterwards_on_the_elevations_page(db: TestDb) {
        let (op, owner, _, holder, _) = holder_and_owner(&db, "p-so-0403").await;
        let (n, e) = after(&holder, holder.post(PAGE, &[("role", "juki.admin"), ("minutes", "20"), ("reason", "窓口停止"), ("ticket", "INC-9"), ("break_glass", "on")]).await).await;
        assert!(n.contains("昇格が有効になりました") && e.is_empty(), "break-glass starts at once: {n} {e}");
        let (_, listed) = holder.get_json("/api/privileged/elevations").await;
        let id = listed["mine"][0]["id"].as_str().unwrap().to_string();
        assert_eq!((listed["mine"][0]["status"].as_str(), listed["mine"][0]["review_required"].as_bool()), (Some("active"), Some(true)));
        let page = holder.get(PAGE).await;
        assert!(page.body.contains(&format!("data-elevation=\"{id}\" data-status=\"active\"")) && page.body.contains("事後確認待ち") && page.body.contains("end-submit"), "{}", page.body);
        assert!(!page.body.contains("id=\"to-review\""), "the holder does not review their own");

        // R-AC-02: the holder's own review is refused with the app's message.
        let (_, e) = after(&holder, holder.post("/privileged/elevations/review", &[("id", &id), ("note", "自分で")]).await).await;
        assert!(e.contains("nobody approves their own elevation (R-AC-02)"), "{e}");

        // The owner finds it waiting for review and records it.
        let page = owner.get(PAGE).await;
        assert!(page.body.contains("id=\"to-review\"") && page.body.contains(&format!("<tr data-elevation=\"{id}\" data-status=\"active\">")), "{}", page.body);
        let (n, e) = after(&owner, owner.post("/privileged/elevations/review", &[("id", &id), ("note", "障害票を確認")]).await).await;
        assert!(n.contains("事後確認を記録しました") && e.is_empty(), "{n} {e}");
        assert!(!owner.get(PAGE).await.body.contains("id=\"to-review\""), "reviewed once");
        let (_, e) = after(&owner, owner.post("/privileged/elevations/review", &[("id", &id)]).await).await;
        assert!(e.contains("awaiting review"), "{e}");
        assert!(holder.get(PAGE).await.body.contains("事後確認済み"));
        assert_eq!(op.s.audit_count("privileged.elevation_reviewed", Some("障害票を確認")).await, 1);
        assert_eq!(op.s.audit_count("privileged.review_refused", Some("R-AC-02")).await, 1);
    }
}
