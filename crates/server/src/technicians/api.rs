//! `/api/v1/technicians`: the field team (profile, skills, areas, specialisations, work hours and
//! days, capacity, availability and load): a filtered list, one profile, create, update, deactivate.
//!
//! Thin: the use cases live in [`super::service`], shared with the pages.

use super::service::{self, Full};
use crate::auth::extract::{CurrentUser, Staff, perm};
use crate::error::{AppError, AppResult};
use crate::extract::{ApiJson, ApiQuery, IdPath};
use crate::listing::{Page, PageQuery, Paging};
use crate::state::AppState;
use aglis_core::technician::{self as rules, Availability, CheckedProfile, RawProfile, SkillLevel, TechnicianError};
use aglis_db::repo::technicians::TechnicianQuery;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, deactivate))
        .routes(routes!(set_availability))
        .routes(routes!(reactivate))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SkillOut {
    #[schema(example = "fiber_splicing")]
    pub skill: String,
    /// 1–5.
    pub level: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TechnicianOut {
    pub id: i64,
    /// `TEC0007`.
    pub employee_id: String,
    pub user_id: Option<i64>,
    pub full_name: String,
    pub phone: String,
    #[schema(inline)]
    pub skill_level: SkillLevel,
    /// The home zone.
    pub work_zone: String,
    /// Further service areas besides the home zone.
    pub areas: Vec<String>,
    /// Fields of work: ftth_installation, ftth_maintenance, network_infrastructure, noc_operations,
    /// customer_support, wireless_services.
    pub specializations: Vec<String>,
    /// Skill codes with their level 1–5, by code.
    pub skills: Vec<SkillOut>,
    pub max_daily_tickets: i32,
    pub work_start: String,
    pub work_end: String,
    /// mon … sun.
    pub work_days: Vec<String>,
    #[schema(inline)]
    pub availability: Availability,
    pub is_active: bool,
    /// Active tickets they lead.
    pub load: i64,
}

/// The user account a profile is linked to.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkedUser {
    pub id: i64,
    pub username: String,
    pub full_name: String,
    pub role: String,
    pub is_active: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TechnicianDetail {
    #[serde(flatten)]
    pub technician: TechnicianOut,
    /// `load` as a share of `max_daily_tickets`, 0–100.
    pub load_percent: u32,
    /// Whether they may lead one more ticket now (active, available, under capacity).
    pub assignable: bool,
    pub user: Option<LinkedUser>,
}

impl From<Full> for TechnicianOut {
    fn from(f: Full) -> Self {
        let work_days = f.work_days().iter().map(|d| d.as_str().to_owned()).collect();
        let Full { t, load, skills, extras } = f;
        TechnicianOut {
            id: t.id,
            employee_id: t.employee_id,
            user_id: t.user_id,
            full_name: t.full_name,
            phone: t.phone,
            skill_level: t.skill_level,
            work_zone: t.work_zone,
            areas: extras.areas,
            specializations: extras.specializations.iter().map(|s| s.as_str().to_owned()).collect(),
            skills: skills.into_iter().map(|(skill, level)| SkillOut { skill, level }).collect(),
            max_daily_tickets: t.max_daily_tickets,
            work_start: t.work_start,
            work_end: t.work_end,
            work_days,
            availability: t.availability,
            is_active: t.is_active,
            load,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Name, employee id (`TEC0003`) or phone digits (`0812-7777`).
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// The home zone or any service area (any case).
    pub zone: Option<String>,
    /// The same as `zone`.
    pub area: Option<String>,
    /// available, busy, break, offline or on_leave.
    #[param(schema_with = crate::schemas::or_empty::<rules::Availability>)]
    pub availability: Option<String>,
    /// Holding this skill code.
    pub skill: Option<String>,
    /// With `skill`: at this level (1–5) or above.
    #[param(minimum = 1, maximum = 5)]
    pub min_level: Option<i64>,
    /// ftth_installation, ftth_maintenance, network_infrastructure, noc_operations, customer_support
    /// or wireless_services.
    #[param(schema_with = crate::schemas::or_empty::<rules::Specialization>)]
    pub specialization: Option<String>,
    /// true: active only; false: deactivated only; absent: both.
    pub active: Option<bool>,
}

impl ListParams {
    /// The query for page `paging`, or 422 naming the filter.
    pub(crate) fn query(self, paging: Paging) -> AppResult<TechnicianQuery> {
        let blank = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let availability = blank(self.availability).map(|a| rules::parse_availability(&a)).transpose()?;
        let specialization = blank(self.specialization)
            .map(|s| s.parse::<rules::Specialization>().map_err(|_| TechnicianError::Specialization(s)))
            .transpose()
            .map_err(|e| AppError::field("specialization", e.to_string()))?;
        let min_level = match self.min_level {
            None => None,
            Some(l) => Some(
                i32::try_from(l)
                    .ok()
                    .filter(|l| (rules::MIN_SKILL..=rules::MAX_SKILL).contains(l))
                    .ok_or_else(|| AppError::field("min_level", "a level from 1 to 5"))?,
            ),
        };
        let q = blank(self.q);
        if q.as_ref().is_some_and(|q| q.chars().count() > 100) {
            return Err(AppError::field("q", "at most 100 characters"));
        }
        Ok(TechnicianQuery {
            q,
            availability,
            area: blank(self.area).or(blank(self.zone)),
            skill: blank(self.skill),
            min_level,
            specialization,
            active: self.active,
            paging: Some((paging.page, paging.per_page)),
        })
    }
}

/// Technicians with their current load, by name, a page at a time.
#[utoipa::path(get, path = "/api/v1/technicians", tag = "technicians", params(ListParams, PageQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Page<TechnicianOut>),))]
async fn list(
    State(state): State<AppState>,
    _staff: Staff<perm::TechniciansView>,
    ApiQuery(p): ApiQuery<ListParams>,
    paging: Paging,
) -> AppResult<Json<Page<TechnicianOut>>> {
    let (all, total) = service::list(&state, &p.query(paging)?).await?;
    Ok(Json(Page::new(all.into_iter().map(TechnicianOut::from).collect(), total, paging)))
}

/// One technician: profile, skills with levels, areas, hours, availability, load and linked account.
#[utoipa::path(get, path = "/api/v1/technicians/{id}", tag = "technicians",
    params(("id" = i64, Path, description = "Technician id")), security(("bearer" = [])),
    responses((status = 200, body = TechnicianDetail),))]
async fn show(
    State(state): State<AppState>,
    _staff: Staff<perm::TechniciansView>,
    IdPath(id): IdPath,
) -> AppResult<Json<TechnicianDetail>> {
    Ok(Json(detail(&state, service::full(&state.db, id).await?).await?))
}

async fn detail(state: &AppState, f: Full) -> AppResult<TechnicianDetail> {
    let user = service::linked_user(state, &f).await?.map(|u| LinkedUser {
        id: u.id,
        username: u.username,
        full_name: u.full_name,
        role: u.role.as_str().to_owned(),
        is_active: u.is_active,
    });
    Ok(TechnicianDetail { load_percent: f.load_percent(), assignable: f.assignable(), user, technician: f.into() })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TechnicianIn {
    #[schema(schema_with = crate::schemas::full_name)]
    pub full_name: String,
    #[schema(schema_with = crate::schemas::phone)]
    pub phone: String,
    /// The login of a `technician` user, for their phone-sized queue.
    pub user_id: Option<i64>,
    /// junior (default), senior, expert or specialist.
    #[schema(value_type = Option<rules::SkillLevel>, inline)]
    pub skill_level: Option<String>,
    /// The home zone.
    #[schema(example = "Karawang Barat")]
    pub work_zone: String,
    /// Further service areas, e.g. `["Telukjambe", "Klari"]`.
    #[serde(default)]
    pub areas: Vec<String>,
    /// Fields of work (see the list's `specialization` filter).
    #[serde(default)]
    pub specializations: Vec<String>,
    /// 1–50 (default 8).
    #[schema(minimum = 1, maximum = 50)]
    pub max_daily_tickets: Option<i32>,
    /// `HH:MM` (default 08:00).
    pub work_start: Option<String>,
    /// `HH:MM`, after `work_start` (default 17:00).
    pub work_end: Option<String>,
    /// mon … sun (default Monday to Saturday).
    #[schema(value_type = Option<Vec<rules::WorkDay>>, inline, min_items = 1)]
    pub work_days: Option<Vec<String>>,
    /// Skill codes with a level 1–5, e.g. `{"ftth_basic_install": 4}`.
    #[serde(default)]
    pub skills: BTreeMap<String, i64>,
    /// available, busy, break, offline or on_leave. On create: available by default; on update:
    /// left as it is when absent.
    #[schema(value_type = Option<Availability>, inline)]
    pub availability: Option<String>,
}

impl TechnicianIn {
    /// The checked profile and availability, or 422 with every problem by field.
    fn check(self) -> AppResult<(CheckedProfile, Option<i64>, Option<Availability>)> {
        let raw = RawProfile {
            full_name: self.full_name,
            phone: self.phone,
            work_zone: self.work_zone,
            areas: self.areas,
            skill_level: self.skill_level,
            max_daily_tickets: self.max_daily_tickets.map(i64::from),
            work_start: self.work_start,
            work_end: self.work_end,
            skills: self.skills.into_iter().collect(),
            specializations: self.specializations,
            work_days: self.work_days,
        };
        let availability = self.availability.as_deref().map(rules::parse_availability).transpose();
        match (rules::check_profile(&raw), availability) {
            (Ok(profile), Ok(availability)) => Ok((profile, self.user_id, availability)),
            (profile, availability) => {
                let mut errors = profile.err().unwrap_or_default();
                errors.extend(availability.err());
                Err(errors.into())
            }
        }
    }
}

/// Adds a technician (employee id `TECnnnn` given in order).
#[utoipa::path(post, path = "/api/v1/technicians", tag = "technicians", request_body = TechnicianIn, security(("bearer" = [])),
    responses((status = 201, body = TechnicianOut),))]
