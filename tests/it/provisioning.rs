//! Provisioning to a business system's own user table against a real SCIM 2.0 server
//! (`scim2-server`), fed by the HR sync from a real slapd, on both backends (R-LC-01, R-LC-03, R-LC-08).

use crate::hr_sync::{people, Hr};
use crate::scim_server::ScimServer;
use crate::slapd::{Fixture, READER_DN, READER_PW};
use crate::support::{both_backends, conn, count, fixed_clock, TestDb};
use serde_json::{json, Value};
use std::sync::Arc;
use tobira::app::clock::FixedClock;
use tobira::app::provisioning::deliver::{run_system, Round};
use tobira::app::sync::{ReadMode, SyncRequest};
use tobira::app::App;
use tobira::config::DirectoryConfig;

pub(crate) const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

pub(crate) struct Env {
    pub(crate) hr: Hr,
    pub(crate) scim: ScimServer,
    _server: tobira::startup::Application,
    pub(crate) app: App,
    pub(crate) clock: Arc<FixedClock>,
    dir: DirectoryConfig,
}

/// The groupware system (every staff member's birthright) provisioned to the SCIM server.
/// With `auth = "client_credentials"` in `extra`, no token file.
fn provisioning_section(scim: &ScimServer, extra: &str) -> String {
    let token = if extra.contains("client_credentials") {
        String::new()
    } else {
        format!("token_file = \"{}\"\n", scim.token_file.path().display())
    };
    format!("\n[systems.provisioning]\nkind = \"scim\"\nbase_url = \"{}\"\n{token}delete_after_days = 30\nevery_seconds = 0\nretry_max_seconds = 60\n{extra}\n", scim.base_url())
}

impl Env {
    pub(crate) async fn new(db: TestDb, extra_people: &[Fixture]) -> Env {
        Env::with(db, extra_people, (20, 100.0), "").await
    }

    /// With the HR sync's removal limits and more `[systems.provisioning]` settings.
    pub(crate) async fn with(db: TestDb, extra_people: &[Fixture], limits: (u32, f64), extra: &str) -> Env {
        Env::with_policy(db, extra_people, limits, extra, &[]).await
    }

    /// [`Env::with`] and edits of other policy files: (file, [(from, to)]).
    pub(crate) async fn with_policy(
        db: TestDb,
        extra_people: &[Fixture],
        limits: (u32, f64),
        extra: &str,
        edits: &[(&str, &[(&str, &str)])],
    ) -> Env {
        let mut all = people();
        all.extend_from_slice(extra_people);
        let hr = Hr::new(db, &all, limits).await;
        for (file, e) in edits {
            hr.edit_policy(file, e);
        }
        let scim = ScimServer::start().await;
        let gw = "approved_on = \"2026-05-10\", service_manager = \"情報政策課 係長\" }";
        hr.edit_policy("systems.toml", &[(gw, &format!("{gw}{}", provisioning_section(&scim, extra)))]);
        let (server, app, clock) = build(&hr).await;
        let mut dir = hr.db.config().directory;
        dir.url = hr.ldap.url.clone();
        dir.allow_plaintext = true;
        dir.bind_dn = READER_DN.into();
        dir.password = READER_PW.into();
        Env { hr, scim, _server: server, app, clock, dir }
    }

    /// A full HR sync in process, at the test clock's time.
    pub(crate) async fn sync(&self) {
        let raw = tobira::app::sync::read(&self.dir, &self.app.policy, &ReadMode::Full).await.unwrap();
        let (policy, master, now) = (self.app.policy.clone(), self.app.master_key.clone(), self.app.clock.now_ms());
        self.app
            .db(move |c| {
                tobira::app::sync::run(
                    c,
                    &policy,
                    &raw,
                    &SyncRequest { source: "test", requested_by: "test", now, dry_run: false, master_key: &master },
                )
            })
            .await
            .unwrap();
    }

