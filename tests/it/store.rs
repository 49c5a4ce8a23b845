//! The storage model on both backends: organisation, accounts, passwords, grants, the register and
//! the audit table's protections.

use crate::support::{both_backends, conn, count, fixed_clock, now_ms};
use tobira::store::{
    self,
    accounts::{Account, Grant},
    org::{Department, Person},
};
use tobira_domain::rbac::{AccountStatus, GrantSource};

fn dept(code: &str, parent: Option<&str>) -> Department {
    Department {
        code: code.into(),
        name: format!("{code}課"),
        name_kana: None,
        parent_code: parent.map(String::from),
        body: Some("内部部局".into()),
        updated_at: 1,
    }
}

fn person(id: &str, number: &str) -> Person {
    Person {
        id: id.into(),
        employee_number: number.into(),
        directory_key: None,
        name_kanji: "東雲 花子".into(),
        name_kana: "シノノメ ハナコ".into(),
        name_romaji: Some("Shinonome Hanako".into()),
        post_title: Some("主事".into()),
        employment_type: "fixed_term".into(),
        status: "active".into(),
        is_head_of_section: false,
        start_date: Some("2026-04-01".into()),
        end_date: Some("2027-03-31".into()),
        secondment_target: None,
        contract_id: None,
        mail: None,
        updated_at: 1,
        department_name: None,
        birth_date: Some("1990-04-15".into()),
        phone: Some("0123-45-6789".into()),
    }
}

/// The register rows from the example policy, so roles exist for grants.
fn register(c: &mut tobira::store::DbConnection) {
    let policy = tobira::app::policy::read_dir(&crate::support::repo_path("policies")).unwrap();
    tobira::app::policy::record(c, &policy, 1).unwrap();
}

both_backends! {
    fn r_lc_10_people_departments_and_concurrent_posts_round_trip(db: TestDb) {
        let pool = db.pool();
        let c = &mut *conn(&pool);
        store::org::upsert_department(c, &dept("somu", None)).unwrap();
        store::org::upsert_department(c, &dept("shimin", Some("somu"))).unwrap();
        store::org::upsert_department(c, &dept("zeimu", Some("somu"))).unwrap();
        let p = person("p1", "100001");
        store::org::upsert_person(c, &p).unwrap();
        assert_eq!(store::org::person_by_employee_number(c, "100001").unwrap(), Some(p.clone()));
        store::org::set_memberships(c, "p1", "shimin", &["zeimu".to_string(), "shimin".to_string()]).unwrap();
        assert_eq!(store::org::memberships(c, "p1").unwrap(), vec![("shimin".into(), "primary".into()), ("zeimu".into(), "concurrent".into())]);
        // A transfer (異動) replaces memberships as a whole.
        store::org::set_memberships(c, "p1", "zeimu", &[]).unwrap();
        assert_eq!(store::org::memberships(c, "p1").unwrap(), vec![("zeimu".into(), "primary".into())]);
        // Updates keep one row and can clear optional fields.
        let mut changed = p.clone();
        changed.end_date = None;
        changed.status = "on_leave".into();
        store::org::upsert_person(c, &changed).unwrap();
        assert_eq!(store::org::person_by_employee_number(c, "100001").unwrap().unwrap().end_date, None);
        assert_eq!(count(c, "SELECT COUNT(*) AS n FROM people"), 1);
    }
}

both_backends! {
    fn foreign_keys_and_unique_keys_are_enforced(db: TestDb) {
        let pool = db.pool();
        let c = &mut *conn(&pool);
        // A membership of an unknown department is refused, and nothing is half-written.
        store::org::upsert_person(c, &person("p1", "100001")).unwrap();
        assert!(store::org::set_memberships(c, "p1", "nowhere", &[]).is_err());
        // The same employee number twice is refused.
        assert!(store::org::upsert_person(c, &person("p2", "100001")).is_err());
        // A grant of a role that does not exist is refused.
        let a = Account::new("a1".into(), "hanako".into(), None, 1);
        store::accounts::insert(c, &a).unwrap();
        assert!(store::accounts::insert_grant(c, &Grant::new("a1", "no.such.role", GrantSource::Request, 1)).is_err());
        // Login IDs are unique.
        assert!(store::accounts::insert(c, &Account::new("a2".into(), "hanako".into(), None, 1)).is_err());
    }
}

