//! Tickets and the technicians who work them: the life cycle, assignment, SLA clocks.

pub mod api;
pub mod completion;
pub mod demo_seed;
pub mod escalation;
pub mod pages;
pub mod service;
pub mod technicians_api;

/// The ticket API routes.
pub fn api_router() -> utoipa_axum::router::OpenApiRouter<crate::app::AppState> {
    api::api_router().merge(technicians_api::api_router())
}

/// The ticket pages (`/tickets`, `/my/tickets`).
pub fn router() -> axum::Router<crate::app::AppState> {
    pages::router()
}
