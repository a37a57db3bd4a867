//! Staff accounts: list, create, edit (role, active), deactivate, reset a password.

pub mod api;
pub mod pages;
pub mod service;

pub use api::api_router;
pub use pages::router;
