//! Taking a backup: one at a time (the `backup` lease, held with a heartbeat across instances and
//! the command line), recorded on its row from start to end, built in a staging folder that becomes
//! the set only when the manifest is written.

use super::archive::{self, PartWriter};
use super::progress::{Progress, Tracker};
use super::remote::Remote;
use super::set::LocalSets;
use super::{Ctx, Trigger, database, files, settings};
use aglis_core::backup::{MANIFEST_FORMAT, Manifest, Part, PartKind, RemoteStatus, parse_set_name, set_name};
use aglis_db::repo::backups::{self, NewBackup};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub const LEASE: &str = "backup";
const LEASE_TTL_SECS: i64 = 60;

/// Another backup holds the lease (its holder): not a failure of this one.
#[derive(Debug, thiserror::Error)]
#[error("another backup is running ({0}); try again when it has finished")]
pub struct Busy(pub String);

/// The backup lease, renewed every 15 s until dropped or released.
pub struct BackupLease {
    ctx: Ctx,
    holder: String,
    stop: watch::Sender<bool>,
}

impl BackupLease {
    /// Takes the lease, or says who has it.
    pub async fn acquire(ctx: &Ctx) -> anyhow::Result<BackupLease> {
        let holder = format!("{}:{}:{}", super::host_name(), std::process::id(), uuid::Uuid::new_v4().simple());
        let ttl = chrono::Duration::seconds(LEASE_TTL_SECS);
        if !aglis_db::leases::acquire(&ctx.db, LEASE, &holder, ttl, ctx.now()).await? {
            let other = aglis_db::leases::current_holder(&ctx.db, LEASE, ctx.now()).await?.unwrap_or_default();
            // A process of this machine that no longer exists (killed mid-backup) holds nothing.
            let dead = holder_is_dead_here(&other);
            if !(dead
                && aglis_db::leases::release(&ctx.db, LEASE, &other).await?
                && aglis_db::leases::acquire(&ctx.db, LEASE, &holder, ttl, ctx.now()).await?)
            {
                return Err(Busy(other).into());
            }
            tracing::warn!(holder = %other, "took over the backup lease of a process that died");
        }
        let (stop, mut stopped) = watch::channel(false);
        let (beat_ctx, beat_holder) = (ctx.clone(), holder.clone());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stopped.changed() => break,
                    _ = tokio::time::sleep(Duration::from_secs(15)) => {
                        let now = beat_ctx.now();
                        if let Err(e) = aglis_db::leases::acquire(&beat_ctx.db, LEASE, &beat_holder, ttl, now).await {
                            tracing::warn!(error = %e, "renewing the backup lease");
                        }
                    }
                }
            }
        });
        Ok(BackupLease { ctx: ctx.clone(), holder, stop })
    }

    pub async fn release(self) {
        let _ = self.stop.send(true);
        if let Err(e) = aglis_db::leases::release(&self.ctx.db, LEASE, &self.holder).await {
            tracing::warn!(error = %e, "releasing the backup lease");
        }
    }
}

/// Whether a lease holder (`host:pid:uuid`) is a process of this machine that has ended.
fn holder_is_dead_here(holder: &str) -> bool {
    let mut parts = holder.rsplitn(3, ':');
    let (Some(_), Some(pid), Some(host)) = (parts.next(), parts.next(), parts.next()) else { return false };
    host == super::host_name()
        && pid.parse::<u32>().is_ok_and(|pid| pid != std::process::id())
        && Path::new("/proc/self").exists()
        && !Path::new("/proc").join(pid).exists()
}

/// Sends every report to several receivers (the terminal and the row).
pub struct Tee(pub Vec<Arc<dyn Progress>>);

impl Progress for Tee {
    fn stage(&self, name: &str, total: Option<u64>) {
        self.0.iter().for_each(|p| p.stage(name, total));
    }
    fn advance(&self, n: u64) {
        self.0.iter().for_each(|p| p.advance(n));
    }
    fn note(&self, line: &str) {
        self.0.iter().for_each(|p| p.note(line));
    }
}

/// Takes a backup under the lease the caller holds. The set is complete on return; on error the
/// row says why and no set exists.
pub async fn create(
    ctx: &Ctx,
    _lease: &BackupLease,
    trigger: Trigger,
    created_by: Option<i64>,
    progress: Arc<dyn Progress>,
) -> anyhow::Result<Manifest> {
    let local = LocalSets::new(&ctx.config.backup.dir);
    // Whatever a killed backup left: its row and its staging folder.
    let now = ctx.now();
    backups::interrupt_running(&ctx.db, None, now).await?;
    let mut name = set_name(now);
    while local.path(&name).exists() || backups::by_name(&ctx.db, &name).await?.is_some() {
        let next = parse_set_name(&name).unwrap_or(now) + chrono::Duration::seconds(1);
        name = set_name(next);
    }
    let host = super::host_name();
    let row = backups::start(&ctx.db, NewBackup { name: &name, trigger, host: &host, created_by }, now).await?;
    let tracker = Arc::new(Tracker::default());
    let (stop, reporter) = report_progress(ctx, row.id, tracker.clone());
    let tee: Arc<dyn Progress> = Arc::new(Tee(vec![progress, tracker]));
    // From here every failure is recorded on the row (the alert rule and the page read it), even
    // one as early as a backup directory that cannot be written.
    let result = async {
        for name in local.remove_incomplete()? {
            tracing::warn!(set = %name, "removed the folder of a backup that did not finish");
        }
        build(ctx, &local, &name, trigger, tee).await
    }
    .await;
    let _ = stop.send(true);
    let _ = reporter.await;
    match result {
        Ok(manifest) => {
            let json = serde_json::to_string(&manifest)?;
            backups::complete(&ctx.db, &name, &json, manifest.size(), ctx.now()).await?;
            Ok(manifest)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(local.staging(&name));
            backups::fail(&ctx.db, row.id, &format!("{e:#}"), ctx.now()).await?;
            Err(e)
        }
    }
}

