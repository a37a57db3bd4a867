//! The billing staff pages: `/billing/invoices` (filters, search by number or customer, pager),
//! `/billing/invoices/{id}` (lines, tax as the law prints it, payments, online checkouts and their
//! callbacks, the pay link) and `/customers/{id}/statement` (the ledger with its running balance).

use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult};
use crate::extract::{ApiQuery, IdPath};
use crate::listing::Paging;
use crate::pages::{Shell, render};
use crate::state::AppState;
use aglis_core::invoice::InvoiceStatus;
use aglis_core::ledger::{self, EntryKind};
use aglis_core::proration::Period;
use aglis_db::entity::{ledger_entries, webhook_events};
use aglis_db::repo::customer_search::{self, CustomerQuery};
use aglis_db::repo::customers::{self, Customer};
use aglis_db::repo::invoices::{self, Invoice, InvoiceQuery, Line};
use aglis_db::repo::payment_checkouts::{self, Checkout};
use aglis_db::repo::payments::{self, InvoicePayment};
use aglis_db::repo::{ledger as ledger_repo, webhook_events as events_repo};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/billing/invoices", get(list))
        .route("/billing/invoices/{id}", get(show))
        .route("/customers/{id}/statement", get(statement))
}

#[derive(Debug, Deserialize, Default)]
struct ListParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    period: String,
    page: Option<u64>,
}

impl ListParams {
    fn query_string(&self) -> String {
        let pairs: Vec<(&str, &str)> = [("q", &self.q), ("status", &self.status), ("period", &self.period)]
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| (k, v.trim()))
            .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

pub(super) struct Row {
    pub invoice: Invoice,
    pub customer: String,
}

#[derive(Template)]
#[template(path = "billing/invoices.html")]
struct ListPage {
    shell: Shell,
    rows: Vec<Row>,
    total: u64,
    total_exact: bool,
    page: u64,
    pages: u64,
    base_query: String,
    f: ListParams,
    statuses: Vec<InvoiceStatus>,
    /// The months that can be picked, newest first.
    periods: Vec<String>,
    filtered: bool,
    error: Option<String>,
}

/// `(id → name)` of the invoices' customers.
pub(super) async fn with_names(state: &AppState, list: Vec<Invoice>) -> AppResult<Vec<Row>> {
    let ids: Vec<i64> = list.iter().map(|i| i.customer_id).collect();
    let names: HashMap<i64, String> = customers::names(&state.reads, &ids).await?.into_iter().collect();
    Ok(list
        .into_iter()
        .map(|invoice| Row { customer: names.get(&invoice.customer_id).cloned().unwrap_or_default(), invoice })
        .collect())
}

fn recent_periods(state: &AppState) -> Vec<String> {
    let today = state.now().with_timezone(&aglis_core::schedule::JAKARTA).date_naive();
    let mut p = Period::containing(today).next();
    let mut out = Vec::new();
    for _ in 0..14 {
        out.push(p.to_string());
        p = p.previous();
    }
    out
}

async fn list(
    State(state): State<AppState>,
    shell: Shell,
    _staff: Staff<perm::BillingView>,
    ApiQuery(f): ApiQuery<ListParams>,
) -> AppResult<Response> {
    let paging = Paging::parse(f.page, None)?;
    let status = f.status.parse::<InvoiceStatus>().ok();
    let period = Period::parse(f.period.trim());
    let q = f.q.trim();
    let mut error = None;
    let mut query = InvoiceQuery { status, period, page: paging.page, per_page: paging.per_page, ..Default::default() };
    if q.to_ascii_uppercase().starts_with("INV") {
        query.number = Some(q.chars().take(20).collect());
    } else if !q.is_empty() {
        // A customer: their name, code or phone number.
        let found = customer_search::list(
            &state.reads,
            &CustomerQuery { q: Some(q.to_owned()), page: 1, per_page: 200, ..Default::default() },
        )
        .await;
        match found {
            Ok(found) => query.customer_ids = Some(found.items.into_iter().map(|c| c.id).collect()),
            Err(_) => {
                error = Some(shell.t("billing.search_invalid").to_owned());
                query.customer_ids = Some(Vec::new());
            }
        }
    }
    let (items, total, exact) = invoices::list(&state.reads, &query).await?;
    let page = ListPage {
        rows: with_names(&state, items).await?,
        total,
        total_exact: exact,
        page: paging.page,
        pages: paging.pages(total),
        base_query: f.query_string(),
        filtered: !f.query_string().is_empty(),
        statuses: InvoiceStatus::ALL.to_vec(),
        periods: recent_periods(&state),
        f,
        error,
        shell,
    };
    render(&page)
}

/// A stored callback as the invoice page shows it.
struct Callback {
    event: webhook_events::Model,
    /// Pretty-printed JSON (the raw body when it is not JSON).
    pretty: String,
}

#[derive(Template)]
#[template(path = "billing/invoice.html")]
pub(super) struct InvoicePage {
    shell: Shell,
    invoice: Invoice,
    customer: Option<Customer>,
    lines: Vec<Line>,
    payments: Vec<InvoicePayment>,
    /// Its credit notes (ledger entries), oldest first, with who wrote each.
    credits: Vec<(ledger_entries::Model, String)>,
    checkouts: Vec<Checkout>,
    callbacks: Vec<Callback>,
    pay_link: String,
    /// Billing managers see the credit note form.
    can_credit: bool,
    errors: crate::error::FieldErrors,
    /// The credit note form as typed (after an error).
    credit_amount: String,
    credit_reason: String,
    /// Just credited: the notice.
    credited: bool,
}

impl InvoicePage {
    fn owed(&self) -> i64 {
        (self.invoice.total - self.invoice.paid).max(0)
    }
}

pub(super) fn pretty(raw: &str) -> String {
    serde_json::from_str::<serde_json::Value>(raw)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| raw.to_owned())
}

