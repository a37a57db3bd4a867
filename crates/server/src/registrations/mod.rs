//! Registrations: the public sign-up with a WhatsApp one-time code, the staff workflow from
//! submitted to an active customer, and the public tracking page.

pub mod api;
pub mod bulk;
#[cfg(feature = "demo")]
pub mod demo_seed;
pub mod pages;
pub mod public;
pub mod service;

/// The registration API routes.
pub fn api_router() -> utoipa_axum::router::OpenApiRouter<crate::state::AppState> {
    api::api_router().merge(bulk::api_router())
}

/// The public and staff pages.
pub fn router() -> axum::Router<crate::state::AppState> {
    pages::router().merge(public::router()).merge(bulk::router())
}
