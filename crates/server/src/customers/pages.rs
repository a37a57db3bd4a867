//! `/customers`: the searchable list, a customer's page (profile, port, history, status actions,
//! portal account) and the create/edit form.

use crate::auth::extract::{Staff, perm};
use crate::customers::service::parse_sort;
use crate::customers::service::{self, ProfileInput};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::{ApiForm, ApiQuery, IdPath};
use crate::i18n::msg;
use crate::listing::Paging;
use crate::pages::{Shell, render};
use crate::state::AppState;
use aglis_core::customer::CustomerStatus;
use aglis_core::permission::Permission;
use aglis_core::prepaid::BillingMode;
use aglis_db::entity::customer_events;
use aglis_db::repo::customers::{self, Customer, CustomerQuery};
use aglis_db::repo::odps::{self, Odp};
use aglis_db::repo::packages::{self, Package};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/customers", get(list).post(create))
        .route("/customers/new", get(new_form))
        .route("/customers/{id}", get(show))
        .route("/customers/{id}/edit", get(edit_form).post(edit))
        .route("/customers/{id}/status", post(change_status))
        .route("/customers/{id}/port", post(assign_port))
        .route("/customers/{id}/account", post(create_account))
        .route(
            "/customers/import",
            get(import_form)
                .post(import_upload)
                .layer(axum::extract::DefaultBodyLimit::max(crate::auth::csrf::MAX_UPLOAD_BYTES)),
        )
}

#[derive(Template)]
#[template(path = "customers/import.html")]
struct ImportPage {
    shell: Shell,
    filename: String,
    report: Option<crate::customers::import::ImportReport>,
    error: String,
}

async fn import_form(shell: Shell, _staff: Staff<perm::CustomersCreate>) -> AppResult<Response> {
    render(&ImportPage { shell, filename: String::new(), report: None, error: String::new() })
}

async fn import_upload(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::CustomersCreate>,
    mut multipart: axum::extract::Multipart,
) -> AppResult<Response> {
    let mut filename = String::new();
    let mut bytes = Vec::new();
    let mut action = String::new();
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name() {
            Some("file") => {
                filename = field.file_name().unwrap_or("upload.csv").to_owned();
                bytes = field.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
            }
            Some("action") => action = field.text().await.unwrap_or_default(),
            _ => {}
        }
    }
    let result = if bytes.is_empty() {
        Err(AppError::field("file", msg("val.import.choose_file", &[])))
    } else {
        match crate::customers::import::read(&filename, &bytes) {
            Ok(rows) => crate::customers::import::run(&state, rows, action != "import", staff.auth().user.id)
                .await
                .map(|r| r.in_language(shell.lang)),
            Err(e) => Err(e),
        }
    };
    match result {
        Ok(report) => {
            let status = if report.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
            Ok((status, render(&ImportPage { shell, filename, report: Some(report), error: String::new() })?)
                .into_response())
        }
        Err(AppError::Validation { fields, .. }) => {
            let error = shell.all_errors(&fields);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&ImportPage { shell, filename, report: None, error })?)
                .into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Deserialize, Default)]
struct ListForm {
    q: Option<String>,
    status: Option<String>,
    package_id: Option<String>,
    odp_id: Option<String>,
    billing_mode: Option<String>,
    sort: Option<String>,
    page: Option<u64>,
}

#[derive(Template)]
#[template(path = "customers/list.html")]
struct ListPage {
    shell: Shell,
    customers: Vec<Customer>,
    package_names: BTreeMap<i64, String>,
    packages: Vec<Package>,
    counts: Vec<(CustomerStatus, i64)>,
    /// "2417", or "10000+" when the total was counted only that far.
    total: String,
    page: u64,
    pages: u64,
    q: String,
    status: String,
    package_id: String,
    billing_mode: String,
    sort: String,
    base_query: String,
    can_create: bool,
}

impl ListPage {
    fn package(&self, id: &i64) -> &str {
        self.package_names.get(id).map_or("—", String::as_str)
    }
}

