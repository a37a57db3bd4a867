//! `/api/v1/schedules` and the schedule form of `/admin/jobs`: recurring jobs whose cron pattern,
//! time zone and enabled flag an admin may change.

use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult, Problem};
use crate::extract::{ApiForm, ApiJson, IdPath};
use crate::listing::{Page, PageQuery, Paging};
use crate::state::AppState;
use aglis_db::entity::schedules::Model;
use aglis_db::schedules::{self, ScheduleChanges, ScheduleEditError};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(update))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleOut {
    pub id: i64,
    pub name: String,
    /// Five fields: minute hour day-of-month month day-of-week.
    pub cron: String,
    pub timezone: String,
    pub job_kind: String,
    pub enabled: bool,
    pub next_run_at: DateTime<Utc>,
    pub last_run_at: Option<DateTime<Utc>>,
}

impl From<Model> for ScheduleOut {
    fn from(m: Model) -> Self {
        ScheduleOut {
            id: m.id,
            name: m.name,
            cron: m.cron,
            timezone: m.timezone,
            job_kind: m.job_kind,
            enabled: m.enabled,
            next_run_at: m.next_run_at,
            last_run_at: m.last_run_at,
        }
    }
}

/// Every recurring schedule.
#[utoipa::path(
    get,
    path = "/api/v1/schedules",
    params(PageQuery), tag = "jobs",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<ScheduleOut>),
    )
)]
async fn list(
    State(state): State<AppState>,
    _staff: Staff<perm::JobsView>,
    paging: Paging,
) -> AppResult<Json<Page<ScheduleOut>>> {
    let all = schedules::list(&state.db).await?.into_iter().map(ScheduleOut::from).collect();
    Ok(Json(Page::of_all(all, paging)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateScheduleRequest {
    #[schema(example = "0 18 * * *")]
    pub cron: Option<String>,
    #[schema(example = "Asia/Jakarta")]
    pub timezone: Option<String>,
    pub enabled: Option<bool>,
}

/// Changes when a schedule fires (admin only); its next run is recomputed.
#[utoipa::path(
    patch,
    path = "/api/v1/schedules/{id}",
    tag = "jobs",
    params(("id" = i64, Path, description = "Schedule id")),
    request_body = UpdateScheduleRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = ScheduleOut),
        (status = 422, description = "Bad cron pattern or time zone", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn update(
    State(state): State<AppState>,
    staff: Staff<perm::JobsManage>,
    meta: crate::audit::RequestMeta,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<UpdateScheduleRequest>,
) -> AppResult<Json<ScheduleOut>> {
    let changes = ScheduleChanges { cron: req.cron, timezone: req.timezone, enabled: req.enabled };
    let saved = apply(&state, id, changes).await?;
    crate::audit::sites::schedule_changed(&state, staff.auth(), &meta, &saved).await?;
    Ok(Json(ScheduleOut::from(saved)))
}

async fn apply(state: &AppState, id: i64, changes: ScheduleChanges) -> AppResult<Model> {
    schedules::update(&state.db, id, changes, state.now()).await.map_err(|e| match e {
        ScheduleEditError::NotFound => AppError::not_found("schedule"),
        ScheduleEditError::Invalid(err) => {
            let field = match err {
                aglis_core::schedule::ScheduleError::BadTimeZone(_) => "timezone",
                _ => "cron",
            };
            AppError::field(field, err.to_string())
        }
        ScheduleEditError::Db(db) => AppError::from(db),
    })
}

#[derive(Debug, Deserialize)]
pub struct ScheduleForm {
    #[serde(default)]
    cron: String,
    #[serde(default)]
    enabled: Option<String>,
}

/// `POST /admin/jobs/schedules/{id}` from the schedule table's inline form.
pub async fn update_form(
    State(state): State<AppState>,
    staff: Staff<perm::JobsManage>,
    meta: crate::audit::RequestMeta,
    IdPath(id): IdPath,
    ApiForm(form): ApiForm<ScheduleForm>,
) -> AppResult<Response> {
    let changes = ScheduleChanges { cron: Some(form.cron), timezone: None, enabled: Some(form.enabled.is_some()) };
    let saved = apply(&state, id, changes).await?;
    crate::audit::sites::schedule_changed(&state, staff.auth(), &meta, &saved).await?;
    Ok(Redirect::to("/admin/jobs?schedule_saved=1#schedules").into_response())
}