both_backends! {
    fn accounts_passwords_and_grants_round_trip(db: TestDb) {
        let pool = db.pool();
        let c = &mut *conn(&pool);
        register(c);
        let clock = fixed_clock();
        let now = now_ms(&clock);
        let mut a = Account::new("a1".into(), "vendor-01".into(), None, now);
        a.is_vendor = true;
        a.expires_at = Some(now + 86_400_000);
        store::accounts::insert(c, &a).unwrap();
        assert_eq!(store::accounts::by_login_id(c, "vendor-01").unwrap(), Some(a.clone()));

        store::accounts::set_password(c, "a1", "$argon2id$first", true, now, None).unwrap();
        assert!(store::accounts::by_id(c, "a1").unwrap().unwrap().must_change_password);
        store::accounts::set_password(c, "a1", "$argon2id$second", false, now + 1, Some(now + 10)).unwrap();
        assert_eq!(store::accounts::password(c, "a1").unwrap(), Some(("$argon2id$second".into(), false)));
        assert_eq!(store::accounts::password_history(c, "a1", 5).unwrap(), vec!["$argon2id$first".to_string()]);
        assert!(!store::accounts::by_id(c, "a1").unwrap().unwrap().must_change_password);

        let mut g = Grant::new("a1", "bunsho.user", GrantSource::Request, now);
        g.valid_until = Some(now + 1_000);
        store::accounts::insert_grant(c, &g).unwrap();
        assert_eq!(store::accounts::grants_in_force(c, "a1", now).unwrap().len(), 1);
        assert_eq!(store::accounts::grants_in_force(c, "a1", now + 1_000).unwrap().len(), 0, "a grant ends at valid_until");
        assert_eq!(store::accounts::holders_of_role(c, "bunsho.user", now).unwrap(), 1);
        assert!(store::accounts::revoke_grant(c, &g.id, "test", now).unwrap());
        assert!(!store::accounts::revoke_grant(c, &g.id, "test", now).unwrap(), "revoking twice changes nothing");
        assert_eq!(store::accounts::holders_of_role(c, "bunsho.user", now).unwrap(), 0);

        assert!(store::accounts::set_status(c, "a1", AccountStatus::Suspended, "contract suspended (R-LC-13)", now).unwrap());
        let a = store::accounts::by_id(c, "a1").unwrap().unwrap();
        assert_eq!(a.status(), Some(AccountStatus::Suspended));
        assert_eq!(a.status_reason.as_deref(), Some("contract suspended (R-LC-13)"));
    }
}

