//! The monitoring API (being written).

use crate::app::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