    pub(crate) async fn deliver(&self) -> Round {
        run_system(&self.app, "groupware", "test-node").await.unwrap().expect("the lease is free")
    }

    pub(crate) fn account_id(&self, login: &str) -> String {
        self.hr.account(login).unwrap().id
    }

    pub(crate) async fn user(&self, login: &str) -> Option<Value> {
        self.scim.by_external_id(&self.account_id(login)).await
    }

    pub(crate) fn count(&self, sql: &str) -> i64 {
        count(&mut conn(&self.hr.db.pool()), sql)
    }
}

/// The application on the test's database and policy, with a clock the test moves; no scheduled
/// HR sync (no directory URL) and no scheduled delivery (`every_seconds = 0`).
pub(crate) async fn build(hr: &Hr) -> (tobira::startup::Application, App, Arc<FixedClock>) {
    let mut config = hr.db.config();
    config.policy_dir = hr.policy.path().display().to_string();
    let clock = fixed_clock();
    let server = tobira::startup::Application::build(config, clock.clone()).await.unwrap();
    let app = server.app().clone();
    (server, app, clock)
}

pub(crate) fn dn(en: &str) -> String {
    people().into_iter().find(|p| p.employee_number == en).unwrap().dn()
}

both_backends! {
    async fn r_lc_01_joiners_are_created_and_a_transfer_updates_the_business_system(db: TestDb) {
        let env = Env::new(db, &[]).await;
        env.sync().await;
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM provisioning_outbox WHERE status = 'pending' AND event = 'create'"), 6, "queued with the sync");
        let r = env.deliver().await;
        assert_eq!((r.pushed, r.retrying, r.stopped), (6, 0, 0), "{r:?}");
        let u = env.user("100001").await.expect("created");
        assert_eq!(u["userName"], "100001");
        assert_eq!(u["active"], true);
        assert_eq!(u[ENTERPRISE]["department"], "市民課");
        assert_eq!(u["roles"][0]["value"], "groupware.user");

        // Idempotent: the same state again queues nothing and creates nothing twice.
        env.sync().await;
        assert_eq!(env.deliver().await, Round::default());
        assert_eq!(env.scim.user_count().await, 6);

        // 異動: shimin → zeimu.
        env.hr.ldap.set(&dn("100001"), "departmentNumber", &["zeimu"]).await;
        env.sync().await;
        let r = env.deliver().await;
        assert_eq!(r.pushed, 1, "{r:?}");
        let u = env.user("100001").await.unwrap();
        assert_eq!(u[ENTERPRISE]["department"], "税務課");
        assert_eq!(env.scim.user_count().await, 6);
        assert!(env.count("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'provisioning.pushed'") >= 7);
        // No token in any audit event.
        assert_eq!(env.count(&format!("SELECT COUNT(*) AS n FROM audit_events WHERE details LIKE '%{}%'", crate::scim_server::TOKEN)), 0);
    }
}

both_backends! {
    async fn r_lc_03_leave_deactivates_a_leaver_is_deleted_after_retention_and_a_rehire_comes_back(db: TestDb) {
        let env = Env::new(db, &[]).await;
        env.sync().await;
        env.deliver().await;
        let first_id = env.user("100003").await.unwrap()["id"].clone();

        // 休職 and 退職.
        env.hr.ldap.set(&dn("100002"), "description", &["休職"]).await;
        env.hr.ldap.set(&dn("100003"), "description", &["退職"]).await;
        env.sync().await;
        let r = env.deliver().await;
        assert_eq!(r.pushed, 2, "{r:?}");
        assert_eq!(env.user("100002").await.unwrap()["active"], false, "leave: active false");
        assert_eq!(env.user("100003").await.unwrap()["active"], false, "leaver: active false at once");

        // Within the retention nothing is deleted; after it the leaver's User is, the one on leave is not.
        env.clock.advance(time::Duration::days(29));
        assert_eq!(env.deliver().await, Round::default());
        env.clock.advance(time::Duration::days(2));
        let r = env.deliver().await;
        assert_eq!((r.queued, r.pushed), (1, 1), "{r:?}");
        assert!(env.user("100003").await.is_none(), "deleted after retention");
        assert!(env.scim.get(&format!("/Users/{}", first_id.as_str().unwrap())).await.is_none(), "read back: gone");
        assert_eq!(env.user("100002").await.unwrap()["active"], false, "a person on leave is kept");
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'provisioning.pushed' AND details LIKE '%read back: gone%'"), 1);

        // 復職 re-activates; 再採用 after the deletion creates the User again.
        env.hr.ldap.set(&dn("100002"), "description", &["在職"]).await;
        env.hr.ldap.set(&dn("100003"), "description", &["在職"]).await;
        env.sync().await;
        let r = env.deliver().await;
        assert_eq!(r.pushed, 2, "{r:?}");
        assert_eq!(env.user("100002").await.unwrap()["active"], true);
        let back = env.user("100003").await.expect("rehired");
        assert_eq!(back["active"], true);
        assert_ne!(back["id"], first_id);
    }
}

