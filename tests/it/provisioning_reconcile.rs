//! Reconciliation of a provisioned system against a real SCIM 2.0 server (`scim2-server`), on both
//! backends (R-LC-04): orphans made in the system are reported and, with repair, deactivated (never
//! deleted) within the HR sync's removal limits; missing Users are recreated; changed attributes
//! corrected; beyond the limits nothing is deactivated and the CLI exits 3.

use crate::provisioning::{Env, ENTERPRISE};
use crate::support::{both_backends, output};
use serde_json::{json, Value};
use tobira::app::provisioning::deliver::Round;
use tobira::app::provisioning::reconcile::reconcile;

/// Small pages, so that listing needs several (RFC 7644 `startIndex`/`count`).
const PAGED: &str = "batch = 4";

/// Delivery rounds until the queue is empty.
pub(crate) async fn deliver_all(env: &Env) -> usize {
    let mut pushed = 0;
    for _ in 0..10 {
        let r = env.deliver().await;
        pushed += r.pushed;
        assert_eq!((r.retrying, r.stopped), (0, 0), "{r:?}");
        if r == Round::default() || r.pushed == 0 {
            break;
        }
    }
    pushed
}

pub(crate) async fn provisioned(env: &Env) {
    env.sync().await;
    assert_eq!(deliver_all(env).await, 6);
}

pub(crate) async fn orphan(env: &Env, name: &str) -> Value {
    assert_eq!(
        env.scim
            .post(
                json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name, "active": true })
            )
            .await,
        201
    );
    env.scim.by_user_name(name).await.into_iter().next().unwrap()
}

both_backends! {
    async fn r_lc_04_an_orphan_made_in_the_system_is_reported_and_deactivated_by_repair_never_deleted(db: TestDb) {
        let env = Env::with(db, &[], (20, 100.0), PAGED).await;
        provisioned(&env).await;
        let r = reconcile(&env.app, "groupware", false, "operator:test").await.unwrap();
        assert!(r.drift.is_clean(), "what tobira provisioned is what it expects: {:?}", r.drift);
        assert_eq!(r.drift.listed, 6, "every page listed");

        let o = orphan(&env, "intruder").await;
        // Someone else's User (another provisioning source's externalId): counted, never touched.
        let foreign = json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "vendor-admin", "externalId": "other-idp-7", "active": true });
        assert_eq!(env.scim.post(foreign).await, 201);
        let r = reconcile(&env.app, "groupware", false, "operator:test").await.unwrap();
        assert_eq!((r.drift.listed, r.drift.orphans.len(), r.drift.missing.len(), r.drift.wrong.len(), r.queued), (8, 1, 0, 0, 0), "{:?}", r.drift);
        assert_eq!(r.drift.foreign, 1);
        assert_eq!(r.drift.orphans[0].user_name, "intruder");
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM provisioning_outbox WHERE status = 'pending'"), 0, "a report changes nothing");
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM findings WHERE kind = 'provisioning_orphan'"), 1);
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'provisioning.reconciled'"), 2);

        let r = reconcile(&env.app, "groupware", true, "operator:test").await.unwrap();
        assert_eq!(r.queued, 1);
        // A second repair before delivery queues nothing twice.
        assert_eq!(reconcile(&env.app, "groupware", true, "operator:test").await.unwrap().queued, 0);
        assert_eq!(deliver_all(&env).await, 1);
        let after = env.scim.get(&format!("/Users/{}", o["id"].as_str().unwrap())).await.expect("kept, not deleted");
        assert_eq!(after["active"], false);
        assert_eq!(env.scim.by_user_name("vendor-admin").await[0]["active"], true, "someone else's User untouched");
        assert_eq!(env.scim.user_count().await, 8);
        let r = reconcile(&env.app, "groupware", true, "operator:test").await.unwrap();
        assert_eq!((r.drift.orphans.len(), r.drift.deactivations().len(), r.queued), (1, 0, 0), "still reported, nothing more to do");
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM findings WHERE kind = 'provisioning_orphan'"), 1, "one finding per orphan");
    }
}

both_backends! {
    async fn r_lc_04_a_missing_user_is_recreated_and_a_changed_attribute_corrected(db: TestDb) {
        let env = Env::with(db, &[], (20, 100.0), PAGED).await;
        provisioned(&env).await;
        let gone = env.user("100001").await.unwrap();
        assert_eq!(env.scim.delete(gone["id"].as_str().unwrap()).await, 204);
        let mut changed = env.user("100002").await.unwrap();
        changed[ENTERPRISE]["department"] = json!("偽の課");
        changed.as_object_mut().unwrap().remove("meta");
        assert_eq!(env.scim.put(changed["id"].as_str().unwrap(), changed.clone()).await, 200);

        let r = reconcile(&env.app, "groupware", true, "operator:test").await.unwrap();
        assert_eq!(r.drift.missing, [env.account_id("100001")]);
        assert_eq!(r.drift.wrong.len(), 1, "{:?}", r.drift.wrong);
        assert_eq!(r.drift.wrong[0].account_id, env.account_id("100002"));
        assert_eq!(r.drift.wrong[0].attributes, [format!("{ENTERPRISE}:department")]);
        assert!(r.drift.orphans.is_empty());
        assert_eq!(r.queued, 2);
        assert_eq!(deliver_all(&env).await, 2);
        assert_eq!(env.user("100001").await.expect("recreated")["active"], true);
        assert_eq!(env.user("100002").await.unwrap()[ENTERPRISE]["department"], "市民課");
        assert!(reconcile(&env.app, "groupware", false, "operator:test").await.unwrap().drift.is_clean());
    }
}

both_backends! {
    async fn r_lc_04_orphans_beyond_max_removals_are_held_and_none_is_deactivated(db: TestDb) {
        let env = Env::with(db, &[], (2, 100.0), PAGED).await;
        provisioned(&env).await;
        for name in ["x-1", "x-2", "x-3"] {
            orphan(&env, name).await;
        }
        let (code, out, err) = output({
            let mut c = env.hr.command();
            c.args(["provisioning", "reconcile", "groupware", "--repair"]);
            c
        });
        assert_eq!(code, 3, "held beyond the limits: {out}{err}");
        assert!(out.contains("max_removals") && out.contains("x-2") && out.contains("保留"), "{out}");
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM provisioning_outbox WHERE status = 'pending'"), 0, "nothing queued");
        deliver_all(&env).await;
        for name in ["x-1", "x-2", "x-3"] {
            assert_eq!(env.scim.by_user_name(name).await[0]["active"], true, "{name} untouched");
        }
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'provisioning.reconciled' AND details LIKE '%max_removals%'"), 1);
    }
}
