//! `/api/v1/jobs`: the queue by state, and re-queueing dead jobs.

use crate::auth::extract::{Staff, perm};
use crate::error::{AppResult, Problem};
use crate::extract::{ApiQuery, IdPath};
use crate::listing::{Page, PageQuery, Paging};
use crate::state::AppState;
use aglis_core::job::JobStatus;
use aglis_db::jobs::{self, Job};
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(counts)).routes(routes!(requeue))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobOut {
    pub id: i64,
    pub kind: String,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// critical, high, normal or low.
    pub priority: String,
    /// queued, running, done or dead.
    pub status: String,
    pub run_at: DateTime<Utc>,
    pub attempts: i32,
    pub max_attempts: i32,
    pub last_error: Option<String>,
    pub locked_by: Option<String>,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<Job> for JobOut {
    fn from(j: Job) -> Self {
        // Shown as stored when it is not JSON (the runner fails such a job with that reason).
        let payload = j.payload_json().unwrap_or_else(|_| serde_json::Value::String(j.payload.clone()));
        JobOut {
            id: j.id,
            kind: j.kind,
            payload,
            priority: j.priority.as_str().to_owned(),
            status: j.status.as_str().to_owned(),
            run_at: j.run_at,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            last_error: j.last_error,
            locked_by: j.locked_by,
            locked_until: j.locked_until,
            created_at: j.created_at,
            updated_at: j.updated_at,
            finished_at: j.finished_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// queued, running, done or dead (default dead).
    #[param(inline)]
    pub status: Option<JobStatus>,
}

/// Jobs in one state, most recently changed first.
#[utoipa::path(
    get,
    path = "/api/v1/jobs",
    tag = "jobs",
    params(ListParams, PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<JobOut>),
    )
)]
async fn list(
    State(state): State<AppState>,
    _staff: Staff<perm::JobsView>,
    ApiQuery(p): ApiQuery<ListParams>,
    paging: Paging,
) -> AppResult<Json<Page<JobOut>>> {
    let (items, total) =
        jobs::list(&state.db, p.status.unwrap_or(JobStatus::Dead), paging.page, paging.per_page).await?;
    Ok(Json(Page::new(items.into_iter().map(JobOut::from).collect(), total, paging)))
}

/// Number of jobs in each state.
#[utoipa::path(
    get,
    path = "/api/v1/jobs/counts",
    tag = "jobs",
    security(("bearer" = [])),
    responses(
        (status = 200, body = BTreeMap<String, u64>),
    )
)]
async fn counts(
    State(state): State<AppState>,
    _staff: Staff<perm::JobsView>,
) -> AppResult<Json<BTreeMap<&'static str, u64>>> {
    Ok(Json(jobs::counts(&state.db).await?.into_iter().collect()))
}

/// Puts a dead job back in the queue with a fresh set of attempts.
#[utoipa::path(
    post,
    path = "/api/v1/jobs/{id}/requeue",
    tag = "jobs",
    params(("id" = i64, Path, description = "Job id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = JobOut),
        (status = 409, description = "The job is not dead", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn requeue(
    State(state): State<AppState>,
    _staff: Staff<perm::JobsManage>,
    IdPath(id): IdPath,
) -> AppResult<Json<JobOut>> {
    super::service::requeue_dead(&state, id).await.map(|j| Json(JobOut::from(j)))
}
