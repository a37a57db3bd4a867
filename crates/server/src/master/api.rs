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

fn wanted(active: Option<bool>, is_active: bool) -> bool {
    active.is_none_or(|a| a == is_active)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryOut {
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

impl From<TicketCategory> for CategoryOut {
    fn from(c: TicketCategory) -> Self {
        CategoryOut {
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
pub struct CategoryIn {
    #[schema(inline)]
    pub ticket_type: TicketType,
    /// Lower-case letters, digits and `_`, starting with a letter: `los_red`.
    #[schema(example = "los_red", min_length = 2, max_length = 50, pattern = "^[a-z][a-z0-9_]{1,49}$")]
    pub code: String,
    #[schema(example = "Lampu LOS merah", min_length = 2, max_length = 100)]
    pub name_id: String,
    /// Left out or empty: English readers see the Indonesian name.
    #[serde(default)]
    #[schema(example = "Red LOS light", max_length = 100)]
    pub name_en: String,
    #[schema(example = 120, minimum = 15, maximum = 960)]
    pub minutes: i64,
    pub is_active: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryChange {
    #[schema(example = "Lampu LOS merah", min_length = 2, max_length = 100)]
    pub name_id: String,
    #[serde(default)]
    #[schema(max_length = 100)]
    pub name_en: String,
    #[schema(example = 120, minimum = 15, maximum = 960)]
    pub minutes: i64,
    pub is_active: bool,
}

/// Ticket categories by ticket type.
#[utoipa::path(get, path = "/api/v1/ticket-categories", tag = "master data", params(MasterParams, PageQuery),
    security(("bearer" = [])), responses((status = 200, body = Page<CategoryOut>),))]
async fn list_categories(
    State(state): State<AppState>,
    _staff: Staff<perm::TicketsView>,
    ApiQuery(p): ApiQuery<MasterParams>,
    paging: Paging,
) -> AppResult<Json<Page<CategoryOut>>> {
    let all = master_data::categories(&state.reads, false)
        .await?
        .into_iter()
        .filter(|c| wanted(p.active, c.is_active) && p.ticket_type.is_none_or(|t| t == c.ticket_type))
        .map(CategoryOut::from)
        .collect();
    Ok(Json(Page::of_all(all, paging)))
}

#[utoipa::path(post, path = "/api/v1/ticket-categories", tag = "master data", request_body = CategoryIn,
    security(("bearer" = [])), responses((status = 201, body = CategoryOut),))]
async fn create_category(
    State(state): State<AppState>,
    staff: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    ApiJson(req): ApiJson<CategoryIn>,
) -> AppResult<(StatusCode, Json<CategoryOut>)> {
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
#[utoipa::path(put, path = "/api/v1/ticket-categories/{id}", tag = "master data", request_body = CategoryChange,
    params(("id" = i64, Path, description = "Category id")), security(("bearer" = [])),
    responses((status = 200, body = CategoryOut),))]
async fn update_category(
    State(state): State<AppState>,
    staff: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<CategoryChange>,
) -> AppResult<Json<CategoryOut>> {
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
pub struct SkillOut {
    pub id: i64,
    pub code: String,
    pub name_id: String,
    pub name_en: String,
    /// The field of work it belongs to.
    #[schema(inline)]
    pub specialization: Specialization,
    /// The ticket types that call for it: the assignment suggestions rank technicians by their
    /// level in these.
    #[schema(inline)]
    pub ticket_types: Vec<TicketType>,
    pub is_active: bool,
}

impl From<CatalogueSkill> for SkillOut {
    fn from(s: CatalogueSkill) -> Self {
        SkillOut {
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
pub struct SkillIn {
    #[schema(example = "fiber_splicing", min_length = 2, max_length = 50, pattern = "^[a-z][a-z0-9_]{1,49}$")]
    pub code: String,
    #[schema(example = "Penyambungan fiber", min_length = 2, max_length = 100)]
    pub name_id: String,
    #[serde(default)]
    #[schema(example = "Fibre splicing", max_length = 100)]
    pub name_en: String,
    #[schema(inline)]
    pub specialization: Specialization,
    /// At least one.
    #[schema(inline)]
    pub ticket_types: Vec<TicketType>,
    pub is_active: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkillChange {
    #[schema(example = "Penyambungan fiber", min_length = 2, max_length = 100)]
    pub name_id: String,
    #[serde(default)]
    #[schema(max_length = 100)]
    pub name_en: String,
    #[schema(inline)]
    pub specialization: Specialization,
    #[schema(inline)]
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
    security(("bearer" = [])), responses((status = 200, body = Page<SkillOut>),))]
async fn list_skills(
    State(state): State<AppState>,
    _staff: Staff<perm::TechniciansView>,
    ApiQuery(p): ApiQuery<MasterParams>,
    paging: Paging,
) -> AppResult<Json<Page<SkillOut>>> {
    let all = master_data::skills(&state.reads, false)
        .await?
        .into_iter()
        .filter(|s| wanted(p.active, s.is_active))
        .filter(|s| p.ticket_type.is_none_or(|t| master::split_types(&s.ticket_types).contains(&t)))
        .map(SkillOut::from)
        .collect();
    Ok(Json(Page::of_all(all, paging)))
}

#[utoipa::path(post, path = "/api/v1/skills", tag = "master data", request_body = SkillIn,
    security(("bearer" = [])), responses((status = 201, body = SkillOut),))]
async fn create_skill(
    State(state): State<AppState>,
    staff: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    ApiJson(req): ApiJson<SkillIn>,
) -> AppResult<(StatusCode, Json<SkillOut>)> {
    let raw = raw_skill(req.code, req.name_id, req.name_en, req.specialization, &req.ticket_types);
    let checked = master::check_skill(&raw).map_err(|p| super::invalid(&p))?;
    let s = super::create_skill(&state.db, checked, req.is_active.unwrap_or(true)).await?;
    sites::master_data(&state, staff.auth(), &meta, "skill", s.id, "created").await?;
    Ok((StatusCode::CREATED, Json(s.into())))
}

/// Changes a skill's names, field of work, ticket types and whether the forms offer it (the code
/// stays).
#[utoipa::path(put, path = "/api/v1/skills/{id}", tag = "master data", request_body = SkillChange,
    params(("id" = i64, Path, description = "Skill id")), security(("bearer" = [])),
    responses((status = 200, body = SkillOut),))]
async fn update_skill(
    State(state): State<AppState>,
    staff: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<SkillChange>,
) -> AppResult<Json<SkillOut>> {
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
pub struct AreaOut {
    pub id: i64,
    pub name: String,
    pub city: String,
    pub is_active: bool,
}

impl From<ServiceArea> for AreaOut {
    fn from(a: ServiceArea) -> Self {
        AreaOut { id: a.id, name: a.name, city: a.city, is_active: a.is_active }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AreaIn {
    #[schema(example = "Karawang Barat", min_length = 2, max_length = 100)]
    pub name: String,
    #[serde(default)]
    #[schema(example = "Kabupaten Karawang", max_length = 100)]
    pub city: String,
    pub is_active: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AreaChange {
    #[serde(default)]
    #[schema(example = "Kabupaten Karawang", max_length = 100)]
    pub city: String,
    pub is_active: bool,
}

/// The service areas technicians work in.
#[utoipa::path(get, path = "/api/v1/service-areas", tag = "master data", params(MasterParams, PageQuery),
    security(("bearer" = [])), responses((status = 200, body = Page<AreaOut>),))]
async fn list_areas(
    State(state): State<AppState>,
    _staff: Staff<perm::TechniciansView>,
    ApiQuery(p): ApiQuery<MasterParams>,
    paging: Paging,
) -> AppResult<Json<Page<AreaOut>>> {
    let all = master_data::areas(&state.reads, false)
        .await?
        .into_iter()
        .filter(|a| wanted(p.active, a.is_active))
        .map(AreaOut::from)
        .collect();
    Ok(Json(Page::of_all(all, paging)))
}

#[utoipa::path(post, path = "/api/v1/service-areas", tag = "master data", request_body = AreaIn,
    security(("bearer" = [])), responses((status = 201, body = AreaOut),))]
async fn create_area(
    State(state): State<AppState>,
    staff: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    ApiJson(req): ApiJson<AreaIn>,
) -> AppResult<(StatusCode, Json<AreaOut>)> {
    let (name, city) = master::check_area(&req.name, &req.city).map_err(|p| super::invalid(&p))?;
    let a = super::create_area(&state.db, name, city, req.is_active.unwrap_or(true)).await?;
    sites::master_data(&state, staff.auth(), &meta, "service_area", a.id, "created").await?;
    Ok((StatusCode::CREATED, Json(a.into())))
}

/// Changes an area's city and whether the forms offer it (the name stays).
#[utoipa::path(put, path = "/api/v1/service-areas/{id}", tag = "master data", request_body = AreaChange,
    params(("id" = i64, Path, description = "Service area id")), security(("bearer" = [])),
    responses((status = 200, body = AreaOut),))]
async fn update_area(
    State(state): State<AppState>,
    staff: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<AreaChange>,
) -> AppResult<Json<AreaOut>> {
    let old = master_data::area(&state.db, id).await?.ok_or_else(|| AppError::not_found("service area"))?;
    let (_, city) = master::check_area(&old.name, &req.city).map_err(|p| super::invalid(&p))?;
    let a = master_data::update_area(&state.db, id, city, req.is_active)
        .await?
        .ok_or_else(|| AppError::not_found("service area"))?;
    sites::master_data(&state, staff.auth(), &meta, "service_area", id, "updated").await?;
    Ok(Json(a.into()))
}
