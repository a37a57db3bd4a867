//! Retention: the policy of `aglis_core::backup_retention` applied to the sets in the directory
//! and in the bucket, with the verification results the database holds. Run under the backup
//! lease, after a backup and its verification.

use super::Ctx;
use super::remote::Remote;
use super::set::LocalSets;
use aglis_core::backup::{VerifyStatus, parse_set_name};
use aglis_core::backup_retention::{SetInfo, to_delete};
use aglis_db::repo::backups;
use std::collections::BTreeSet;

/// Deletes the sets the policy lets go; returns their names.
pub async fn apply(ctx: &Ctx, local: &LocalSets, remote: Option<&Remote>) -> anyhow::Result<Vec<String>> {
    let mut names: BTreeSet<String> = local.complete()?.into_iter().map(|m| m.name).collect();
    if let Some(r) = remote {
        names.extend(r.list().await?);
    }
    let mut sets = Vec::with_capacity(names.len());
    for name in &names {
        let Some(created_at) = parse_set_name(name) else { continue };
        let verified =
            backups::by_name(&ctx.db, name).await?.is_some_and(|row| row.verify_status == VerifyStatus::Passed);
        sets.push(SetInfo { name: name.clone(), created_at, verified });
    }
    let doomed = to_delete(&sets, &ctx.config.backup.retention);
    for name in &doomed {
        if let Some(r) = remote
            && let Some(manifest) = r.manifest(name).await?
        {
            r.delete(&manifest).await?;
        }
        local.delete(name)?;
        backups::mark_deleted(&ctx.db, name, ctx.now()).await?;
        tracing::info!(set = %name, "backup set deleted by retention");
    }
    Ok(doomed)
}
