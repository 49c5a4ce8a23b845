//! Storage: diesel over one [`DbConnection`] that is SQLite or PostgreSQL, chosen by the URL scheme.
//!
//! Invariants:
//! - one code path serves both backends; backend-specific SQL is confined to this module and to the
//!   audit appender's lock;
//! - every write that must not interleave runs in [`write_tx`], which on SQLite begins `IMMEDIATE`
//!   (the write lock up front, so a read-then-write never fails with a stale snapshot);
//! - SQLite connections run in WAL mode with foreign keys on and a busy timeout;
//! - migrations are embedded in the binary and identical in name for both backends.

/// Multi-row INSERTs of `rows` in chunks of 500 (at most 17 parameters a row stays below SQLite's and
/// PostgreSQL's parameter limits). The multi-backend connection has no batch insert, so this goes
/// through the backend's own connection, inside the caller's transaction (whose state lives there).
macro_rules! insert_chunks {
    ($conn:expr, $table:expr, $rows:expr) => {
        for chunk in $rows.chunks(500) {
            match $conn {
                $crate::store::DbConnection::Pg(c) => diesel::insert_into($table).values(chunk).execute(c)?,
                $crate::store::DbConnection::Sqlite(c) => diesel::insert_into($table).values(chunk).execute(c)?,
            };
        }
    };
}
pub(crate) use insert_chunks;

pub mod access_requests;
pub mod accounts;
pub mod audit;
pub mod audit_group;
pub mod audit_holds;
pub mod audit_search;
pub mod console;
pub mod console_privileged;
pub mod contracts;
pub mod credentials;
pub mod enrollment;
pub mod hr_known;
pub mod hr_sync;
pub mod keys;
pub mod leases;
pub mod notifications;
pub mod officer_requests;
pub mod oidc;
pub mod onboarding;
pub mod org;
pub mod privileged;
pub mod provisioning;
pub mod provisioning_files;
pub mod provisioning_runs;
pub mod registry;
pub mod remote_access;
pub mod returns;
pub mod review;
pub mod schema;
pub mod sessions;
pub mod shared_ids;
pub mod sync_holds;
pub mod sync_runs;
pub mod throttle;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::time::Duration;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

pub type DbPool = Pool<Manager>;
pub type PooledConn = PooledConnection<Manager>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database URL must start with sqlite:// or postgres:// (got scheme `{0}`)")]
    UnsupportedUrl(String),
    #[error("cannot open the database: {0}")]
    Connect(String),
    #[error("database pool: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("database: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("{0}")]
    Integrity(String),
}

/// Which backend a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite://") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(url.split("://").next().unwrap_or("").chars().take(20).collect()))
        }
    }
}

/// The file path of a `sqlite://` URL (`sqlite://./data/x.db` → `./data/x.db`).
pub fn sqlite_path(url: &str) -> Option<&str> {
    url.strip_prefix("sqlite://")
}

/// A URL with any password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}://{}{}{}", &url[..s], user, if creds.contains(':') { ":***" } else { "" }, &url[at..])
        }
        _ => url.to_string(),
    }
}