both_backends! {
    async fn r_lc_03_a_system_down_for_a_while_loses_nothing_and_keeps_the_order(db: TestDb) {
        let env = Env::new(db, &[]).await;
        env.sync().await;
        env.deliver().await;

        // Two changes of one person while the system is down: a transfer, then leave.
        env.scim.set_down(true);
        env.hr.ldap.set(&dn("100001"), "departmentNumber", &["zeimu"]).await;
        env.sync().await;
        env.hr.ldap.set(&dn("100001"), "description", &["休職"]).await;
        env.sync().await;
        let r = env.deliver().await;
        assert_eq!((r.pushed, r.retrying), (0, 1), "{r:?}");
        assert!(env.count("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'provisioning.failed'") >= 1);
        // Before the back-off ends nothing is tried; later, still down, it is tried again.
        let r = env.deliver().await;
        assert_eq!((r.pushed, r.retrying), (0, 0), "{r:?}");
        env.clock.advance(time::Duration::seconds(61));
        assert_eq!(env.deliver().await.retrying, 1);
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM provisioning_outbox WHERE status = 'pending'"), 2, "nothing lost");

        env.scim.set_down(false);
        env.clock.advance(time::Duration::seconds(61));
        let r = env.deliver().await;
        assert_eq!((r.pushed, r.retrying, r.stopped), (2, 0, 0), "{r:?}");
        let u = env.user("100001").await.unwrap();
        assert_eq!((u[ENTERPRISE]["department"].as_str(), u["active"].as_bool()), (Some("税務課"), Some(false)), "both, in order");
        let order: Vec<String> = {
            use diesel::prelude::*;
            use tobira::store::schema::audit_events as ae;
            let target = format!("account-id:{}", env.account_id("100001"));
            let details: Vec<String> = ae::table.filter(ae::action.eq("provisioning.pushed")).filter(ae::target.eq(target)).order(ae::seq.asc()).select(ae::details).load(&mut *conn(&env.hr.db.pool())).unwrap();
            details.iter().map(|d| serde_json::from_str::<Value>(d).unwrap()["event"].as_str().unwrap().to_string()).collect()
        };
        assert_eq!(order, ["create", "update", "deactivate"]);
    }
}

