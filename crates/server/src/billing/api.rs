//! `/api/v1/billing/runs`, `/api/v1/invoices` and a customer's statement.

use super::run::{self, RunReport};
use crate::audit::{self, Entry, RequestMeta};
use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ApiQuery, IdPath};
use crate::listing::{Page, PageQuery, Paging};
use crate::state::AppState;
use aglis_core::audit::{AuditEvent, AuditResult};
use aglis_core::invoice::{InvoiceKind, InvoiceStatus, LineKind};
use aglis_core::ledger::{self, EntryKind};
use aglis_core::proration::Period;
use aglis_core::schedule::JAKARTA;
use aglis_db::repo::invoices::{self, Invoice, InvoiceQuery, Line};
use aglis_db::repo::{customers, ledger as ledger_repo};
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_run))
        .routes(routes!(list_invoices, super::adjust::create_invoice))
        .routes(routes!(show_invoice))
        .routes(routes!(statement))
}

/// A month, `YYYY-MM`, of the years 2000–2099.
fn period_schema() -> utoipa::openapi::schema::ObjectBuilder {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some("^20[0-9]{2}-(0[1-9]|1[0-2])$"))
        .examples(["2026-12"])
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunIn {
    /// The month to bill: at most next month.
    #[schema(schema_with = period_schema)]
    pub period: String,
    /// Only say what would be created.
    #[serde(default)]
    pub dry_run: bool,
}

/// A month as [`period_schema`] allows it.
fn parse_period(raw: &str) -> AppResult<Period> {
    Period::parse(raw)
        .filter(|p| (2000..=2099).contains(&p.start.year()))
        .ok_or_else(|| AppError::field("period", "the month must be written YYYY-MM, e.g. 2026-12"))
}

/// The month a run may bill: one that has begun, or next month (invoices issued ahead).
pub(crate) fn billable_period(raw: &str, now: DateTime<Utc>) -> AppResult<Period> {
    let period = parse_period(raw)?;
    let next = Period::containing(now.with_timezone(&JAKARTA).date_naive()).next();
    if period > next {
        return Err(AppError::field("period", format!("a run may bill at most next month ({next})")));
    }
    Ok(period)
}

/// Bills every customer for a month (once: a customer billed already is skipped), or with
/// `dry_run` says what it would create.
#[utoipa::path(post, path = "/api/v1/billing/runs", tag = "billing", request_body = RunIn, security(("bearer" = [])),
    responses((status = 200, body = RunReport),))]
