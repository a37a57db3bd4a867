//! Billing (issue 19): the monthly run that invoices every customer once per month, invoices and
//! the customer ledger. Money rules are plain functions in `aglis_core::{billing, ppn, proration,
//! ledger, invoice}`; this feature reads and writes them.

pub mod api;
#[cfg(feature = "demo")]
pub mod demo_seed;
pub mod run;

pub use api::api_router;
