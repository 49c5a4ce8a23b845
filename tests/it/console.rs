//! The operator's console over HTTP, on both backends: the person search finds a person however
//! the name is typed and pages its results; the person page shows what HR and tobira hold; an
//! officer unlocks with a reason through the officer API's function (audited with the reason), a
//! forged form is refused, an action on a privileged ID waits for a second person and shows so;
//! staff are refused; a 所属長 finds and reads only their own section's people (R-LG-11 context);
//! the audit-log page reads by filter in keyset pages, exports CSV with BOM, refuses staff and a
//! person search without the R-LG-11 right, and audits every reading (R-LG-11, R-RV-09).

use crate::support::both_backends;
use crate::web::signed_in;
use crate::web::{self, Server};
use tobira::store::{self, org::Department};
use tobira_domain::authn::lockout::{LockState, GLOBAL_SCOPE};

/// Renames the person behind `account` and moves them to department `dept`; returns the person id.
pub(crate) async fn reshape(
    s: &Server,
    account: &str,
    kanji: &str,
    kana: &str,
    romaji: Option<&str>,
    dept: &str,
) -> String {
    let (account, kanji, kana, romaji, dept, now) = (
        account.to_string(),
        kanji.to_string(),
        kana.to_string(),
        romaji.map(str::to_string),
        dept.to_string(),
        s.clock_ms(),
    );
    s.app
        .db(move |c| {
            let a = store::accounts::by_id(c, &account)?.unwrap();
            let mut p = store::org::person_by_id(c, a.person_id.as_deref().unwrap())?.unwrap();
            (p.name_kanji, p.name_kana, p.name_romaji) = (kanji, kana, romaji);
            store::org::upsert_person(c, &p)?;
            store::org::upsert_department(
                c,
                &Department {
                    code: dept.clone(),
                    name: format!("{dept}課"),
                    name_kana: None,
                    parent_code: None,
                    body: None,
                    updated_at: now,
                },
            )?;
            store::org::set_memberships(c, &p.id, &dept, &[])?;
            Ok(p.id)
        })
        .await
        .unwrap()
}

pub(crate) async fn lock(s: &Server, account: &str) {
    let (account, now) = (account.to_string(), s.clock_ms());
    s.app
        .db(move |c| {
            Ok(store::throttle::put_lock_state(
                c,
                &account,
                GLOBAL_SCOPE,
                &LockState { failures: 10, locked_at: Some(now), ..Default::default() },
                now,
            )?)
        })
        .await
        .unwrap()
}

pub(crate) async fn locked(s: &Server, account: &str) -> bool {
    let (account, now) = (account.to_string(), s.clock_ms());
    s.app.db(move |c| Ok(store::throttle::global_lock(c, &account, now)?.is_some())).await.unwrap()
}

async fn grant(s: &Server, account: &str, role: &str, privileged: bool) {
    let (account, role, now) = (account.to_string(), role.to_string(), s.clock_ms());
    s.app
        .db(move |c| {
            store::accounts::insert_grant(
                c,
                &store::accounts::Grant::new(&account, &role, tobira_domain::rbac::GrantSource::Bootstrap, now),
            )?;
            if privileged {
                diesel::RunQueryDsl::execute(
                    diesel::update(diesel::QueryDsl::find(store::schema::accounts::table, &account))
                        .set(diesel::ExpressionMethods::eq(store::schema::accounts::is_privileged, true)),
                    c,
                )?;
            }
            Ok(())
        })
        .await
        .unwrap()
}

/// The `data-employee` of each result row.
fn employees(body: &str) -> Vec<String> {
    body.split("data-employee=\"").skip(1).map(|s| s.split('"').next().unwrap().to_string()).collect()
}

