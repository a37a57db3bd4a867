//! `aglis backup restore SET`: a set back into a stopped or fresh installation.
//!
//! Nothing is touched until the set has passed its checks (checksums of every part, the files
//! archive, the engine). Then, after a confirmation: the database (SQLite: restored beside the
//! database file, checked, renamed over it; PostgreSQL: the schema emptied and `pg_restore`d),
//! the files into the configured store, and the configuration into `aglis.toml` (or beside it
//! when one exists). The restored database is fingerprinted against the manifest before the
//! command reports success.

use super::database::{self, PgTarget};
use super::progress::Progress;
use super::remote::Remote;
use super::set::{LocalSets, check_parts};
use super::{archive, files, settings, verify};
use crate::config::Config;
use crate::storage::Storage;
use aglis_core::audit::{AuditEvent, AuditResult};
use aglis_core::backup::{Manifest, PartKind, compare_tables, parse_set_name};
use aglis_db::Engine;
use aglis_db::repo::backups;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use secrecy::ExposeSecret;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    pub manifest: Manifest,
    pub files: u64,
    /// Where the configuration went.
    pub config_file: PathBuf,
    /// Whether the sealed secrets were opened and restored.
    pub secrets_restored: bool,
    pub millis: u128,
}

/// Restores `name`. `confirm` is asked (with a description of what will be replaced) unless
/// `yes`; a `false` answer aborts before anything changes.
pub async fn restore(
    config: &Config,
    name: &str,
    yes: bool,
    confirm: &dyn Fn(&str) -> bool,
    progress: Arc<dyn Progress>,
) -> anyhow::Result<Restored> {
    let started = Instant::now();
    if parse_set_name(name).is_none() {
        anyhow::bail!("`{name}` is not a set name (like aglis-20261125T190000Z); see `aglis backup list`");
    }
    let local = LocalSets::new(&config.backup.dir);
    if !local.path(name).join(aglis_core::backup::MANIFEST_FILE).exists() {
        match Remote::from_config(&config.backup)? {
            Some(remote) => {
                progress.note(&format!(
                    "{name} is not in {}; fetching it from {}",
                    local.dir().display(),
                    remote.describe()
                ));
                remote.download(name, &local, progress.as_ref()).await?;
            }
            None => anyhow::bail!(
                "no complete set {name} in {} (and no AGLIS_BACKUP_S3_URL to fetch it from)",
                local.dir().display()
            ),
        }
    }
    let manifest = local.read_manifest(name)?;
    let engine =
        Engine::from_url(&config.database_url).ok_or_else(|| anyhow::anyhow!("AGLIS_DATABASE_URL: unknown engine"))?;
    if manifest.engine != engine.as_str() {
        anyhow::bail!(
            "{name} holds a {} database but AGLIS_DATABASE_URL is {}: restore into the engine it was taken from",
            manifest.engine,
            engine.as_str()
        );
    }
    let dir = local.path(name);
    let (check_dir, check_manifest, p) = (dir.clone(), manifest.clone(), progress.clone());
    let problems = tokio::task::spawn_blocking(move || check_parts(&check_dir, &check_manifest, p.as_ref())).await??;
    if !problems.is_empty() {
        anyhow::bail!("refusing to restore {name}: {}", problems.join("; "));
    }
    if let Some(part) = manifest.part(PartKind::Files) {
        files::check(&dir.join(&part.file), manifest.files)
            .await
            .map_err(|e| anyhow::anyhow!("refusing to restore {name}: files part: {e:#}"))?;
    }
    let config_part = match manifest.part(PartKind::Config) {
        Some(part) => Some(verify::read_config(&dir.join(&part.file))?),
        None => None,
    };

    let target = describe_target(config, engine).await?;
    if let Some(holder) = &target.running {
        anyhow::bail!("the server is running ({holder} holds the scheduler lease): stop every instance first");
    }
    let question = format!(
        "Restore {name} (taken {}, {} customers, {} tickets, {} files) into {}?{}",
        manifest.started_at.with_timezone(&aglis_core::schedule::JAKARTA).format("%d-%m-%Y %H:%M WIB"),
        rows(&manifest, "customers"),
        rows(&manifest, "tickets"),
        manifest.files,
        crate::config::redact_url(&config.database_url),
        match target.customers {
            Some(n) => format!(" This REPLACES the database there ({n} customers now)."),
            None => " The database there is empty or new.".to_owned(),
        }
    );
    if !yes && !confirm(&question) {
        anyhow::bail!("restore cancelled; nothing was changed");
    }

    let db_part = manifest.part(PartKind::Database).ok_or_else(|| anyhow::anyhow!("{name} has no database part"))?;
    let scratch = local.dir().join(format!(".restore-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&scratch)?;
    let result = async {
        match engine {
            Engine::Sqlite => restore_sqlite(config, &dir.join(&db_part.file), &manifest, progress.clone()).await,
            Engine::Postgres => {
                restore_pg(config, &dir.join(&db_part.file), &scratch, &manifest, progress.clone()).await
            }
        }
    }
    .await;
    let _ = std::fs::remove_dir_all(&scratch);
    result?;

    let storage = Storage::from_config(&config.storage)?;
    let files = match manifest.part(PartKind::Files) {
        Some(part) => files::unpack(&dir.join(&part.file), &storage, progress.clone()).await?,
        None => 0,
    };
    let (config_file, secrets_restored) = match &config_part {
        Some(part) => write_config(config, part)?,
        None => (PathBuf::new(), false),
    };
    record(config, &manifest, started.elapsed().as_millis()).await?;
    Ok(Restored { manifest, files, config_file, secrets_restored, millis: started.elapsed().as_millis() })
}

fn rows(manifest: &Manifest, table: &str) -> u64 {
    manifest.tables.iter().find(|t| t.table == table).map_or(0, |t| t.rows)
}

struct Target {
    /// Who holds the scheduler lease (a running server), if anyone.
    running: Option<String>,
    /// Customers in the database now; `None` when it has no tables yet.
    customers: Option<u64>,
}

async fn describe_target(config: &Config, engine: Engine) -> anyhow::Result<Target> {
    if engine == Engine::Sqlite && !database::sqlite_path(&config.database_url)?.exists() {
        return Ok(Target { running: None, customers: None });
    }
    let conn = aglis_db::connect(&config.database_url, 2).await?;
    let backend = conn.get_database_backend();
    let running = aglis_db::leases::current_holder(&conn, "scheduler", chrono::Utc::now()).await.ok().flatten();
    let customers = conn
        .query_one_raw(Statement::from_string(backend, "SELECT count(*) AS n FROM customers"))
        .await
        .ok()
        .flatten()
        .and_then(|r| r.try_get::<i64>("", "n").ok())
        .map(|n| u64::try_from(n).unwrap_or(0));
    conn.close().await?;
    Ok(Target { running, customers })
}

/// Decompressed beside the database file, checked and fingerprinted there, then renamed over it
/// (the old WAL files removed first: they belong to the old database).
async fn restore_sqlite(
    config: &Config,
    part: &Path,
    manifest: &Manifest,
    progress: Arc<dyn Progress>,
) -> anyhow::Result<()> {
    let target = database::sqlite_path(&config.database_url)?;
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let incoming = PathBuf::from(format!("{}.restoring", target.display()));
    progress.stage("database", Some(std::fs::metadata(part)?.len()));
    let (src, dst, p) = (part.to_owned(), incoming.clone(), progress.clone());
    tokio::task::spawn_blocking(move || archive::decompress_file(&src, &dst, p.as_ref())).await??;
    progress.stage("verify", Some(manifest.tables.iter().map(|t| t.rows).sum()));
    let stats = database::check_sqlite_file(&incoming, progress.as_ref()).await;
    let differences = match stats {
        Ok(s) => compare_tables(&manifest.tables, &s),
        Err(e) => vec![format!("{e:#}")],
    };
    if !differences.is_empty() {
        let _ = std::fs::remove_file(&incoming);
        anyhow::bail!("the restored database does not match the manifest: {}", differences.join("; "));
    }
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", target.display()));
        if side.exists() {
            std::fs::remove_file(side)?;
        }
    }
    std::fs::rename(&incoming, &target)?;
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        archive::sync_dir(parent)?;
    }
    Ok(())
}

