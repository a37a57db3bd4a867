//! Invoices made by hand and credit notes, for billing managers. A manual invoice takes the next
//! number of this month's series, PPN as the settings and the customer's or package's exemption
//! say, and its charge in the ledger; a credit note takes part or all of what an unpaid invoice
//! still owes back, as a ledger entry linked to the invoice. Both are audited.
//!
//! `POST /api/v1/invoices`, `POST /api/v1/invoices/{id}/credit-notes`.

use super::api::InvoiceOut;
use crate::audit::{self, Entry, RequestMeta};
use crate::auth::extract::{Staff, perm};
use crate::auth::session::Authenticated;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::{ApiJson, IdPath};
use crate::i18n::msg;
use crate::state::AppState;
use crate::validation::push;
use aglis_core::audit::{AuditEvent, AuditResult};
use aglis_core::invoice::InvoiceKind;
use aglis_core::ledger::EntryKind;
use aglis_core::manual_invoice::{
    self, CreditError, DESCRIPTION, LineError, LineIn, MAX_LINES, MAX_QUANTITY, MAX_UNIT_PRICE,
};
use aglis_core::money::Rupiah;
use aglis_core::proration::Period;
use aglis_core::schedule::JAKARTA;
use aglis_db::repo::invoices::{self, Invoice, NewInvoice};
use aglis_db::repo::ledger::{self, NewEntry};
use aglis_db::repo::{customers, packages};
use aglis_db::{DbError, TransactionTrait};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The credit note route; `POST /api/v1/invoices` ([`create_invoice`]) shares its path with the
/// invoice list, so `super::api` registers the two together.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(credit_note))
}

/// A line's description or a credit note's reason: 2–300 characters once trimmed.
fn line_text() -> utoipa::openapi::schema::ObjectBuilder {
    crate::schemas::text(DESCRIPTION.0, DESCRIPTION.1)
}

/// The latest due day a manual invoice may have, in days from today.
const MAX_DUE_DAYS: u64 = 90;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    /// E.g. "Router ZTE F670L" or "Relokasi ODP".
    #[schema(schema_with = line_text)]
    pub description: String,
    #[schema(minimum = 1, maximum = 1000)]
    pub quantity: i32,
    /// Whole rupiah before PPN.
    #[schema(minimum = 1, maximum = 100_000_000)]
    pub unit_price: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManualInvoiceIn {
    #[schema(minimum = 1)]
    pub customer_id: i64,
    #[schema(min_items = 1, max_items = 20)]
    pub lines: Vec<LineInput>,
    /// Today to 90 days ahead (WIB); the billing settings' due days from today when left out.
    pub due_on: Option<NaiveDate>,
}

fn today(state: &AppState) -> NaiveDate {
    state.now().with_timezone(&JAKARTA).date_naive()
}

fn line_errors(errors: &mut FieldErrors, found: Vec<LineError>) {
    for e in found {
        match e {
            LineError::NoLines => push(errors, "lines", msg("val.invoice.no_lines", &[])),
            LineError::TooManyLines => push(errors, "lines", msg("val.invoice.too_many_lines", &[("max", &MAX_LINES)])),
            LineError::Description(i) => push(
                errors,
                &format!("lines[{i}].description"),
                msg("val.length", &[("min", &DESCRIPTION.0), ("max", &DESCRIPTION.1)]),
            ),
            LineError::Quantity(i) => {
                push(errors, &format!("lines[{i}].quantity"), msg("val.invoice.quantity", &[("max", &MAX_QUANTITY)]))
            }
            LineError::UnitPrice(i) => push(
                errors,
                &format!("lines[{i}].unit_price"),
                msg("val.invoice.unit_price", &[("max", &Rupiah(MAX_UNIT_PRICE))]),
            ),
        }
    }
}

/// Writes a manual invoice for `customer_id`.
pub async fn create(
    state: &AppState,
    auth: &Authenticated,
    meta: &RequestMeta,
    customer_id: i64,
    lines: &[LineIn],
    due_on: Option<NaiveDate>,
) -> AppResult<Invoice> {
    let customer = customers::get(&state.db, customer_id)
        .await?
        .ok_or_else(|| AppError::field("customer_id", msg("val.invoice.no_customer", &[])))?;
    let today = today(state);
    let settings = super::profile::load(&state.db).await?.rules();
    let mut errors = FieldErrors::new();
    let planned = manual_invoice::check_lines(lines).map_err(|e| line_errors(&mut errors, e)).ok();
    let due = due_on.unwrap_or(today + Days::new(u64::from(settings.due_days)));
    if due < today || due > today + Days::new(MAX_DUE_DAYS) {
        push(&mut errors, "due_on", msg("val.invoice.due_on", &[("days", &MAX_DUE_DAYS)]));
    }
    let Some(planned) = planned.filter(|_| errors.is_empty()) else { return Err(AppError::fields(errors)) };
    let package_exempt = packages::get(&state.db, customer.package_id).await?.is_some_and(|p| p.tax_exempt);
    let subtotal = Rupiah(planned.iter().map(|l| l.amount.0).sum());
    let tax = settings.ppn.apply(subtotal, customer.tax_exempt || package_exempt);
    let period = Period::containing(today);
    let now = state.now();
    let txn = state.db.begin().await.map_err(DbError::from)?;
    let floor = invoices::highest_number(&txn, period).await?;
    let number = invoices::next_number(&txn, period, floor.as_deref())
        .await?
        .map_err(|full| AppError::conflict(full.to_string()))?;
    let new = NewInvoice {
        customer_id,
        kind: InvoiceKind::Manual,
        period: None,
        issued_on: today,
        due_on: due,
        lines: planned,
        discount: 0,
        tax,
        credit: 0,
        created_by: Some(auth.user.id),
    };
    let invoice = invoices::create(&txn, &number, new, now).await?;
    // Money paid ahead settles it as far as it goes.
    aglis_db::repo::payments::apply_credit(&txn, invoice.id, today, now).await?;
    let invoice = invoices::get(&txn, invoice.id).await?.ok_or_else(|| AppError::not_found("invoice"))?;
    txn.commit().await.map_err(DbError::from)?;
    let details = serde_json::json!({"customer_id": customer_id, "number": invoice.number, "total": invoice.total});
    let entry = Entry::new(AuditEvent::InvoiceCreated, AuditResult::Success)
        .by(auth)
        .meta(meta)
        .resource(format!("invoice:{}", invoice.id))
        .details(details);
    audit::record(state, entry).await?;
    Ok(invoice)
}

