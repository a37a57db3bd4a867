//! The backup use cases the API and the page share: asking for a backup now, and what a set's
//! manifest says about it.

use crate::audit::{Entry, RequestMeta, record};
use crate::auth::session::Authenticated;
use crate::error::AppResult;
use crate::state::AppState;
use aglis_core::audit::{AuditEvent, AuditResult};
use aglis_core::backup::{Manifest, PartKind, TableStat};
use aglis_db::entity::backups::Model;

/// The set's manifest, when it has a readable one.
pub fn manifest_of(m: &Model) -> Option<Manifest> {
    m.manifest.as_deref().and_then(|text| serde_json::from_str(text).ok())
}

/// What a set's row and manifest say beyond the row's columns.
pub struct SetFacts {
    pub duration_ms: Option<i64>,
    /// Bytes of the database part (compressed).
    pub database_bytes: Option<u64>,
    /// Uploaded files in the set.
    pub files: Option<u64>,
    /// Rows per table (empty until the set is complete).
    pub tables: Vec<TableStat>,
}

pub fn facts(m: &Model) -> SetFacts {
    let manifest = manifest_of(m);
    SetFacts {
        duration_ms: m.finished_at.map(|f| (f - m.started_at).num_milliseconds().max(0)),
        database_bytes: manifest.as_ref().and_then(|x| x.part(PartKind::Database)).map(|p| p.size),
        files: manifest.as_ref().map(|x| x.files),
        tables: manifest.map(|x| x.tables).unwrap_or_default(),
    }
}

/// Queues a backup for `auth` and records the request (`backup.requested`); `false` when one was
/// already queued this minute.
pub async fn request_backup(state: &AppState, auth: &Authenticated, meta: &RequestMeta, via: &str) -> AppResult<bool> {
    let queued = crate::backup::jobs::enqueue_now(&state.db, Some(auth.user.id), state.now()).await?;
    let entry = Entry::new(AuditEvent::BackupRequested, AuditResult::Success)
        .by(auth)
        .meta(meta)
        .resource("backup")
        .details(serde_json::json!({ "queued": queued, "via": via }));
    record(state, entry).await?;
    Ok(queued)
}
