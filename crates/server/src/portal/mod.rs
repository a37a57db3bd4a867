//! The customer portal: a subscriber signs in with a WhatsApp code and sees their package,
//! service status, bills (pay online, PDF, statement) and tickets (report a problem with a
//! photo, follow it, confirm the fix or reopen it, rate the visit). Mobile first, server-rendered.

pub mod api;
#[cfg(feature = "demo")]
pub mod demo;
pub mod extract;
pub mod home;
pub mod login;
pub mod notices;
pub mod pages;
pub mod profile;
pub mod profile_pages;
pub mod ticket_pages;
pub mod tickets;

pub fn api_router() -> utoipa_axum::router::OpenApiRouter<crate::state::AppState> {
    api::api_router()
}

pub fn router() -> axum::Router<crate::state::AppState> {
    pages::router().merge(notices::router())
}