async fn create(
    State(state): State<AppState>,
    _staff: Staff<perm::TechniciansEdit>,
    ApiJson(req): ApiJson<TechnicianIn>,
) -> AppResult<(StatusCode, Json<TechnicianOut>)> {
    let (profile, user_id, availability) = req.check()?;
    let t = service::create_technician(&state, &profile, user_id, availability).await?;
    Ok((StatusCode::CREATED, Json(service::full(&state.db, t.id).await?.into())))
}

/// Replaces a technician's profile: the body is the whole profile, as on create (fields left out
/// take their defaults), except `availability`, which stays as it is when absent.
#[utoipa::path(put, path = "/api/v1/technicians/{id}", tag = "technicians", request_body = TechnicianIn,
    params(("id" = i64, Path, description = "Technician id")), security(("bearer" = [])),
    responses((status = 200, body = TechnicianDetail),))]
async fn update(
    State(state): State<AppState>,
    _staff: Staff<perm::TechniciansEdit>,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<TechnicianIn>,
) -> AppResult<Json<TechnicianDetail>> {
    service::full(&state.db, id).await?;
    let (profile, user_id, availability) = req.check()?;
    service::update_technician(&state, id, &profile, user_id, availability).await?;
    Ok(Json(detail(&state, service::full(&state.db, id).await?).await?))
}

