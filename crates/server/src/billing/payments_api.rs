//! `/api/v1/payments`: the payments list, recording money received by hand, and finance's
//! verification or rejection of it.

use super::manual::{self, ManualPaymentIn};
use crate::audit::RequestMeta;
use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ApiQuery, IdPath};
use crate::listing::{Page, PageQuery, Paging};
use crate::state::AppState;
use aglis_core::payment::{PaymentMethod, PaymentStatus};
use aglis_db::repo::payments::{self, Payment, PaymentQuery};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, record)).routes(routes!(verify)).routes(routes!(reject))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentOut {
    pub id: i64,
    pub customer_id: i64,
    pub invoice_id: Option<i64>,
    #[schema(inline)]
    pub method: PaymentMethod,
    pub amount: i64,
    #[schema(inline)]
    pub status: PaymentStatus,
    pub gateway: Option<String>,
    /// The gateway's transaction id.
    pub gateway_ref: Option<String>,
    pub entered_by: Option<i64>,
    pub verified_by: Option<i64>,
    pub received_at: DateTime<Utc>,
    pub verified_at: Option<DateTime<Utc>>,
    pub note: String,
}

impl From<Payment> for PaymentOut {
    fn from(p: Payment) -> Self {
        PaymentOut {
            id: p.id,
            customer_id: p.customer_id,
            invoice_id: p.invoice_id,
            method: p.method,
            amount: p.amount,
            status: p.status,
            gateway: p.gateway,
            gateway_ref: p.gateway_ref,
            entered_by: p.entered_by,
            verified_by: p.verified_by,
            received_at: p.received_at,
            verified_at: p.verified_at,
            note: p.note,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PaymentParams {
    #[param(inline)]
    pub status: Option<PaymentStatus>,
    #[param(inline)]
    pub method: Option<PaymentMethod>,
    #[param(minimum = 1)]
    pub customer_id: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/payments", tag = "billing", params(PaymentParams, PageQuery),
    security(("bearer" = [])), responses((status = 200, body = Page<PaymentOut>),))]
async fn list(
    State(state): State<AppState>,
    _staff: Staff<perm::BillingView>,
    ApiQuery(p): ApiQuery<PaymentParams>,
    paging: Paging,
) -> AppResult<Json<Page<PaymentOut>>> {
    if p.customer_id.is_some_and(|c| c < 1) {
        return Err(AppError::field("customer_id", "a customer id is a number from 1"));
    }
    let q = PaymentQuery {
        status: p.status,
        method: p.method,
        customer_id: p.customer_id,
        customer_ids: None,
        page: paging.page,
        per_page: paging.per_page,
    };
    let (items, total, exact) = payments::list(&state.reads, &q).await?;
    Ok(Json(Page::capped(items.into_iter().map(PaymentOut::from).collect(), total, exact, paging)))
}

/// Records money received by hand; it counts once finance verifies it.
#[utoipa::path(post, path = "/api/v1/payments", tag = "billing", request_body = ManualPaymentIn,
    security(("bearer" = [])), responses((status = 201, body = PaymentOut),))]
async fn record(
    State(state): State<AppState>,
    staff: Staff<perm::PaymentsEnter>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<ManualPaymentIn>,
) -> AppResult<(StatusCode, Json<PaymentOut>)> {
    let p = manual::enter(&state, staff.auth(), &meta, body).await?;
    Ok((StatusCode::CREATED, Json(p.into())))
}

/// Part of a payment applied to one invoice.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppliedPart {
    pub invoice_id: i64,
    /// Whole rupiah.
    pub amount: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerifiedOut {
    /// The invoices paid, in the order paid.
    pub invoices: Vec<AppliedPart>,
    /// Left over as the customer's credit.
    pub credit: i64,
}

/// Finance confirms the money arrived: into the ledger and onto the invoices.
#[utoipa::path(post, path = "/api/v1/payments/{id}/verify", tag = "billing", params(("id" = i64, Path,)),
    security(("bearer" = [])), responses((status = 200, body = VerifiedOut),))]
async fn verify(
    State(state): State<AppState>,
    staff: Staff<perm::PaymentsVerify>,
    meta: RequestMeta,
    IdPath(id): IdPath,
) -> AppResult<Json<VerifiedOut>> {
    let applied = manual::verify(&state, staff.auth(), &meta, id).await?;
    let invoices =
        applied.invoices.into_iter().map(|(invoice_id, amount)| AppliedPart { invoice_id, amount }).collect();
    Ok(Json(VerifiedOut { invoices, credit: applied.credit }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectIn {
    /// Why: e.g. "tidak ada di mutasi rekening".
    #[schema(min_length = 1, max_length = 300)]
    pub reason: String,
}

/// Finance found no such money: the payment counts for nothing.
#[utoipa::path(post, path = "/api/v1/payments/{id}/reject", tag = "billing", params(("id" = i64, Path,)),
    request_body = RejectIn, security(("bearer" = [])), responses((status = 204),))]
async fn reject(
    State(state): State<AppState>,
    staff: Staff<perm::PaymentsVerify>,
    meta: RequestMeta,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<RejectIn>,
) -> AppResult<StatusCode> {
    manual::reject(&state, staff.auth(), &meta, id, &body.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}