/// Opens connections of the backend the URL names (diesel's derived `establish` tries every backend in
/// turn and drops their errors), and sets SQLite's pragmas on each new connection.
#[derive(Debug)]
pub struct Manager {
    backend: Backend,
    target: String,
    busy_timeout_ms: u32,
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        match self.backend {
            Backend::Postgres => PgConnection::establish(&self.target)
                .map(DbConnection::Pg)
                .map_err(diesel::r2d2::Error::ConnectionError),
            Backend::Sqlite => {
                let mut c = SqliteConnection::establish(&self.target).map_err(diesel::r2d2::Error::ConnectionError)?;
                // journal_mode = WAL is set once in `connect` (it is persistent and needs an exclusive lock).
                c.batch_execute(&format!(
                    "PRAGMA busy_timeout = {}; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                    self.busy_timeout_ms
                ))
                .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(c))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// Pool settings.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: u32,
    pub connect_timeout: Duration,
    pub busy_timeout_ms: u32,
}

impl Manager {
    /// A manager for `url`; for SQLite it creates the file's directory and switches the file to WAL
    /// once (the mode is persistent and needs an exclusive lock).
    pub fn new(url: &str, opts: &PoolOptions) -> Result<Manager, StoreError> {
        let backend = Backend::of(url)?;
        let target = match backend {
            Backend::Sqlite => {
                let path = sqlite_path(url).unwrap_or_default();
                if path.is_empty() {
                    return Err(StoreError::Connect("sqlite:// URL has no file path".into()));
                }
                if let Some(dir) = std::path::Path::new(path).parent() {
                    crate::crypto::create_private_dir(dir)
                        .map_err(|e| StoreError::Connect(format!("{}: {e}", dir.display())))?;
                }
                let mut first = SqliteConnection::establish(path).map_err(|e| StoreError::Connect(e.to_string()))?;
                first
                    .batch_execute(&format!(
                        "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL;",
                        opts.busy_timeout_ms
                    ))
                    .map_err(|e| StoreError::Connect(e.to_string()))?;
                path.to_string()
            }
            Backend::Postgres => url.to_string(),
        };
        Ok(Manager { backend, target, busy_timeout_ms: opts.busy_timeout_ms })
    }
}

/// Opens a pool for `url`. Fails when the database cannot be reached within the connect timeout.
pub fn connect(url: &str, opts: &PoolOptions) -> Result<DbPool, StoreError> {
    Pool::builder()
        .max_size(opts.max_size)
        .min_idle(Some(1))
        .connection_timeout(opts.connect_timeout)
        .build(Manager::new(url, opts)?)
        .map_err(|e| StoreError::Connect(redact_url(&e.to_string())))
}

/// One connection without a pool, for one-shot commands (no background threads left at exit).
pub fn connect_one(url: &str, opts: &PoolOptions) -> Result<DbConnection, StoreError> {
    Manager::new(url, opts)?.connect().map_err(|e| StoreError::Connect(redact_url(&e.to_string())))
}

/// A migrated SQLite database in memory, gone when the connection closes: what a dry run on a
/// fresh install plans against, so it creates no file (a fresh install holds nobody).
pub fn in_memory() -> Result<DbConnection, StoreError> {
    let mut c =
        DbConnection::Sqlite(SqliteConnection::establish(":memory:").map_err(|e| StoreError::Connect(e.to_string()))?);
    migrate(&mut c)?;
    Ok(c)
}

/// Whether tobira's schema exists in this database (any migration applied).
pub fn is_set_up(conn: &mut DbConnection) -> Result<bool, StoreError> {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let sql = match conn {
        DbConnection::Sqlite(_) => {
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = '__diesel_schema_migrations'"
        }
        DbConnection::Pg(_) => {
            "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_name = '__diesel_schema_migrations'"
        }
    };
    Ok(diesel::RunQueryDsl::get_result::<N>(diesel::sql_query(sql), conn)?.n > 0)
}

/// Runs the pending migrations of the connection's backend; returns their names.
pub fn migrate(conn: &mut DbConnection) -> Result<Vec<String>, StoreError> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
        DbConnection::Pg(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
    }
    .map_err(|e| StoreError::Migration(e.to_string()))?;
    let applied: Vec<String> = applied.into_iter().map(|v| v.to_string()).collect();
    org::backfill_search_keys(conn)?;
    Ok(applied)
}

/// Runs `f` in a write transaction: `BEGIN IMMEDIATE` on SQLite, `BEGIN` on PostgreSQL. Commits on
/// `Ok`, rolls back on `Err`.
pub fn write_tx<T, E>(conn: &mut DbConnection, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    match conn {
        DbConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConnection::Pg(_) => DbConnection::begin_transaction(conn)?,
    }
    match f(conn) {
        Ok(v) => match DbConnection::commit_transaction(conn) {
            Ok(()) => Ok(v),
            Err(e) => {
                let _ = DbConnection::rollback_transaction(conn);
                Err(e.into())
            }
        },
        Err(e) => {
            DbConnection::rollback_transaction(conn)?;
            Err(e)
        }
    }
}

/// The database server's clock, in UTC milliseconds: PostgreSQL's `clock_timestamp()`; `None` on
/// SQLite, which runs in this process and has no clock of its own.
pub fn database_clock_ms(conn: &mut DbConnection) -> Result<Option<i64>, StoreError> {
    #[derive(diesel::QueryableByName)]
    struct Now {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        ms: i64,
    }
    use diesel::RunQueryDsl;
    Ok(match conn {
        DbConnection::Pg(c) => Some(
            diesel::sql_query("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms")
                .get_result::<Now>(c)?
                .ms,
        ),
        DbConnection::Sqlite(_) => None,
    })
}

/// A cheap query that proves the database answers.
pub fn ping(conn: &mut DbConnection) -> Result<(), StoreError> {
    use diesel::RunQueryDsl;
    diesel::sql_query("SELECT 1").execute(conn)?;
    Ok(())
}

/// A new random id (UUID v7: time-ordered, so indexes stay compact).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact_url("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://./data/x.db"), "sqlite://./data/x.db");
    }

    #[test]
    fn backend_from_scheme() {
        assert_eq!(Backend::of("sqlite://x.db").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::of("postgresql://h/db").unwrap(), Backend::Postgres);
        assert!(Backend::of("mysql://h/db").is_err());
    }
}