#[derive(Debug, Deserialize, Default)]
struct ShowParams {
    credited: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    shell: Shell,
    _staff: Staff<perm::BillingView>,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<ShowParams>,
) -> AppResult<Response> {
    let mut page = invoice_page(&state, shell, id, Default::default(), String::new(), String::new()).await?;
    page.credited = q.credited.is_some();
    render(&page)
}

/// The invoice page, with the credit note form's `errors` and what was typed in it.
pub(super) async fn invoice_page(
    state: &AppState,
    shell: Shell,
    id: i64,
    errors: crate::error::FieldErrors,
    credit_amount: String,
    credit_reason: String,
) -> AppResult<InvoicePage> {
    let invoice = invoices::get(&state.reads, id).await?.ok_or_else(|| AppError::not_found("invoice"))?;
    let customer = customers::get(&state.reads, invoice.customer_id).await?;
    let lines = invoices::lines(&state.reads, id).await?;
    let payments = payments::of_invoice(&state.reads, id).await?;
    let checkouts = payment_checkouts::of_invoice(&state.reads, id).await?;
    let ids: Vec<i64> = checkouts.iter().map(|c| c.id).collect();
    let callbacks = events_repo::of_checkouts(&state.reads, &ids)
        .await?
        .into_iter()
        .map(|event| Callback { pretty: pretty(&event.payload), event })
        .collect();
    let pay_link = super::online::pay_link(state, &invoice.number);
    let notes = ledger_repo::of_invoice(&state.reads, id, EntryKind::CreditNote).await?;
    let actors: Vec<i64> = notes.iter().filter_map(|e| e.actor_id).collect();
    let names = aglis_db::repo::users::full_names(&state.reads, &actors).await?;
    let credits = notes
        .into_iter()
        .map(|e| {
            let by = e.actor_id.and_then(|a| names.get(&a).cloned()).unwrap_or_default();
            (e, by)
        })
        .collect();
    let can_credit = shell.user.as_ref().is_some_and(|u| u.role.can(aglis_core::permission::Permission::BillingManage));
    Ok(InvoicePage {
        shell,
        invoice,
        customer,
        lines,
        payments,
        credits,
        checkouts,
        callbacks,
        pay_link,
        can_credit,
        errors,
        credit_amount,
        credit_reason,
        credited: false,
    })
}

/// A ledger entry with the balance after it.
struct StatementRow {
    entry: ledger_entries::Model,
    /// Signed effect on what is owed.
    effect: i64,
    balance: i64,
    invoice_number: Option<String>,
    /// How a payment or refund came, for its label.
    method: Option<aglis_core::payment::PaymentMethod>,
}

#[derive(Template)]
#[template(path = "billing/statement.html")]
struct StatementPage {
    shell: Shell,
    customer: Customer,
    rows: Vec<StatementRow>,
    balance: i64,
    open: Vec<Invoice>,
}

async fn statement(
    State(state): State<AppState>,
    shell: Shell,
    _staff: Staff<perm::BillingView>,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    let customer = customers::get(&state.reads, id).await?.ok_or_else(|| AppError::not_found("customer"))?;
    let entries = ledger_repo::of_customer(&state.reads, id).await?;
    let pairs: Vec<(EntryKind, i64)> = entries.iter().map(|e| (e.kind, e.amount)).collect();
    let running = ledger::running_balance(&pairs);
    let (all, _, _) = invoices::list(
        &state.reads,
        &InvoiceQuery { customer_id: Some(id), page: 1, per_page: 500, ..Default::default() },
    )
    .await?;
    let numbers: HashMap<i64, String> = all.iter().map(|i| (i.id, i.number.clone())).collect();
    let methods: HashMap<i64, aglis_core::payment::PaymentMethod> =
        payments::of_customer(&state.reads, id).await?.into_iter().map(|p| (p.id, p.method)).collect();
    let open = all
        .iter()
        .filter(|i| matches!(i.status, InvoiceStatus::Open | InvoiceStatus::Partial | InvoiceStatus::Overdue))
        .cloned()
        .collect();
    let mut rows: Vec<StatementRow> = entries
        .into_iter()
        .zip(running.iter().copied())
        .map(|(entry, balance)| StatementRow {
            effect: entry.kind.effect(entry.amount),
            balance,
            invoice_number: entry.invoice_id.and_then(|i| numbers.get(&i).cloned()),
            method: entry.payment_id.and_then(|p| methods.get(&p).copied()),
            entry,
        })
        .collect();
    // Newest first on screen; the balance column still reads as of each entry.
    rows.reverse();
    render(&StatementPage { shell, customer, balance: running.last().copied().unwrap_or(0), rows, open })
}
