//! `GET /api/v1/backups` (the sets, newest first, with their verification and table counts) and
//! `POST /api/v1/backups` ("back up now": queues a backup job). Admins only.

use super::service;
use crate::audit::RequestMeta;
use crate::auth::extract::{Staff, perm};
use crate::error::{AppResult, Problem};
use crate::listing::{Page, PageQuery, Paging};
use crate::state::AppState;
use aglis_core::backup::{BackupStatus, RemoteStatus, Trigger, VerifyStatus};
use aglis_db::entity::backups::Model;
use aglis_db::repo::backups;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, request))
}

/// Rows of one table when the set was taken.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TableRowsOut {
    pub table: String,
    pub rows: u64,
}

/// One backup set.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BackupOut {
    /// `aglis-<UTC time>`, e.g. `aglis-20261125T190000Z`: the folder and the name `aglis backup restore` takes.
    pub name: String,
    /// `manual`: the admin page or this API.
    #[schema(inline)]
    pub trigger: Trigger,
    #[schema(inline)]
    pub status: BackupStatus,
    /// The step a running backup is at: `database`, `tables`, `files`, `config`, `upload`, `verify`, `retention`.
    pub stage: Option<String>,
    /// 0–100 of that step.
    pub progress: i32,
    /// The machine that took it.
    pub host: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
    /// Bytes of every part (compressed).
    pub size_bytes: Option<i64>,
    /// Bytes of the database part (compressed).
    pub database_bytes: Option<u64>,
    /// Uploaded files in the set.
    pub files: Option<u64>,
    /// The off-site copy.
    #[schema(inline)]
    pub remote_status: RemoteStatus,
    /// A restore into a scratch database with its checks.
    #[schema(inline)]
    pub verify_status: VerifyStatus,
    pub verified_at: Option<DateTime<Utc>>,
    pub verify_ms: Option<i64>,
    pub verify_error: Option<String>,
    /// Why a failed or interrupted backup stopped.
    pub error: Option<String>,
    /// Rows per table from the manifest (empty until the set is complete).
    pub tables: Vec<TableRowsOut>,
}

impl From<Model> for BackupOut {
    fn from(m: Model) -> Self {
        let facts = service::facts(&m);
        BackupOut {
            duration_ms: facts.duration_ms,
            database_bytes: facts.database_bytes,
            files: facts.files,
            tables: facts.tables.into_iter().map(|t| TableRowsOut { table: t.table, rows: t.rows }).collect(),
            name: m.name,
            trigger: m.trigger,
            status: m.status,
            stage: m.stage,
            progress: m.progress,
            host: m.host,
            started_at: m.started_at,
            finished_at: m.finished_at,
            size_bytes: m.size_bytes,
            remote_status: m.remote_status,
            verify_status: m.verify_status,
            verified_at: m.verified_at,
            verify_ms: m.verify_ms,
            verify_error: m.verify_error,
            error: m.error,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BackupQueued {
    /// `false` when a backup was already asked for this minute (nothing new was queued).
    pub queued: bool,
    /// When the scheduled backup runs next (`null` when its schedule is paused).
    pub next_run_at: Option<DateTime<Utc>>,
}

/// The backup sets not yet removed by retention, newest first (admins).
#[utoipa::path(get, path = "/api/v1/backups", tag = "backups", params(PageQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Page<BackupOut>),
        (status = 422, description = "`page` or `per_page` out of range", body = Problem, content_type = "application/problem+json")))]
async fn list(
    State(state): State<AppState>,
    _s: Staff<perm::BackupsManage>,
    paging: Paging,
) -> AppResult<Json<Page<BackupOut>>> {
    let (rows, total) = backups::page(&state.reads, paging.page, paging.per_page).await?;
    Ok(Json(Page::new(rows.into_iter().map(BackupOut::from).collect(), total, paging)))
}

/// Back up now: queues a backup (database, files, configuration; then the off-site copy, the
/// verification and retention). No body, or `{}`. At most one request per minute is queued;
/// a second one answers `queued: false`. The request is recorded in the audit log.
#[utoipa::path(post, path = "/api/v1/backups", tag = "backups",
    security(("bearer" = [])),
    responses((status = 202, description = "Queued (or already queued this minute)", body = BackupQueued),))]
async fn request(
    State(state): State<AppState>,
    s: Staff<perm::BackupsManage>,
    meta: RequestMeta,
) -> AppResult<(StatusCode, Json<BackupQueued>)> {
    let queued = service::request_backup(&state, s.auth(), &meta, "api").await?;
    let next_run_at = crate::backup::jobs::next_run(&state.reads).await?;
    Ok((StatusCode::ACCEPTED, Json(BackupQueued { queued, next_run_at })))
}
