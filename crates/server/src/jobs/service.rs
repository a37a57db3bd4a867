//! What the jobs API and the queue page both do.

use crate::error::{AppError, AppResult};
use crate::state::AppState;
use aglis_db::jobs::{self, Job};

/// Shared by the API and the page: 404 for no such job, 409 when it is not dead.
pub async fn requeue_dead(state: &AppState, id: i64) -> AppResult<Job> {
    if !jobs::requeue_dead(&state.db, id, state.now()).await? {
        return Err(match jobs::get(&state.db, id).await? {
            None => AppError::not_found("job"),
            Some(j) => AppError::Conflict {
                detail: format!("job {id} is {}, not dead; only dead jobs can be re-queued", j.status),
                fields: Default::default(),
            },
        });
    }
    jobs::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("job"))
}