both_backends! {
    async fn r_au_12_the_console_finds_a_person_however_typed_and_an_officer_unlocks_with_a_reason(db: TestDb) {
        let s = web::start(&db, |_| {}).await;
        s.account("p-so-0301", crate::oidc_rp::PASSWORD, false, true).await;
        let taro = s.person("shinonome", "300011", "regular", false, &[]).await;
        let hanako = s.person("sato.h", "300012", "regular", false, &[]).await;
        let vu = s.person("watanabe.v", "300013", "regular", false, &[]).await;
        let taro_id = reshape(&s, &taro, "東雲 太郎", "シノノメ タロウ", Some("Taro Shinonome"), "shimin").await;
        reshape(&s, &hanako, "佐藤 花子", "サトウ ハナコ", None, "shimin").await;
        reshape(&s, &vu, "渡邊 ヴィクトル", "ワタナベ ヴィクトル", None, "kazei").await;
        let (staff, _) = signed_in(&s, "sato.h").await;
        let (officer, _) = signed_in(&s, "p-so-0301").await;

        // However the name is typed: width, script, spaces, romaji, variants; IDs and numbers too.
        for (q, who) in [("ｼﾉﾉﾒ", "300011"), ("しののめ", "300011"), ("東雲", "300011"), ("shinonome", "300011"), ("Satoh", "300012"), ("さ と う", "300012"), ("渡辺", "300013"), ("ビクトル", "300013"), ("sato.h", "300012"), ("30001", "")] {
            let p = officer.get(&format!("/console/people?q={}", url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>())).await;
            assert_eq!(p.status, 200, "{q}: {}", p.body);
            let found = employees(&p.body);
            if who.is_empty() {
                assert_eq!(found, ["300011", "300012", "300013"], "{q}: an employee-number prefix finds all three, in order");
            } else {
                assert_eq!(found, [who], "{q}");
            }
        }
        // Department and account status narrow; each row shows the accounts and their status.
        assert_eq!(employees(&officer.get("/console/people?department=kazei").await.body), ["300013"]);
        assert!(employees(&officer.get("/console/people?q=&status=suspended").await.body).is_empty());
        assert!(officer.get("/console/people?q=shinonome").await.body.contains("data-login=\"shinonome\" data-status=\"active\""));
        let bad = officer.get("/console/people?status=asleep").await;
        assert_eq!(bad.status, 400, "an unknown status is a clear error: {}", bad.body);
        assert!(bad.body.contains("unknown account status") && !bad.body.contains("Invalid("), "{}", bad.body);
        // The JSON API answers the same, paged.
        let (st, v) = officer.get_json("/api/console/people?q=%E3%81%97%E3%81%AE%E3%81%AE%E3%82%81").await;
        assert_eq!(st, 200);
        assert_eq!(v["people"][0]["employee_number"], "300011");
        assert_eq!(v["people"][0]["accounts"][0]["login_id"], "shinonome");
        assert_eq!((v["page"].as_u64(), v["page_size"].as_u64(), v["has_next"].as_bool()), (Some(1), Some(25), Some(false)));

        // Staff see nothing of it.
        assert_eq!(staff.get("/console/people?q=shinonome").await.status, 403);
        assert_eq!(staff.get(&format!("/console/people/{taro_id}")).await.status, 403);
        assert_eq!(staff.get_json("/api/console/people").await.0, 403);

        // The person page; then unlock with a reason.
        lock(&s, &taro).await;
        let page = officer.get(&format!("/console/people/{taro_id}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        for shown in ["東雲 太郎", "シノノメ タロウ", "Taro Shinonome", "shimin課", "本務", "ロック中", "shinonome", "主事"] {
            assert!(page.body.contains(shown), "{shown} on the page");
        }
        let path = format!("/console/people/{taro_id}/act");
        // A forged form (no CSRF token) and a form without a reason change nothing.
        assert_eq!(officer.post_raw(&path, &[("login", "shinonome"), ("action", "unlock"), ("reason", "本人から電話")]).await.status, 403);
        let r = officer.post(&path, &[("login", "shinonome"), ("action", "unlock"), ("reason", " ")]).await;
        assert!(r.location.unwrap().contains("error="), "a reason is required");
        // Another person's account through this person's page is refused.
        let r = officer.post(&path, &[("login", "sato.h"), ("action", "unlock"), ("reason", "x")]).await;
        assert!(r.location.unwrap().contains("error="));
        // Staff may not press the button even with a valid token.
        assert_eq!(staff.post(&path, &[("login", "shinonome"), ("action", "unlock"), ("reason", "x")]).await.status, 403);
        assert!(locked(&s, &taro).await);
        let r = officer.post(&path, &[("login", "shinonome"), ("action", "unlock"), ("reason", "本人から電話で確認")]).await;
        assert_eq!(r.status, 303);
        assert!(r.location.as_deref().unwrap().contains("notice="), "{:?}", r.location);
        assert!(!locked(&s, &taro).await, "unlocked");
        assert_eq!(s.audit_count("account.unlocked", Some("本人から電話で確認")).await, 1, "audited with the reason");
        let page = officer.get(&format!("/console/people/{taro_id}")).await;
        assert!(page.body.contains("data-action=\"account.unlocked\"") && page.body.contains("本人から電話で確認"), "the trail shows it");
        assert!(s.audit_count("console.person_viewed", None).await >= 2, "reading a person is audited");

        // A password reset shows the temporary password once, on its own page.
        let r = officer.post(&path, &[("login", "shinonome"), ("action", "reset"), ("reason", "パスワード失念")]).await;
        assert_eq!(r.status, 200);
        let temporary = r.by_id("secret").unwrap();
        assert_eq!(temporary.len(), 20, "{}", r.body);
        assert_eq!(s.audit_count("password.reset", Some("パスワード失念")).await, 1);
        assert_eq!(s.audit_count("password.reset", Some(&temporary)).await, 0, "the password is not in the log");

        // An action on a privileged ID waits for a second person, and the page says so.
        grant(&s, &taro, "tobira.auditor", true).await;
        lock(&s, &taro).await;
        let r = officer.post(&path, &[("login", "shinonome"), ("action", "unlock"), ("reason", "二者承認の確認")]).await;
        let loc = r.location.unwrap();
        assert!(loc.contains("notice=") && url::form_urlencoded::parse(loc.split_once('?').unwrap().1.as_bytes()).any(|(_, v)| v.contains("二者承認")), "{loc}");
        assert!(locked(&s, &taro).await, "nothing changed yet");
        let page = officer.get(&format!("/console/people/{taro_id}")).await;
        assert!(page.body.contains("data-request=") && page.body.contains("unlock"), "the waiting request is listed");
    }
}

both_backends! {
    async fn r_lg_11_a_head_of_section_finds_and_reads_only_their_own_sections_people(db: TestDb) {
        let s = web::start(&db, |_| {}).await;
        let head = s.person("kacho", "200001", "regular", true, &[]).await;
        let mine = s.person("buka", "200002", "regular", false, &[]).await;
        let other = s.person("yoso", "200003", "regular", false, &[]).await;
        reshape(&s, &head, "市民 課長", "シミン カチョウ", None, "shimin").await;
        let mine_id = reshape(&s, &mine, "市民 部下", "シミン ブカ", None, "shimin").await;
        let other_id = reshape(&s, &other, "課税 職員", "カゼイ ショクイン", None, "kazei").await;
        let (kacho, _) = signed_in(&s, "kacho").await;

        let p = kacho.get("/console/people").await;
        assert_eq!(p.status, 200, "{}", p.body);
        assert!(p.body.contains("id=\"section-only\""));
        assert_eq!(employees(&p.body), ["200001", "200002"], "their own section only");
        assert!(employees(&kacho.get("/console/people?q=200003").await.body).is_empty());
        assert!(employees(&kacho.get("/console/people?department=kazei").await.body).is_empty());
        assert_eq!(kacho.get(&format!("/console/people/{mine_id}")).await.status, 200);
        let refused = kacho.get(&format!("/console/people/{other_id}")).await;
        assert_eq!(refused.status, 404, "another section's person does not exist for them");
        assert_eq!(s.audit_count("console.person_viewed", Some("outside the reader's sections")).await, 1, "the attempt is audited");
        // Read only: no buttons, and the form is refused.
        let page = kacho.get(&format!("/console/people/{mine_id}")).await;
        assert!(page.body.contains("id=\"read-only\"") && !page.body.contains("act-unlock"));
        assert_eq!(kacho.post(&format!("/console/people/{mine_id}/act"), &[("login", "buka"), ("action", "suspend"), ("reason", "x")]).await.status, 403);
        assert_eq!(s.audit_count("account.suspended", None).await, 0);
    }
}

/// A copy of the example policies with `[console]` page sizes made small.
pub(crate) fn small_pages(dir: &std::path::Path) -> String {
    let to = dir.join("policies");
    std::fs::create_dir_all(&to).unwrap();
    for e in std::fs::read_dir(crate::support::repo_path("policies")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
    std::fs::write(
        to.join("console.toml"),
        "[console]\nsearch_page_size = 2\naudit_page_size = 3\naudit_export_max_rows = 1000\nperson_list_size = 5\n",
    )
    .unwrap();
    to.display().to_string()
}

both_backends! {
    async fn r_rv_09_r_lg_11_the_audit_log_page_reads_by_filter_in_pages_exports_csv_refuses_staff_and_audits_itself(db: TestDb) {
        let dir = tempfile::tempdir().unwrap();
        let policies = small_pages(dir.path());
        let s = web::start(&db, |c| c.policy_dir = policies).await;
        let auditor = s.account("p-audit-01", crate::oidc_rp::PASSWORD, false, false).await;
        grant(&s, &auditor, "tobira.auditor", true).await;
        let ciso = s.account("p-ciso-01", crate::oidc_rp::PASSWORD, false, false).await;
        grant(&s, &ciso, "tobira.ciso", true).await;
        s.person("taro", "300021", "regular", false, &[]).await;
        s.person("jiro", "300022", "regular", false, &[]).await;
        let (staff, _) = signed_in(&s, "taro").await;
        let (aud, _) = signed_in(&s, "p-audit-01").await;
        let (ciso_c, _) = signed_in(&s, "p-ciso-01").await;
        for _ in 0..4 {
            s.client().sign_in("jiro", "wrong password").await;
        }

        // Staff are refused, and the refusal is recorded.
        assert_eq!(staff.get("/console/audit").await.status, 403);
        assert_eq!(staff.get_json("/api/audit/events").await.0, 403);
        assert_eq!(staff.get("/console/audit.csv").await.status, 403);
        assert!(s.audit_count("audit.read", Some("refused")).await >= 2);

        // The auditor filters by action and outcome, in pages of three, newest first.
        let (st, v) = aud.get_json("/api/audit/events?action=auth.sign_in_failed&outcome=failure").await;
        assert_eq!(st, 200, "{v}");
        let first: Vec<i64> = v["records"].as_array().unwrap().iter().map(|r| r["seq"].as_i64().unwrap()).collect();
        assert_eq!(first.len(), 3);
        assert!(first.windows(2).all(|w| w[0] > w[1]), "newest first");
        let next = v["next_before"].as_i64().unwrap();
        let (_, v2) = aud.get_json(&format!("/api/audit/events?action=auth.sign_in_failed&outcome=failure&before={next}")).await;
        let second: Vec<i64> = v2["records"].as_array().unwrap().iter().map(|r| r["seq"].as_i64().unwrap()).collect();
        assert_eq!(second.len(), 1, "four failures: three, then one");
        assert!(second[0] < *first.last().unwrap() && v2["next_before"].is_null());
        // A family of actions, a day range in JST, a source address.
        let (_, fam) = aud.get_json("/api/audit/events?action=auth.&from=2026-04-01&to=2026-04-01&source=127.0.0.1").await;
        assert_eq!(fam["records"].as_array().unwrap().len(), 3);
        assert!(aud.get_json("/api/audit/events?action=auth.&from=2026-04-02").await.1["records"].as_array().unwrap().is_empty(), "nothing after the day");
        for bad in ["from=yesterday", "outcome=maybe", "source=not-an-ip", "system=nowhere", "from=2026-04-02&to=2026-04-01"] {
            let (st, v) = aud.get_json(&format!("/api/audit/events?{bad}")).await;
            assert_eq!(st, 400, "{bad}: {v}");
        }
        // The page renders the same selection, with a link to the older records.
        let page = aud.get("/console/audit?action=auth.sign_in_failed").await;
        assert_eq!(page.status, 200);
        assert_eq!(page.body.matches("data-action=\"auth.sign_in_failed\"").count(), 3);
        assert!(page.body.contains("id=\"older\"") && page.body.contains("2026-04-01 09:0"));
        // Each record's details read as `key: value` words, not as JSON.
        let cells: Vec<&str> = page.body.split("<td><small>").skip(1).filter_map(|c| c.split("</small>").next()).collect();
        assert_eq!(cells.len(), 3, "{}", page.body);
        assert!(cells.iter().all(|c| !c.is_empty() && !c.contains('{') && !c.contains("&#34;") && c.contains("reason: wrong")), "{cells:?}");

        // CSV: UTF-8 with BOM, every selected record.
        let csv = aud.get("/console/audit.csv?action=auth.sign_in_failed").await;
        assert_eq!(csv.status, 200);
        assert!(csv.body.starts_with("\u{feff}seq,occurred_jst"), "{}", &csv.body[..40.min(csv.body.len())]);
        assert_eq!(csv.body.lines().count(), 5, "header and four records");
        assert_eq!(s.audit_count("audit.exported", None).await, 2, "the export and staff's refused one");
        assert_eq!(s.audit_count("audit.exported", Some("refused")).await, 1);

        // R-LG-11: a person's records only for the CISO's office, with a reason.
        assert_eq!(aud.get_json("/api/audit/events?person=jiro").await.0, 403, "the auditor is not in audit_search by default");
        assert_eq!(ciso_c.get_json("/api/audit/events?person=300022").await.0, 400, "a reason is needed");
        let (st, v) = ciso_c.get_json("/api/audit/events?person=300022&reason=%E8%AA%BF%E6%9F%BB").await;
        assert_eq!(st, 200, "{v}");
        assert!(v["records"].as_array().unwrap().iter().all(|r| r["actor"] == "jiro" || r["target"] == "account:jiro"), "{v}");
        assert!(!v["records"].as_array().unwrap().is_empty());
        // Every reading is itself audited, with its filter.
        assert!(s.audit_count("audit.read", Some("auth.sign_in_failed")).await >= 3);
        assert_eq!(s.audit_count("audit.read", Some("調査")).await, 1);
    }
}