both_backends! {
    fn r_zn_07_register_follows_the_policy_with_audit_events(db: TestDb) {
        let pool = db.pool();
        let c = &mut *conn(&pool);
        let mut policy = tobira::app::policy::read_dir(&crate::support::repo_path("policies")).unwrap();
        let first = tobira::app::policy::record(c, &policy, 1).unwrap();
        let registered = first.iter().filter(|r| r.event.action == "system.registered").count();
        assert_eq!(registered, policy.systems.len());
        let systems = store::registry::systems(c).unwrap();
        let juki = systems.iter().find(|s| s.id == "juki").unwrap();
        assert_eq!((juki.zone.as_str(), juki.classification.as_str(), juki.owner_title.as_str()), ("mynumber", "3A", "市民課長"));

        // Same policy again: nothing changes but the policy.loaded record, which says so.
        let again = tobira::app::policy::record(c, &policy, 2).unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].event.details["changed"], false);

        // A system reclassified and another removed from the policy: one event each; rows are kept.
        policy.systems.iter_mut().find(|s| s.id.get_ref() == "bunsho").unwrap().classification = toml::Spanned::new(0..0, "3C".to_string());
        policy.roles.retain(|r| r.system.get_ref() != "denshi-shinsei");
        policy.systems.retain(|s| s.id.get_ref() != "denshi-shinsei");
        policy.digest = "changed-for-test".into();
        let third = tobira::app::policy::record(c, &policy, 3).unwrap();
        let actions: Vec<(&str, &str)> = third.iter().map(|r| (r.event.action.as_str(), r.event.target.as_str())).collect();
        assert!(actions.contains(&("system.changed", "system:bunsho")), "{actions:?}");
        assert!(actions.contains(&("system.withdrawn", "system:denshi-shinsei")), "{actions:?}");
        assert!(actions.contains(&("role.withdrawn", "role:denshi-shinsei.clerk")), "{actions:?}");
        assert_eq!(third.last().unwrap().event.details["changed"], true);
        let kept = store::registry::systems(c).unwrap().into_iter().find(|s| s.id == "denshi-shinsei").unwrap();
        assert!(!kept.in_policy);
    }
}

both_backends! {
    fn r_lg_02_audit_table_refuses_update_and_delete(db: TestDb) {
        let pool = db.pool();
        let c = &mut *conn(&pool);
        let events = vec![tobira_domain::audit::AuditEvent::new("alice", "test.event", "x")];
        store::write_tx(c, |c| store::audit::append(c, 1, events)).unwrap();
        use diesel::RunQueryDsl;
        assert!(diesel::sql_query("UPDATE audit_events SET actor = 'mallory'").execute(c).is_err());
        assert!(diesel::sql_query("DELETE FROM audit_events").execute(c).is_err());
        assert_eq!(count(c, "SELECT COUNT(*) AS n FROM audit_events WHERE actor = 'alice'"), 1);
    }
}

both_backends! {
    fn r_lg_05_a_failed_change_leaves_no_audit_record(db: TestDb) {
        // The audit event and the change commit together or not at all.
        let pool = db.pool();
        let c = &mut *conn(&pool);
        let res: Result<(), tobira::store::StoreError> = store::write_tx(c, |c| {
            store::audit::append(c, 1, vec![tobira_domain::audit::AuditEvent::new("alice", "account.created", "account:x")])?;
            store::accounts::insert(c, &Account::new("a1".into(), "x".into(), Some("no-such-person".into()), 1))?;
            Ok(())
        });
        assert!(res.is_err());
        assert_eq!(count(c, "SELECT COUNT(*) AS n FROM audit_events"), 0);
        assert_eq!(count(c, "SELECT COUNT(*) AS n FROM accounts"), 0);
    }
}

both_backends! {
    fn migrations_are_idempotent(db: TestDb) {
        let pool = db.pool();
        assert!(store::migrate(&mut conn(&pool)).unwrap().is_empty(), "a second run applies nothing");
    }
}

both_backends! {
    fn job_leases_let_one_node_run_a_job_at_a_time(db: TestDb) {
        let pool = db.pool();
        let c = &mut *conn(&pool);
        let take = |c: &mut tobira::store::DbConnection, who: &str, now: i64| store::write_tx(c, |c| store::leases::try_acquire(c, "hr-sync", who, now, 1_000)).unwrap();
        assert!(take(c, "node-a", 0));
        assert!(!take(c, "node-b", 500), "held by node-a until 1000");
        assert!(take(c, "node-a", 900), "the holder renews (until 1900)");
        assert!(!take(c, "node-b", 1_500));
        assert!(take(c, "node-b", 1_900), "an expired lease can be taken over");
        assert!(!take(c, "node-a", 2_000));
        store::leases::release(c, "hr-sync", "node-b").unwrap();
        assert!(take(c, "node-a", 2_000));
    }
}