/// Writes the running step to the row once a second, for the admin page.
fn report_progress(ctx: &Ctx, id: i64, tracker: Arc<Tracker>) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let (stop, mut stopped) = watch::channel(false);
    let db = ctx.db.clone();
    let handle = tokio::spawn(async move {
        let mut last = None;
        loop {
            let snap = tracker.snapshot();
            let now = (snap.stage.clone(), snap.percent());
            if last.as_ref() != Some(&now) && !snap.stage.is_empty() {
                if let Err(e) = backups::progress(&db, id, &now.0, now.1).await {
                    tracing::debug!(error = %e, "backup progress not recorded");
                }
                last = Some(now);
            }
            tokio::select! {
                _ = stopped.changed() => break,
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    });
    (stop, handle)
}

async fn build(
    ctx: &Ctx,
    local: &LocalSets,
    name: &str,
    trigger: Trigger,
    progress: Arc<dyn Progress>,
) -> anyhow::Result<Manifest> {
    let started_at = ctx.now();
    let engine = ctx.engine();
    let staging = local.begin(name)?;
    let mut parts = Vec::new();

    // 1. The database, first: files written after it are harmless extras.
    let raw = staging.join(database::raw_name(engine));
    let bin = database::pg_bin_dir(ctx.config.backup.pg_bin_dir.as_deref());
    let tables = database::snapshot(&ctx.db, &ctx.config.database_url, &bin, &raw, progress.clone()).await?;
    let db_file = format!("{}.zst", database::raw_name(engine));
    let raw_len = std::fs::metadata(&raw)?.len();
    progress.stage("compress", Some(raw_len));
    let (src, dst, p) = (raw.clone(), staging.join(&db_file), progress.clone());
    let written = tokio::task::spawn_blocking(move || archive::compress_file(&src, &dst, p.as_ref())).await??;
    std::fs::remove_file(&raw)?;
    parts.push(part(PartKind::Database, db_file, written));

    // 2. The uploaded files.
    let (written, file_count) = files::pack(&ctx.storage, &staging.join(files::PART_FILE), progress.clone()).await?;
    parts.push(part(PartKind::Files, files::PART_FILE.to_owned(), written));

    // 3. The configuration.
    progress.stage("config", None);
    let config_part = settings::export(&ctx.config)?;
    let written = write_json_part(&staging.join(settings::PART_FILE), &config_part)?;
    parts.push(part(PartKind::Config, settings::PART_FILE.to_owned(), written));

    let applied = aglis_db::migration::applied(&ctx.db).await?;
    let manifest = Manifest {
        format: MANIFEST_FORMAT,
        name: name.to_owned(),
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
        engine: engine.as_str().to_owned(),
        schema_version: applied.last().cloned().unwrap_or_default(),
        migrations: u32::try_from(applied.len()).unwrap_or(u32::MAX),
        started_at,
        finished_at: ctx.now(),
        trigger: trigger.as_str().to_owned(),
        parts,
        tables,
        files: file_count,
        secrets_sealed: config_part.sealed_secrets.is_some(),
    };
    local.commit(&manifest)?;
    Ok(manifest)
}

fn part(kind: PartKind, file: String, w: archive::Written) -> Part {
    Part { kind, file, size: w.size, raw_size: w.raw_size, sha256: w.sha256 }
}

fn write_json_part(path: &Path, value: &impl serde::Serialize) -> anyhow::Result<archive::Written> {
    let mut w = PartWriter::create(path)?;
    w.write_all(&serde_json::to_vec_pretty(value)?)?;
    Ok(w.finish()?)
}

/// Copies a complete set to the bucket, recording the outcome on its row. An upload failure
/// leaves the local set as it is and is returned for the alert.
pub async fn copy_off_site(
    ctx: &Ctx,
    remote: &Remote,
    manifest: &Manifest,
    progress: &dyn Progress,
) -> Result<(), String> {
    let local = LocalSets::new(&ctx.config.backup.dir);
    let result = remote.upload(&local.path(&manifest.name), manifest, progress).await;
    let status = if result.is_ok() { RemoteStatus::Uploaded } else { RemoteStatus::Failed };
    if let Err(e) = backups::remote_status(&ctx.db, &manifest.name, status).await {
        tracing::warn!(error = %e, "recording the off-site copy");
    }
    result.map_err(|e| format!("copying {} to {}: {e:#}", manifest.name, remote.describe()))
}
