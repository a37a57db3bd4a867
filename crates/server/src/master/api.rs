//! `/api/v1/ticket-categories`, `/api/v1/skills`, `/api/v1/service-areas`: staff read them (the
//! forms offer them); changes need `master_data.manage` and are audited. Rows are switched off
//! (`is_active: false`) rather than deleted, and codes and area names never change: tickets and
//! profiles carry them.

use crate::audit::{RequestMeta, sites};
use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ApiQuery, IdPath};
use crate::listing::{Page, PageQuery, Paging};
use crate::state::AppState;
use aglis_core::master::{self, RawCategory, RawSkill};
use aglis_core::technician::Specialization;
use aglis_core::ticket::TicketType;
use aglis_db::repo::master_data::{self, CatalogueSkill, ServiceArea, TicketCategory};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_categories, create_category))
        .routes(routes!(update_category))
        .routes(routes!(list_skills, create_skill))
        .routes(routes!(update_skill))
        .routes(routes!(list_areas, create_area))
        .routes(routes!(update_area))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MasterParams {
    /// Only the rows offered on the forms (`true`) or only those switched off (`false`).
    pub active: Option<bool>,
    /// Ticket categories only: those of one ticket type.
    #[param(inline)]
    pub ticket_type: Option<TicketType>,
}

/// A name: 2–100 characters once runs of white space are one.
fn name_schema() -> utoipa::openapi::schema::ObjectBuilder {
    crate::schemas::text(2, 100)
}

/// An English name: empty (the Indonesian one is shown) or as [`name_schema`].
fn english_schema() -> utoipa::openapi::schema::ObjectBuilder {
    let pattern = match crate::schemas::text(2, 100).build().pattern {
        Some(p) => format!("^$|{p}"),
        None => "^$".to_owned(),
    };
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .max_length(Some(100))
        .pattern(Some(pattern))
}

fn wanted(active: Option<bool>, is_active: bool) -> bool {
    active.is_none_or(|a| a == is_active)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketCategoryOut {
    pub id: i64,
    #[schema(inline)]
    pub ticket_type: TicketType,
    pub code: String,
    pub name_id: String,
    pub name_en: String,
    /// How long such a job usually takes.
    pub minutes: i32,
    pub is_active: bool,
}

impl From<TicketCategory> for TicketCategoryOut {
    fn from(c: TicketCategory) -> Self {
        TicketCategoryOut {
            id: c.id,
            ticket_type: c.ticket_type,
            code: c.code,
            name_id: c.name_id,
            name_en: c.name_en,
            minutes: c.minutes,
            is_active: c.is_active,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketCategoryIn {
    #[schema(inline)]
    pub ticket_type: TicketType,
    /// Lower-case letters, digits and `_`, starting with a letter: `los_red`.
    #[schema(example = "los_red", min_length = 2, max_length = 50, pattern = "^[a-z][a-z0-9_]{1,49}$")]
    pub code: String,
    #[schema(schema_with = name_schema)]
    pub name_id: String,
    /// Left out or empty: English readers see the Indonesian name.
    #[serde(default)]
    #[schema(schema_with = english_schema)]
    pub name_en: String,
    #[schema(example = 120, minimum = 15, maximum = 960)]
    pub minutes: i64,
    pub is_active: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketCategoryChange {
    #[schema(schema_with = name_schema)]
    pub name_id: String,
    #[serde(default)]
    #[schema(schema_with = english_schema)]
    pub name_en: String,
    #[schema(example = 120, minimum = 15, maximum = 960)]
    pub minutes: i64,
    pub is_active: bool,
}

/// Ticket categories by ticket type.
#[utoipa::path(get, path = "/api/v1/ticket-categories", tag = "master data", params(MasterParams, PageQuery),
    security(("bearer" = [])), responses((status = 200, body = Page<TicketCategoryOut>),))]
async fn list_categories(
    State(state): State<AppState>,
    _staff: Staff<perm::TicketsView>,
    ApiQuery(p): ApiQuery<MasterParams>,
    paging: Paging,
) -> AppResult<Json<Page<TicketCategoryOut>>> {
    let all = master_data::categories(&state.reads, false)
        .await?
        .into_iter()
        .filter(|c| wanted(p.active, c.is_active) && p.ticket_type.is_none_or(|t| t == c.ticket_type))
        .map(TicketCategoryOut::from)
        .collect();
    Ok(Json(Page::of_all(all, paging)))
}

#[utoipa::path(post, path = "/api/v1/ticket-categories", tag = "master data", request_body = TicketCategoryIn,
    security(("bearer" = [])), responses((status = 201, body = TicketCategoryOut),))]
async fn create_category(
    State(state): State<AppState>,
    staff: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    ApiJson(req): ApiJson<TicketCategoryIn>,
) -> AppResult<(StatusCode, Json<TicketCategoryOut>)> {
    let raw = RawCategory {
        ticket_type: req.ticket_type.as_str().to_owned(),
        code: req.code,
        name_id: req.name_id,
        name_en: req.name_en,
        minutes: req.minutes,
    };
    let checked = master::check_category(&raw).map_err(|p| super::invalid(&p))?;
    let c = super::create_category(&state.db, checked, req.is_active.unwrap_or(true)).await?;
    sites::master_data(&state, staff.auth(), &meta, "ticket_category", c.id, "created").await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

/// Changes a category's names, minutes and whether the forms offer it (type and code stay).
#[utoipa::path(put, path = "/api/v1/ticket-categories/{id}", tag = "master data", request_body = TicketCategoryChange,
    params(("id" = i64, Path, description = "Category id")), security(("bearer" = [])),
    responses((status = 200, body = TicketCategoryOut),))]
