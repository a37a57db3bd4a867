//! The forms of [`super::adjust`]: `/billing/invoices/new` (a manual invoice for a customer, up to
//! five lines on screen) and the credit note form on an invoice's page
//! (`POST /billing/invoices/{id}/credit-notes`). Billing managers only.

use super::adjust;
use crate::audit::RequestMeta;
use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::{ApiForm, ApiQuery, IdPath};
use crate::i18n::msg;
use crate::pages::{Shell, render};
use crate::state::AppState;
use crate::validation::push;
use aglis_core::manual_invoice::LineIn;
use aglis_core::money::Rupiah;
use aglis_db::repo::customers;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/billing/invoices/new", get(new_form).post(create))
        .route("/billing/invoices/{id}/credit-notes", post(credit))
}

/// Lines the form shows; blank ones are left out.
const ROWS: usize = 5;

#[derive(Debug, Deserialize, Default)]
struct NewParams {
    customer: Option<i64>,
}

/// The form as typed: flat fields, one set per line (`description_0`, `quantity_0`, …).
#[derive(Debug, Deserialize, Default, Clone)]
struct InvoiceForm {
    #[serde(default)]
    customer_code: String,
    #[serde(default)]
    due_on: String,
    #[serde(flatten)]
    lines: std::collections::BTreeMap<String, String>,
}

impl InvoiceForm {
    fn cell(&self, name: &str, row: &FormRow) -> String {
        self.value(&row.field(name))
    }

    fn value(&self, field: &str) -> String {
        self.lines.get(field).cloned().unwrap_or_default()
    }
}

/// A line of the form: its index in the field names, and its number on screen.
struct FormRow {
    index: usize,
    number: usize,
    first: bool,
}

impl FormRow {
    fn field(&self, name: &str) -> String {
        format!("{name}_{}", self.index)
    }
}

#[derive(Template)]
#[template(path = "billing/invoice_new.html")]
struct NewPage {
    shell: Shell,
    form: InvoiceForm,
    customer_name: String,
    rows: Vec<FormRow>,
    errors: FieldErrors,
    today: String,
}

fn page(state: &AppState, shell: Shell, form: InvoiceForm, customer_name: String, errors: FieldErrors) -> NewPage {
    let today = state.now().with_timezone(&aglis_core::schedule::JAKARTA).date_naive().to_string();
    let rows = (0..ROWS).map(|index| FormRow { index, number: index + 1, first: index == 0 }).collect();
    NewPage { shell, form, customer_name, rows, errors, today }
}

async fn new_form(
    State(state): State<AppState>,
    shell: Shell,
    _staff: Staff<perm::BillingManage>,
    ApiQuery(p): ApiQuery<NewParams>,
) -> AppResult<Response> {
    let mut form = InvoiceForm::default();
    let mut name = String::new();
    if let Some(c) = match p.customer {
        Some(id) => customers::get(&state.reads, id).await?,
        None => None,
    } {
        form.customer_code = c.code;
        name = c.name;
    }
    form.lines.insert("quantity_0".into(), "1".into());
    render(&page(&state, shell, form, name, FieldErrors::new()))
}

async fn create(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::BillingManage>,
    meta: RequestMeta,
    ApiForm(f): ApiForm<InvoiceForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::new();
    let code = f.customer_code.trim().to_uppercase();
    let customer = customers::by_code(&state.db, &code).await?;
    if customer.is_none() {
        push(&mut errors, "customer_code", msg("val.payment.no_customer", &[]));
    }
    let mut lines = Vec::new();
    for row in 0..ROWS {
        let (d, q, p) = (
            f.value(&format!("description_{row}")),
            f.value(&format!("quantity_{row}")),
            f.value(&format!("unit_price_{row}")),
        );
        if d.trim().is_empty() && p.trim().is_empty() {
            continue;
        }
        let quantity = q.trim().parse::<i32>().unwrap_or(0);
        let unit_price = Rupiah::parse(&p).map(|r| r.0).unwrap_or(0);
        lines.push((row, LineIn { description: d, quantity, unit_price }));
    }
    let due_on = match f.due_on.trim() {
        "" => None,
        raw => match chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                push(&mut errors, "due_on", msg("val.pause.date", &[]));
                None
            }
        },
    };
    let name = customer.as_ref().map(|c| c.name.clone()).unwrap_or_default();
    let result = match customer.filter(|_| errors.is_empty()) {
        Some(c) => {
            let typed: Vec<LineIn> = lines.iter().map(|(_, l)| l.clone()).collect();
            adjust::create(&state, staff.auth(), &meta, c.id, &typed, due_on).await
        }
        None => Err(AppError::fields(errors)),
    };
    match result {
        Ok(invoice) => Ok(Redirect::to(&format!("/billing/invoices/{}", invoice.id)).into_response()),
        Err(AppError::Validation { fields, .. }) => {
            // `lines[i].x` of the typed lines is row `rows[i]` of the form.
            let fields = fields
                .into_iter()
                .map(|(k, v)| match k.strip_prefix("lines[").and_then(|r| r.split_once("].")) {
                    Some((i, col)) => {
                        let row = i.parse::<usize>().ok().and_then(|i| lines.get(i)).map_or(0, |(r, _)| *r);
                        (format!("{col}_{row}"), v)
                    }
                    None => (k, v),
                })
                .collect();
            let page = page(&state, shell, f, name, fields);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Deserialize, Default)]
struct CreditForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reason: String,
}

async fn credit(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::BillingManage>,
    meta: RequestMeta,
    IdPath(id): IdPath,
    ApiForm(f): ApiForm<CreditForm>,
) -> AppResult<Response> {
    let amount = Rupiah::parse(&f.amount).map(|r| r.0).unwrap_or(0);
    match adjust::credit(&state, staff.auth(), &meta, id, amount, &f.reason).await {
        Ok(_) => Ok(Redirect::to(&format!("/billing/invoices/{id}?credited=1")).into_response()),
        Err(AppError::Validation { fields, .. }) => {
            let page = super::pages::invoice_page(&state, shell, id, fields, f.amount, f.reason).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e),
    }
}
