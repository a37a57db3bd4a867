//! `/admin/jobs`: jobs by state, with a re-queue button on dead ones.

use crate::auth::extract::{Staff, perm};
use crate::error::AppResult;
use crate::extract::{ApiQuery, IdPath};
use crate::jobs::service::requeue_dead;
use crate::listing::Paging;
use crate::pages::{Shell, render};
use crate::state::AppState;
use aglis_core::job::JobStatus;
use aglis_core::permission::Permission;
use aglis_db::entity::schedules::Model as ScheduleRow;
use aglis_db::jobs::{self, Job};
use aglis_db::schedules;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/jobs", get(list))
        .route("/admin/jobs/{id}/requeue", post(requeue))
        .route("/admin/jobs/schedules/{id}", post(crate::jobs::schedules::update_form))
}

#[derive(Debug, Deserialize)]
struct ListForm {
    status: Option<JobStatus>,
    page: Option<u64>,
    requeued: Option<i64>,
    schedule_saved: Option<u8>,
}

#[derive(Template)]
#[template(path = "jobs/list.html")]
struct ListPage {
    shell: Shell,
    status: JobStatus,
    counts: Vec<(&'static str, u64)>,
    jobs: Vec<Job>,
    page: u64,
    pages: u64,
    can_manage: bool,
    schedules: Vec<ScheduleRow>,
    requeued: Option<i64>,
    schedule_saved: bool,
    base_query: String,
}

async fn list(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::JobsView>,
    ApiQuery(f): ApiQuery<ListForm>,
) -> AppResult<Response> {
    let paging = Paging::parse(f.page, None)?;
    let counts = jobs::counts(&state.db).await?;
    let status = f.status.unwrap_or_else(|| {
        if counts.iter().any(|(s, n)| *s == "dead" && *n > 0) { JobStatus::Dead } else { JobStatus::Queued }
    });
    let (jobs, total) = jobs::list(&state.db, status, paging.page, paging.per_page).await?;
    render(&ListPage {
        shell,
        status,
        counts,
        jobs,
        page: paging.page,
        pages: paging.pages(total),
        can_manage: staff.auth().user.role.can(Permission::JobsManage),
        schedules: schedules::list(&state.db).await?,
        requeued: f.requeued,
        schedule_saved: f.schedule_saved.is_some(),
        base_query: format!("status={status}"),
    })
}

async fn requeue(
    State(state): State<AppState>,
    _staff: Staff<perm::JobsManage>,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    requeue_dead(&state, id).await?;
    Ok(Redirect::to(&format!("/admin/jobs?status=dead&requeued={id}")).into_response())
}
