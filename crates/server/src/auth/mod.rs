//! Authentication: sessions (cookie and bearer), passwords, two-factor (TOTP and recovery codes),
//! the progressive lockout, per-address throttling, CSRF, and the extractors that check roles.
//! `router()` serves the login, code and account-security pages; `api_router()` the
//! `/api/v1/auth` routes.

pub mod account;
pub mod api;
pub mod csrf;
#[cfg(feature = "demo")]
pub mod demo;
pub mod extract;
pub mod lockout;
pub mod pages;
pub mod password;
pub mod sealed;
pub mod service;
pub mod session;
pub mod session_cache;
pub mod throttle;
pub mod token;
pub mod two_factor;

pub use api::api_router;

pub fn router() -> axum::Router<crate::state::AppState> {
    pages::router().merge(account::router())
}
