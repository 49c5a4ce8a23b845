//! The console's approvals, privileged-ID and helpdesk pages over HTTP, on both backends: officer
//! actions awaiting a second person are listed with who asked, what and why, and only someone other
//! than the requester and the target decides them, with a reason (a forged decision is refused and
//! audited, R-AC-02); the privileged page shows privileged IDs with their holders, the report and the
//! delegates, the CISO approves a delegate there and the 統括 a pending elevation, and staff and the
//! helpdesk are refused (R-PR-01, R-PR-03); the helpdesk unlocks and sends links to staff only, never to an officer, and does not
//! read the audit log (R-LG-11).

use crate::console::{lock, locked, reshape};
use crate::oidc_rp::PASSWORD;
use crate::privileged::{change_temporary, privileged_account, signed_in, with_owner};
use crate::support::both_backends;
use crate::web;
use serde_json::json;

/// The `data-request` ids on an approvals page, with whether each is decidable.
fn requests(body: &str) -> Vec<(String, bool)> {
    body.split("data-request=\"")
        .skip(1)
        .map(|s| {
            let id = s.split('"').next().unwrap().to_string();
            let decidable = s.split("data-decidable=\"").nth(1).unwrap().starts_with("true");
            (id, decidable)
        })
        .collect()
}

both_backends! {
    async fn r_ac_02_the_approvals_page_lists_what_waits_and_only_a_second_person_decides_it(db: TestDb) {
        let s = web::start(&db, |_| {}).await;
        s.account("p-so-1101", PASSWORD, false, true).await;
        s.account("p-so-1102", PASSWORD, false, true).await;
        let kansa = s.person("kansa", "100100", "regular", false, &["tobira.auditor"]).await;
        let kansa_id = reshape(&s, &kansa, "監査 花子", "カンサ ハナコ", None, "kansa").await;
        s.person("500090", "500090", "regular", false, &[]).await;
        let (asker, _) = crate::web::signed_in(&s, "p-so-1101").await;
        let (second, _) = crate::web::signed_in(&s, "p-so-1102").await;
        let (target, _) = crate::web::signed_in(&s, "kansa").await;
        let (staff, _) = crate::web::signed_in(&s, "500090").await;
        lock(&s, &kansa).await;

        // The asker's unlock of the auditor only records a request; the answer points to the page.
        let r = asker.post(&format!("/console/people/{kansa_id}/act"), &[("login", "kansa"), ("action", "unlock"), ("reason", "監査人から電話")]).await;
        assert!(r.location.as_deref().unwrap().contains("notice="), "{:?}", r.location);
        assert!(asker.get(&format!("/console/people/{kansa_id}")).await.body.contains("href=\"/console/approvals\""), "the person page links the approvals page");
        let (code, body) = asker.post_json("/api/officer/accounts/kansa/password-reset", json!({})).await;
        assert_eq!((code, body["approve_at"].as_str()), (202, Some("/console/approvals")), "{body}");
        assert!(locked(&s, &kansa).await);

        // The asker sees both, decides neither: no button, and a forged POST is refused and audited.
        let page = asker.get("/console/approvals").await;
        assert_eq!(page.status, 200, "{}", page.body);
        let listed = requests(&page.body);
        assert_eq!(listed.len(), 2, "{}", page.body);
        assert!(listed.iter().all(|(_, d)| !d), "the requester is offered no button");
        assert!(page.body.contains("監査人から電話") && page.body.contains("監査 花子（100100）") && page.body.contains("p-so-1101") && page.body.contains("ロック解除"), "{}", page.body);
        assert!(!page.body.contains("class=\"decide\""));
        let unlock = listed.iter().find(|(id, _)| page.body.contains(&format!("data-request=\"{id}\" data-kind=\"unlock\""))).unwrap().0.clone();
        let decide = format!("/console/approvals/{unlock}/decide");
        let forged = asker.post(&decide, &[("decision", "approve"), ("reason", "自分で承認")]).await;
        assert_eq!(forged.status, 403, "{}", forged.body);
        assert!(!forged.body.contains("OwnRequest"), "no Rust debug output: {}", forged.body);
        // The target and staff: not even the page; a forged decision is refused all the same.
        assert_eq!(target.get("/console/approvals").await.status, 403);
        assert_eq!(staff.get("/console/approvals").await.status, 403);
        assert_eq!(target.post(&decide, &[("decision", "approve"), ("reason", "自分の解除")]).await.status, 403);
        assert_eq!(staff.post(&decide, &[("decision", "approve"), ("reason", "x")]).await.status, 403);
        // Without the CSRF token nothing is decided either.
        assert_eq!(second.post_raw(&decide, &[("decision", "approve"), ("reason", "x")]).await.status, 403);
        assert!(locked(&s, &kansa).await, "nothing changed");
        assert_eq!(s.audit_count("officer.action_approved", Some("refused")).await, 3, "each forged decision is audited");

        // The second officer sees buttons; a reason is required; then the unlock takes effect.
        let page = second.get("/console/approvals").await;
        assert!(requests(&page.body).iter().all(|(_, d)| *d), "{}", page.body);
        let r = second.post(&decide, &[("decision", "approve"), ("reason", " ")]).await;
        assert!(r.location.as_deref().unwrap().contains("error="), "{:?}", r.location);
        assert!(locked(&s, &kansa).await);
        let r = second.post(&decide, &[("decision", "approve"), ("reason", "本人確認済み")]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert!(r.location.as_deref().unwrap().contains("notice="), "{:?}", r.location);
        assert!(!locked(&s, &kansa).await, "unlocked by the second person");
        assert_eq!(s.audit_count("officer.action_approved", Some("本人確認済み")).await, 1, "the decision keeps its reason");
        assert_eq!(s.audit_count("account.unlocked", Some("監査人から電話")).await, 1, "the action keeps the requester's reason");
        // The password reset: approving it shows the temporary password once, on its own page.
        let reset = requests(&second.get("/console/approvals").await.body);
        assert_eq!(reset.len(), 1);
        let shown = second.post(&format!("/console/approvals/{}/decide", reset[0].0), &[("decision", "approve"), ("reason", "本人の依頼")]).await;
        assert_eq!(shown.status, 200, "{}", shown.body);
        let temporary = shown.by_id("secret").unwrap();
        assert_eq!(temporary.len(), 20);
        assert_eq!(s.audit_count("officer.action_approved", Some(&temporary)).await, 0, "the password is not in the log");
        assert!(requests(&second.get("/console/approvals").await.body).is_empty());
        assert!(s.audit_count("console.approvals_viewed", None).await >= 4, "readings are audited");
    }
}

both_backends! {
    async fn r_pr_01_r_pr_03_the_privileged_page_shows_ids_report_and_delegates_and_the_ciso_approves_there(db: TestDb) {
        let (op, so, owner) = with_owner(&db, "p-so-1201").await;
        op.s.person("ciso", "100000", "regular", false, &["tobira.ciso"]).await;
        let (ciso, _) = signed_in(&op, "ciso", PASSWORD).await;
        op.s.person("kakari", "300005", "regular", false, &[]).await;
        let (staff, _) = signed_in(&op, "kakari", PASSWORD).await;
        op.s.person("madoguchi", "300070", "regular", false, &["tobira.helpdesk"]).await;
        let (helpdesk, _) = signed_in(&op, "madoguchi", PASSWORD).await;
        op.s.person("sato", "300001", "regular", false, &[]).await;
        let (one, temporary) = privileged_account(&so, "300001").await;
        let (code, body) = owner.post_json("/api/privileged/eligibility", json!({ "account": one, "role": "juki.admin", "reason": "住基の保守" })).await;
        assert_eq!(code, 201, "{body}");
        let today = tobira_domain::time_util::jst_display(op.s.clock_ms())[..10].replace('/', "-");
        let (_, d) = owner.post_json("/api/privileged/delegations", json!({ "principal": "system_owner:juki", "delegate": "300005", "from": today, "until": today, "reason": "課長 出張" })).await;
        let id = d["id"].as_str().unwrap().to_string();

        // The security officer reads it all, and has no delegate button (that is the CISO's).
        let page = so.get("/console/privileged").await;
        assert_eq!(page.status, 200, "{}", page.body);
        for shown in [format!("data-login=\"{one}\""), "東雲 太郎（300001）".into(), "juki.admin".into(), "住民基本台帳".into(), format!("data-delegation=\"{id}\""), "課長 出張".into()] {
            assert!(page.body.contains(&shown), "{shown}: {}", page.body);
        }
        assert!(!page.body.contains("class=\"decide-delegate\""), "not the officer's decision");
        // Staff and the helpdesk are refused, and the refusals recorded.
        assert_eq!(staff.get("/console/privileged").await.status, 403);
        assert_eq!(helpdesk.get("/console/privileged").await.status, 403);
        assert_eq!(op.s.audit_count("console.privileged_viewed", Some("refused")).await, 1, "the helpdesk's refusal (staff are no console reader at all)");
        // A forged decision by the officer is refused by the delegation's own rule.
        let decide = format!("/console/privileged/delegations/{id}/decide");
        let r = so.post(&decide, &[("decision", "approve")]).await;
        assert!(r.location.as_deref().unwrap().contains("error="), "{:?}", r.location);
        assert_eq!(so.post_raw(&decide, &[("decision", "approve")]).await.status, 403, "no CSRF token");

        // The CISO approves on the page.
        let page = ciso.get("/console/privileged").await;
        assert!(page.body.contains("class=\"decide-delegate\""), "{}", page.body);
        let r = ciso.post(&decide, &[("decision", "approve")]).await;
        assert!(r.location.as_deref().unwrap().contains("notice="), "{:?}", r.location);
        assert_eq!(op.s.audit_count("privileged.delegate_approved", None).await, 1);
        assert!(ciso.get("/console/privileged").await.body.contains(&format!("data-delegation=\"{id}\" data-status=\"approved\"")));
        assert!(op.s.audit_count("console.privileged_viewed", None).await >= 3, "readings are audited");

        // A pending elevation: not the security officer's to decide; the 統括 approves it on the page.
        op.s.person("tokatsu", "100001", "regular", false, &["tobira.chief_security_officer"]).await;
        let (cso, _) = signed_in(&op, "tokatsu", PASSWORD).await;
        let (holder, _) = change_temporary(&op, &one, &temporary).await;
        let (code, el) = holder.post_json("/api/privileged/elevations", json!({ "role": "juki.admin", "minutes": 30, "reason": "月次バッチ障害対応", "ticket": "INC-0412" })).await;
        assert_eq!(code, 201, "{el}");
        let form = format!("action=\"/console/privileged/elevations/{}/decide\"", el["id"].as_str().unwrap());
        assert!(!so.get("/console/privileged").await.body.contains(&form), "not the officer's to decide");
        let page = cso.get("/console/privileged").await;
        assert!(page.body.contains(&form) && page.body.contains("月次バッチ障害対応"), "{}", page.body);
        let r = cso.post(&format!("/console/privileged/elevations/{}/decide", el["id"].as_str().unwrap()), &[("decision", "approve"), ("note", "障害対応を確認")]).await;
        assert!(r.location.as_deref().unwrap().contains("notice="), "{:?}", r.location);
        let page = cso.get("/console/privileged").await;
        assert!(!page.body.contains(&form), "decided once");
        assert!(page.body.split("id=\"active-elevations\"").nth(1).is_some_and(|t| t.contains("月次バッチ障害対応")), "now active: {}", page.body);
    }
}

both_backends! {
    async fn r_lg_11_the_helpdesk_unlocks_staff_but_not_an_officer_and_does_not_read_the_audit_log(db: TestDb) {
        let s = web::start(&db, |_| {}).await;
        s.person("madoguchi", "300070", "regular", false, &["tobira.helpdesk"]).await;
        let taro = s.person("shinonome", "300011", "regular", false, &[]).await;
        let taro_id = reshape(&s, &taro, "東雲 太郎", "シノノメ タロウ", None, "shimin").await;
        let so = s.person("p-so-kojin", "100200", "regular", false, &["tobira.security_officer"]).await;
        let so_id = reshape(&s, &so, "情報 一郎", "ジョウホウ イチロウ", None, "johoseisaku").await;
        s.person("500091", "500091", "regular", false, &[]).await;
        let (hd, _) = crate::web::signed_in(&s, "madoguchi").await;
        let (staff, _) = crate::web::signed_in(&s, "500091").await;
        lock(&s, &taro).await;
        lock(&s, &so).await;

        // The helpdesk finds anyone and reads the page, with only its two buttons.
        assert!(hd.get("/account").await.body.contains("id=\"console-link\""), "the account page links the console");
        assert!(!staff.get("/account").await.body.contains("id=\"console-link\""));
        let found = hd.get("/console/people?q=shinonome").await.body;
        assert!(found.contains("data-employee=\"300011\"") && found.contains("id=\"console-nav\""), "{found}");
        let page = hd.get(&format!("/console/people/{taro_id}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("id=\"helpdesk-note\"") && page.body.contains("act-unlock") && page.body.contains("act-enrol"), "{}", page.body);
        assert!(!page.body.contains("act-suspend") && !page.body.contains("act-reset"), "{}", page.body);
        let officer_page = hd.get(&format!("/console/people/{so_id}")).await;
        assert!(!officer_page.body.contains("act-unlock"), "no button on an officer's account");

        // Unlock staff, with a reason; send them a link, shown once.
        let path = format!("/console/people/{taro_id}/act");
        assert_eq!(hd.post_raw(&path, &[("login", "shinonome"), ("action", "unlock"), ("reason", "x")]).await.status, 403, "CSRF");
        let r = hd.post(&path, &[("login", "shinonome"), ("action", "unlock"), ("reason", "本人から電話")]).await;
        assert!(r.location.as_deref().unwrap().contains("notice="), "{:?}", r.location);
        assert!(!locked(&s, &taro).await);
        assert_eq!(s.audit_count("account.unlocked", Some("本人から電話")).await, 1);
        let r = hd.post(&path, &[("login", "shinonome"), ("action", "enrol"), ("reason", "機種変更")]).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.by_id("secret").unwrap().contains("/enroll"), "{}", r.body);
        // Not the officers' actions, even on staff.
        for action in ["suspend", "reset", "end_sessions"] {
            let r = hd.post(&path, &[("login", "shinonome"), ("action", action), ("reason", "x")]).await;
            assert!(r.location.as_deref().unwrap().contains("error="), "{action}: {:?}", r.location);
        }
        let status = {
            let t = taro.clone();
            s.app.db(move |c| Ok(tobira::store::accounts::by_id(c, &t)?.unwrap().status)).await.unwrap()
        };
        assert_eq!(status, "active", "not suspended");

        // An officer's account: refused, audited, and no four-eyes request recorded in the helpdesk's name.
        let r = hd.post(&format!("/console/people/{so_id}/act"), &[("login", "p-so-kojin"), ("action", "unlock"), ("reason", "x")]).await;
        assert!(r.location.as_deref().unwrap().contains("error="), "{:?}", r.location);
        assert!(locked(&s, &so).await);
        assert_eq!(s.audit_count("console.helpdesk_refused", None).await, 4);
        assert_eq!(s.audit_count("officer.action_requested", None).await, 0);

        // No audit log, no approvals, no privileged page; staff have no buttons at all.
        assert_eq!(hd.get("/console/audit").await.status, 403);
        assert_eq!(hd.get("/console/audit.csv").await.status, 403);
        assert_eq!(s.audit_count("audit.read", Some("refused")).await, 1, "the refusal is recorded");
        assert_eq!(hd.get("/console/approvals").await.status, 403);
        assert_eq!(staff.post(&path, &[("login", "shinonome"), ("action", "unlock"), ("reason", "x")]).await.status, 403);
    }
}
