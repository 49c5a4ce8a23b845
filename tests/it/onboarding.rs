//! Onboarding acknowledgements (R-LC-11), on both backends: with `[onboarding] required`, a joiner's
//! account reaches only the rules page (a business system's authorization request waits there and
//! continues after the confirmation; no code before); the confirmation is recorded with its version
//! and the SHA-256 of the text; a new rules version asks again; a forged form is refused; with
//! `training_required`, activation also waits for an officer's record of the training, which staff
//! cannot make and nobody can make for themselves.

use crate::oidc_rp::{self, local, redeem, request, CB};
use crate::support::both_backends;
use crate::web::{self, signed_in, Client, Server};
use sha2::Digest;
use tobira::store;

/// The `[onboarding]` section the tests switch on.
pub(crate) fn onboarding_toml(version: &str, training: bool) -> String {
    format!("[onboarding]\nrequired = true\nrules_version = \"{version}\"\ntraining_required = {training}\ntraining_from = \"\"\nrules_text = \"\"\"\n第1条 パスワードを他人に教えない。\n第2条 インシデントは直ちに報告する。（{version}）\n\"\"\"\n")
}

/// A copy of the example policies in `dir` with `onboarding` as the onboarding file.
pub(crate) fn policies(dir: &std::path::Path, onboarding: &str) -> String {
    let to = dir.join("policies");
    std::fs::create_dir_all(&to).unwrap();
    for e in std::fs::read_dir(crate::support::repo_path("policies")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
    std::fs::write(to.join("onboarding.toml"), onboarding).unwrap();
    to.display().to_string()
}

fn text_sha(version: &str) -> String {
    let text = format!("第1条 パスワードを他人に教えない。\n第2条 インシデントは直ちに報告する。（{version}）\n");
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

/// Signs in with the password and the TOTP of `secret`.
async fn two_factors(s: &Server, login: &str, secret: &[u8]) -> Client {
    let c = s.client();
    assert_eq!(c.sign_in(login, oidc_rp::PASSWORD).await.status, 303, "{login} signs in");
    let code = web::totp_code(secret, (s.clock_ms() / 1000) as u64);
    assert_eq!(c.post("/signin/second/totp", &[("code", &code)]).await.status, 303, "the second factor");
    c
}

/// The account's onboarding records: (kind, version, digest, recorded by).
async fn records(s: &Server, account: &str) -> Vec<(String, Option<String>, Option<String>, String)> {
    let id = account.to_string();
    s.app
        .db(move |c| {
            Ok(store::onboarding::of_account(c, &id)?
                .into_iter()
                .map(|r| (r.kind, r.rules_version, r.text_sha256, r.recorded_by))
                .collect())
        })
        .await
        .unwrap()
}

async fn person_of(s: &Server, account: &str) -> String {
    let id = account.to_string();
    s.app.db(move |c| Ok(store::accounts::by_id(c, &id)?.unwrap().person_id.unwrap())).await.unwrap()
}

both_backends! {
    async fn r_lc_11_a_joiner_gets_no_token_until_the_rules_are_confirmed_and_a_new_version_asks_again(db: TestDb) {
        let op = oidc_rp::start_custom(&db, "", |dir| std::fs::write(dir.join("onboarding.toml"), onboarding_toml("2026-04", false)).unwrap(), |_| {}).await;
        let (rp, _) = op.rp("t-bunsho", CB).await;
        let joiner = op.person("nyu-taro", "400001", &["bunsho.user"]).await;
        let (c, secret) = signed_in(&op.s, "nyu-taro").await;

        // Every page leads to the rules, and so does the business system's request: no code yet.
        let home = c.get("/account").await;
        assert_eq!(home.location.as_deref(), Some("/account/onboarding"), "{}", home.body);
        let pending = request(&rp, &["profile"], &[]);
        let at = c.get(&local(&pending.url, &op.issuer)).await;
        let page_path = at.location.clone().unwrap();
        assert!(page_path.starts_with("/account/onboarding?continue="), "{page_path}");
        assert_eq!(op.s.audit_count("oidc.code_issued", Some("t-bunsho")).await, 0);
        let page = c.get(&page_path).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("第1条 パスワードを他人に教えない。"), "the policy's text is shown");
        assert_eq!(page.by_id("rules-version").as_deref(), Some("2026-04"));
        assert_eq!(page.by_id("rules-sha256"), Some(text_sha("2026-04")));

        // A forged form (no CSRF token) and an unticked box change nothing.
        let forged = c.post_raw(&page_path, &[("agree", "yes"), ("version", "2026-04"), ("sha256", &text_sha("2026-04"))]).await;
        assert_eq!(forged.status, 403);
        let unticked = c.post(&page_path, &[("version", "2026-04"), ("sha256", &text_sha("2026-04"))]).await;
        assert_eq!(unticked.status, 400);
        assert!(unticked.body.contains("確認のチェックを入れてください"), "{}", unticked.body);
        // A page shown before the rules changed is not a confirmation of the new ones.
        let stale = c.post(&page_path, &[("agree", "yes"), ("version", "2025-10"), ("sha256", &text_sha("2025-10"))]).await;
        assert_eq!(stale.status, 400);
        assert!(records(&op.s, &joiner).await.is_empty());

        // Confirmed: recorded with version and digest, audited, and the request goes on to its code.
        let done = c.post(&page_path, &[("agree", "yes"), ("version", "2026-04"), ("sha256", &text_sha("2026-04"))]).await;
        let resume = done.location.clone().unwrap();
        assert!(resume.starts_with("/oauth/authorize/resume?h="), "{resume}");
        let back = c.get(&resume).await.onward().unwrap();
        assert!(back.starts_with(CB), "{back}");
        let (tokens, _) = redeem(&op, &rp, pending, &back).await;
        assert!(!openidconnect::OAuth2TokenResponse::access_token(&tokens).secret().is_empty());
        assert_eq!(records(&op.s, &joiner).await, vec![("rules".to_string(), Some("2026-04".to_string()), Some(text_sha("2026-04")), "nyu-taro".to_string())]);
        assert_eq!(op.s.audit_count("onboarding.rules_confirmed", Some("2026-04")).await, 1);
        assert_eq!(c.get("/account").await.status, 200);

        // A new version of the rules (the city changed its policy): asked again at the next sign-in.
        let dir = tempfile::tempdir().unwrap();
        let v2 = policies(dir.path(), &onboarding_toml("2026-10", false));
        // The same real-time clock as the first server (a TOTP step is never accepted twice).
        let later = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() + time::Duration::minutes(2);
        let s2 = web::start_with(&db, std::sync::Arc::new(tobira::app::clock::FixedClock::new(later)), |c| {
            c.http.public_url = "http://localhost:8080".into();
            c.policy_dir = v2;
        })
        .await;
        let c2 = two_factors(&s2, "nyu-taro", &secret).await;
        assert_eq!(c2.get("/account").await.location.as_deref(), Some("/account/onboarding"), "asked again");
        let page = c2.get("/account/onboarding").await;
        assert_eq!(page.by_id("rules-version").as_deref(), Some("2026-10"));
        let done = c2.post("/account/onboarding", &[("agree", "yes"), ("version", "2026-10"), ("sha256", &text_sha("2026-10"))]).await;
        assert_eq!(done.location.as_deref(), Some("/account"));
        assert_eq!(c2.get("/account").await.status, 200);
        let versions: Vec<Option<String>> = records(&s2, &joiner).await.into_iter().map(|r| r.1).collect();
        assert_eq!(versions, vec![Some("2026-10".to_string()), Some("2026-04".to_string())], "each confirmation kept, newest first");

        // The console's person page links to the record of both (an officer reads it).
        s2.account("p-so-4001", oidc_rp::PASSWORD, false, true).await;
        let (officer, _) = signed_in(&s2, "p-so-4001").await;
        let pid = person_of(&s2, &joiner).await;
        assert!(officer.get(&format!("/console/people/{pid}")).await.body.contains(&format!("/console/people/{pid}/onboarding")));
        let list = officer.get(&format!("/console/people/{pid}/onboarding")).await;
        assert_eq!(list.status, 200, "{}", list.body);
        assert!(list.body.contains("2026-10") && list.body.contains("2026-04") && list.body.contains(&text_sha("2026-10")), "{}", list.body);
    }
}

both_backends! {
    async fn r_lc_11_training_waits_for_an_officer_and_nobody_records_their_own(db: TestDb) {
        let dir = tempfile::tempdir().unwrap();
        let p = policies(dir.path(), &onboarding_toml("2026-04", true));
        let s = web::start(&db, |c| c.policy_dir = p).await;
        let joiner = s.person("nyu-hanako", "400011", "regular", false, &[]).await;
        let staff = s.person("sato.j", "400012", "regular", false, &[]).await;
        // An officer who is a person herself (her own onboarding on record, trained by someone else).
        let so = s.person("so-kimura", "400013", "regular", false, &[]).await;
        let (so_id, now) = (so.clone(), s.clock_ms());
        s.app
            .db(move |c| {
                store::accounts::insert_grant(c, &store::accounts::Grant::new(&so_id, "tobira.security_officer", tobira_domain::rbac::GrantSource::Bootstrap, now))?;
                store::onboarding::insert(c, &store::onboarding::Record { id: store::new_id(), account_id: so_id.clone(), kind: "training".into(), rules_version: None, text_sha256: None, recorded_at: now, recorded_by: "p-so-other".into(), note: Some("4月研修".into()) })?;
                Ok(())
            })
            .await
            .unwrap();

        let (c, _) = signed_in(&s, "nyu-hanako").await;
        let done = c.post("/account/onboarding", &[("agree", "yes"), ("version", "2026-04"), ("sha256", &text_sha("2026-04"))]).await;
        assert_eq!(done.location.as_deref(), Some("/account/onboarding"), "still waiting: training");
        let waiting = c.get("/account/onboarding").await;
        assert!(waiting.by_id("waiting-training").is_some(), "{}", waiting.body);
        assert_eq!(c.get("/account").await.location.as_deref(), Some("/account/onboarding"));

        let (o, _) = signed_in(&s, "so-kimura").await;
        assert_eq!(o.post("/account/onboarding", &[("agree", "yes"), ("version", "2026-04"), ("sha256", &text_sha("2026-04"))]).await.location.as_deref(), Some("/account"));
        let joiner_pid = person_of(&s, &joiner).await;
        let own_pid = person_of(&s, &so).await;
        let path = format!("/console/people/{joiner_pid}/onboarding");

        // Staff (a person with no officer role, onboarded) are refused; so is a forged form.
        s.app.db({ let id = staff.clone(); move |c| { store::onboarding::insert(c, &store::onboarding::Record { id: store::new_id(), account_id: id.clone(), kind: "training".into(), rules_version: None, text_sha256: None, recorded_at: 0, recorded_by: "p-so-other".into(), note: None })?; Ok(()) } }).await.unwrap();
        let (st, _) = signed_in(&s, "sato.j").await;
        st.post("/account/onboarding", &[("agree", "yes"), ("version", "2026-04"), ("sha256", &text_sha("2026-04"))]).await;
        assert_eq!(st.post(&path, &[("login", "nyu-hanako"), ("reason", "研修済み")]).await.status, 403, "staff cannot record a training");
        assert_eq!(o.post_raw(&path, &[("login", "nyu-hanako"), ("reason", "研修済み")]).await.status, 403, "forged form");
        // Nobody records their own training.
        let own = o.post(&format!("/console/people/{own_pid}/onboarding"), &[("login", "so-kimura"), ("reason", "自分で")]).await;
        let to = own.location.unwrap();
        assert!(to.contains("error="), "{to}");
        assert!(o.get(&to).await.body.contains("自分の研修は記録できません"));
        assert_eq!(records(&s, &so).await.iter().filter(|r| r.0 == "training").count(), 1, "only the one someone else recorded");
        assert_eq!(records(&s, &joiner).await.iter().filter(|r| r.0 == "training").count(), 0);

        // The officer records the joiner's training: the account is usable.
        let ok = o.post(&path, &[("login", "nyu-hanako"), ("reason", "2026-04-01 新任研修 受講")]).await;
        assert!(ok.location.as_deref().is_some_and(|l| l.contains("notice=")), "{:?}", ok.location);
        assert_eq!(s.audit_count("onboarding.training_recorded", Some("新任研修")).await, 1);
        assert_eq!(c.get("/account").await.status, 200);
        let list = o.get(&path).await;
        assert!(list.body.contains("新任研修") && list.body.contains("so-kimura"), "{}", list.body);
    }
}
