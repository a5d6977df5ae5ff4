//! The database: one diesel connection type over PostgreSQL and SQLite, chosen at run
//! time from `DATABASE_URL`, an r2d2 pool, and the embedded migrations of both backends.

pub mod models;
pub mod schema;
pub mod store;

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

pub type DbPool = Pool<ConnectionManager<DbConn>>;
pub type PooledConn = PooledConnection<ConnectionManager<DbConn>>;

/// Which backend a `DATABASE_URL` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn of(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// A transaction that will write. On SQLite it begins `IMMEDIATE`: a deferred transaction
/// that reads first cannot become a writer once another connection has committed (SQLite
/// answers "database is locked" at once, without waiting), so a request would fail while
/// the outbox worker or the matcher writes. PostgreSQL needs nothing special.
pub fn write_tx<T, E>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    use diesel::Connection;
    let DbConn::Sqlite(c) = conn else {
        return conn.transaction(f);
    };
    if AnsiTransactionManager::transaction_manager_status_mut(c)
        .transaction_depth()?
        .is_some()
    {
        // already inside one: a savepoint, as `transaction` would do
        return conn.transaction(f);
    }
    AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
    let result = f(conn);
    let DbConn::Sqlite(c) = conn else {
        unreachable!("the connection stays SQLite");
    };
    match result {
        Ok(value) => {
            if let Err(e) = AnsiTransactionManager::commit_transaction(c) {
                let _ = AnsiTransactionManager::rollback_transaction(c);
                return Err(e.into());
            }
            Ok(value)
        }
        Err(e) => {
            AnsiTransactionManager::rollback_transaction(c)?;
            Err(e)
        }
    }
}

/// SQLite needs its pragmas on every connection; foreign keys are off by default there.
#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<DbConn, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut DbConn) -> Result<(), diesel::r2d2::Error> {
        if let DbConn::Sqlite(c) = conn {
            c.batch_execute(
                "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;",
            )
            .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// Opens the pool (creating the SQLite file's folder) and applies pending migrations.
pub fn connect(url: &str, max_size: u32) -> anyhow::Result<DbPool> {
    let sqlite_url = url.strip_prefix("sqlite://").unwrap_or(url);
    let url = match Backend::of(url) {
        Backend::Postgres => url.to_owned(),
        Backend::Sqlite => {
            if let Some(parent) = std::path::Path::new(sqlite_url).parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("creating {}", parent.display()))?;
                }
            }
            sqlite_url.to_owned()
        }
    };
    let manager = ConnectionManager::<DbConn>::new(url);
    let pool = Pool::builder()
        .max_size(max_size)
        .connection_timeout(std::time::Duration::from_secs(10))
        .connection_customizer(Box::new(SqlitePragmas))
        .build(manager)
        .context("opening the database")?;
    let mut conn = pool.get().context("connecting to the database")?;
    if let DbConn::Sqlite(c) = &mut *conn {
        // WAL is a property of the file: set once, kept by every later connection.
        c.batch_execute("PRAGMA journal_mode = WAL;")
            .context("enabling WAL")?;
    }
    run_migrations(&mut conn)?;
    Ok(pool)
}

pub fn run_migrations(conn: &mut DbConn) -> anyhow::Result<Vec<String>> {
    let applied = match conn {
        DbConn::Pg(c) => c.run_pending_migrations(PG_MIGRATIONS),
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
    }
    .map_err(|e| anyhow::anyhow!("running migrations: {e}"))?;
    Ok(applied.iter().map(|v| v.to_string()).collect())
}

pub fn backend(conn: &DbConn) -> Backend {
    match conn {
        DbConn::Pg(_) => Backend::Postgres,
        DbConn::Sqlite(_) => Backend::Sqlite,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::Connection;

    fn open(path: &std::path::Path, busy_ms: u32) -> DbConn {
        let mut c = DbConn::establish(path.to_str().expect("path")).expect("open");
        c.batch_execute(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = {busy_ms};"
        ))
        .expect("pragmas");
        c
    }

    /// A write transaction that reads first must not fail because another connection
    /// committed in between: it holds the write lock from its start, the other one waits.
    #[test]
    fn a_write_transaction_holds_the_write_lock_from_its_start() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.db");
        let mut a = open(&path, 10_000);
        a.batch_execute("CREATE TABLE t (n INTEGER)")
            .expect("create");
        let mut b = open(&path, 50);
        let mut other_write = None;
        write_tx(&mut a, |a| -> diesel::QueryResult<()> {
            a.batch_execute("SELECT count(*) FROM t")?;
            // the other connection cannot commit a write meanwhile...
            other_write = Some(b.batch_execute("INSERT INTO t VALUES (2)"));
            // ...so this one's write cannot find its snapshot stale
            a.batch_execute("INSERT INTO t VALUES (1)")
        })
        .expect("the write transaction commits");
        assert!(
            other_write.expect("tried").is_err(),
            "the other connection waited for the lock and gave up"
        );
        b.batch_execute("INSERT INTO t VALUES (3)")
            .expect("free again after the commit");
    }
}