both_backends! {
    async fn r_au_11_two_first_failures_at_once_both_count(db: TestDb) {
        // The account has no lockout row yet: on PostgreSQL `FOR UPDATE` alone would lock nothing,
        // and the second attempt would read "no failures" and then fail on the key.
        use tobira_domain::authn::lockout::LockState;
        let pool = db.pool();
        store::accounts::insert(&mut conn(&pool), &Account::new("a1".into(), "jiro".into(), None, 1)).unwrap();
        let fail_once = |pool: tobira::store::DbPool, hold_ms: u64| {
            std::thread::spawn(move || {
                let c = &mut *conn(&pool);
                store::write_tx(c, |c| -> Result<(), store::StoreError> {
                    let s = store::throttle::lock_state(c, "a1", "-")?;
                    store::throttle::put_lock_state(c, "a1", "-", &LockState { failures: s.failures + 1, ..s }, 1)?;
                    std::thread::sleep(std::time::Duration::from_millis(hold_ms));
                    Ok(())
                })
            })
        };
        let first = fail_once(pool.clone(), 400);
        std::thread::sleep(std::time::Duration::from_millis(100));
        let second = fail_once(pool.clone(), 0);
        first.join().unwrap().unwrap();
        second.join().unwrap().expect("the second attempt waits for the first, then counts on top of it");
        let c = &mut *conn(&pool);
        let s = store::write_tx(c, |c| store::throttle::lock_state(c, "a1", "-")).unwrap();
        assert_eq!(s.failures, 2);
    }
}

