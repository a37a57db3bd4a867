//! Health checks (and, later, metrics, alerts and the error inbox).

pub mod health;

use crate::app::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health::health))
}
