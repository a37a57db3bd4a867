//! AGLIS integrations: one module per external system. Each speaks the system's real wire format;
//! tests and the demo run local fake servers of the same systems (feature `fakes`).

pub mod email;
#[cfg(feature = "fakes")]
pub mod fake_callbacks;
pub mod http;
pub mod network;
pub mod notify;
pub mod payments;
#[cfg(feature = "fakes")]
pub mod sentry_fake;
pub mod whatsapp;
