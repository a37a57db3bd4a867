//! Tickets: the life cycle, assignment, comments, attachments, SLA clocks and escalation.

pub mod api;
pub mod attachments;
pub mod bulk;
pub mod comments;
pub mod completion;
#[cfg(feature = "demo")]
pub mod demo_seed;
pub mod escalation;
pub mod escalation_board;
pub mod first_response;
pub mod history;
pub mod holiday_cache;
pub mod pages;
pub mod service;
pub mod view;

/// The ticket API routes.
pub fn api_router() -> utoipa_axum::router::OpenApiRouter<crate::state::AppState> {
    api::api_router()
        .merge(attachments::api_router())
        .merge(comments::api_router())
        .merge(escalation_board::api_router())
        .merge(bulk::api_router())
}

/// The ticket pages (`/tickets`, `/my/tickets`, `/escalations`).
pub fn router() -> axum::Router<crate::state::AppState> {
    pages::router().merge(attachments::router()).merge(escalation_board::router()).merge(bulk::router())
}
