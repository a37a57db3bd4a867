//! Notifications: messages to customers and staff by WhatsApp and e-mail, created in the same
//! transaction as the change that causes them and sent by the job runner through the providers.

pub mod api;
pub mod broadcasts;
pub mod compose;
#[cfg(feature = "demo")]
pub mod demo_seed;
pub mod dispatch;
pub mod groups;
pub mod meta_webhook;
pub mod notifier;
pub mod pages;
pub mod queue;
pub mod service;
pub mod templates;
pub mod webhooks;

pub use api::api_router;
pub use notifier::Notifier;

/// The notification pages: history, compose, templates and recipient groups.
pub fn router() -> axum::Router<crate::state::AppState> {
    pages::router()
        .merge(queue::router())
        .merge(templates::pages::router())
        .merge(groups::pages::router())
        .merge(broadcasts::router())
}