/// The schema emptied, the archive restored with `pg_restore`, the result fingerprinted.
async fn restore_pg(
    config: &Config,
    part: &Path,
    scratch: &Path,
    manifest: &Manifest,
    progress: Arc<dyn Progress>,
) -> anyhow::Result<()> {
    let archive_file = scratch.join(database::raw_name(Engine::Postgres));
    progress.stage("decompress", Some(std::fs::metadata(part)?.len()));
    let (src, dst, p) = (part.to_owned(), archive_file.clone(), progress.clone());
    tokio::task::spawn_blocking(move || archive::decompress_file(&src, &dst, p.as_ref())).await??;
    progress.stage("database", None);
    let conn = aglis_db::connect(&config.database_url, 2).await?;
    conn.execute_unprepared("DROP SCHEMA IF EXISTS public CASCADE").await?;
    conn.execute_unprepared("CREATE SCHEMA public").await?;
    conn.close().await?;
    let target = PgTarget::from_url(&config.database_url)?;
    let bin = database::pg_bin_dir(config.backup.pg_bin_dir.as_deref());
    database::pg_restore(&bin, &target, &archive_file).await?;
    progress.stage("verify", Some(manifest.tables.iter().map(|t| t.rows).sum()));
    let stats = database::pg_stats(&config.database_url, progress.as_ref()).await?;
    let differences = compare_tables(&manifest.tables, &stats);
    if !differences.is_empty() {
        anyhow::bail!("the restored database does not match the manifest: {}", differences.join("; "));
    }
    Ok(())
}

