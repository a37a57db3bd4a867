//! The retention purge: every night (02:30 WIB, the built-in schedule `audit_purge`) the records
//! older than `AGLIS_AUDIT_RETENTION_DAYS` are removed. The last one removed becomes the anchor
//! verification starts from, and the purge appends an `audit.purged` record saying how many went.

use crate::error::AppResult;
use crate::state::AppState;
use aglis_core::audit::{AuditEvent, AuditResult};
use aglis_db::repo::audit_log::{self, NewRecord};
use chrono::Duration;

/// The job kind.
pub const PURGE_JOB: &str = "audit.purge";

/// Removes the records past the retention; returns how many went.
pub async fn run(state: &AppState) -> AppResult<u64> {
    let days = state.config.security.audit_retention_days;
    let now = state.now();
    let cutoff = now - Duration::days(i64::from(days));
    let note = |removed: u64, anchor: &aglis_core::audit::Anchor| NewRecord {
        event: AuditEvent::AuditPurged,
        result: AuditResult::Success,
        user_id: None,
        username: None,
        ip: None,
        user_agent: None,
        resource: Some("audit_log".into()),
        details: serde_json::json!({
            "removed": removed,
            "retention_days": days,
            "older_than": cutoff,
            "anchor_id": anchor.id,
        }),
    };
    let purged = audit_log::purge_before(&state.db, cutoff, now, note).await?;
    Ok(purged.map_or(0, |p| p.removed))
}

/// The job handler.
pub async fn purge_job(state: AppState, _payload: serde_json::Value) -> Result<(), crate::jobs::registry::JobError> {
    let removed = run(&state).await?;
    tracing::info!(removed, "audit log purged");
    Ok(())
}
