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

both_backends! {
    async fn r_lc_03_a_grant_that_begins_or_runs_out_reaches_the_system_with_nobody_acting(db: TestDb) {
        // A second groupware role that nobody holds by birthright; roles go as the User's attribute.
        let role = "[[roles]]\nid = \"groupware.board\"\nsystem = \"groupware\"\nname = \"グループウェア 掲示板管理\"\n\n[[roles]]\nid = \"groupware.user\"";
        let env = Env::with_policy(db, &[], (20, 100.0), "", &[("roles.toml", &[("[[roles]]\nid = \"groupware.user\"", role)])]).await;
        env.sync().await;
        env.deliver().await;
        let roles = |u: &serde_json::Value| u["roles"].as_array().map(|a| a.iter().filter_map(|r| r["value"].as_str().map(String::from)).collect::<Vec<_>>()).unwrap_or_default();
        assert_eq!(roles(&env.user("100002").await.expect("created")), ["groupware.user"]);

        // Granted for tomorrow, for one day, in the transaction that records it (as an approval does):
        // nothing to push yet, since the grant is not in force.
        let (account, approver, now) = (env.account_id("100002"), env.account_id("100001"), env.app.clock.now_ms());
        let policy = env.app.policy.clone();
        env.app
            .db(move |c| {
                tobira::store::write_tx(c, |c| -> Result<(), tobira::app::AppError> {
                    let g = tobira::store::accounts::Grant {
                        id: tobira::store::new_id(),
                        account_id: account.clone(),
                        role_id: "groupware.board".into(),
                        source: "request".into(),
                        valid_from: now + DAY_MS,
                        valid_until: Some(now + 2 * DAY_MS),
                        requested_by: Some(account.clone()),
                        approved_by: Some(approver),
                        reason: Some("掲示板の管理".into()),
                        created_at: now,
                        revoked_at: None,
                        revoked_reason: None,
                        review_flag: None,
                    };
                    tobira::store::accounts::insert_grant(c, &g)?;
                    tobira::app::provisioning::track(c, &policy, &[account], "100001", now)?;
                    Ok(())
                })
            })
            .await
            .unwrap();
        assert_eq!(env.deliver().await.pushed, 0, "a grant not yet in force changes nothing");

        // Only time passes: the round after the start pushes the role, the round after the end takes it away.
        env.clock.advance(time::Duration::days(1));
        assert_eq!(env.deliver().await.pushed, 1);
        assert_eq!(roles(&env.user("100002").await.unwrap()), ["groupware.board", "groupware.user"]);
        env.clock.advance(time::Duration::days(1));
        assert_eq!(env.deliver().await.pushed, 1);
        assert_eq!(roles(&env.user("100002").await.unwrap()), ["groupware.user"]);
        assert_eq!(env.user("100001").await.unwrap()["active"], true, "others untouched");
        assert_eq!(env.count("SELECT COUNT(*) AS n FROM provisioning_outbox WHERE status = 'pending'"), 0);
    }
}