both_backends! {
    async fn r_lc_01_a_uniqueness_conflict_links_the_same_person_and_stops_on_someone_else(db: TestDb) {
        let env = Env::new(db, &[]).await;
        // Before tobira pushes: a User with 100001's userName and no externalId (made by hand), and
        // one with 100002's userName that belongs to someone else.
        assert_eq!(env.scim.post(json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "100001" })).await, 201);
        assert_eq!(env.scim.post(json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "100002", "externalId": "someone-else" })).await, 201);
        env.sync().await;
        let r = env.deliver().await;
        assert_eq!((r.pushed, r.stopped), (5, 1), "{r:?}");
        let linked = env.scim.by_user_name("100001").await;
        assert_eq!(linked.len(), 1);
        assert_eq!(linked[0]["externalId"].as_str(), Some(env.account_id("100001").as_str()), "linked and brought up to date");
        let other = env.scim.by_user_name("100002").await;
        assert_eq!(other[0]["externalId"], "someone-else", "someone else's User is left alone");
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM provisioning_outbox WHERE status = 'stopped'"), 1);
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM findings WHERE kind = 'provisioning_stopped' AND detail LIKE '%uniqueness%'"), 1, "reported");
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'provisioning.stopped'"), 1);

        // What an operator sees: `tobira provisioning status`, /metrics; `retry` queues it again,
        // and it stops again while the userName still belongs to someone else.
        let metrics = tobira::app::provisioning::ops::metrics(&mut conn(&env.hr.db.pool()), &env.app.policy, env.app.clock.now_ms()).unwrap();
        assert!(metrics.contains("tobira_provisioning_failures{system=\"groupware\"} 1") && metrics.contains("tobira_provisioning_queue_depth{system=\"groupware\"} 0"), "{metrics}");
        let cli = |args: &[&str]| {
            let mut c = env.hr.command();
            c.arg("provisioning").args(args);
            crate::support::output(c)
        };
        let (code, out, err) = cli(&["status", "groupware", "--json"]);
        assert_eq!(code, 0, "{out}{err}");
        let v: Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!((v["queue"]["stopped"].as_i64(), v["queue"]["done"].as_i64()), (Some(1), Some(5)));
        let (code, out, err) = cli(&["status", "groupware"]);
        assert!(code == 0 && out.contains("停止 / stopped 1") && out.contains("uniqueness"), "{out}{err}");
        let (code, _, err) = cli(&["status", "juki"]);
        assert!(code == 1 && err.contains("no [systems.provisioning]"), "{err}");
        let (code, out, err) = cli(&["retry", "groupware"]);
        assert!(code == 0 && out.contains("1 stopped items queued again"), "{out}{err}");
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'provisioning.retried'"), 1);
        let r = env.deliver().await;
        assert_eq!((r.pushed, r.stopped), (0, 1), "{r:?}");
        assert_eq!(env.scim.by_user_name("100002").await[0]["externalId"], "someone-else");
    }
}

both_backends! {
    async fn r_lc_08_a_cloud_service_retired_from_the_register_has_every_account_disposed_of_and_read_back(db: TestDb) {
        let env = Env::new(db, &[]).await;
        env.sync().await;
        assert_eq!(env.deliver().await.pushed, 6);
        // Someone else's User on the same service is not tobira's to dispose of.
        assert_eq!(env.scim.post(json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "vendor-admin" })).await, 201);

        // The service's use ends: its register entry is no longer approved.
        env.hr.edit_policy("systems.toml", &[("approval = { status = \"approved\", approved_by = \"CISO（副市長）\", approved_on = \"2026-05-10\", service_manager = \"情報政策課 係長\" }", "approval = { status = \"rejected\" }")]);
        let (_server, app, clock) = build(&env.hr).await;
        let round = |app: App| async move { run_system(&app, "groupware", "test-node").await.unwrap().unwrap() };
        let r = round(app.clone()).await;
        assert_eq!((r.queued, r.pushed), (6, 6), "{r:?}");
        for en in ["100001", "100004"] {
            assert_eq!(env.user(en).await.unwrap()["active"], false, "{en} deactivated at once");
        }
        clock.advance(time::Duration::days(31));
        let r = round(app.clone()).await;
        assert_eq!((r.queued, r.pushed), (6, 6), "{r:?}");
        assert_eq!(env.scim.user_count().await, 1, "only the User tobira did not make is left");
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'provisioning.pushed' AND details LIKE '%read back: gone%'"), 6, "each disposal checked and recorded");
        assert_eq!(round(app).await, Round::default(), "disposed of once");
    }
}
