//! The console's provisioning pages over HTTP, on both backends (R-LC-03, issue 22): with the
//! groupware's SCIM server down, `/console/provisioning` lists the system with its waiting and
//! stopped items; the system's page lists them with login, operation, attempts and last error; a
//! security officer queues the stopped items again from the form (the retry audited with the
//! reason); the auditor reads without the form; staff and a 所属長 are refused; a forged form
//! (no CSRF token) is refused.

use crate::scim_server::ScimServer;
use crate::support::both_backends;
use crate::web::signed_in;
use crate::web::{self, Server};
use tobira::app::provisioning::{deliver::run_system, track};
use tobira::store;

/// The repository's policies with the groupware provisioned to `scim`.
fn policies(dir: &std::path::Path, scim: &ScimServer) -> String {
    let to = dir.join("policies");
    std::fs::create_dir_all(&to).unwrap();
    for e in std::fs::read_dir(crate::support::repo_path("policies")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
    let path = to.join("systems.toml");
    let gw = "approved_on = \"2026-05-10\", service_manager = \"情報政策課 係長\" }";
    let section = format!(
        "\n[systems.provisioning]\nkind = \"scim\"\nbase_url = \"{}\"\ntoken_file = \"{}\"\ndelete_after_days = 30\nevery_seconds = 0\nretry_max_seconds = 60\n",
        scim.base_url(),
        scim.token_file.path().display()
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(gw), "the groupware's register line");
    std::fs::write(&path, text.replacen(gw, &format!("{gw}{section}"), 1)).unwrap();
    to.display().to_string()
}

/// Queues the groupware's items for these accounts (as every access change does).
async fn queue(s: &Server, accounts: &[String]) {
    let (app, ids, now) = (s.app.clone(), accounts.to_vec(), s.clock_ms());
    s.app
        .db(move |c| {
            let events = track(c, &app.policy, &ids, "test", now)?;
            store::audit::append(c, now, events)?;
            Ok(())
        })
        .await
        .unwrap();
}

async fn grant(s: &Server, account: &str, role: &str) {
    let (account, role, now) = (account.to_string(), role.to_string(), s.clock_ms());
    s.app
        .db(move |c| {
            Ok(store::accounts::insert_grant(
                c,
                &store::accounts::Grant::new(&account, &role, tobira_domain::rbac::GrantSource::Bootstrap, now),
            )?)
        })
        .await
        .unwrap()
}

fn count(body: &str, needle: &str) -> usize {
    body.matches(needle).count()
}

both_backends! {
    async fn r_lc_03_the_console_shows_a_down_systems_queue_and_an_officer_queues_its_stopped_items_again(db: TestDb) {
        let scim = ScimServer::start().await;
        scim.set_down(true);
        let dir = tempfile::tempdir().unwrap();
        let policy_dir = policies(dir.path(), &scim);
        let s = web::start(&db, |c| c.policy_dir = policy_dir).await;
        s.account("p-so-0401", crate::oidc_rp::PASSWORD, false, true).await;
        let auditor = s.account("p-audit-04", crate::oidc_rp::PASSWORD, false, false).await;
        grant(&s, &auditor, "tobira.auditor").await;
        let taro = s.person("taro", "300041", "regular", false, &["groupware.user"]).await;
        let jiro = s.person("jiro", "300042", "regular", false, &["groupware.user"]).await;
        s.person("head", "300043", "regular", true, &[]).await;
        queue(&s, &[taro.clone(), jiro.clone()]).await;
        // The system is down: the round pushes nothing and the items wait for their next attempt.
        let round = run_system(&s.app, "groupware", "test-node").await.unwrap().expect("the lease is free");
        assert!(round.pushed == 0 && round.retrying >= 1, "{round:?}");
        // One of them hit an error that will not heal and stopped.
        let stopped = jiro.clone();
        let now = s.clock_ms();
        s.app
            .db(move |c| {
                let item = store::provisioning::pending(c, "groupware", 10)?.into_iter().find(|i| i.account_id == stopped).unwrap();
                store::provisioning::stop(c, &item.id, item.attempts + 1, "409 uniqueness: someone else's userName", now)?;
                Ok(())
            })
            .await
            .unwrap();

        let (officer, _) = signed_in(&s, "p-so-0401").await;
        let (aud, _) = signed_in(&s, "p-audit-04").await;
        let (staff, _) = signed_in(&s, "taro").await;
        let (head, _) = signed_in(&s, "head").await;

        // The list: the system, one waiting, one stopped, never reconciled.
        let list = officer.get("/console/provisioning").await;
        assert_eq!(list.status, 200, "{}", list.body);
        assert!(list.body.contains("data-system=\"groupware\" data-pending=\"1\" data-stopped=\"1\""), "{}", list.body);
        assert!(list.body.contains("未実施"), "no reconciliation yet");
        assert!(officer.get("/console/people").await.body.contains("href=\"/console/provisioning\""), "the console links to it");

        // The system's page: both items with their login, operation, attempts and last error.
        let page = officer.get("/console/provisioning/groupware").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(count(&page.body, "class=\"item\""), 2, "{}", page.body);
        assert!(page.body.contains("data-login=\"taro\" data-status=\"pending\""), "{}", page.body);
        assert!(page.body.contains("data-login=\"jiro\" data-status=\"stopped\""));
        assert!(page.body.contains("409 uniqueness"));
        assert!(page.body.contains("id=\"retry-form\""));
        assert_eq!(officer.get("/console/provisioning/nowhere").await.status, 404, "a system without provisioning");

        // The auditor reads, without the form; staff and a 所属長 are refused.
        let read = aud.get("/console/provisioning/groupware").await;
        assert_eq!(read.status, 200);
        assert!(!read.body.contains("id=\"retry-form\"") && read.body.contains("id=\"read-only\""));
        assert_eq!(aud.get("/console/provisioning").await.status, 200);
        for (who, c) in [("staff", &staff), ("head of section", &head)] {
            assert_eq!(c.get("/console/provisioning").await.status, 403, "{who}");
            assert_eq!(c.get("/console/provisioning/groupware").await.status, 403, "{who}");
        }
        // Nobody but a security officer retries; a forged form and one without a reason do nothing.
        assert_eq!(staff.post("/console/provisioning/groupware/retry", &[("reason", "x")]).await.status, 403);
        let aud_try = aud.post("/console/provisioning/groupware/retry", &[("reason", "監査人の試み")]).await;
        assert!(aud_try.status == 403 || aud_try.status == 303, "{}", aud_try.status);
        let forged = officer.post_raw("/console/provisioning/groupware/retry", &[("reason", "偽造")]).await;
        assert!(forged.status >= 400, "{}", forged.status);
        let empty = officer.post("/console/provisioning/groupware/retry", &[("reason", " ")]).await;
        assert_eq!(empty.status, 303);
        assert!(empty.location.clone().unwrap_or_default().contains("error="), "{}", empty.location.clone().unwrap_or_default());
        assert_eq!(s.audit_count("provisioning.retried", None).await, 0, "nothing retried yet");

        // The officer retries with a reason: the stopped item waits again, audited with the reason.
        let done = officer.post("/console/provisioning/groupware/retry", &[("reason", "名寄せを修正した")]).await;
        assert_eq!(done.status, 303);
        assert!(done.location.clone().unwrap_or_default().contains("notice="), "{}", done.location.clone().unwrap_or_default());
        assert_eq!(s.audit_count("provisioning.retried", Some("名寄せを修正した")).await, 1);
        let after = officer.get("/console/provisioning").await;
        assert!(after.body.contains("data-system=\"groupware\" data-pending=\"2\" data-stopped=\"0\""), "{}", after.body);
    }
}