/// Writes the configuration to `AGLIS_CONFIG` (default `./aglis.toml`) when no file is there,
/// else beside it as `.restored`; puts a generated secret key back into the data directory.
fn write_config(config: &Config, part: &settings::ConfigPart) -> anyhow::Result<(PathBuf, bool)> {
    let secrets = match (&config.backup.passphrase, &part.sealed_secrets) {
        (Some(p), Some(_)) => Some(settings::open_secrets(part, p.expose_secret())?),
        _ => None,
    };
    let path = PathBuf::from(config.sources.get("AGLIS_CONFIG").cloned().unwrap_or_else(|| "aglis.toml".into()));
    let path = if path.exists() { PathBuf::from(format!("{}.restored", path.display())) } else { path };
    std::fs::write(&path, settings::to_toml(part, secrets.as_ref()))?;
    if let Some(s) = &secrets
        && part.secret_key_generated
        && let Some(key) = s.get("AGLIS_SECRET_KEY")
    {
        let file = config.data_dir.join("secret.key");
        if file.exists() {
            std::fs::rename(&file, config.data_dir.join("secret.key.before-restore"))?;
        }
        std::fs::create_dir_all(&config.data_dir)?;
        std::fs::write(&file, key)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok((path, secrets.is_some()))
}

/// The restored database learns that its own set is complete and verified (its row was taken
/// while running), and the audit log gets the restore.
async fn record(config: &Config, manifest: &Manifest, millis: u128) -> anyhow::Result<()> {
    let conn = aglis_db::connect(&config.database_url, 2).await?;
    // A set from an older version is brought up to this one's schema, as `serve` would.
    aglis_db::migration::run(&conn).await?;
    let now = chrono::Utc::now();
    if backups::by_name(&conn, &manifest.name).await?.is_none() {
        let host = super::host_name();
        // A manifest written by a newer version may name a trigger this one does not know.
        let trigger = manifest.trigger.parse().unwrap_or(super::Trigger::Cli);
        let new = backups::NewBackup { name: &manifest.name, trigger, host: &host, created_by: None };
        backups::start(&conn, new, manifest.started_at).await?;
    }
    backups::complete(&conn, &manifest.name, &serde_json::to_string(manifest)?, manifest.size(), manifest.finished_at)
        .await?;
    backups::record_verify(&conn, &manifest.name, None, i64::try_from(millis).unwrap_or(i64::MAX), now).await?;
    backups::interrupt_running(&conn, None, now).await?;
    let record = aglis_db::repo::audit_log::NewRecord {
        event: AuditEvent::BackupRestored,
        result: AuditResult::Success,
        user_id: None,
        username: None,
        ip: None,
        user_agent: None,
        resource: Some(format!("backup:{}", manifest.name)),
        details: serde_json::json!({ "set": manifest.name, "host": super::host_name(), "millis": millis }),
    };
    aglis_db::repo::audit_log::append(&conn, record, now).await?;
    if conn.get_database_backend() == DatabaseBackend::Sqlite {
        conn.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await?;
    }
    conn.close().await?;
    Ok(())
}
