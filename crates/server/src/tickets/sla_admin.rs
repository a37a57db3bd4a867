//! TODO(scaffold): SLA targets and holidays

use crate::app::AppState;

/// API routes.
pub fn api_router() -> utoipa_axum::router::OpenApiRouter<AppState> {
    utoipa_axum::router::OpenApiRouter::new()
}

/// Page routes.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
}
