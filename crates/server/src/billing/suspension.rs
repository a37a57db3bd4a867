//! `GET /api/v1/billing/suspension-list`: active customers with an invoice overdue for longer than
//! the grace period (`AGLIS_SUSPEND_GRACE_DAYS`), the longest overdue first. The network
//! enforcement feature acts on this list; the page is `/billing/aging?list=suspension`.

use super::collections::grace_cutoff;
use crate::auth::extract::{Staff, perm};
use crate::error::AppResult;
use crate::listing::{Page, PageQuery, Paging};
use crate::state::AppState;
use aglis_core::schedule::JAKARTA;
use aglis_db::repo::billing_stats;
use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(suspension_list))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuspensionOut {
    pub customer_id: i64,
    pub code: String,
    pub name: String,
    /// The due day of the oldest unpaid invoice.
    pub oldest_due: NaiveDate,
    /// Days since then (WIB).
    pub days_overdue: i64,
    /// Everything the customer owes, whole rupiah.
    pub owed: i64,
    /// Unpaid invoices.
    pub invoices: i64,
}

/// Customers to suspend for non-payment, the longest overdue first.
#[utoipa::path(get, path = "/api/v1/billing/suspension-list", tag = "billing", params(PageQuery),
    security(("bearer" = [])), responses((status = 200, body = Page<SuspensionOut>),))]
async fn suspension_list(
    State(state): State<AppState>,
    _staff: Staff<perm::BillingView>,
    paging: Paging,
) -> AppResult<Json<Page<SuspensionOut>>> {
    let today = state.now().with_timezone(&JAKARTA).date_naive();
    let (rows, total) = billing_stats::aging_by_customer(
        &state.reads,
        today,
        Some(grace_cutoff(&state)),
        paging.offset(),
        paging.per_page,
    )
    .await?;
    let items = rows
        .into_iter()
        .map(|r| SuspensionOut {
            days_overdue: (today - r.oldest_due).num_days(),
            owed: r.aging.total(),
            customer_id: r.customer_id,
            code: r.code,
            name: r.name,
            oldest_due: r.oldest_due,
            invoices: r.invoices,
        })
        .collect();
    Ok(Json(Page::new(items, total, paging)))
}