async fn list(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::CustomersView>,
    ApiQuery(f): ApiQuery<ListForm>,
) -> AppResult<Response> {
    let paging = Paging::parse(f.page, None)?;
    let q = f.q.unwrap_or_default();
    let status = f.status.unwrap_or_default();
    let package_id = f.package_id.unwrap_or_default();
    let sort = f.sort.unwrap_or_default();
    let odp_id = f.odp_id.unwrap_or_default();
    let billing_mode = f.billing_mode.unwrap_or_default();
    let query = CustomerQuery {
        q: Some(q.clone()),
        status: status.parse().ok(),
        package_id: package_id.parse().ok(),
        odp_id: odp_id.parse().ok(),
        billing_mode: billing_mode.parse().ok(),
        sort: parse_sort(Some(&sort)).unwrap_or_default(),
        page: paging.page,
        per_page: paging.per_page,
    };
    let listed = customers::list(&state.reads, &query).await?;
    let total = listed.total;
    let customers = listed.items;
    let packages = packages::list(&state.db, false).await?;
    let package_names = packages.iter().map(|p| (p.id, p.name.clone())).collect();
    let counts = customers::status_counts(&state.reads).await?;
    let base_query = serde_urlencoded::to_string([
        ("q", &q),
        ("status", &status),
        ("package_id", &package_id),
        ("odp_id", &odp_id),
        ("billing_mode", &billing_mode),
        ("sort", &sort),
    ])
    .unwrap_or_default();
    render(&ListPage {
        shell,
        customers,
        package_names,
        packages,
        counts,
        total: if listed.exact { total.to_string() } else { format!("{total}+") },
        page: paging.page,
        pages: paging.pages(total),
        q,
        status,
        package_id,
        billing_mode,
        sort,
        base_query,
        can_create: staff.auth().user.role.can(Permission::CustomersCreate),
    })
}

#[derive(Template)]
#[template(path = "customers/show.html")]
struct ShowPage {
    shell: Shell,
    customer: Customer,
    package: Option<Package>,
    odp: Option<Odp>,
    free_odps: Vec<Odp>,
    history: Vec<customer_events::Model>,
    /// Dated pauses and suspensions, newest first.
    pauses: Vec<crate::billing::pauses::PauseView>,
    /// Changes of package, newest first: a month is billed at the package of each day.
    package_changes: Vec<aglis_db::repo::package_changes::PackageChange>,
    /// Prepaid: the paid service and whether it ran out.
    prepaid: Option<crate::billing::prepaid::PrepaidView>,
    /// The network card (issue 21), for staff who see network enforcement.
    network: Option<crate::enforcement::pages::NetworkCard>,
    can_edit: bool,
    errors: FieldErrors,
}

impl ShowPage {
    fn error(&self, field: &str) -> String {
        self.shell.field_error(&self.errors, field)
    }
}

async fn show_page(
    state: &AppState,
    shell: Shell,
    can_edit: bool,
    id: i64,
    errors: FieldErrors,
) -> AppResult<ShowPage> {
    let customer = customers::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("customer"))?;
    let package = packages::get(&state.db, customer.package_id).await?;
    let odp = match customer.odp_id {
        Some(o) => odps::get(&state.db, o).await?,
        None => None,
    };
    let free_odps = if can_edit { odps::with_free_ports(&state.db).await? } else { Vec::new() };
    let history = customers::events(&state.db, id).await?;
    let pauses = crate::billing::pauses::views(state, id).await?;
    let package_changes = aglis_db::repo::package_changes::of_customer(&state.db, id).await?;
    let prepaid = crate::billing::prepaid::view(&customer, state.now());
    let network = match shell.user.as_ref().map(|u| u.role) {
        Some(role) => crate::enforcement::pages::card(state, role, id).await?,
        None => None,
    };
    Ok(ShowPage {
        shell,
        customer,
        package,
        odp,
        free_odps,
        history,
        pauses,
        package_changes,
        prepaid,
        network,
        can_edit,
        errors,
    })
}

