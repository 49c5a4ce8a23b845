//! Test harness: databases on both backends, a built application on port 0, the `tobira` binary.

#![allow(dead_code)]

use diesel::pg::PgConnection;
use diesel::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use tobira::app::clock::{Clock, FixedClock};
use tobira::config::Config;
use tobira::store::{self, DbConnection, DbPool, PoolOptions};

pub fn repo_path(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// Every `.rs` file under `dir`, at any depth.
pub fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}

/// A database for one test: a SQLite file in a temporary directory, or a PostgreSQL database
/// created for the test and dropped afterwards.
pub struct TestDb {
    pub url: String,
    pub dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("tobira.db").display());
        TestDb { url, dir, pg: None }
    }

    /// `None` (the test is skipped) when `TOBIRA_TEST_PG_URL` is unset outside CI; in CI a missing or
    /// unreachable PostgreSQL fails the test.
    pub fn postgres() -> Option<TestDb> {
        let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
        let admin = match std::env::var("TOBIRA_TEST_PG_URL") {
            Ok(u) if !u.is_empty() => u,
            _ if in_ci => panic!(
                "CI=true but TOBIRA_TEST_PG_URL is not set: the PostgreSQL half of the suite cannot be skipped in CI"
            ),
            _ => {
                eprintln!("skipped: TOBIRA_TEST_PG_URL is not set");
                return None;
            }
        };
        let mut conn = PgConnection::establish(&admin)
            .unwrap_or_else(|e| panic!("PostgreSQL at TOBIRA_TEST_PG_URL is unreachable: {e}"));
        let name = format!("tobira_it_{}", uuid::Uuid::new_v4().simple());
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn).unwrap();
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap();
        let url = format!("{base}/{name}");
        Some(TestDb { url, dir: tempfile::tempdir().unwrap(), pg: Some((admin, name)) })
    }

    pub fn pool(&self) -> DbPool {
        let pool = store::connect(
            &self.url,
            &PoolOptions { max_size: 8, connect_timeout: std::time::Duration::from_secs(10), busy_timeout_ms: 10_000 },
        )
        .unwrap();
        store::migrate(&mut pool.get().unwrap()).unwrap();
        pool
    }

    /// A configuration for this database: data in the test's directory, the example policies, port 0.
    pub fn config(&self) -> Config {
        let mut c = Config::default();
        c.database.url = self.url.clone();
        c.data_dir = self.dir.path().join("data").display().to_string();
        c.policy_dir = repo_path("policies").display().to_string();
        c.http.bind = "127.0.0.1:0".into();
        c.http.workers = 2;
        c
    }

    /// The environment that makes the `tobira` binary use this database and directory.
    pub fn env(&self) -> Vec<(String, String)> {
        let c = self.config();
        vec![
            ("TOBIRA__DATABASE__URL".into(), c.database.url),
            ("TOBIRA__DATA_DIR".into(), c.data_dir),
            ("TOBIRA__POLICY_DIR".into(), c.policy_dir),
            ("TOBIRA__HTTP__BIND".into(), c.http.bind),
            ("TOBIRA__LOG__LEVEL".into(), "warn".into()),
        ]
    }

    /// Runs raw SQL as the database owner would (for tampering tests).
    pub fn raw(&self, sql: &str) {
        let pool = self.pool();
        let mut c = pool.get().unwrap();
        diesel::connection::SimpleConnection::batch_execute(&mut *c, sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Drops a PostgreSQL test database now, cutting its connections (a database that goes away).
    pub fn drop_database(&self) {
        let (admin, name) = self.pg.as_ref().expect("a PostgreSQL test database");
        let mut c = PgConnection::establish(admin).unwrap();
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c).unwrap();
    }

    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg {
            if let Ok(mut c) = PgConnection::establish(admin) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c);
            }
        }
    }
}

/// Defines `NAME::sqlite` and `NAME::postgres`, each running `body` against a fresh database.
macro_rules! both_backends {
    ($(#[$meta:meta])* fn $name:ident($db:ident: TestDb) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            fn run($db: $crate::support::TestDb) $body
            #[test]
            fn sqlite() {
                run($crate::support::TestDb::sqlite())
            }
            #[test]
            fn postgres() {
                if let Some(db) = $crate::support::TestDb::postgres() {
                    run(db)
                }
            }
        }
    };
    ($(#[$meta:meta])* async fn $name:ident($db:ident: TestDb) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($db: $crate::support::TestDb) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::support::TestDb::sqlite()).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = $crate::support::TestDb::postgres() {
                    run(db).await
                }
            }
        }
    };
}
pub(crate) use both_backends;

/// 2026-04-01 09:00 JST, the start of a fiscal year.
pub fn fixed_clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::new(time::macros::datetime!(2026-04-01 00:00 UTC)))
}

pub fn now_ms(clock: &FixedClock) -> i64 {
    clock.now_ms()
}

/// The `tobira` binary with this database's environment.
pub fn tobira(db: &TestDb) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tobira"));
    c.env_clear().env("PATH", std::env::var("PATH").unwrap_or_default()).envs(db.env());
    c
}

/// Runs a command, returning (exit code, stdout, stderr).
pub fn output(mut c: Command) -> (i32, String, String) {
    let o = c.output().expect("run tobira");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A connection from a pool, for brevity.
pub fn conn(pool: &DbPool) -> store::PooledConn {
    pool.get().unwrap()
}

pub fn count(conn: &mut DbConnection, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(sql).get_result::<N>(conn).unwrap().n
}
