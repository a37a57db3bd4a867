//! Billing (issue 19): the monthly run that invoices every customer once per month, invoices and
//! the customer ledger. Money rules are plain functions in `aglis_core::{billing, ppn, proration,
//! ledger, invoice}`; this feature reads and writes them.

pub mod api;
#[cfg(feature = "demo")]
pub mod demo_seed;
pub mod run;

pub use api::api_router;

use crate::jobs::registry::JobError;
use crate::state::AppState;
use aglis_core::schedule::JAKARTA;
use aglis_db::repo::invoices;

/// The daily sweep: unpaid invoices past their due day become overdue (08:00 WIB, and once more
/// whenever the scheduler catches up).
pub const OVERDUE_JOB: &str = "billing.mark_overdue";

pub async fn overdue_job(state: AppState, _payload: serde_json::Value) -> Result<(), JobError> {
    let now = state.now();
    let marked = invoices::mark_overdue(&state.db, now.with_timezone(&JAKARTA).date_naive(), now).await?;
    tracing::info!(marked, "invoices past due marked overdue");
    Ok(())
}
