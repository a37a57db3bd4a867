//! The database part: a consistent snapshot taken while the application writes, its row counts and
//! table fingerprints read from that same snapshot, and the way back (into a scratch database
//! for verification, or into the installation for a restore).
//!
//! - SQLite: `VACUUM INTO` a new file on a connection of its own (a read transaction: writers go
//!   on under WAL), fingerprints read from that file, then compressed.
//! - PostgreSQL: a `REPEATABLE READ` transaction exports its snapshot; `pg_dump --snapshot` dumps
//!   exactly that state (custom format, uncompressed: zstd compresses it) while the same
//!   transaction reads the fingerprints.

use super::progress::Progress;
use aglis_core::backup::{RowHasher, TableStat};
use aglis_db::Engine;
use futures_util::TryStreamExt;
use sea_orm::{AccessMode, ConnectionTrait, DatabaseBackend, IsolationLevel, Statement, StreamTrait, TransactionTrait};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

/// File name of the raw snapshot inside the staging folder, and of the part.
pub fn raw_name(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => "database.sqlite",
        Engine::Postgres => "database.pgdump",
    }
}

/// The file an SQLite URL names, or why there is none to back up.
pub fn sqlite_path(url: &str) -> anyhow::Result<PathBuf> {
    aglis_db::sqlite_path(url).ok_or_else(|| {
        anyhow::anyhow!("AGLIS_DATABASE_URL names no database file: an in-memory database cannot be backed up")
    })
}

