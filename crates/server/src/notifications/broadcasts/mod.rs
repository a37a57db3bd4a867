//! Broadcasts to customers (issue 22): an outage or maintenance notice to every customer of an
//! ODP, an area or a package, in each customer's language, through the queue at low priority.
//! The broadcast, its messages and their delivery jobs are written in one transaction, so a
//! broadcast that was acknowledged has all its messages queued, whatever crashes afterwards.

pub mod api;
#[cfg(feature = "demo")]
pub mod demo_seed;
pub mod pages;
pub mod service;

pub use api::api_router;
pub use pages::router;