async fn update_category(
    State(state): State<AppState>,
    staff: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<TicketCategoryChange>,
) -> AppResult<Json<TicketCategoryOut>> {
    let old = master_data::category(&state.db, id).await?.ok_or_else(|| AppError::not_found("ticket category"))?;
    let raw = RawCategory {
        ticket_type: old.ticket_type.as_str().to_owned(),
        code: old.code,
        name_id: req.name_id,
        name_en: req.name_en,
        minutes: req.minutes,
    };
    let checked = master::check_category(&raw).map_err(|p| super::invalid(&p))?;
    let c = master_data::update_category(&state.db, id, checked, req.is_active)
        .await?
        .ok_or_else(|| AppError::not_found("ticket category"))?;
    sites::master_data(&state, staff.auth(), &meta, "ticket_category", id, "updated").await?;
    Ok(Json(c.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogueSkillOut {
    pub id: i64,
    pub code: String,
    pub name_id: String,
    pub name_en: String,
    /// The field of work it belongs to.
    #[schema(inline)]
    pub specialization: Specialization,
    /// The ticket types that call for it: the assignment suggestions rank technicians by their
    /// level in these.
    #[schema(inline, min_items = 1)]
    pub ticket_types: Vec<TicketType>,
    pub is_active: bool,
}

impl From<CatalogueSkill> for CatalogueSkillOut {
    fn from(s: CatalogueSkill) -> Self {
        CatalogueSkillOut {
            ticket_types: master::split_types(&s.ticket_types),
            id: s.id,
            code: s.code,
            name_id: s.name_id,
            name_en: s.name_en,
            specialization: s.specialization,
            is_active: s.is_active,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogueSkillIn {
    #[schema(example = "fiber_splicing", min_length = 2, max_length = 50, pattern = "^[a-z][a-z0-9_]{1,49}$")]
    pub code: String,
    #[schema(schema_with = name_schema)]
    pub name_id: String,
    #[serde(default)]
    #[schema(schema_with = english_schema)]
    pub name_en: String,
    #[schema(inline)]
    pub specialization: Specialization,
    /// At least one.
    #[schema(inline, min_items = 1)]
    pub ticket_types: Vec<TicketType>,
    pub is_active: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogueSkillChange {
    #[schema(schema_with = name_schema)]
    pub name_id: String,
    #[serde(default)]
    #[schema(schema_with = english_schema)]
    pub name_en: String,
    #[schema(inline)]
    pub specialization: Specialization,
    #[schema(inline, min_items = 1)]
    pub ticket_types: Vec<TicketType>,
    pub is_active: bool,
}

fn raw_skill(
    code: String,
    name_id: String,
    name_en: String,
    specialization: Specialization,
    types: &[TicketType],
) -> RawSkill {
    RawSkill {
        code,
        name_id,
        name_en,
        specialization: specialization.as_str().to_owned(),
        ticket_types: types.iter().map(|t| t.as_str().to_owned()).collect(),
    }
}

/// The skill catalogue technicians' profiles and the assignment suggestions use.
#[utoipa::path(get, path = "/api/v1/skills", tag = "master data", params(MasterParams, PageQuery),
    security(("bearer" = [])), responses((status = 200, body = Page<CatalogueSkillOut>),))]
async fn list_skills(
    State(state): State<AppState>,
    _staff: Staff<perm::TechniciansView>,
    ApiQuery(p): ApiQuery<MasterParams>,
    paging: Paging,
) -> AppResult<Json<Page<CatalogueSkillOut>>> {
    let all = master_data::skills(&state.reads, false)
        .await?
        .into_iter()
        .filter(|s| wanted(p.active, s.is_active))
        .filter(|s| p.ticket_type.is_none_or(|t| master::split_types(&s.ticket_types).contains(&t)))
        .map(CatalogueSkillOut::from)
        .collect();
    Ok(Json(Page::of_all(all, paging)))
}

#[utoipa::path(post, path = "/api/v1/skills", tag = "master data", request_body = CatalogueSkillIn,
    security(("bearer" = [])), responses((status = 201, body = CatalogueSkillOut),))]
async fn create_skill(
    State(state): State<AppState>,
    staff: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    ApiJson(req): ApiJson<CatalogueSkillIn>,
) -> AppResult<(StatusCode, Json<CatalogueSkillOut>)> {
    let raw = raw_skill(req.code, req.name_id, req.name_en, req.specialization, &req.ticket_types);
    let checked = master::check_skill(&raw).map_err(|p| super::invalid(&p))?;
    let s = super::create_skill(&state.db, checked, req.is_active.unwrap_or(true)).await?;
    sites::master_data(&state, staff.auth(), &meta, "skill", s.id, "created").await?;
    Ok((StatusCode::CREATED, Json(s.into())))
}

/// Changes a skill's names, field of work, ticket types and whether the forms offer it (the code
/// stays).
#[utoipa::path(put, path = "/api/v1/skills/{id}", tag = "master data", request_body = CatalogueSkillChange,
    params(("id" = i64, Path, description = "Skill id")), security(("bearer" = [])),
    responses((status = 200, body = CatalogueSkillOut),))]
async fn update_skill(
    State(state): State<AppState>,
    staff: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<CatalogueSkillChange>,
) -> AppResult<Json<CatalogueSkillOut>> {
    let old = master_data::skill(&state.db, id).await?.ok_or_else(|| AppError::not_found("skill"))?;
    let raw = raw_skill(old.code, req.name_id, req.name_en, req.specialization, &req.ticket_types);
    let checked = master::check_skill(&raw).map_err(|p| super::invalid(&p))?;
    let s = master_data::update_skill(&state.db, id, checked, req.is_active)
        .await?
        .ok_or_else(|| AppError::not_found("skill"))?;
    sites::master_data(&state, staff.auth(), &meta, "skill", id, "updated").await?;
    Ok(Json(s.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceAreaOut {
    pub id: i64,
    pub name: String,
    pub city: String,
    pub is_active: bool,
}

impl From<ServiceArea> for ServiceAreaOut {
    fn from(a: ServiceArea) -> Self {
        ServiceAreaOut { id: a.id, name: a.name, city: a.city, is_active: a.is_active }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceAreaIn {
    #[schema(schema_with = name_schema)]
    pub name: String,
    #[serde(default)]
    #[schema(example = "Kabupaten Karawang", max_length = 100)]
    pub city: String,
    pub is_active: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceAreaChange {
    #[serde(default)]
    #[schema(example = "Kabupaten Karawang", max_length = 100)]
    pub city: String,
    pub is_active: bool,
}

/// The service areas technicians work in.
#[utoipa::path(get, path = "/api/v1/service-areas", tag = "master data", params(MasterParams, PageQuery),
    security(("bearer" = [])), responses((status = 200, body = Page<ServiceAreaOut>),))]
async fn list_areas(
    State(state): State<AppState>,
    _staff: Staff<perm::TechniciansView>,
    ApiQuery(p): ApiQuery<MasterParams>,
    paging: Paging,
) -> AppResult<Json<Page<ServiceAreaOut>>> {
    let all = master_data::areas(&state.reads, false)
        .await?
        .into_iter()
        .filter(|a| wanted(p.active, a.is_active))
        .map(ServiceAreaOut::from)
        .collect();
    Ok(Json(Page::of_all(all, paging)))
}

#[utoipa::path(post, path = "/api/v1/service-areas", tag = "master data", request_body = ServiceAreaIn,
    security(("bearer" = [])), responses((status = 201, body = ServiceAreaOut),))]
async fn create_area(
    State(state): State<AppState>,
    staff: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    ApiJson(req): ApiJson<ServiceAreaIn>,
) -> AppResult<(StatusCode, Json<ServiceAreaOut>)> {
    let (name, city) = master::check_area(&req.name, &req.city).map_err(|p| super::invalid(&p))?;
    let a = super::create_area(&state.db, name, city, req.is_active.unwrap_or(true)).await?;
    sites::master_data(&state, staff.auth(), &meta, "service_area", a.id, "created").await?;
    Ok((StatusCode::CREATED, Json(a.into())))
}

/// Changes an area's city and whether the forms offer it (the name stays).
#[utoipa::path(put, path = "/api/v1/service-areas/{id}", tag = "master data", request_body = ServiceAreaChange,
    params(("id" = i64, Path, description = "Service area id")), security(("bearer" = [])),
    responses((status = 200, body = ServiceAreaOut),))]
async fn update_area(
    State(state): State<AppState>,
    staff: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<ServiceAreaChange>,
) -> AppResult<Json<ServiceAreaOut>> {
    let old = master_data::area(&state.db, id).await?.ok_or_else(|| AppError::not_found("service area"))?;
    let (_, city) = master::check_area(&old.name, &req.city).map_err(|p| super::invalid(&p))?;
    let a = master_data::update_area(&state.db, id, city, req.is_active)
        .await?
        .ok_or_else(|| AppError::not_found("service area"))?;
    sites::master_data(&state, staff.auth(), &meta, "service_area", id, "updated").await?;
    Ok(Json(a.into()))
}