both_backends! {
    async fn r_pr_01_naming_holders_at_once_is_serialised_per_system(db: TestDb) {
        // One officer names a holder and has not committed yet; a second one counting the system's
        // holders waits for the first and counts their holder too, so both cannot pass the cap.
        use tobira::store::privileged::{self as pr, Eligibility};
        let pool = db.pool();
        {
            let c = &mut *conn(&pool);
            register(c);
            store::accounts::insert(c, &Account::new("p1".into(), "p-juki-01".into(), None, 1)).unwrap();
        }
        let first = {
            let pool = pool.clone();
            std::thread::spawn(move || {
                let c = &mut *conn(&pool);
                store::write_tx(c, |c| -> Result<(), store::StoreError> {
                    pr::lock_holders(c, "juki")?;
                    let row = Eligibility { id: "e1".into(), account_id: "p1".into(), role_id: "juki.admin".into(), system_id: "juki".into(), granted_by: "p-so-01".into(), reason: "保守".into(), created_at: 1, revoked_at: None, revoked_by: None };
                    pr::insert_eligibility(c, &row)?;
                    std::thread::sleep(std::time::Duration::from_millis(400));
                    Ok(())
                })
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(100));
        let c = &mut *conn(&pool);
        let seen = store::write_tx(c, |c| -> Result<usize, store::StoreError> {
            pr::lock_holders(c, "juki")?;
            Ok(pr::holders(c, "juki")?.len())
        })
        .unwrap();
        first.join().unwrap().unwrap();
        assert_eq!(seen, 1, "the second count waits for the first officer's holder");
    }
}

/// PostgreSQL: the console's search gets pg_trgm's GIN indexes where the extension may be created,
/// and the migration still succeeds for a role that may not create it (the search then scans): a
/// city's DBA who gives tobira a plain role does not find tobira unable to start.
#[test]
fn postgres_search_has_trigram_indexes_when_allowed_and_migrates_without_them_when_not() {
    use diesel::{Connection, PgConnection, RunQueryDsl};
    let Some(db) = crate::support::TestDb::postgres() else { return };
    let trigram =
        "SELECT COUNT(*) AS n FROM pg_indexes WHERE indexname IN ('people_search_key_trgm', 'accounts_login_id_trgm')";
    assert_eq!(count(&mut conn(&db.pool()), trigram), 2, "the owner of the database gets both indexes");

    // A role that may make tables in the public schema of its database, but not extensions.
    let admin = std::env::var("TOBIRA_TEST_PG_URL").unwrap();
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let (role, name) = (format!("tobira_plain_{suffix}"), format!("tobira_it_plain_{suffix}"));
    let mut a = PgConnection::establish(&admin).unwrap();
    for sql in [format!("CREATE ROLE {role} LOGIN"), format!("CREATE DATABASE {name}")] {
        diesel::sql_query(sql).execute(&mut a).unwrap();
    }
    let mut in_db = url::Url::parse(&admin).unwrap();
    in_db.set_path(&name);
    diesel::sql_query(format!("GRANT CREATE ON SCHEMA public TO {role}"))
        .execute(&mut PgConnection::establish(in_db.as_str()).unwrap())
        .unwrap();
    let mut as_role = in_db.clone();
    as_role.set_username(&role).unwrap();
    let pool = store::connect(
        as_role.as_str(),
        &store::PoolOptions {
            max_size: 1,
            connect_timeout: std::time::Duration::from_secs(10),
            busy_timeout_ms: 10_000,
        },
    )
    .unwrap();
    let migrated = store::migrate(&mut pool.get().unwrap());
    let mut c = conn(&pool);
    let (indexes, extension) =
        (count(&mut c, trigram), count(&mut c, "SELECT COUNT(*) AS n FROM pg_extension WHERE extname = 'pg_trgm'"));
    drop(c);
    drop(pool);
    for sql in [format!("DROP DATABASE {name} WITH (FORCE)"), format!("DROP ROLE {role}")] {
        diesel::sql_query(sql).execute(&mut a).unwrap();
    }
    assert!(migrated.is_ok(), "a plain role migrates: {migrated:?}");
    assert_eq!((indexes, extension), (0, 0), "no extension, no trigram index: the search scans");
}

both_backends! {
    /// A review item always belongs to a campaign, and a campaign with items is not deleted: the
    /// foreign key on SQLite, a check per statement on PostgreSQL (a city-wide campaign inserts
    /// 200,000 items in one statement). Raw SQL, as an operator with a database shell would try it.
    fn r_rv_05_a_review_item_without_its_campaign_is_refused_and_a_campaign_with_items_stays(db: TestDb) {
        use diesel::RunQueryDsl;
        let pool = db.pool();
        let c = &mut *conn(&pool);
        let campaign = "INSERT INTO review_campaigns (id, scope_kind, scope_key, title, created_by, created_at, deadline, status) VALUES ('k1', 'city', '', 'test', 'x', 1, 2, 'open')";
        let item = |id: &str, campaign: &str| {
            format!("INSERT INTO review_items (id, campaign_id, grant_id, account_id, login_id, role_id, system_id, source, reviewers) VALUES ('{id}', '{campaign}', 'g', 'a', 'l', 'r', 's', 'request', 'x')")
        };
        diesel::sql_query(campaign).execute(c).unwrap();
        diesel::sql_query(item("i1", "k1")).execute(c).unwrap();
        assert!(diesel::sql_query(item("i2", "no-such-campaign")).execute(c).is_err(), "an item of no campaign");
        assert!(diesel::sql_query("UPDATE review_items SET campaign_id = 'elsewhere' WHERE id = 'i1'").execute(c).is_err(), "moved to no campaign");
        assert!(diesel::sql_query("DELETE FROM review_campaigns WHERE id = 'k1'").execute(c).is_err(), "a campaign with items");
        diesel::sql_query("UPDATE review_campaigns SET status = 'closed' WHERE id = 'k1'").execute(c).unwrap();
        assert_eq!(count(c, "SELECT COUNT(*) AS n FROM review_items WHERE campaign_id = 'k1'"), 1);
        assert_eq!(count(c, "SELECT COUNT(*) AS n FROM review_campaigns"), 1);
    }
}
