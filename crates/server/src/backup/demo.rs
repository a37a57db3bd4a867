//! The demo's backups: a real set taken (and verified) when the demo data is first seeded, and
//! two weeks of earlier nightly runs for the size chart. Those earlier rows are marked as removed
//! by retention: their folders never existed, so the list shows only the real set.

use super::progress::Silent;
use super::{Ctx, Trigger, jobs};
use crate::state::AppState;
use aglis_db::repo::backups::{self, NewBackup};
use chrono::{Duration, TimeZone};
use std::sync::Arc;

pub async fn seed(state: &AppState) -> anyhow::Result<()> {
    if backups::latest_complete(&state.db).await?.is_some() {
        return Ok(());
    }
    let ctx = Ctx::from_state(state);
    let real = match jobs::run_backup(&ctx, Trigger::Schedule, None, Arc::new(Silent)).await {
        Ok(o) => o.manifest,
        Err(e) => {
            // The demo goes on; the page shows the failure, as it would in production.
            tracing::warn!(error = %format!("{e:#}"), "the demo's first backup failed");
            return Ok(());
        }
    };
    let host = super::host_name();
    let today = state.now().with_timezone(&aglis_core::schedule::JAKARTA).date_naive();
    for days_ago in (1..=14i64).rev() {
        let Some(at) = aglis_core::schedule::JAKARTA
            .from_local_datetime(&(today - Duration::days(days_ago)).and_hms_opt(2, 0, 0).unwrap_or_default())
            .single()
        else {
            continue;
        };
        let at = at.with_timezone(&chrono::Utc);
        let name = aglis_core::backup::set_name(at);
        let new = NewBackup { name: &name, trigger: Trigger::Schedule, host: &host, created_by: None };
        backups::start(&state.db, new, at).await?;
        // The data grew a little every night: about half a percent.
        let size = real.size() * (1000 - 5 * days_ago as u64) / 1000;
        let mut manifest = real.clone();
        manifest.name = name.clone();
        manifest.started_at = at;
        manifest.finished_at = at + Duration::seconds(2 + days_ago % 3);
        backups::complete(&state.db, &name, &serde_json::to_string(&manifest)?, size, manifest.finished_at).await?;
        backups::record_verify(
            &state.db,
            &name,
            None,
            900 + 20 * days_ago,
            manifest.finished_at + Duration::seconds(1),
        )
        .await?;
        backups::mark_deleted(&state.db, &name, state.now()).await?;
    }
    Ok(())
}
