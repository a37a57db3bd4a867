//! `/admin/packages` and `/admin/odps`: the network's master data for admins and supervisors.

use crate::audit::{RequestMeta, sites};
use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::{ApiForm, ApiQuery, IdPath};
use crate::listing::Paging;
use crate::network;
use crate::pages::{Shell, render};
use crate::state::AppState;
use aglis_core::network::OdpStatus;
use aglis_db::repo::master_data;
use aglis_db::repo::odps::{self, Odp, OdpQuery};
use aglis_db::repo::packages::{self, Package};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/packages", get(packages_page).post(create_package))
        .route("/admin/packages/{id}", get(edit_package_form).post(edit_package))
        .route("/admin/packages/{id}/delete", post(delete_package))
        .route("/admin/odps", get(odps_page).post(create_odp))
        .route("/admin/odps/{id}", get(edit_odp_form).post(edit_odp))
}

fn error_of(errors: &FieldErrors, field: &str) -> String {
    errors.get(field).map(|m| m.join(", ")).unwrap_or_default()
}

#[derive(Debug, Deserialize, Default, Clone)]
struct PackageForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    speed_mbps: String,
    #[serde(default)]
    monthly_price: String,
    #[serde(default)]
    installation_fee: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    is_active: Option<String>,
    #[serde(default)]
    tax_exempt: Option<String>,
}

impl PackageForm {
    fn fields(&self) -> Result<aglis_db::repo::packages::PackageFields, FieldErrors> {
        let speed = self.speed_mbps.trim().parse::<i64>().unwrap_or(0);
        network::parse_package(
            &self.name,
            speed,
            &self.monthly_price,
            &self.installation_fee,
            &self.description,
            self.is_active.is_some(),
        )
    }

    fn from_package(p: &Package) -> Self {
        PackageForm {
            name: p.name.clone(),
            speed_mbps: p.speed_mbps.to_string(),
            monthly_price: p.monthly_price.to_string(),
            installation_fee: p.installation_fee.to_string(),
            description: p.description.clone(),
            is_active: p.is_active.then(|| "1".into()),
            tax_exempt: p.tax_exempt.then(|| "1".into()),
        }
    }
}

#[derive(Template)]
#[template(path = "network/packages.html")]
struct PackagesPage {
    shell: Shell,
    packages: Vec<(Package, u64)>,
    /// The package being edited, if any; the form creates otherwise.
    editing: Option<Package>,
    form: PackageForm,
    errors: FieldErrors,
}

impl PackagesPage {
    fn error(&self, field: &str) -> String {
        error_of(&self.errors, field)
    }
}

async fn packages_view(
    state: &AppState,
    shell: Shell,
    editing: Option<Package>,
    form: PackageForm,
    errors: FieldErrors,
) -> AppResult<Response> {
    let mut list = Vec::new();
    for p in packages::list(&state.db, false).await? {
        let n = packages::customer_count(&state.db, p.id).await?;
        list.push((p, n));
    }
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, render(&PackagesPage { shell, packages: list, editing, form, errors })?).into_response())
}

async fn packages_page(
    State(state): State<AppState>,
    shell: Shell,
    _s: Staff<perm::MasterDataManage>,
) -> AppResult<Response> {
    let form = PackageForm { is_active: Some("1".into()), installation_fee: "100000".into(), ..PackageForm::default() };
    packages_view(&state, shell, None, form, FieldErrors::new()).await
}

async fn create_package(
    State(state): State<AppState>,
    shell: Shell,
    s: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    ApiForm(form): ApiForm<PackageForm>,
) -> AppResult<Response> {
    let result = match form.fields() {
        Ok(f) => network::create_package(&state.db, f, form.tax_exempt.is_some(), state.now())
            .await
            .map(|created| created.id),
        Err(e) => Err(AppError::fields(e)),
    };
    match result {
        Ok(id) => {
            sites::master_data(&state, s.auth(), &meta, "package", id, "created").await?;
            Ok(Redirect::to("/admin/packages").into_response())
        }
        Err(AppError::Validation { fields, .. } | AppError::Conflict { fields, .. }) if !fields.is_empty() => {
            packages_view(&state, shell, None, form, fields).await
        }
        Err(e) => Err(e),
    }
}

async fn edit_package_form(
    State(state): State<AppState>,
    shell: Shell,
    _s: Staff<perm::MasterDataManage>,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    let p = packages::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("package"))?;
    let form = PackageForm::from_package(&p);
    packages_view(&state, shell, Some(p), form, FieldErrors::new()).await
}

async fn edit_package(
    State(state): State<AppState>,
    shell: Shell,
    s: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    IdPath(id): IdPath,
    ApiForm(form): ApiForm<PackageForm>,
) -> AppResult<Response> {
    let p = packages::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("package"))?;
    let result = match form.fields() {
        Ok(f) => {
            network::update_package(&state.db, id, f, Some(form.tax_exempt.is_some()), state.now()).await.map(|_| ())
        }
        Err(e) => Err(AppError::fields(e)),
    };
    match result {
        Ok(()) => {
            sites::master_data(&state, s.auth(), &meta, "package", id, "updated").await?;
            Ok(Redirect::to("/admin/packages").into_response())
        }
        Err(AppError::Validation { fields, .. } | AppError::Conflict { fields, .. }) if !fields.is_empty() => {
            packages_view(&state, shell, Some(p), form, fields).await
        }
        Err(e) => Err(e),
    }
}

async fn delete_package(
    State(state): State<AppState>,
    s: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    network::delete_package(&state.db, id).await?;
    sites::master_data(&state, s.auth(), &meta, "package", id, "deleted").await?;
    Ok(Redirect::to("/admin/packages").into_response())
}

