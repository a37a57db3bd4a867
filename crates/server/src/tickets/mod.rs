//! Tickets and the technicians who work them: the life cycle, assignment, SLA clocks.

pub mod api;
pub mod completion;
pub mod demo_seed;
pub mod escalation;
pub mod service;
pub mod technicians_api;

/// The ticket API routes.
pub fn api_router() -> utoipa_axum::router::OpenApiRouter<crate::app::AppState> {
    api::api_router().merge(technicians_api::api_router())
}
