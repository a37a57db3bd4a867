//! The field team: technician profiles (skills, areas, specialisations, hours, capacity),
//! availability and load, for supervisors and for the technicians themselves.

pub mod api;
#[cfg(feature = "demo")]
pub mod demo_seed;
mod form;
pub mod pages;
pub mod service;

/// `/api/v1/technicians`.
pub fn api_router() -> utoipa_axum::router::OpenApiRouter<crate::state::AppState> {
    api::api_router()
}

/// `/technicians`.
pub fn router() -> axum::Router<crate::state::AppState> {
    pages::router()
}
