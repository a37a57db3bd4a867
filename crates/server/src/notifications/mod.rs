//! Notifications: messages to customers and staff by WhatsApp and e-mail, created in the same
//! transaction as the change that causes them and sent by the job runner through the providers.

pub mod api;
pub mod dispatch;
pub mod meta_webhook;
pub mod notifier;
pub mod pages;
pub mod service;
pub mod webhooks;

pub use api::api_router;
pub use notifier::Notifier;
pub use pages::router;
