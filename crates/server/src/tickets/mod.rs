//! Tickets and the technicians who work them: the life cycle, assignment, SLA clocks.

pub mod api;
pub mod attachments;
pub mod completion;
pub mod demo_seed;
pub mod escalation;
pub mod escalation_board;
pub mod history;
pub mod holiday_cache;
pub mod pages;
pub mod service;
pub mod sla_admin;
pub mod technicians_api;
pub mod technicians_pages;

/// The ticket API routes.
pub fn api_router() -> utoipa_axum::router::OpenApiRouter<crate::state::AppState> {
    api::api_router()
        .merge(technicians_api::api_router())
        .merge(attachments::api_router())
        .merge(sla_admin::api_router())
        .merge(escalation_board::api_router())
}

/// The ticket pages (`/tickets`, `/my/tickets`, `/technicians`, `/escalations`, `/admin/sla`).
pub fn router() -> axum::Router<crate::state::AppState> {
    pages::router()
        .merge(attachments::router())
        .merge(sla_admin::router())
        .merge(escalation_board::router())
        .merge(technicians_pages::router())
}
