//! A scratch database for a bench: a file in a temporary directory for SQLite, or a new database
//! on the server of `TOBIRA_TEST_PG_URL` for PostgreSQL, dropped with [`Scratch::drop_database`].

use diesel::prelude::*;

pub struct Scratch {
    pub url: String,
    /// (admin URL, database name) on PostgreSQL.
    pg: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new(backend: &str) -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let (url, pg) = match backend {
            "sqlite" => (format!("sqlite://{}", dir.path().join("bench.db").display()), None),
            "postgres" => {
                let admin = std::env::var("TOBIRA_TEST_PG_URL").expect("TOBIRA_TEST_PG_URL");
                let name = format!("tobira_bench_{}", uuid::Uuid::new_v4().simple());
                let mut c = diesel::pg::PgConnection::establish(&admin).unwrap();
                diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut c).unwrap();
                (format!("{}/{name}", admin.rsplit_once('/').unwrap().0), Some((admin, name)))
            }
            other => panic!("unknown backend {other}"),
        };
        Scratch { url, pg, _dir: dir }
    }

    /// Drops the PostgreSQL database (close the pool first); SQLite's file goes with the directory.
    pub fn drop_database(&self) {
        if let Some((admin, name)) = &self.pg {
            let mut c = diesel::pg::PgConnection::establish(admin).unwrap();
            diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c).unwrap();
        }
    }
}