async fn show(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::CustomersView>,
    meta: crate::audit::RequestMeta,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    let can_edit = staff.auth().user.role.can(Permission::CustomersEdit);
    let page = show_page(&state, shell, can_edit, id, FieldErrors::new()).await?;
    crate::audit::record(&state, crate::audit::Entry::viewed(staff.auth(), &meta, format!("customer:{id}"))).await?;
    render(&page)
}

/// A failed action re-shows the customer page with the errors (422); success redirects to it.
pub(crate) async fn after_action<T>(
    state: &AppState,
    shell: Shell,
    id: i64,
    result: AppResult<T>,
) -> AppResult<Response> {
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/customers/{id}")).into_response()),
        Err(AppError::Validation { fields, .. }) | Err(AppError::Conflict { fields, .. }) if !fields.is_empty() => {
            let page = show_page(state, shell, true, id, fields).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Deserialize)]
struct StatusForm {
    status: String,
    #[serde(default)]
    reason: String,
}

async fn change_status(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::CustomersEdit>,
    IdPath(id): IdPath,
    ApiForm(f): ApiForm<StatusForm>,
) -> AppResult<Response> {
    let result = match f.status.parse::<CustomerStatus>() {
        Ok(to) => service::change_status(&state, id, to, &f.reason, Some(staff.auth().user.id)).await,
        Err(e) => Err(AppError::field("status", e.to_string())),
    };
    after_action(&state, shell, id, result).await
}

#[derive(Debug, Deserialize)]
struct PortForm {
    odp_id: String,
    #[serde(default)]
    port: String,
}

async fn assign_port(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::CustomersEdit>,
    IdPath(id): IdPath,
    ApiForm(f): ApiForm<PortForm>,
) -> AppResult<Response> {
    let port = f.port.trim().parse::<i32>().ok();
    let result = match f.odp_id.parse::<i64>() {
        Ok(odp) => service::assign_port(&state, id, odp, port, Some(staff.auth().user.id)).await,
        Err(_) => Err(AppError::field("odp_id", msg("val.odp.choose", &[]))),
    };
    after_action(&state, shell, id, result).await
}

#[derive(Debug, Deserialize)]
struct AccountForm {
    username: String,
    password: String,
}

async fn create_account(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::CustomersEdit>,
    IdPath(id): IdPath,
    ApiForm(f): ApiForm<AccountForm>,
) -> AppResult<Response> {
    let result = service::create_account(&state, id, &f.username, &f.password, staff.auth().user.id).await;
    after_action(&state, shell, id, result).await
}

/// The profile form as typed.
#[derive(Debug, Deserialize, Default, Clone)]
struct ProfileForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    ktp: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    latitude: String,
    #[serde(default)]
    longitude: String,
    #[serde(default)]
    package_id: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    language: String,
    /// The checkbox: present when ticked.
    #[serde(default)]
    tax_exempt: Option<String>,
    /// `postpaid` or `prepaid`; empty keeps the customer's.
    #[serde(default)]
    billing_mode: String,
}

impl ProfileForm {
    fn input(&self) -> Result<ProfileInput, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut coord = |field: &str, raw: &str| -> Option<f64> {
            let raw = raw.trim();
            if raw.is_empty() {
                return None;
            }
            raw.replace(',', ".")
                .parse::<f64>()
                .map_err(|_| errors.insert(field.into(), vec![msg("val.location", &[])]))
                .ok()
        };
        let latitude = coord("latitude", &self.latitude);
        let longitude = coord("longitude", &self.longitude);
        let billing_mode = match self.billing_mode.trim() {
            "" => None,
            raw => raw
                .parse::<BillingMode>()
                .map_err(|_| errors.insert("billing_mode".into(), vec![msg("val.billing_mode", &[])]))
                .ok(),
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let some = |s: &str| Some(s.to_owned()).filter(|s| !s.trim().is_empty());
        Ok(ProfileInput {
            name: self.name.clone(),
            phone: self.phone.clone(),
            email: some(&self.email),
            ktp: some(&self.ktp),
            address: self.address.clone(),
            city: some(&self.city),
            latitude,
            longitude,
            package_id: self.package_id.parse().ok(),
            notes: some(&self.notes),
            language: some(&self.language),
            tax_exempt: Some(self.tax_exempt.is_some()),
            billing_mode,
        })
    }

