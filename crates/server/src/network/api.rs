//! `/api/v1/packages` and `/api/v1/odps`. Active packages are public (the sign-up form shows
//! them); everything else needs staff, and changes need `master_data.manage`.

use crate::audit::{RequestMeta, sites};
use crate::auth::extract::{MaybeUser, Staff, perm};
use crate::error::{AppError, AppResult, Problem};
use crate::extract::{ApiJson, ApiQuery, IdPath};
use crate::listing::{Page, PageQuery, Paging};
use crate::network;
use crate::state::AppState;
use aglis_core::network::OdpStatus;
use aglis_core::permission::Permission;
use aglis_db::repo::odps::{self, Odp, OdpQuery};
use aglis_db::repo::packages::{self, Package};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_packages, create_package))
        .routes(routes!(show_package, update_package, delete_package))
        .routes(routes!(list_odps, create_odp))
        .routes(routes!(show_odp, update_odp, delete_odp))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PackageOut {
    pub id: i64,
    pub name: String,
    pub speed_mbps: i32,
    /// Whole rupiah per month.
    pub monthly_price: i64,
    pub installation_fee: i64,
    pub description: String,
    pub is_active: bool,
    /// No PPN on its invoices.
    pub tax_exempt: bool,
}

impl From<Package> for PackageOut {
    fn from(p: Package) -> Self {
        PackageOut {
            id: p.id,
            name: p.name,
            speed_mbps: p.speed_mbps,
            monthly_price: p.monthly_price,
            installation_fee: p.installation_fee,
            description: p.description,
            is_active: p.is_active,
            tax_exempt: p.tax_exempt,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageIn {
    #[schema(schema_with = package_name)]
    pub name: String,
    #[schema(example = 50, minimum = 1, maximum = 10000)]
    pub speed_mbps: i64,
    /// Whole rupiah, as a number or text (`199900`, `"199.900"`).
    #[schema(schema_with = crate::schemas::rupiah)]
    pub monthly_price: serde_json::Value,
    #[schema(schema_with = crate::schemas::rupiah)]
    pub installation_fee: serde_json::Value,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub description: String,
    pub is_active: Option<bool>,
    /// No PPN on the invoices of this package's customers. Left out: off for a new package,
    /// unchanged for an existing one.
    pub tax_exempt: Option<bool>,
}

/// The package's name: 2–100 characters once runs of spaces are one.
fn package_name() -> utoipa::openapi::schema::ObjectBuilder {
    crate::schemas::text(2, 100)
}

/// An amount as the text the rupiah parser reads; a fraction is no amount (not `15` for `1.5`).
fn amount_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.as_i64().map_or_else(|| "x".to_owned(), |n| n.to_string()),
        _ => String::new(),
    }
}

impl PackageIn {
    fn fields(&self) -> AppResult<aglis_db::repo::packages::PackageFields> {
        network::parse_package(
            &self.name,
            self.speed_mbps,
            &amount_text(&self.monthly_price),
            &amount_text(&self.installation_fee),
            &self.description,
            self.is_active.unwrap_or(true),
        )
        .map_err(AppError::fields)
    }
}

/// The packages: active ones for everybody, all of them for staff who manage them.
#[utoipa::path(get, path = "/api/v1/packages", params(PageQuery), tag = "network",
    responses((status = 200, body = Page<PackageOut>)))]
async fn list_packages(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    paging: Paging,
) -> AppResult<Json<Page<PackageOut>>> {
    let all = user.is_some_and(|u| u.user.role.can(Permission::MasterDataManage));
    let list = packages::list(&state.db, !all).await?.into_iter().map(PackageOut::from).collect();
    Ok(Json(Page::of_all(list, paging)))
}

#[utoipa::path(post, path = "/api/v1/packages", tag = "network", request_body = PackageIn,
    security(("bearer" = [])),
    responses((status = 201, body = PackageOut),))]
async fn create_package(
    State(state): State<AppState>,
    staff: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    ApiJson(req): ApiJson<PackageIn>,
) -> AppResult<(StatusCode, Json<PackageOut>)> {
    let p = network::create_package(&state.db, req.fields()?, req.tax_exempt.unwrap_or(false), state.now()).await?;
    sites::master_data(&state, staff.auth(), &meta, "package", p.id, "created").await?;
    Ok((StatusCode::CREATED, Json(p.into())))
}

#[utoipa::path(get, path = "/api/v1/packages/{id}", tag = "network",
    params(("id" = i64, Path, description = "Package id")),
    responses((status = 200, body = PackageOut),))]
async fn show_package(State(state): State<AppState>, IdPath(id): IdPath) -> AppResult<Json<PackageOut>> {
    let p =
        packages::get(&state.db, id).await?.filter(|p| p.is_active).ok_or_else(|| AppError::not_found("package"))?;
    Ok(Json(p.into()))
}

#[utoipa::path(put, path = "/api/v1/packages/{id}", tag = "network", request_body = PackageIn,
    params(("id" = i64, Path, description = "Package id")), security(("bearer" = [])),
    responses((status = 200, body = PackageOut),))]
async fn update_package(
    State(state): State<AppState>,
    staff: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<PackageIn>,
) -> AppResult<Json<PackageOut>> {
    let p = network::update_package(&state.db, id, req.fields()?, req.tax_exempt, state.now()).await?;
    sites::master_data(&state, staff.auth(), &meta, "package", id, "updated").await?;
    Ok(Json(p.into()))
}

#[utoipa::path(delete, path = "/api/v1/packages/{id}", tag = "network",
    params(("id" = i64, Path, description = "Package id")), security(("bearer" = [])),
    responses((status = 204, description = "Deleted"),
        (status = 409, description = "Customers have it", body = Problem, content_type = "application/problem+json")))]
