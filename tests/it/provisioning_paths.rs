//! Same-transaction queueing on the paths that change a person's access to a provisioned system
//! besides the HR sync, the officer and the review (R-LC-03): a contract's suspension and
//! resumption, a dormant account's suspension; each queues the change with the change itself and
//! the real SCIM server sees it at the next round, on both backends.

use crate::provisioning::Env;
use crate::slapd::Fixture;
use crate::support::both_backends;
use tobira::app::review::dormant;

const DAY_MS: i64 = 86_400_000;

fn pending(env: &Env, login: &str, event: &str) -> i64 {
    env.count(&format!("SELECT COUNT(*) AS n FROM provisioning_outbox WHERE status = 'pending' AND event = '{event}' AND account_id = '{}'", env.account_id(login)))
}

both_backends! {
    async fn r_lc_03_a_contract_suspension_deactivates_the_user_and_its_resumption_reactivates_it(db: TestDb) {
        let mut staff = Fixture::new("100090", "shimin");
        staff.contract = Some("C-2026-050".into());
        let env = Env::with(db, &[staff], (20, 100.0), "").await;
        env.sync().await;
        env.deliver().await;
        assert_eq!(env.user("100090").await.expect("created")["active"], true);

        let (policy, now) = (env.app.policy.clone(), env.app.clock.now_ms());
        let p = policy.clone();
        env.app.db(move |c| tobira::app::contract::suspend(c, &p, "C-2026-050", "委託先での事案", "operator:cso", now)).await.unwrap();
        assert_eq!(pending(&env, "100090", "deactivate"), 1, "queued with the suspension");
        assert_eq!(env.deliver().await.pushed, 1);
        assert_eq!(env.user("100090").await.unwrap()["active"], false);
        assert_eq!(env.user("100001").await.unwrap()["active"], true, "others untouched");

        env.app.db(move |c| tobira::app::contract::resume(c, &policy, "C-2026-050", "operator:cso", now)).await.unwrap();
        assert_eq!(pending(&env, "100090", "reactivate"), 1, "queued with the resumption");
        assert_eq!(env.deliver().await.pushed, 1);
        assert_eq!(env.user("100090").await.unwrap()["active"], true);
    }
}

both_backends! {
    async fn r_lc_03_a_dormant_account_suspended_by_the_review_is_deactivated(db: TestDb) {
        let env = Env::new(db, &[]).await;
        env.sync().await;
        env.deliver().await;
        assert_eq!(env.user("100002").await.expect("created")["active"], true);

        let policy = env.app.policy.clone();
        let sweep = |at: i64| {
            let p = policy.clone();
            env.app.db(move |c| dormant::sweep(c, &p, at))
        };
        // Never signed in: noticed after 30 days, suspended after the notice period.
        let start = env.app.clock.now_ms();
        assert!(sweep(start + 31 * DAY_MS).await.unwrap().noticed > 0);
        assert_eq!(pending(&env, "100002", "deactivate"), 0, "a notice changes no access");
        let s = sweep(start + 46 * DAY_MS).await.unwrap();
        assert!(s.suspended > 0, "{s:?}");
        assert_eq!(pending(&env, "100002", "deactivate"), 1, "queued with the suspension");
        let n = env.count("SELECT COUNT(*) AS n FROM provisioning_outbox WHERE status = 'pending' AND event = 'deactivate'");
        assert_eq!(n as usize, s.suspended, "one item per suspended account");
        env.clock.advance(time::Duration::days(46));
        assert!(env.deliver().await.pushed >= s.suspended);
        assert_eq!(env.user("100002").await.unwrap()["active"], false);
    }
}
