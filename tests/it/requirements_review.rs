//! The periodic check and the register, on both backends: the review runs once a period across the
//! nodes and by hand whenever needed (R-RV-01); the 重要な情報システム flag is held in the stored
//! register and a change of it is on record (R-ZN-05).

use crate::support::{both_backends, conn, output, tobira};
use crate::web;
use tobira::app::review::job;
use tobira::store;
use tobira_domain::review::DAY_MS;

both_backends! {
    async fn r_rv_01_the_review_runs_once_a_period_across_the_nodes_and_by_hand_whenever_needed(db: TestDb) {
        let s = web::start(&db, |_| {}).await;
        // Someone given an account and never signing in: what a review exists to notice.
        s.person("r-700001", "700001", "regular", false, &[]).await;
        let ctx = job::Ctx::of(&s.app);
        let period = i64::from(s.app.policy.review.every_minutes) * 60_000;
        assert!(period > 0, "the example policy schedules the review");
        let t0 = s.clock_ms() + 45 * DAY_MS;

        let first = job::run(&ctx, "node-a", t0, true).await.unwrap().expect("the period's scheduled run");
        assert!(first.errors.is_empty(), "{:?}", first.errors);
        assert_eq!(first.dormant.noticed, 1, "{first:?}");
        // A second node in the same period does not run it again.
        assert!(job::run(&ctx, "node-b", t0 + 60_000, true).await.unwrap().is_none());
        // As needed: a run by hand goes ahead whatever the schedule, and finds nothing new to notice.
        let by_hand = job::run(&ctx, "operator:tanaka", t0 + 60_000, false).await.unwrap().expect("a run by hand");
        assert!(by_hand.errors.is_empty(), "{:?}", by_hand.errors);
        assert_eq!(by_hand.dormant.noticed, 0, "one notice per dormancy");
        // The next period's run comes, on whichever node asks first.
        assert!(job::run(&ctx, "node-b", t0 + period, true).await.unwrap().is_some());
        assert!(job::run(&ctx, "node-a", t0 + period + 60_000, true).await.unwrap().is_none());

        // The operator's command does the same run and prints what it found.
        let mut c = tobira(&db);
        c.args(["review", "run"]);
        let (code, out, err) = output(c);
        assert_eq!(code, 0, "{out}{err}");
        let report: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        assert_eq!(report["errors"], serde_json::json!([]), "{report}");
        for step in ["dormant", "hr_findings", "campaigns_started", "self_inspections", "deadlines", "exceptions_expired", "log_findings"] {
            assert!(report.get(step).is_some(), "{step} in {report}");
        }
    }
}

both_backends! {
    fn r_zn_05_the_important_flag_is_held_in_the_register_and_its_change_is_recorded(db: TestDb) {
        let pool = db.pool();
        let c = &mut *conn(&pool);
        let mut policy = tobira::app::policy::read_dir(&crate::support::repo_path("policies")).unwrap();
        tobira::app::policy::record(c, &policy, 1).unwrap();
        let important = |c: &mut store::DbConnection| -> Vec<String> {
            let mut v: Vec<String> = store::registry::systems(c).unwrap().into_iter().filter(|s| s.important).map(|s| s.id).collect();
            v.sort();
            v
        };
        assert_eq!(important(c), ["juki", "tobira", "zeimu"], "as systems.toml flags them");

        // The document system designated important: the register follows, with a record of the change.
        policy.systems.iter_mut().find(|s| s.id.get_ref() == "bunsho").unwrap().important = true;
        policy.digest = "bunsho-designated".into();
        let changed = tobira::app::policy::record(c, &policy, 2).unwrap();
        let actions: Vec<(&str, &str)> = changed.iter().map(|r| (r.event.action.as_str(), r.event.target.as_str())).collect();
        assert!(actions.contains(&("system.changed", "system:bunsho")), "{actions:?}");
        assert_eq!(important(c), ["bunsho", "juki", "tobira", "zeimu"]);
    }
}
