//! Registrations: the public sign-up with a WhatsApp one-time code, the staff workflow from
//! submitted to an active customer, and the public tracking page.

pub mod api;
#[cfg(feature = "demo")]
pub mod demo_seed;
pub mod pages;
pub mod public;
pub mod service;

pub use api::api_router;

/// The public and staff pages.
pub fn router() -> axum::Router<crate::state::AppState> {
    pages::router().merge(public::router())
}
