//! Verification: a set is good when its parts match their checksums, its files archive reads to
//! the end, its configuration parses, and its database, restored into a scratch database, passes
//! the engine's integrity check and holds exactly the rows the manifest counted and fingerprinted.

use super::database::{self, PgTarget};
use super::progress::Progress;
use super::set::{LocalSets, check_parts};
use super::{Ctx, archive, files, settings};
use aglis_core::backup::{Manifest, PartKind, compare_tables};
use aglis_db::Engine;
use sea_orm::ConnectionTrait;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// The outcome of one verification.
#[derive(Debug, Clone)]
pub struct Verified {
    pub name: String,
    /// One line per problem; empty when the set is good.
    pub problems: Vec<String>,
    pub millis: i64,
}

impl Verified {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Verifies `name` and records the result on its row.
pub async fn verify_and_record(
    ctx: &Ctx,
    local: &LocalSets,
    name: &str,
    progress: Arc<dyn Progress>,
) -> anyhow::Result<Verified> {
    let started = Instant::now();
    let problems = match check(ctx, local, name, progress).await {
        Ok(p) => p,
        Err(e) => vec![format!("{e:#}")],
    };
    let millis = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let error = (!problems.is_empty()).then(|| problems.join("; "));
    aglis_db::repo::backups::record_verify(&ctx.db, name, error.as_deref(), millis, ctx.now()).await?;
    Ok(Verified { name: name.to_owned(), problems, millis })
}

/// Every check of [`Verified`], without recording.
pub async fn check(
    ctx: &Ctx,
    local: &LocalSets,
    name: &str,
    progress: Arc<dyn Progress>,
) -> anyhow::Result<Vec<String>> {
    let manifest = local.read_manifest(name)?;
    let engine = ctx.engine();
    if manifest.engine != engine.as_str() {
        return Ok(vec![format!(
            "the set holds a {} database and this installation runs {}: verify it where it was taken",
            manifest.engine,
            engine.as_str()
        )]);
    }
    let dir = local.path(name);
    let check_dir = dir.clone();
    let check_manifest = manifest.clone();
    let sums = progress.clone();
    let mut problems =
        tokio::task::spawn_blocking(move || check_parts(&check_dir, &check_manifest, sums.as_ref())).await??;
    if !problems.is_empty() {
        return Ok(problems);
    }
    if let Some(part) = manifest.part(PartKind::Files)
        && let Err(e) = files::check(&dir.join(&part.file), manifest.files).await
    {
        problems.push(format!("files part: {e:#}"));
    }
    if let Some(part) = manifest.part(PartKind::Config)
        && let Err(e) = read_config(&dir.join(&part.file))
    {
        problems.push(format!("configuration part: {e:#}"));
    }
    match scratch_stats(ctx, local, &manifest, progress).await {
        Ok(stats) => problems.extend(compare_tables(&manifest.tables, &stats)),
        Err(e) => problems.push(format!("database part: {e:#}")),
    }
    Ok(problems)
}

pub fn read_config(path: &Path) -> anyhow::Result<settings::ConfigPart> {
    let mut json = Vec::new();
    std::io::Read::read_to_end(&mut archive::open_part(path)?, &mut json)?;
    Ok(serde_json::from_slice(&json)?)
}

/// Restores the database part into a scratch database and reads its fingerprints; the scratch
/// copy is dropped whatever happens.
async fn scratch_stats(
    ctx: &Ctx,
    local: &LocalSets,
    manifest: &Manifest,
    progress: Arc<dyn Progress>,
) -> anyhow::Result<Vec<aglis_core::backup::TableStat>> {
    let part = manifest.part(PartKind::Database).ok_or_else(|| anyhow::anyhow!("the set has no database part"))?;
    let scratch_dir = local.dir().join(format!(".scratch-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&scratch_dir)?;
    let result = async {
        let raw = scratch_dir.join(database::raw_name(ctx.engine()));
        progress.stage("decompress", Some(part.size));
        let (src, dst, p) = (local.path(&manifest.name).join(&part.file), raw.clone(), progress.clone());
        tokio::task::spawn_blocking(move || archive::decompress_file(&src, &dst, p.as_ref())).await??;
        progress.stage("verify", Some(manifest.tables.iter().map(|t| t.rows).sum()));
        match ctx.engine() {
            Engine::Sqlite => database::check_sqlite_file(&raw, progress.as_ref()).await,
            Engine::Postgres => pg_scratch(ctx, &raw, progress.as_ref()).await,
        }
    }
    .await;
    let _ = std::fs::remove_dir_all(&scratch_dir);
    result
}

async fn pg_scratch(
    ctx: &Ctx,
    archive: &Path,
    progress: &dyn Progress,
) -> anyhow::Result<Vec<aglis_core::backup::TableStat>> {
    let main = PgTarget::from_url(&ctx.config.database_url)?;
    let scratch = main.with_database(&format!("aglis_verify_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]));
    ctx.db
        .execute_unprepared(&format!("CREATE DATABASE \"{}\"", scratch.database))
        .await
        .map_err(|e| anyhow::anyhow!("creating the scratch database (the role needs CREATEDB): {e}"))?;
    let bin = database::pg_bin_dir(ctx.config.backup.pg_bin_dir.as_deref());
    let result = async {
        database::pg_restore(&bin, &scratch, archive).await?;
        database::pg_stats(&scratch.url(), progress).await
    }
    .await;
    if let Err(e) =
        ctx.db.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", scratch.database)).await
    {
        tracing::warn!(database = %scratch.database, error = %e, "the scratch database was not dropped");
    }
    result
}
