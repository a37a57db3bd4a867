//! Billing (issue 19): the monthly run that invoices every customer once per month, invoices and
//! the customer ledger. Money rules are plain functions in `aglis_core::{billing, ppn, proration,
//! ledger, invoice}`; this feature reads and writes them.

pub mod adjust;
pub mod adjust_pages;
pub mod api;
pub mod charts;
pub mod collections;
pub mod confirmations;
#[cfg(feature = "demo")]
pub mod demo_gateways;
#[cfg(feature = "demo")]
pub mod demo_prepaid;
#[cfg(feature = "demo")]
pub mod demo_seed;
pub mod manual;
pub mod online;
pub mod pages;
pub mod pauses;
pub mod pay_page;
pub mod payments_api;
pub mod payments_pages;
pub mod pdf;
pub mod prepaid;
pub mod profile;
pub mod reconcile;
pub mod reminders;
pub mod run;
pub mod runs;
pub mod runs_pages;
pub mod settings_page;
pub mod suspension;
pub mod true_up;
pub mod webhooks;

/// The billing API: the run, invoices, statements, payments.
pub fn api_router() -> utoipa_axum::router::OpenApiRouter<AppState> {
    api::api_router()
        .merge(payments_api::api_router())
        .merge(suspension::api_router())
        .merge(pdf::api_router())
        .merge(pauses::api_router())
        .merge(adjust::api_router())
}

/// The billing pages: collections, invoices, payments, aging, the gateway log, statements, and
/// the public pay page.
pub fn router() -> axum::Router<AppState> {
    pay_page::router()
        .merge(pdf::router())
        .merge(pages::router())
        .merge(collections::router())
        .merge(payments_pages::router())
        .merge(settings_page::router())
        .merge(runs_pages::router())
        .merge(pauses::router())
        .merge(adjust_pages::router())
}

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