/// A quiet read-only connection to an SQLite file (a snapshot or a scratch copy).
async fn open_read_only(path: &Path) -> anyhow::Result<aglis_db::DatabaseConnection> {
    let mut opts = sea_orm::ConnectOptions::new(format!("sqlite://{}?mode=ro", path.display()));
    opts.sqlx_logging(false).max_connections(1);
    Ok(sea_orm::Database::connect(opts).await?)
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Takes the snapshot into `dst` and returns its fingerprints.
pub async fn snapshot(
    db: &aglis_db::DatabaseConnection,
    url: &str,
    pg_bin: &Path,
    dst: &Path,
    progress: Arc<dyn Progress>,
) -> anyhow::Result<Vec<TableStat>> {
    match aglis_db::engine(db) {
        Engine::Sqlite => {
            progress.stage("database", None);
            // A connection of its own: the application's single writer keeps writing meanwhile.
            let conn = aglis_db::connect(url, 1).await?;
            conn.execute_unprepared(&format!("VACUUM INTO {}", quote_literal(&dst.display().to_string())))
                .await
                .map_err(|e| anyhow::anyhow!("VACUUM INTO {}: {e}", dst.display()))?;
            conn.close().await?;
            progress.stage("tables", None);
            let copy = open_read_only(dst).await?;
            let stats = table_stats(&copy, progress.as_ref()).await;
            copy.close().await?;
            stats
        }
        Engine::Postgres => {
            let txn = db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await?;
            set_canonical_output(&txn).await?;
            let row = txn
                .query_one_raw(Statement::from_string(DatabaseBackend::Postgres, "SELECT pg_export_snapshot() AS s"))
                .await?
                .ok_or_else(|| anyhow::anyhow!("pg_export_snapshot returned nothing"))?;
            let snapshot_id: String = row.try_get("", "s")?;
            progress.stage("database", None);
            let pg = PgTarget::from_url(url)?;
            let mut cmd = pg.command(pg_bin, "pg_dump");
            cmd.arg("--format=custom")
                .arg("--compress=0")
                .arg(format!("--snapshot={snapshot_id}"))
                .arg(format!("--file={}", dst.display()));
            let dump = tokio::spawn(run(cmd, "pg_dump"));
            // The same snapshot, read while pg_dump reads it.
            let stats = table_stats(&txn, progress.as_ref()).await;
            let dumped = dump.await.map_err(|e| anyhow::anyhow!("pg_dump task: {e}"))?;
            txn.commit().await?;
            dumped?;
            stats
        }
    }
}

/// Fixed output settings, so fingerprints read by another session (or another server) agree.
async fn set_canonical_output(conn: &impl ConnectionTrait) -> anyhow::Result<()> {
    for setting in [
        "SET LOCAL TimeZone = 'UTC'",
        "SET LOCAL DateStyle = 'ISO, YMD'",
        "SET LOCAL IntervalStyle = 'postgres'",
        "SET LOCAL extra_float_digits = 3",
        "SET LOCAL bytea_output = 'hex'",
    ] {
        conn.execute_unprepared(setting).await?;
    }
    Ok(())
}

/// Row count and fingerprint of every table, in name order. On PostgreSQL call it inside a
/// transaction (the settings it needs are `SET LOCAL`).
pub async fn table_stats<C>(conn: &C, progress: &dyn Progress) -> anyhow::Result<Vec<TableStat>>
where
    C: ConnectionTrait + StreamTrait,
{
    let backend = ConnectionTrait::get_database_backend(conn);
    let list = match backend {
        DatabaseBackend::Postgres => {
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    };
    let tables: Vec<String> = conn
        .query_all_raw(Statement::from_string(backend, list))
        .await?
        .iter()
        .map(|r| r.try_get::<String>("", "name"))
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(tables.len());
    for table in tables {
        let select = match backend {
            DatabaseBackend::Postgres => format!("SELECT t::text AS r FROM {} AS t", quote_ident(&table)),
            _ => {
                let columns: Vec<String> = conn
                    .query_all_raw(Statement::from_string(
                        backend,
                        format!("SELECT name FROM pragma_table_info({})", quote_literal(&table)),
                    ))
                    .await?
                    .iter()
                    .map(|r| r.try_get::<String>("", "name"))
                    .collect::<Result<_, _>>()?;
                let row = columns
                    .iter()
                    .map(|c| format!("quote({})", quote_ident(c)))
                    .collect::<Vec<_>>()
                    .join(" || char(31) || ");
                format!("SELECT {row} AS r FROM {}", quote_ident(&table))
            }
        };
        let mut hasher = RowHasher::default();
        let rows = conn.stream_raw(Statement::from_string(backend, select)).await?;
        let mut rows = std::pin::pin!(rows);
        while let Some(row) = rows.try_next().await? {
            let text: String = row.try_get("", "r")?;
            hasher.add(text.as_bytes());
            progress.advance(1);
        }
        out.push(hasher.finish(&table));
    }
    Ok(out)
}

/// `PRAGMA integrity_check` and the fingerprints of an SQLite file, opened read-only.
pub async fn check_sqlite_file(path: &Path, progress: &dyn Progress) -> anyhow::Result<Vec<TableStat>> {
    let conn = open_read_only(path).await?;
    let result = async {
        let rows = conn
            .query_all_raw(Statement::from_string(DatabaseBackend::Sqlite, "PRAGMA integrity_check"))
            .await
            .map_err(|e| anyhow::anyhow!("the database part is not a readable SQLite database: {e}"))?;
        let lines: Vec<String> = rows.iter().filter_map(|r| r.try_get_by_index::<String>(0).ok()).collect();
        if lines != ["ok"] {
            anyhow::bail!("PRAGMA integrity_check: {}", lines.join("; "));
        }
        table_stats(&conn, progress).await
    }
    .await;
    conn.close().await?;
    result
}

/// Fingerprints of a PostgreSQL database (a scratch one, or the installation after a restore).
pub async fn pg_stats(url: &str, progress: &dyn Progress) -> anyhow::Result<Vec<TableStat>> {
    let conn = aglis_db::connect(url, 2).await?;
    let txn = conn.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await?;
    set_canonical_output(&txn).await?;
    let stats = table_stats(&txn, progress).await;
    txn.commit().await?;
    conn.close().await?;
    stats
}

/// Fingerprints of the database a URL names (either engine), as the manifest records them.
pub async fn stats_of_url(url: &str, progress: &dyn Progress) -> anyhow::Result<Vec<TableStat>> {
    match Engine::from_url(url) {
        Some(Engine::Postgres) => pg_stats(url, progress).await,
        _ => {
            let conn = aglis_db::connect(url, 1).await?;
            let stats = table_stats(&conn, progress).await;
            conn.close().await?;
            stats
        }
    }
}

/// Where a PostgreSQL URL points, as libpq's environment variables (the password never goes on
/// a command line, where `ps` would show it).
#[derive(Clone)]
pub struct PgTarget {
    env: Vec<(&'static str, String)>,
    pub database: String,
    url: url::Url,
}

impl PgTarget {
    pub fn from_url(raw: &str) -> anyhow::Result<Self> {
        let url = url::Url::parse(raw).map_err(|e| anyhow::anyhow!("AGLIS_DATABASE_URL: {e}"))?;
        let mut env = Vec::new();
        let mut host = url.host_str().map(str::to_owned).filter(|h| !h.is_empty());
        let mut sslmode = None;
        for (k, v) in url.query_pairs() {
            match k.as_ref() {
                "host" => host = Some(v.into_owned()),
                "sslmode" => sslmode = Some(v.into_owned()),
                _ => {}
            }
        }
        if let Some(h) = host {
            env.push(("PGHOST", h));
        }
        if let Some(p) = url.port() {
            env.push(("PGPORT", p.to_string()));
        }
        if !url.username().is_empty() {
            env.push(("PGUSER", percent_decode(url.username())));
        }
        if let Some(p) = url.password() {
            env.push(("PGPASSWORD", percent_decode(p)));
        }
        if let Some(s) = sslmode {
            env.push(("PGSSLMODE", s));
        }
        let database = percent_decode(url.path().trim_start_matches('/'));
        if database.is_empty() {
            anyhow::bail!("AGLIS_DATABASE_URL names no database (postgres://user@host/DATABASE)");
        }
        Ok(PgTarget { env, database, url })
    }

    /// The same server, another database.
    pub fn with_database(&self, name: &str) -> PgTarget {
        let mut url = self.url.clone();
        url.set_path(&format!("/{name}"));
        PgTarget { env: self.env.clone(), database: name.to_owned(), url }
    }

    pub fn url(&self) -> String {
        self.url.to_string()
    }

    /// `tool` (`pg_dump`, `pg_restore`) from `bin`, aimed at this database.
    pub fn command(&self, bin: &Path, tool: &str) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(bin.join(tool));
        cmd.envs(self.env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("PGDATABASE", &self.database)
            .env("PGAPPNAME", "aglis-backup")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_owned())
}

/// Runs a PostgreSQL tool; a failure carries the last lines it printed.
pub async fn run(mut cmd: tokio::process::Command, tool: &str) -> anyhow::Result<()> {
    let out = cmd.output().await.map_err(|e| {
        anyhow::anyhow!("cannot run {tool}: {e} (install postgresql-client, or set AGLIS_BACKUP_PG_BIN_DIR)")
    })?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(5).collect::<Vec<_>>().into_iter().rev().collect();
    anyhow::bail!("{tool} failed ({}): {}", out.status, tail.join(" | "))
}

/// Where `pg_dump` and `pg_restore` are: the configured directory, else the newest
/// `/usr/lib/postgresql/<version>/bin` (Debian installs them there), else `PATH`.
pub fn pg_bin_dir(configured: Option<&Path>) -> PathBuf {
    if let Some(dir) = configured {
        return dir.to_owned();
    }
    let newest = std::fs::read_dir("/usr/lib/postgresql").ok().and_then(|entries| {
        entries
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str().and_then(|v| v.parse::<u32>().ok()).map(|v| (v, e.path())))
            .filter(|(_, p)| p.join("bin/pg_dump").is_file())
            .max_by_key(|(v, _)| *v)
            .map(|(_, p)| p.join("bin"))
    });
    newest.unwrap_or_default()
}

/// Restores a custom-format archive into `target` (which must be empty) with as many jobs as
/// there are cores; `--exit-on-error` makes any failed statement a failed restore.
pub async fn pg_restore(bin: &Path, target: &PgTarget, archive: &Path) -> anyhow::Result<()> {
    let jobs = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).clamp(1, 8);
    let mut cmd = target.command(bin, "pg_restore");
    cmd.arg("--no-owner")
        .arg("--no-privileges")
        .arg("--exit-on-error")
        .arg(format!("--jobs={jobs}"))
        .arg(format!("--dbname={}", target.database))
        .arg(archive);
    run(cmd, "pg_restore").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_in_memory_database_cannot_be_backed_up() {
        assert_eq!(sqlite_path("sqlite://data/aglis.db?mode=rwc").expect("path"), Path::new("data/aglis.db"));
        assert!(sqlite_path("sqlite::memory:").is_err());
    }

    #[test]
    fn pg_urls_become_libpq_variables_without_the_password_on_the_command_line() {
        let t = PgTarget::from_url("postgres://aglis:p%40ss@db.local:5433/aglis_prod?sslmode=require").expect("url");
        assert_eq!(t.database, "aglis_prod");
        let env: std::collections::BTreeMap<_, _> = t.env.iter().cloned().collect();
        assert_eq!(env["PGHOST"], "db.local");
        assert_eq!(env["PGPORT"], "5433");
        assert_eq!(env["PGUSER"], "aglis");
        assert_eq!(env["PGPASSWORD"], "p@ss");
        assert_eq!(env["PGSSLMODE"], "require");
        let scratch = t.with_database("aglis_verify_1");
        assert!(scratch.url().ends_with("/aglis_verify_1?sslmode=require"), "{}", scratch.url());
        assert!(PgTarget::from_url("postgres://u@h/").is_err());
    }
}
