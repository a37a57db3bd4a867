//! `/api/v1/customers`: list and search, create, read (staff, or the customer's own portal
//! account), edit, status changes, ODP port and portal account.

use crate::auth::extract::{CurrentUser, Staff, perm};
use crate::customers::service::{self, ProfileInput};
use crate::error::{AppError, AppResult, Problem};
use crate::extract::{ApiJson, ApiQuery, IdPath};
use crate::listing::{Page, PageQuery, Paging};
use crate::state::AppState;
use aglis_core::customer::CustomerStatus;
use aglis_core::permission::Permission;
use aglis_core::prepaid::BillingMode;
use aglis_db::repo::customers::{self, Customer, CustomerQuery};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update))
        .routes(routes!(change_status))
        .routes(routes!(assign_port))
        .routes(routes!(create_account))
        .routes(routes!(import))
        .layer(axum::extract::DefaultBodyLimit::max(crate::auth::csrf::MAX_UPLOAD_BYTES))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `true` (the default) only checks the file and reports every bad row; `false` imports it
    /// when no row is bad.
    pub dry_run: Option<bool>,
}

/// Imports customers from a CSV (`text/csv`, comma or semicolon) or Excel file (`.xlsx`) sent
/// as the request body. Columns: name, phone, address, package (name or id), and optionally
/// code, email, ktp, city, latitude, longitude, status, notes — Indonesian names work too.
#[utoipa::path(post, path = "/api/v1/customers/import", tag = "customers", params(ImportParams),
    request_body(content = String, content_type = "text/csv", description = "The file's bytes (CSV or xlsx)"),
    security(("bearer" = [])),
    responses((status = 200, description = "The report; `imported` is 0 on a dry run or when a row is bad", body = crate::customers::import::ImportReport),
        (status = 422, description = "Not a readable file, or required columns missing", body = Problem, content_type = "application/problem+json")))]
