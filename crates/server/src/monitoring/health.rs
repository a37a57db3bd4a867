//! `GET /api/health`: 200 when every check passes, 503 otherwise, with the result of each check.

use crate::app::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Ok,
    Fail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Check {
    pub status: CheckStatus,
    pub latency_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when every check passed.
    pub status: CheckStatus,
    pub version: &'static str,
    /// `database` (more checks join as features arrive).
    pub checks: BTreeMap<String, Check>,
}

#[utoipa::path(
    get,
    path = "/api/health",
    tag = "monitoring",
    responses(
        (status = 200, description = "Every check passed", body = Health),
        (status = 503, description = "A check failed", body = Health),
    )
)]
pub async fn health(State(state): State<AppState>) -> Response {
    let mut checks = BTreeMap::new();
    checks.insert("database".to_owned(), database(&state).await);
    let status = if checks.values().all(|c| c.status == CheckStatus::Ok) { CheckStatus::Ok } else { CheckStatus::Fail };
    let code = if status == CheckStatus::Ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, Json(Health { status, version: env!("CARGO_PKG_VERSION"), checks })).into_response()
}

async fn database(state: &AppState) -> Check {
    let started = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(3), state.db.ping()).await;
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    match result {
        Ok(Ok(())) => Check { status: CheckStatus::Ok, latency_ms, error: None },
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health: database check failed");
            Check { status: CheckStatus::Fail, latency_ms, error: Some("database did not answer".into()) }
        }
        Err(_) => Check { status: CheckStatus::Fail, latency_ms, error: Some("database timed out after 3 s".into()) },
    }
}
