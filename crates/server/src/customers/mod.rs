//! Customers (subscribers): profiles with their package and ODP port, the status life cycle with
//! history, and the link to a portal account.

pub mod api;
#[cfg(feature = "demo")]
pub mod demo_seed;
pub mod import;
pub mod pages;
pub mod service;

pub use api::api_router;
pub use pages::router;
