//! Opening the database named by `AGLIS_DATABASE_URL`: SQLite or PostgreSQL, picked at run time.

use crate::DbError;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseBackend, DatabaseConnection};
use std::time::Duration;

/// Which engine a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// The engine a URL names, or `None` for an unsupported scheme.
    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Engine::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Engine::Postgres)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

pub fn engine(db: &DatabaseConnection) -> Engine {
    match db.get_database_backend() {
        DatabaseBackend::Postgres => Engine::Postgres,
        _ => Engine::Sqlite,
    }
}

/// SQLite reads the database through a memory map of up to this many bytes instead of one
/// `pread` per page: a search touching 10 k ticket rows went from 117 ms (mostly system time)
/// to 14 ms. Address space only; the kernel's page cache holds the pages either way.
const MMAP_SIZE: &str = "4294967296";

/// Connects with the settings each engine needs.
///
/// SQLite: WAL journal, `foreign_keys=ON`, a busy timeout, and one connection, so every write is
/// serialised by the pool (the "single writer" pattern) and a transaction never meets `SQLITE_BUSY`.
/// PostgreSQL: a pool of `max_connections`.
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbError> {
    open(url, max_connections, true).await
}

/// [`connect`] to a database that must already exist: a missing SQLite file is an error, never
/// created (commands that only read an installation must not leave an empty database behind).
pub async fn connect_existing(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbError> {
    open(url, max_connections, false).await
}

/// Whether the existing database at `url` has had AGLIS's migrations applied, found without
/// changing anything: SQLite is opened read-only (a file that is not a database answers `false`).
pub async fn is_aglis_database(url: &str) -> Result<bool, DbError> {
    let db = match Engine::from_url(url) {
        Some(Engine::Sqlite) => {
            let mut opts = ConnectOptions::new(url.to_owned());
            opts.sqlx_logging(false).max_connections(1).map_sqlx_sqlite_opts(|o| o.read_only(true));
            match Database::connect(opts).await {
                Ok(db) => db,
                Err(_) => return Ok(false),
            }
        }
        Some(Engine::Postgres) | None => Database::connect(url).await?,
    };
    let applied = crate::migration::applied(&db).await.map(|m| !m.is_empty()).unwrap_or(false);
    let _ = db.close().await;
    Ok(applied)
}

/// The file a `sqlite:` URL names (`sqlite://data/aglis.db?mode=rwc` → `data/aglis.db`);
/// `None` for other engines and in-memory databases.
pub fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    let memory = path.contains(":memory:") || url.contains("mode=memory");
    (!path.is_empty() && !memory).then(|| std::path::PathBuf::from(path))
}

async fn open(url: &str, max_connections: u32, create: bool) -> Result<DatabaseConnection, DbError> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false).connect_timeout(Duration::from_secs(10)).acquire_timeout(Duration::from_secs(30));
    match Engine::from_url(url) {
        Some(Engine::Sqlite) => {
            opts.max_connections(1).min_connections(1).map_sqlx_sqlite_opts(move |o| {
                o.create_if_missing(create)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    .pragma("mmap_size", MMAP_SIZE)
            });
        }
        Some(Engine::Postgres) | None => {
            opts.max_connections(max_connections.max(2)).min_connections(1);
        }
    }
    Ok(Database::connect(opts).await?)
}

/// Connections for read-only queries (lists and searches) next to [`connect`]'s: on SQLite a
/// separate pool of `max_connections` read-only connections, which WAL lets read while the single
/// writer writes; on PostgreSQL simply `writer` again (its pool serves both). Open it after the
/// migrations have run.
pub async fn connect_reads(
    url: &str,
    writer: &DatabaseConnection,
    max_connections: u32,
) -> Result<DatabaseConnection, DbError> {
    if Engine::from_url(url) != Some(Engine::Sqlite) {
        return Ok(writer.clone());
    }
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .max_connections(max_connections.max(1))
        .min_connections(1)
        .map_sqlx_sqlite_opts(|o| {
            o.read_only(true)
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10))
                .pragma("mmap_size", MMAP_SIZE)
        });
    Ok(Database::connect(opts).await?)
}

/// Connections of a pool: open, and idle among them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolUsage {
    pub size: u32,
    pub idle: u32,
}

/// How many connections the pool behind `db` has open and idle.
pub fn pool_usage(db: &DatabaseConnection) -> PoolUsage {
    let (size, idle) = match engine(db) {
        Engine::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        Engine::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
    };
    PoolUsage { size, idle: u32::try_from(idle).unwrap_or(u32::MAX) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_of_a_sqlite_url() {
        assert_eq!(sqlite_path("sqlite://data/aglis.db?mode=rwc"), Some("data/aglis.db".into()));
        assert_eq!(sqlite_path("sqlite:///srv/aglis/aglis.db"), Some("/srv/aglis/aglis.db".into()));
        assert_eq!(sqlite_path("sqlite:aglis.db"), Some("aglis.db".into()));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("sqlite://shared?mode=memory&cache=shared"), None);
        assert_eq!(sqlite_path("postgres://u@h/db"), None);
    }
}