/// Deactivates a technician (kept for the history, no longer assignable). Refused with 409 while
/// they lead active tickets; the problem says how many.
#[utoipa::path(delete, path = "/api/v1/technicians/{id}", tag = "technicians",
    params(("id" = i64, Path, description = "Technician id")), security(("bearer" = [])),
    responses((status = 200, body = TechnicianOut),))]
async fn deactivate(
    State(state): State<AppState>,
    _staff: Staff<perm::TechniciansEdit>,
    IdPath(id): IdPath,
) -> AppResult<Json<TechnicianOut>> {
    let t = service::deactivate_technician(&state, id).await?;
    Ok(Json(service::full(&state.db, t.id).await?.into()))
}

/// Makes a deactivated technician active again.
#[utoipa::path(post, path = "/api/v1/technicians/{id}/reactivate", tag = "technicians",
    params(("id" = i64, Path, description = "Technician id")), security(("bearer" = [])),
    responses((status = 200, body = TechnicianOut),))]
async fn reactivate(
    State(state): State<AppState>,
    _staff: Staff<perm::TechniciansEdit>,
    IdPath(id): IdPath,
) -> AppResult<Json<TechnicianOut>> {
    service::reactivate(&state, id).await?;
    Ok(Json(service::full(&state.db, id).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityIn {
    /// available, busy, break, offline or on_leave.
    #[schema(value_type = Availability, inline)]
    pub availability: String,
}

/// Sets availability: supervisors for anyone, a technician for themself.
#[utoipa::path(post, path = "/api/v1/technicians/{id}/availability", tag = "technicians", request_body = AvailabilityIn,
    params(("id" = i64, Path, description = "Technician id")), security(("bearer" = [])),
    responses((status = 204),))]
async fn set_availability(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<AvailabilityIn>,
) -> AppResult<StatusCode> {
    service::set_availability(&state, auth.user.role, auth.user.id, id, &req.availability).await??;
    Ok(StatusCode::NO_CONTENT)
}