async fn start_run(
    State(state): State<AppState>,
    staff: Staff<perm::BillingManage>,
    meta: RequestMeta,
    ApiJson(req): ApiJson<RunIn>,
) -> AppResult<Json<RunReport>> {
    let period = billable_period(&req.period, state.now())?;
    let report = run::run(&state, period, req.dry_run, Some(staff.auth().user.id), None).await?;
    if !report.dry_run && report.created > 0 {
        let details = serde_json::json!({"period": report.period, "created": report.created, "total": report.total});
        let entry = Entry::new(AuditEvent::BillingRun, AuditResult::Success)
            .by(staff.auth())
            .meta(&meta)
            .resource(format!("billing:{}", report.period))
            .details(details);
        audit::record(&state, entry).await?;
    }
    Ok(Json(report))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceOut {
    pub id: i64,
    /// `INV-YYYYMM-NNNNNN`.
    pub number: String,
    pub customer_id: i64,
    #[schema(inline)]
    pub kind: InvoiceKind,
    /// `YYYY-MM` of a recurring invoice.
    pub period: Option<String>,
    #[schema(inline)]
    pub status: InvoiceStatus,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    /// Whole rupiah: the lines' sum.
    pub subtotal: i64,
    pub discount: i64,
    /// The taxable amount (DPP).
    pub dpp: i64,
    /// 11/12 of the DPP, when PPN is charged on that base.
    pub dpp_nilai_lain: Option<i64>,
    /// Per cent; 0 when no PPN is charged.
    pub ppn_rate: i32,
    pub ppn: i64,
    pub total: i64,
    /// Settled so far: payments and credit notes.
    pub paid: i64,
    /// The part of `paid` that credit notes settled.
    pub credited: i64,
    /// What is still owed.
    pub outstanding: i64,
    pub created_at: DateTime<Utc>,
}

impl From<Invoice> for InvoiceOut {
    fn from(i: Invoice) -> Self {
        InvoiceOut {
            outstanding: (i.total - i.paid).max(0),
            id: i.id,
            number: i.number,
            customer_id: i.customer_id,
            kind: i.kind,
            period: i.period,
            status: i.status,
            issued_on: i.issued_on,
            due_on: i.due_on,
            subtotal: i.subtotal,
            discount: i.discount,
            dpp: i.dpp,
            dpp_nilai_lain: i.dpp_nilai_lain,
            ppn_rate: i.ppn_rate,
            ppn: i.ppn,
            total: i.total,
            paid: i.paid,
            credited: i.credited,
            created_at: i.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LineOut {
    #[schema(inline)]
    pub kind: LineKind,
    pub description: String,
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
    /// Days billed, for a prorated line.
    pub days: Option<i32>,
    pub quantity: i32,
    pub unit_price: i64,
    pub amount: i64,
}

impl From<Line> for LineOut {
    fn from(l: Line) -> Self {
        LineOut {
            kind: l.kind,
            description: l.description,
            first_day: l.first_day,
            last_day: l.last_day,
            days: l.days,
            quantity: l.quantity,
            unit_price: l.unit_price,
            amount: l.amount,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceDetail {
    #[serde(flatten)]
    pub invoice: InvoiceOut,
    pub lines: Vec<LineOut>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvoiceParams {
    /// The start of an invoice number, e.g. `INV-202612`.
    #[param(max_length = 20)]
    pub q: Option<String>,
    #[param(inline)]
    pub status: Option<InvoiceStatus>,
    /// `YYYY-MM`.
    #[param(schema_with = period_schema)]
    pub period: Option<String>,
    #[param(minimum = 1)]
    pub customer_id: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/invoices", tag = "billing", params(InvoiceParams, PageQuery),
    security(("bearer" = [])), responses((status = 200, body = Page<InvoiceOut>),))]
async fn list_invoices(
    State(state): State<AppState>,
    _staff: Staff<perm::BillingView>,
    ApiQuery(p): ApiQuery<InvoiceParams>,
    paging: Paging,
) -> AppResult<Json<Page<InvoiceOut>>> {
    let period = p.period.as_deref().map(parse_period).transpose()?;
    if p.q.as_ref().is_some_and(|q| q.chars().count() > 20) {
        return Err(AppError::field("q", "an invoice number has at most 20 characters"));
    }
    if p.customer_id.is_some_and(|c| c < 1) {
        return Err(AppError::field("customer_id", "a customer id is a number from 1"));
    }
    let q = InvoiceQuery {
        customer_id: p.customer_id,
        customer_ids: None,
        status: p.status,
        period,
        number: p.q,
        issued_only: false,
        page: paging.page,
        per_page: paging.per_page,
    };
    let (items, total, exact) = invoices::list(&state.reads, &q).await?;
    Ok(Json(Page::capped(items.into_iter().map(InvoiceOut::from).collect(), total, exact, paging)))
}

#[utoipa::path(get, path = "/api/v1/invoices/{id}", tag = "billing", params(("id" = i64, Path,)),
    security(("bearer" = [])), responses((status = 200, body = InvoiceDetail),))]
async fn show_invoice(
    State(state): State<AppState>,
    _staff: Staff<perm::BillingView>,
    IdPath(id): IdPath,
) -> AppResult<Json<InvoiceDetail>> {
    let invoice = invoices::get(&state.reads, id).await?.ok_or_else(|| AppError::not_found("invoice"))?;
    let lines = invoices::lines(&state.reads, id).await?.into_iter().map(LineOut::from).collect();
    Ok(Json(InvoiceDetail { invoice: invoice.into(), lines }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EntryOut {
    pub id: i64,
    #[schema(inline)]
    pub kind: EntryKind,
    /// Whole rupiah as stored (positive, a correction carries its sign).
    pub amount: i64,
    /// What the customer owes after this entry (negative: in credit).
    pub balance: i64,
    pub invoice_id: Option<i64>,
    pub payment_id: Option<i64>,
    pub note: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatementOut {
    pub customer_id: i64,
    /// What the customer owes now (negative: in credit).
    pub balance: i64,
    /// Oldest first.
    pub entries: Vec<EntryOut>,
}

/// A customer's ledger with the running balance.
#[utoipa::path(get, path = "/api/v1/customers/{id}/statement", tag = "billing", params(("id" = i64, Path,)),
    security(("bearer" = [])), responses((status = 200, body = StatementOut),))]
async fn statement(
    State(state): State<AppState>,
    _staff: Staff<perm::BillingView>,
    IdPath(id): IdPath,
) -> AppResult<Json<StatementOut>> {
    customers::get(&state.reads, id).await?.ok_or_else(|| AppError::not_found("customer"))?;
    Ok(Json(statement_of(&state.reads, id).await?))
}

/// Customer `id`'s ledger, oldest first, with the balance after each entry.
pub async fn statement_of(conn: &impl sea_orm::ConnectionTrait, id: i64) -> AppResult<StatementOut> {
    let rows = ledger_repo::of_customer(conn, id).await?;
    let pairs: Vec<(EntryKind, i64)> = rows.iter().map(|r| (r.kind, r.amount)).collect();
    let running = ledger::running_balance(&pairs);
    let entries = rows
        .into_iter()
        .zip(running.iter().copied())
        .map(|(r, balance)| EntryOut {
            id: r.id,
            kind: r.kind,
            amount: r.amount,
            balance,
            invoice_id: r.invoice_id,
            payment_id: r.payment_id,
            note: r.note,
            at: r.at,
        })
        .collect();
    Ok(StatementOut { customer_id: id, balance: running.last().copied().unwrap_or(0), entries })
}
