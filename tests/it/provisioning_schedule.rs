//! Reconciliation on `serve`'s schedule against a real SCIM 2.0 server, on both backends (R-LC-04):
//! the scheduler's tick, driven with the fixed clock, reconciles once per `reconcile_every_hours`,
//! one node at a time (the lease), reports only unless `reconcile_repair = true`, and stores the
//! last run (or its failure) for the console and `tobira provisioning status`.

use crate::provisioning::Env;
use crate::provisioning_reconcile::{deliver_all, orphan, provisioned};
use crate::support::both_backends;
use tobira::app::provisioning::scheduled::{job, tick, Ran};
use tobira::store;

fn hours(h: i64) -> time::Duration {
    time::Duration::hours(h)
}

async fn last(env: &Env) -> store::provisioning_runs::LastRun {
    env.app.db(|c| Ok(store::provisioning_runs::last(c, "groupware")?)).await.unwrap().expect("a last run")
}

both_backends! {
    async fn r_lc_04_the_scheduled_reconciliation_reports_once_a_period_on_one_node_and_records_its_last_run(db: TestDb) {
        let env = Env::with(db, &[], (20, 100.0), "reconcile_every_hours = 24").await;
        provisioned(&env).await;
        orphan(&env, "intruder").await;

        // Another node holds the system's reconciliation lease: this node does nothing.
        let now = env.app.clock.now_ms();
        assert!(env.app.db(move |c| Ok(store::leases::try_acquire(c, &job("groupware"), "node-b", now, 600_000)?)).await.unwrap());
        assert!(tick(&env.app, "node-a").await.unwrap().is_empty(), "one node at a time");
        env.app.db(|c| Ok(store::leases::release(c, &job("groupware"), "node-b")?)).await.unwrap();

        let runs = tick(&env.app, "node-a").await.unwrap();
        let [(system, Ran::Done(r))] = runs.as_slice() else { panic!("one run: {runs:?}") };
        assert_eq!(system, "groupware");
        assert_eq!((r.repair, r.drift.orphans.len(), r.queued), (false, 1, 0), "report only by default");
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM provisioning_outbox WHERE status = 'pending'"), 0, "a report changes nothing");
        let l = last(&env).await;
        assert_eq!((l.listed, l.orphans, l.missing, l.wrong, l.queued, l.actor.as_str()), (7, 1, 0, 0, 0, "system:provisioning-reconcile"));
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'provisioning.reconciled' AND actor = 'system:provisioning-reconcile'"), 1);

        // Not again within the period; again once it has passed.
        env.clock.advance(hours(23));
        assert!(tick(&env.app, "node-a").await.unwrap().is_empty());
        env.clock.advance(hours(1));
        assert_eq!(tick(&env.app, "node-a").await.unwrap().len(), 1);
        let (policy, status_of) = (env.app.policy.clone(), "groupware");
        let s = env.app.db(move |c| tobira::app::provisioning::ops::status(c, &policy, status_of, 5)).await.unwrap();
        assert_eq!(s.last_reconciliation.map(|l| (l.orphans, l.ran_at)), Some((1, env.app.clock.now_ms())), "status shows the last run");

        // The system down: the failure is the last run, audited; the next period tries again.
        env.scim.set_down(true);
        env.clock.advance(hours(24));
        let runs = tick(&env.app, "node-a").await.unwrap();
        assert!(matches!(runs.as_slice(), [(_, Ran::Failed(_))]), "{runs:?}");
        let l = last(&env).await;
        assert!(l.error.as_deref().is_some_and(|e| e.contains("listing its Users")), "{l:?}");
        assert!(!l.error.unwrap().contains(crate::scim_server::TOKEN));
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'provisioning.reconcile_failed'"), 1);
    }
}

both_backends! {
    async fn r_lc_04_a_scheduled_reconciliation_with_repair_deactivates_an_orphan(db: TestDb) {
        let env = Env::with(db, &[], (20, 100.0), "reconcile_every_hours = 6\nreconcile_repair = true").await;
        provisioned(&env).await;
        let o = orphan(&env, "intruder").await;
        let runs = tick(&env.app, "node-a").await.unwrap();
        let [(_, Ran::Done(r))] = runs.as_slice() else { panic!("one run: {runs:?}") };
        assert_eq!((r.repair, r.queued), (true, 1));
        assert_eq!(deliver_all(&env).await, 1);
        let after = env.scim.get(&format!("/Users/{}", o["id"].as_str().unwrap())).await.expect("kept, not deleted");
        assert_eq!(after["active"], false);
        assert_eq!(last(&env).await.queued, 1);
    }
}
