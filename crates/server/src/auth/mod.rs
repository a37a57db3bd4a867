//! Authentication: sessions (cookie and bearer), passwords, CSRF, and the extractors that check
//! roles. `router()` serves the login/logout pages and `api_router()` the `/api/v1/auth` routes.

pub mod api;
pub mod csrf;
pub mod extract;
pub mod pages;
pub mod password;
pub mod service;
pub mod session;
pub mod token;

pub use api::api_router;
pub use pages::router;