#[derive(Debug, Deserialize, Default, Clone)]
struct OdpForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    area: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    latitude: String,
    #[serde(default)]
    longitude: String,
    #[serde(default)]
    total_ports: String,
    #[serde(default)]
    status: String,
}

impl OdpForm {
    fn fields(&self) -> Result<aglis_db::repo::odps::OdpFields, FieldErrors> {
        let coord = |s: &str| s.trim().replace(',', ".").parse::<f64>().ok();
        network::parse_odp(
            &self.code,
            &self.area,
            &self.location,
            coord(&self.latitude),
            coord(&self.longitude),
            self.total_ports.trim().parse().unwrap_or(0),
            &self.status,
        )
    }

    fn from_odp(o: &Odp) -> Self {
        OdpForm {
            code: o.code.clone(),
            area: o.area.clone(),
            location: o.location.clone(),
            latitude: o.latitude.map(|v| v.to_string()).unwrap_or_default(),
            longitude: o.longitude.map(|v| v.to_string()).unwrap_or_default(),
            total_ports: o.total_ports.to_string(),
            status: o.status.as_str().into(),
        }
    }
}

#[derive(Debug, Deserialize, Default)]
struct OdpListQuery {
    q: Option<String>,
    status: Option<String>,
    page: Option<u64>,
}

#[derive(Template)]
#[template(path = "network/odps.html")]
struct OdpsPage {
    shell: Shell,
    odps: Vec<Odp>,
    total: u64,
    page: u64,
    pages: u64,
    q: String,
    status: String,
    base_query: String,
    statuses: &'static [OdpStatus],
    editing: Option<Odp>,
    form: OdpForm,
    /// The active service areas, offered for the ODP's area.
    service_areas: Vec<String>,
    errors: FieldErrors,
}

impl OdpsPage {
    fn error(&self, field: &str) -> String {
        error_of(&self.errors, field)
    }

    /// Percent of the ports in use.
    fn use_pct(&self, o: &Odp) -> i32 {
        if o.total_ports == 0 { 0 } else { o.used_ports * 100 / o.total_ports }
    }
}

async fn odps_view(
    state: &AppState,
    shell: Shell,
    q: OdpListQuery,
    editing: Option<Odp>,
    form: OdpForm,
    errors: FieldErrors,
) -> AppResult<Response> {
    let paging = Paging::parse(q.page, None)?;
    let text = q.q.unwrap_or_default();
    let status = q.status.unwrap_or_default();
    let query =
        OdpQuery { q: Some(text.clone()), status: status.parse().ok(), page: paging.page, per_page: paging.per_page };
    let (list, total) = odps::list(&state.db, &query).await?;
    let base_query = serde_urlencoded::to_string([("q", &text), ("status", &status)]).unwrap_or_default();
    let code = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = OdpsPage {
        shell,
        odps: list,
        total,
        page: paging.page,
        pages: paging.pages(total),
        q: text,
        status,
        base_query,
        statuses: OdpStatus::ALL,
        editing,
        form,
        service_areas: master_data::areas(&state.reads, true).await?.into_iter().map(|a| a.name).collect(),
        errors,
    };
    Ok((code, render(&page)?).into_response())
}

fn blank_odp() -> OdpForm {
    OdpForm { total_ports: "16".into(), status: "active".into(), ..OdpForm::default() }
}

async fn odps_page(
    State(state): State<AppState>,
    shell: Shell,
    _s: Staff<perm::MasterDataManage>,
    ApiQuery(q): ApiQuery<OdpListQuery>,
) -> AppResult<Response> {
    odps_view(&state, shell, q, None, blank_odp(), FieldErrors::new()).await
}

async fn create_odp(
    State(state): State<AppState>,
    shell: Shell,
    s: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    ApiForm(form): ApiForm<OdpForm>,
) -> AppResult<Response> {
    let result = match form.fields() {
        Ok(f) => network::create_odp(&state.db, f, state.now()).await.map(|created| created.id),
        Err(e) => Err(AppError::fields(e)),
    };
    match result {
        Ok(id) => {
            sites::master_data(&state, s.auth(), &meta, "odp", id, "created").await?;
            Ok(Redirect::to("/admin/odps").into_response())
        }
        Err(AppError::Validation { fields, .. } | AppError::Conflict { fields, .. }) if !fields.is_empty() => {
            odps_view(&state, shell, OdpListQuery::default(), None, form, fields).await
        }
        Err(e) => Err(e),
    }
}

async fn edit_odp_form(
    State(state): State<AppState>,
    shell: Shell,
    _s: Staff<perm::MasterDataManage>,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    let o = odps::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("ODP"))?;
    let form = OdpForm::from_odp(&o);
    odps_view(&state, shell, OdpListQuery::default(), Some(o), form, FieldErrors::new()).await
}

async fn edit_odp(
    State(state): State<AppState>,
    shell: Shell,
    s: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    IdPath(id): IdPath,
    ApiForm(form): ApiForm<OdpForm>,
) -> AppResult<Response> {
    let o = odps::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("ODP"))?;
    let result = match form.fields() {
        Ok(f) => network::update_odp(&state.db, id, f, state.now()).await.map(|_| ()),
        Err(e) => Err(AppError::fields(e)),
    };
    match result {
        Ok(()) => {
            sites::master_data(&state, s.auth(), &meta, "odp", id, "updated").await?;
            Ok(Redirect::to("/admin/odps").into_response())
        }
        Err(AppError::Validation { fields, .. } | AppError::Conflict { fields, .. }) if !fields.is_empty() => {
            odps_view(&state, shell, OdpListQuery::default(), Some(o), form, fields).await
        }
        Err(e) => Err(e),
    }
}
