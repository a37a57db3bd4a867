//! `/billing/payments`: every payment (filters, search by customer, pager) with finance's verify
//! and reject buttons on the ones waiting, and `/billing/payments/new`: the form customer service
//! records money received by hand with (opened from an invoice, it is filled in).

use super::manual::{self, ManualPaymentIn};
use crate::audit::RequestMeta;
use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::{ApiForm, ApiQuery, IdPath};
use crate::listing::Paging;
use crate::pages::{Shell, render};
use crate::state::AppState;
use aglis_core::payment::{PaymentMethod, PaymentStatus};
use aglis_core::permission::Permission;
use aglis_db::repo::customer_search::{self, CustomerQuery};
use aglis_db::repo::payments::{self, Payment, PaymentQuery};
use aglis_db::repo::{customers, invoices};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/billing/payments", get(list).post(record))
        .route("/billing/payments/new", get(new_form))
        .route("/billing/payments/{id}/verify", post(verify))
        .route("/billing/payments/{id}/reject", post(reject))
}

#[derive(Debug, Deserialize, Default)]
struct ListParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    method: String,
    page: Option<u64>,
    /// A notice after an action: `recorded`, `verified`, `rejected`.
    #[serde(default)]
    done: String,
}

impl ListParams {
    fn query_string(&self) -> String {
        let pairs: Vec<(&str, &str)> = [("q", &self.q), ("status", &self.status), ("method", &self.method)]
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| (k, v.trim()))
            .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

struct Row {
    p: Payment,
    customer: String,
}

#[derive(Template)]
#[template(path = "billing/payments.html")]
struct ListPage {
    shell: Shell,
    rows: Vec<Row>,
    total: u64,
    total_exact: bool,
    page: u64,
    pages: u64,
    base_query: String,
    f: ListParams,
    filtered: bool,
    statuses: &'static [PaymentStatus],
    methods: &'static [PaymentMethod],
    can_verify: bool,
    can_enter: bool,
    my_id: i64,
    is_admin: bool,
    error: Option<String>,
}

async fn list_page(
    state: &AppState,
    shell: Shell,
    staff_id: i64,
    f: ListParams,
    error: Option<String>,
) -> AppResult<ListPage> {
    let paging = Paging::parse(f.page, None)?;
    let mut q = PaymentQuery {
        status: f.status.parse().ok(),
        method: f.method.parse().ok(),
        page: paging.page,
        per_page: paging.per_page,
        ..Default::default()
    };
    if !f.q.trim().is_empty() {
        let found = customer_search::list(
            &state.reads,
            &CustomerQuery { q: Some(f.q.trim().to_owned()), page: 1, per_page: 200, ..Default::default() },
        )
        .await
        .map(|l| l.items.into_iter().map(|c| c.id).collect())
        .unwrap_or_default();
        q.customer_ids = Some(found);
    }
    let (items, total, exact) = payments::list(&state.reads, &q).await?;
    let ids: Vec<i64> = items.iter().map(|p| p.customer_id).collect();
    let names: HashMap<i64, String> = customers::names(&state.reads, &ids).await?.into_iter().collect();
    let role = shell.user.as_ref().map(|u| u.role);
    Ok(ListPage {
        rows: items
            .into_iter()
            .map(|p| Row { customer: names.get(&p.customer_id).cloned().unwrap_or_default(), p })
            .collect(),
        total,
        total_exact: exact,
        page: paging.page,
        pages: paging.pages(total),
        base_query: f.query_string(),
        filtered: !f.query_string().is_empty(),
        statuses: PaymentStatus::ALL,
        methods: PaymentMethod::ALL,
        can_verify: role.is_some_and(|r| r.can(Permission::PaymentsVerify)),
        can_enter: role.is_some_and(|r| r.can(Permission::PaymentsEnter)),
        my_id: staff_id,
        is_admin: role.is_some_and(|r| r == aglis_core::permission::Role::Admin),
        f,
        error,
        shell,
    })
}

async fn list(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::BillingView>,
    ApiQuery(f): ApiQuery<ListParams>,
) -> AppResult<Response> {
    render(&list_page(&state, shell, staff.auth().user.id, f, None).await?)
}

#[derive(Debug, Deserialize, Default)]
struct NewParams {
    invoice: Option<i64>,
    customer: Option<i64>,
}

/// The form as typed.
#[derive(Debug, Deserialize, Default)]
struct RecordForm {
    #[serde(default)]
    customer_code: String,
    #[serde(default)]
    invoice_number: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    received_on: String,
    #[serde(default)]
    note: String,
}

#[derive(Template)]
#[template(path = "billing/payment_new.html")]
struct NewPage {
    shell: Shell,
    form: RecordForm,
    errors: FieldErrors,
    methods: [PaymentMethod; 3],
    today: String,
    /// What the chosen invoice still owes, as a hint.
    owed: Option<i64>,
}

async fn new_form(
    State(state): State<AppState>,
    shell: Shell,
    _staff: Staff<perm::PaymentsEnter>,
    ApiQuery(p): ApiQuery<NewParams>,
) -> AppResult<Response> {
    let mut form = RecordForm::default();
    let mut owed = None;
    if let Some(inv) = match p.invoice {
        Some(id) => invoices::get(&state.reads, id).await?,
        None => None,
    } {
        form.invoice_number = inv.number.clone();
        form.amount = (inv.total - inv.paid).max(0).to_string();
        owed = Some((inv.total - inv.paid).max(0));
        if let Some(c) = customers::get(&state.reads, inv.customer_id).await? {
            form.customer_code = c.code;
        }
    } else if let Some(c) = match p.customer {
        Some(id) => customers::get(&state.reads, id).await?,
        None => None,
    } {
        form.customer_code = c.code;
    }
    form.method = "bank_transfer".into();
    render(&new_page(&state, shell, form, FieldErrors::new(), owed))
}

fn new_page(state: &AppState, shell: Shell, form: RecordForm, errors: FieldErrors, owed: Option<i64>) -> NewPage {
    let today = state.now().with_timezone(&aglis_core::schedule::JAKARTA).date_naive().to_string();
    NewPage {
        shell,
        form,
        errors,
        methods: [PaymentMethod::BankTransfer, PaymentMethod::Cash, PaymentMethod::Qris],
        today,
        owed,
    }
}

async fn record(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::PaymentsEnter>,
    meta: RequestMeta,
    ApiForm(f): ApiForm<RecordForm>,
) -> AppResult<Response> {
    let mut errors = FieldErrors::new();
    let code = f.customer_code.trim().to_uppercase();
    let customer_id = if code.is_empty() {
        None
    } else {
        match customers::by_code(&state.db, &code).await? {
            Some(c) => Some(c.id),
            None => {
                errors.insert("customer_code".into(), vec![crate::i18n::msg("val.payment.no_customer", &[])]);
                None
            }
        }
    };
    let number = f.invoice_number.trim().to_uppercase();
    let invoice_id = if number.is_empty() {
        None
    } else {
        match invoices::by_number(&state.db, &number).await? {
            Some(i) => Some(i.id),
            None => {
                errors.insert("invoice_number".into(), vec![crate::i18n::msg("val.payment.no_invoice", &[])]);
                None
            }
        }
    };
    let amount = aglis_core::money::Rupiah::parse(&f.amount).map(|r| r.0).unwrap_or(0);
    let received_on = chrono::NaiveDate::parse_from_str(f.received_on.trim(), "%Y-%m-%d").ok();
    if received_on.is_none() && !f.received_on.trim().is_empty() {
        errors.insert("received_on".into(), vec![crate::i18n::msg("val.payment.received_on", &[])]);
    }
    let result = if errors.is_empty() {
        let input = ManualPaymentIn {
            customer_id,
            invoice_id,
            method: f.method.clone(),
            amount,
            received_on,
            note: Some(f.note.clone()),
        };
        manual::enter(&state, staff.auth(), &meta, input).await
    } else {
        Err(AppError::fields(errors))
    };
    match result {
        Ok(_) => Ok(Redirect::to("/billing/payments?status=pending&done=recorded").into_response()),
        Err(AppError::Validation { mut fields, .. }) => {
            // The API's field names, as the form names them.
            for (api, form) in [("customer_id", "customer_code"), ("invoice_id", "invoice_number")] {
                if let Some(m) = fields.remove(api) {
                    fields.entry(form.to_owned()).or_default().extend(m);
                }
            }
            let page = new_page(&state, shell, f, fields, None);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn after(
    state: &AppState,
    shell: Shell,
    staff_id: i64,
    done: &str,
    result: AppResult<()>,
) -> AppResult<Response> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/billing/payments?status=pending&done={done}")).into_response()),
        Err(e @ (AppError::Conflict { .. } | AppError::Validation { .. } | AppError::NotFound(_))) => {
            let status = e.status();
            // A field's message without the API's `field:` prefix, in the page's language.
            let message = match &e {
                AppError::Validation { fields, .. } => shell.all_errors(fields),
                other => shell.say(&other.to_string()),
            };
            let f = ListParams { status: "pending".into(), ..Default::default() };
            let page = list_page(state, shell, staff_id, f, Some(message)).await?;
            Ok((status, render(&page)?).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn verify(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::PaymentsVerify>,
    meta: RequestMeta,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    let result = manual::verify(&state, staff.auth(), &meta, id).await.map(|_| ());
    after(&state, shell, staff.auth().user.id, "verified", result).await
}

#[derive(Debug, Deserialize)]
struct RejectForm {
    #[serde(default)]
    reason: String,
}

async fn reject(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::PaymentsVerify>,
    meta: RequestMeta,
    IdPath(id): IdPath,
    ApiForm(f): ApiForm<RejectForm>,
) -> AppResult<Response> {
    let result = manual::reject(&state, staff.auth(), &meta, id, &f.reason).await;
    after(&state, shell, staff.auth().user.id, "rejected", result).await
}