async fn import(
    State(state): State<AppState>,
    staff: Staff<perm::CustomersCreate>,
    ApiQuery(p): ApiQuery<ImportParams>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> AppResult<Json<crate::customers::import::ImportReport>> {
    let xlsx = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.contains("spreadsheetml"));
    let rows = crate::customers::import::read(if xlsx { "upload.xlsx" } else { "upload.csv" }, &body)?;
    let report = crate::customers::import::run(&state, rows, p.dry_run.unwrap_or(true), staff.auth().user.id).await?;
    Ok(Json(report.in_language(crate::i18n::Lang::En)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerOut {
    pub id: i64,
    /// `AGLSyyyymmddNNNN`.
    pub code: String,
    pub name: String,
    /// `628…`.
    pub phone: String,
    pub email: Option<String>,
    pub ktp: Option<String>,
    pub address: String,
    pub city: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub package_id: i64,
    pub odp_id: Option<i64>,
    pub odp_port: Option<i32>,
    /// prospect, active, suspended or terminated.
    pub status: String,
    pub has_portal_account: bool,
    pub notes: String,
    /// `id` or `en`: the language of their messages.
    pub language: String,
    /// No PPN on their invoices.
    pub tax_exempt: bool,
    /// `postpaid` (a monthly invoice) or `prepaid` (a month paid ahead; service ends with it).
    pub billing_mode: String,
    /// The last day of service paid ahead (prepaid), Asia/Jakarta.
    pub paid_until: Option<NaiveDate>,
    pub registered_at: DateTime<Utc>,
    pub activated_at: Option<DateTime<Utc>>,
    pub suspended_at: Option<DateTime<Utc>>,
    pub terminated_at: Option<DateTime<Utc>>,
}

impl From<Customer> for CustomerOut {
    fn from(c: Customer) -> Self {
        CustomerOut {
            id: c.id,
            code: c.code,
            name: c.name,
            phone: c.phone,
            email: c.email,
            ktp: c.ktp,
            address: c.address,
            city: c.city,
            latitude: c.latitude,
            longitude: c.longitude,
            package_id: c.package_id,
            odp_id: c.odp_id,
            odp_port: c.odp_port,
            status: c.status.as_str().to_owned(),
            has_portal_account: c.user_id.is_some(),
            notes: c.notes,
            language: c.language.as_str().to_owned(),
            tax_exempt: c.tax_exempt,
            billing_mode: c.billing_mode.as_str().to_owned(),
            paid_until: c.paid_until,
            registered_at: c.registered_at,
            activated_at: c.activated_at,
            suspended_at: c.suspended_at,
            terminated_at: c.terminated_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// A customer code, a phone number or words of the name (each matched from its start).
    pub q: Option<String>,
    #[param(inline)]
    pub status: Option<CustomerStatus>,
    pub package_id: Option<i64>,
    pub odp_id: Option<i64>,
    /// `postpaid` or `prepaid` customers only.
    #[param(inline)]
    pub billing_mode: Option<BillingMode>,
    /// `name` (default), `newest` or `code`.
    #[param(schema_with = sort_schema)]
    pub sort: Option<String>,
}

fn sort_schema() -> utoipa::openapi::schema::ObjectBuilder {
    crate::schemas::one_of(["name", "newest", "code", ""])
}

/// The customer list: search, filters, sort and pages.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", params(ListParams, PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<CustomerOut>),))]
async fn list(
    State(state): State<AppState>,
    _staff: Staff<perm::CustomersView>,
    ApiQuery(p): ApiQuery<ListParams>,
    paging: Paging,
) -> AppResult<Json<Page<CustomerOut>>> {
    let query = CustomerQuery {
        q: p.q,
        status: p.status,
        package_id: p.package_id,
        odp_id: p.odp_id,
        billing_mode: p.billing_mode,
        sort: super::service::parse_sort(p.sort.as_deref())?,
        page: paging.page,
        per_page: paging.per_page,
    };
    let listed = customers::list(&state.reads, &query).await?;
    Ok(Json(Page::capped(
        listed.items.into_iter().map(CustomerOut::from).collect(),
        listed.total,
        listed.exact,
        paging,
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerIn {
    #[schema(example = "Budi Santoso")]
    pub name: String,
    #[schema(example = "0812-3456-7890")]
    pub phone: String,
    pub email: Option<String>,
    /// KTP number, 16 digits.
    pub ktp: Option<String>,
    #[schema(example = "Perum Galuh Mas Blok C2 No. 7, Telukjambe Timur")]
    pub address: String,
    #[schema(example = "Karawang")]
    pub city: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub package_id: Option<i64>,
    pub notes: Option<String>,
    /// `id` (Bahasa Indonesia, the default) or `en`: the language of their WhatsApp and e-mail messages.
    #[schema(example = "id")]
    pub language: Option<String>,
    /// prospect (default) or active, for a new customer.
    #[schema(inline)]
    pub status: Option<CustomerStatus>,
    /// No PPN on their invoices. Left out: off for a new customer, unchanged for an existing one.
    pub tax_exempt: Option<bool>,
    /// `postpaid` or `prepaid`. Left out: postpaid for a new customer, unchanged for an existing
    /// one. Going prepaid, the months already billed count as paid ahead.
    #[schema(inline)]
    pub billing_mode: Option<BillingMode>,
}

impl CustomerIn {
    fn input(self) -> ProfileInput {
        ProfileInput {
            name: self.name,
            phone: self.phone,
            email: self.email,
            ktp: self.ktp,
            address: self.address,
            city: self.city,
            latitude: self.latitude,
            longitude: self.longitude,
            package_id: self.package_id,
            notes: self.notes,
            language: self.language,
            tax_exempt: self.tax_exempt,
            billing_mode: self.billing_mode,
        }
    }
}

/// Creates a customer; 201 with its id and customer code.
#[utoipa::path(post, path = "/api/v1/customers", tag = "customers", request_body = CustomerIn, security(("bearer" = [])),
    responses((status = 201, body = CustomerOut),
        (status = 422, description = "A field is wrong: bad or taken phone, unknown package…", body = Problem, content_type = "application/problem+json")))]
async fn create(
    State(state): State<AppState>,
    staff: Staff<perm::CustomersCreate>,
    ApiJson(req): ApiJson<CustomerIn>,
) -> AppResult<(StatusCode, Json<CustomerOut>)> {
    let status = req.status.unwrap_or(CustomerStatus::Prospect);
    if !matches!(status, CustomerStatus::Prospect | CustomerStatus::Active) {
        return Err(AppError::field("status", "a new customer is a prospect or active"));
    }
    let c = service::create(&state, &req.input(), status, Some(staff.auth().user.id)).await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryOut {
    pub kind: String,
    pub detail: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerDetail {
    #[serde(flatten)]
    pub customer: CustomerOut,
    pub package_name: Option<String>,
    pub odp_code: Option<String>,
    /// Newest first.
    pub history: Vec<HistoryOut>,
}

/// One customer with its history. Staff with `customers.view`, or the customer's own portal
/// account; anyone else gets 404.
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers", params(("id" = i64, Path, description = "Customer id")),
    security(("bearer" = [])),
    responses((status = 200, body = CustomerDetail),))]
async fn show(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    meta: crate::audit::RequestMeta,
    IdPath(id): IdPath,
) -> AppResult<Json<CustomerDetail>> {
    let c = customers::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("customer"))?;
    let staff = auth.user.role.is_staff() && auth.user.role.can(Permission::CustomersView);
    if !staff && c.user_id != Some(auth.user.id) {
        // Not a hint that the record exists.
        return Err(AppError::not_found("customer"));
    }
    let package_name = aglis_db::repo::packages::get(&state.db, c.package_id).await?.map(|p| p.name);
    let odp_code = match c.odp_id {
        Some(o) => aglis_db::repo::odps::get(&state.db, o).await?.map(|o| o.code),
        None => None,
    };
    let history = customers::events(&state.db, id)
        .await?
        .into_iter()
        .map(|e| HistoryOut { kind: e.kind, detail: e.detail, at: e.at })
        .collect();
    if staff {
        crate::audit::record(&state, crate::audit::Entry::viewed(&auth, &meta, format!("customer:{id}"))).await?;
    }
    Ok(Json(CustomerDetail { customer: c.into(), package_name, odp_code, history }))
}

/// Replaces a customer's profile.
#[utoipa::path(put, path = "/api/v1/customers/{id}", tag = "customers", request_body = CustomerIn,
    params(("id" = i64, Path, description = "Customer id")), security(("bearer" = [])),
    responses((status = 200, body = CustomerOut),))]
async fn update(
    State(state): State<AppState>,
    staff: Staff<perm::CustomersEdit>,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<CustomerIn>,
) -> AppResult<Json<CustomerOut>> {
    if req.status.is_some() {
        return Err(AppError::field("status", "change the status with POST /api/v1/customers/{id}/status"));
    }
    Ok(Json(service::update(&state, id, &req.input(), staff.auth().user.id).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusIn {
    #[schema(inline, example = "suspended")]
    pub status: CustomerStatus,
    /// Required for suspended and terminated.
    #[serde(default)]
    pub reason: String,
}

/// Moves a customer along prospect → active ↔ suspended, any → terminated.
#[utoipa::path(post, path = "/api/v1/customers/{id}/status", tag = "customers", request_body = StatusIn,
    params(("id" = i64, Path, description = "Customer id")), security(("bearer" = [])),
    responses((status = 200, body = CustomerOut),
        (status = 409, description = "Not allowed from the current status", body = Problem, content_type = "application/problem+json"),))]
async fn change_status(
    State(state): State<AppState>,
    staff: Staff<perm::CustomersEdit>,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<StatusIn>,
) -> AppResult<Json<CustomerOut>> {
    Ok(Json(service::change_status(&state, id, req.status, &req.reason, Some(staff.auth().user.id)).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PortIn {
    pub odp_id: i64,
    /// The lowest free port when left out.
    pub port: Option<i32>,
}

/// Connects the customer to a port of an ODP.
#[utoipa::path(put, path = "/api/v1/customers/{id}/port", tag = "customers", request_body = PortIn,
    params(("id" = i64, Path, description = "Customer id")), security(("bearer" = [])),
    responses((status = 200, body = CustomerOut),
        (status = 422, description = "No such ODP, port taken, ODP full", body = Problem, content_type = "application/problem+json")))]
async fn assign_port(
    State(state): State<AppState>,
    staff: Staff<perm::CustomersEdit>,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<PortIn>,
) -> AppResult<Json<CustomerOut>> {
    Ok(Json(service::assign_port(&state, id, req.odp_id, req.port, Some(staff.auth().user.id)).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountIn {
    #[schema(schema_with = crate::schemas::username)]
    pub username: String,
    #[schema(schema_with = crate::schemas::new_password)]
    pub password: String,
}

/// Creates the customer's portal account (role `customer`), which can read only this customer.
#[utoipa::path(post, path = "/api/v1/customers/{id}/account", tag = "customers", request_body = AccountIn,
    params(("id" = i64, Path, description = "Customer id")), security(("bearer" = [])),
    responses((status = 200, body = CustomerOut),))]
async fn create_account(
    State(state): State<AppState>,
    staff: Staff<perm::CustomersEdit>,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<AccountIn>,
) -> AppResult<Json<CustomerOut>> {
    Ok(Json(service::create_account(&state, id, &req.username, &req.password, staff.auth().user.id).await?.into()))
}
