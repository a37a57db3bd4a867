//! Customers (subscribers): profiles with their package and ODP port, the status life cycle with
//! history, and the link to a portal account.

pub mod api;
pub mod bulk;
#[cfg(feature = "demo")]
pub mod demo_seed;
pub mod import;
pub mod pages;
pub mod service;

/// The customer API routes.
pub fn api_router() -> utoipa_axum::router::OpenApiRouter<crate::state::AppState> {
    api::api_router().merge(bulk::api_router())
}

/// The customer pages.
pub fn router() -> axum::Router<crate::state::AppState> {
    pages::router().merge(bulk::router())
}