    fn from_customer(c: &Customer) -> Self {
        ProfileForm {
            name: c.name.clone(),
            phone: crate::pages::local_phone(&c.phone),
            email: c.email.clone().unwrap_or_default(),
            ktp: c.ktp.clone().unwrap_or_default(),
            address: c.address.clone(),
            city: c.city.clone(),
            latitude: c.latitude.map(|v| v.to_string()).unwrap_or_default(),
            longitude: c.longitude.map(|v| v.to_string()).unwrap_or_default(),
            package_id: c.package_id.to_string(),
            notes: c.notes.clone(),
            language: c.language.as_str().to_owned(),
            tax_exempt: c.tax_exempt.then(|| "1".to_owned()),
            billing_mode: c.billing_mode.as_str().to_owned(),
        }
    }
}

#[derive(Template)]
#[template(path = "customers/form.html")]
struct FormPage {
    shell: Shell,
    /// The customer being edited; `None` when creating.
    customer: Option<Customer>,
    form: ProfileForm,
    packages: Vec<Package>,
    errors: FieldErrors,
}

impl FormPage {
    fn error(&self, field: &str) -> String {
        self.shell.field_error(&self.errors, field)
    }
}

async fn form_page(
    state: &AppState,
    shell: Shell,
    customer: Option<Customer>,
    form: ProfileForm,
    errors: FieldErrors,
) -> AppResult<Response> {
    let packages = packages::list(&state.db, false).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, render(&FormPage { shell, customer, form, packages, errors })?).into_response())
}

async fn new_form(
    State(state): State<AppState>,
    shell: Shell,
    _staff: Staff<perm::CustomersCreate>,
) -> AppResult<Response> {
    let form = ProfileForm { city: "Karawang".into(), ..ProfileForm::default() };
    form_page(&state, shell, None, form, FieldErrors::new()).await
}

async fn create(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::CustomersCreate>,
    ApiForm(form): ApiForm<ProfileForm>,
) -> AppResult<Response> {
    let input = match form.input() {
        Ok(i) => i,
        Err(errors) => return form_page(&state, shell, None, form, errors).await,
    };
    match service::create(&state, &input, CustomerStatus::Prospect, Some(staff.auth().user.id)).await {
        Ok(c) => Ok(Redirect::to(&format!("/customers/{}", c.id)).into_response()),
        Err(AppError::Validation { fields, .. }) => form_page(&state, shell, None, form, fields).await,
        Err(e) => Err(e),
    }
}

async fn edit_form(
    State(state): State<AppState>,
    shell: Shell,
    _staff: Staff<perm::CustomersEdit>,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    let c = customers::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("customer"))?;
    let form = ProfileForm::from_customer(&c);
    form_page(&state, shell, Some(c), form, FieldErrors::new()).await
}

async fn edit(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::CustomersEdit>,
    IdPath(id): IdPath,
    ApiForm(form): ApiForm<ProfileForm>,
) -> AppResult<Response> {
    let c = customers::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("customer"))?;
    let input = match form.input() {
        Ok(i) => i,
        Err(errors) => return form_page(&state, shell, Some(c), form, errors).await,
    };
    match service::update(&state, id, &input, staff.auth().user.id).await {
        Ok(_) => Ok(Redirect::to(&format!("/customers/{id}")).into_response()),
        Err(AppError::Validation { fields, .. }) => form_page(&state, shell, Some(c), form, fields).await,
        Err(e) => Err(e),
    }
}