/// Makes an invoice by hand: the next number of this month's series, PPN as the settings say.
#[utoipa::path(post, path = "/api/v1/invoices", tag = "billing", request_body = ManualInvoiceIn,
    security(("bearer" = [])), responses((status = 201, body = InvoiceOut),))]
pub(super) async fn create_invoice(
    State(state): State<AppState>,
    staff: Staff<perm::BillingManage>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<ManualInvoiceIn>,
) -> AppResult<(StatusCode, Json<InvoiceOut>)> {
    let lines: Vec<LineIn> = body
        .lines
        .into_iter()
        .map(|l| LineIn { description: l.description, quantity: l.quantity, unit_price: l.unit_price })
        .collect();
    let invoice = create(&state, staff.auth(), &meta, body.customer_id, &lines, body.due_on).await?;
    Ok((StatusCode::CREATED, Json(invoice.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditNoteIn {
    /// Whole rupiah, at most what the invoice still owes.
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub amount: i64,
    /// E.g. "Gangguan jaringan 3 hari".
    #[schema(schema_with = line_text)]
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreditNoteOut {
    /// The ledger entry of the credit note.
    pub entry_id: i64,
    pub invoice: InvoiceOut,
}

/// Takes `amount` of invoice `id` back with a credit note.
pub async fn credit(
    state: &AppState,
    auth: &Authenticated,
    meta: &RequestMeta,
    id: i64,
    amount: i64,
    reason: &str,
) -> AppResult<(i64, Invoice)> {
    let invoice = invoices::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("invoice"))?;
    if !invoice.status.is_unpaid() {
        return Err(AppError::conflict(msg("val.credit.not_unpaid", &[("status", &invoice.status)])));
    }
    let owed = Rupiah((invoice.total - invoice.paid).max(0));
    if let Err(e) = manual_invoice::check_credit(amount, owed, reason) {
        return Err(match e {
            CreditError::NotPositive => AppError::field("amount", msg("val.credit.amount", &[])),
            CreditError::TooLarge => AppError::field("amount", msg("val.credit.too_large", &[])),
            CreditError::MoreThanOwed(owed) => {
                AppError::field("amount", msg("val.credit.more_than_owed", &[("owed", &owed)]))
            }
            CreditError::Reason => {
                AppError::field("reason", msg("val.length", &[("min", &DESCRIPTION.0), ("max", &DESCRIPTION.1)]))
            }
        });
    }
    let now = state.now();
    let txn = state.db.begin().await.map_err(DbError::from)?;
    if !invoices::credit(&txn, id, amount, today(state), now).await? {
        // Paid or credited meanwhile.
        return Err(AppError::conflict(msg("val.credit.changed", &[])));
    }
    let entry = NewEntry {
        customer_id: invoice.customer_id,
        kind: EntryKind::CreditNote,
        amount,
        invoice_id: Some(id),
        payment_id: None,
        note: format!("{}: {}", invoice.number, reason.trim()),
        actor_id: Some(auth.user.id),
    };
    let written = ledger::add(&txn, entry, now).await?;
    txn.commit().await.map_err(DbError::from)?;
    let details = serde_json::json!({"number": invoice.number, "amount": amount, "reason": reason.trim()});
    let audit_entry = Entry::new(AuditEvent::InvoiceCredited, AuditResult::Success)
        .by(auth)
        .meta(meta)
        .resource(format!("invoice:{id}"))
        .details(details);
    audit::record(state, audit_entry).await?;
    let invoice = invoices::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("invoice"))?;
    Ok((written.id, invoice))
}

/// Takes part or all of what an unpaid invoice still owes back (an outage, a billing mistake).
#[utoipa::path(post, path = "/api/v1/invoices/{id}/credit-notes", tag = "billing", params(("id" = i64, Path,)),
    request_body = CreditNoteIn, security(("bearer" = [])), responses((status = 201, body = CreditNoteOut),))]
async fn credit_note(
    State(state): State<AppState>,
    staff: Staff<perm::BillingManage>,
    meta: RequestMeta,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<CreditNoteIn>,
) -> AppResult<(StatusCode, Json<CreditNoteOut>)> {
    let (entry_id, invoice) = credit(&state, staff.auth(), &meta, id, body.amount, &body.reason).await?;
    Ok((StatusCode::CREATED, Json(CreditNoteOut { entry_id, invoice: invoice.into() })))
}
