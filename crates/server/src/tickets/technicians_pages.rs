//! TODO(scaffold): technician pages.

use crate::app::AppState;

/// Page routes.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
}