async fn delete_package(
    State(state): State<AppState>,
    staff: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    IdPath(id): IdPath,
) -> AppResult<StatusCode> {
    network::delete_package(&state.db, id).await?;
    sites::master_data(&state, staff.auth(), &meta, "package", id, "deleted").await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OdpOut {
    pub id: i64,
    pub code: String,
    pub area: String,
    pub location: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub total_ports: i32,
    pub used_ports: i32,
    pub free_ports: i32,
    /// active, full, maintenance or inactive.
    pub status: String,
}

impl From<Odp> for OdpOut {
    fn from(o: Odp) -> Self {
        OdpOut {
            free_ports: o.free_ports(),
            id: o.id,
            code: o.code,
            area: o.area,
            location: o.location,
            latitude: o.latitude,
            longitude: o.longitude,
            total_ports: o.total_ports,
            used_ports: o.used_ports,
            status: o.status.as_str().to_owned(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OdpIn {
    #[schema(schema_with = crate::schemas::odp_code)]
    pub code: String,
    #[schema(schema_with = odp_area)]
    pub area: String,
    #[schema(schema_with = odp_location)]
    pub location: String,
    /// With `longitude`, or neither.
    #[schema(schema_with = crate::schemas::latitude)]
    #[serde(default, deserialize_with = "crate::schemas::non_null")]
    pub latitude: Option<f64>,
    #[schema(schema_with = crate::schemas::longitude)]
    #[serde(default, deserialize_with = "crate::schemas::non_null")]
    pub longitude: Option<f64>,
    #[schema(example = 16, minimum = 1, maximum = 128)]
    pub total_ports: i64,
    /// active (default), full, maintenance or inactive.
    #[schema(value_type = Option<aglis_core::network::OdpStatus>, inline)]
    pub status: Option<String>,
}

fn odp_area() -> utoipa::openapi::schema::ObjectBuilder {
    crate::schemas::text(2, 100)
}

fn odp_location() -> utoipa::openapi::schema::ObjectBuilder {
    crate::schemas::text(3, 300)
}

impl OdpIn {
    fn fields(&self) -> AppResult<aglis_db::repo::odps::OdpFields> {
        network::parse_odp(
            &self.code,
            &self.area,
            &self.location,
            self.latitude,
            self.longitude,
            self.total_ports,
            self.status.as_deref().unwrap_or("active"),
        )
        .map_err(AppError::fields)
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OdpParams {
    /// Matches the code or the area.
    pub q: Option<String>,
    #[param(inline)]
    pub status: Option<OdpStatus>,
}

#[utoipa::path(get, path = "/api/v1/odps", tag = "network", params(OdpParams, PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<OdpOut>),))]
async fn list_odps(
    State(state): State<AppState>,
    _staff: Staff<perm::CustomersView>,
    ApiQuery(p): ApiQuery<OdpParams>,
    paging: Paging,
) -> AppResult<Json<Page<OdpOut>>> {
    let q = OdpQuery { q: p.q, status: p.status, page: paging.page, per_page: paging.per_page };
    let (items, total) = odps::list(&state.db, &q).await?;
    Ok(Json(Page::new(items.into_iter().map(OdpOut::from).collect(), total, paging)))
}

#[utoipa::path(post, path = "/api/v1/odps", tag = "network", request_body = OdpIn, security(("bearer" = [])),
    responses((status = 201, body = OdpOut),))]
async fn create_odp(
    State(state): State<AppState>,
    staff: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    ApiJson(req): ApiJson<OdpIn>,
) -> AppResult<(StatusCode, Json<OdpOut>)> {
    let o = network::create_odp(&state.db, req.fields()?, state.now()).await?;
    sites::master_data(&state, staff.auth(), &meta, "odp", o.id, "created").await?;
    Ok((StatusCode::CREATED, Json(o.into())))
}

#[utoipa::path(get, path = "/api/v1/odps/{id}", tag = "network", params(("id" = i64, Path, description = "ODP id")),
    security(("bearer" = [])),
    responses((status = 200, body = OdpOut),))]
async fn show_odp(
    State(state): State<AppState>,
    _staff: Staff<perm::CustomersView>,
    IdPath(id): IdPath,
) -> AppResult<Json<OdpOut>> {
    Ok(Json(odps::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("ODP"))?.into()))
}

#[utoipa::path(put, path = "/api/v1/odps/{id}", tag = "network", request_body = OdpIn,
    params(("id" = i64, Path, description = "ODP id")), security(("bearer" = [])),
    responses((status = 200, body = OdpOut),))]
async fn update_odp(
    State(state): State<AppState>,
    staff: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<OdpIn>,
) -> AppResult<Json<OdpOut>> {
    let o = network::update_odp(&state.db, id, req.fields()?, state.now()).await?;
    sites::master_data(&state, staff.auth(), &meta, "odp", id, "updated").await?;
    Ok(Json(o.into()))
}

#[utoipa::path(delete, path = "/api/v1/odps/{id}", tag = "network", params(("id" = i64, Path, description = "ODP id")),
    security(("bearer" = [])),
    responses((status = 204, description = "Deleted"),))]
async fn delete_odp(
    State(state): State<AppState>,
    staff: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    IdPath(id): IdPath,
) -> AppResult<StatusCode> {
    network::delete_odp(&state.db, id).await?;
    sites::master_data(&state, staff.auth(), &meta, "odp", id, "deleted").await?;
    Ok(StatusCode::NO_CONTENT)
}
