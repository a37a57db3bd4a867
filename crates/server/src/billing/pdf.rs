//! An invoice as PDF, in its customer's language: `GET /api/v1/invoices/{id}/pdf` for staff and
//! `/pay/{number}/pdf?k=…` for the customer (the pay link's key). Typeset in-process by
//! `aglis-pdf` (typst, fonts in the binary) on a blocking thread.

use super::profile;
use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult};
use crate::extract::{ApiQuery, IdPath};
use crate::i18n::Lang;
use crate::state::AppState;
use aglis_core::billing::{long_date, month_name};
use aglis_core::invoice::InvoiceStatus;
use aglis_core::notification_catalog::Language;
use aglis_db::repo::{customers, invoices};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::Datelike;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(invoice_pdf))
}

pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/pay/{number}/pdf", axum::routing::get(customer_pdf))
}

/// Invoice `inv` typeset.
pub async fn render(state: &AppState, inv: &invoices::Invoice) -> AppResult<Vec<u8>> {
    let lines = invoices::lines(&state.reads, inv.id).await?;
    let customer = customers::get(&state.reads, inv.customer_id).await?;
    let p = profile::load(&state.reads).await?;
    let language = customer.as_ref().map_or(Language::Id, |c| c.language);
    let lang = Lang::from(language);
    let period = inv
        .period
        .as_deref()
        .and_then(aglis_core::proration::Period::parse)
        .map(|p| format!("{} {}", month_name(language, p.start), p.start.year()));
    let doc = aglis_pdf::InvoiceDoc {
        lang: if lang == Lang::Id { aglis_pdf::Lang::Id } else { aglis_pdf::Lang::En },
        company: aglis_pdf::Company {
            name: p.company_name.clone(),
            address: p.address.clone(),
            npwp: p.npwp.clone(),
            phone: p.phone.clone(),
            email: p.email.clone(),
            logo: profile::load_logo(&state.reads).await?,
        },
        number: inv.number.clone(),
        issued_on: long_date(language, inv.issued_on),
        due_on: long_date(language, inv.due_on),
        period,
        status: lang.t(&format!("invoice.status.{}", inv.status.as_str())).to_owned(),
        paid_stamp: inv.status == InvoiceStatus::Paid,
        customer_name: customer.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
        customer_code: customer.as_ref().map(|c| c.code.clone()).unwrap_or_default(),
        customer_address: customer.as_ref().map(|c| format!("{}, {}", c.address, c.city)).unwrap_or_default(),
        customer_phone: customer.as_ref().map(|c| crate::pages::local_phone(&c.phone)).unwrap_or_default(),
        lines: lines
            .into_iter()
            .map(|l| aglis_pdf::Line {
                description: l.description,
                quantity: i64::from(l.quantity),
                unit_price: l.unit_price,
                amount: l.amount,
            })
            .collect(),
        subtotal: inv.subtotal,
        discount: inv.discount,
        dpp: inv.dpp,
        dpp_nilai_lain: inv.dpp_nilai_lain,
        ppn_rate: inv.ppn_rate,
        ppn: inv.ppn,
        total: inv.total,
        paid: inv.paid,
        credited: inv.credited,
        balance_due: (inv.total - inv.paid).max(0),
        pay_url: if inv.status == InvoiceStatus::Paid {
            String::new()
        } else {
            super::online::pay_link(state, &inv.number)
        },
        payment_instructions: p.instructions(),
    };
    tokio::task::spawn_blocking(move || aglis_pdf::render_invoice(&doc))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("the PDF renderer stopped: {e}")))?
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
}

fn pdf_response(number: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, format!("inline; filename=\"{number}.pdf\"")),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// The invoice as PDF, in its customer's language.
#[utoipa::path(get, path = "/api/v1/invoices/{id}/pdf", tag = "billing", params(("id" = i64, Path,)),
    security(("bearer" = [])),
    responses((status = 200, description = "The invoice", content_type = "application/pdf", body = Vec<u8>),))]
async fn invoice_pdf(
    State(state): State<AppState>,
    _staff: Staff<perm::BillingView>,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    let inv = invoices::get(&state.reads, id).await?.ok_or_else(|| AppError::not_found("invoice"))?;
    Ok(pdf_response(&inv.number, render(&state, &inv).await?))
}

#[derive(Debug, Deserialize)]
struct KeyQuery {
    #[serde(default)]
    k: String,
}

async fn customer_pdf(
    State(state): State<AppState>,
    Path(number): Path<String>,
    ApiQuery(q): ApiQuery<KeyQuery>,
) -> AppResult<Response> {
    let inv = super::pay_page::invoice_for(&state, &number, &q.k).await?;
    Ok(pdf_response(&inv.number, render(&state, &inv).await?))
}
