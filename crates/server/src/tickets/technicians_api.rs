//! `/api/v1/technicians`: the field team (profile, skills, zone, capacity, availability and load).

use crate::app::AppState;
use crate::auth::extract::{CurrentUser, Staff, perm};
use crate::error::{AppError, AppResult, Problem};
use crate::extract::{ApiJson, ApiQuery, IdPath};
use aglis_core::permission::Role;
use aglis_db::repo::technicians::{self, Profile, Technician};
use aglis_db::repo::{tickets, users};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(set_availability))
}

const LEVELS: [&str; 4] = ["junior", "senior", "expert", "specialist"];
const AVAILABILITY: [&str; 5] = ["available", "busy", "break", "offline", "on_leave"];

#[derive(Debug, Serialize, ToSchema)]
pub struct TechnicianOut {
    pub id: i64,
    /// `TEC0007`.
    pub employee_id: String,
    pub user_id: Option<i64>,
    pub full_name: String,
    pub phone: String,
    pub skill_level: String,
    pub work_zone: String,
    pub max_daily_tickets: i32,
    pub work_start: String,
    pub work_end: String,
    pub availability: String,
    pub is_active: bool,
    /// Active tickets they lead.
    pub load: i64,
}

fn out(t: Technician, load: i64) -> TechnicianOut {
    TechnicianOut {
        id: t.id,
        employee_id: t.employee_id,
        user_id: t.user_id,
        full_name: t.full_name,
        phone: t.phone,
        skill_level: t.skill_level,
        work_zone: t.work_zone,
        max_daily_tickets: t.max_daily_tickets,
        work_start: t.work_start,
        work_end: t.work_end,
        availability: t.availability,
        is_active: t.is_active,
        load,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListParams {
    pub zone: Option<String>,
    /// available, busy, break, offline or on_leave.
    pub availability: Option<String>,
}

/// Technicians with their current load, by name.
#[utoipa::path(get, path = "/api/v1/technicians", tag = "technicians", params(ListParams), security(("bearer" = [])),
    responses((status = 200, body = Vec<TechnicianOut>),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn list(
    State(state): State<AppState>,
    _staff: Staff<perm::TechniciansView>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> AppResult<Json<Vec<TechnicianOut>>> {
    let all = technicians::list(&state.reads, p.zone.as_deref(), p.availability.as_deref()).await?;
    let ids: Vec<i64> = all.iter().map(|t| t.id).collect();
    let loads = tickets::active_load(&state.reads, &ids).await?;
    Ok(Json(
        all.into_iter()
            .map(|t| {
                let load = loads.iter().find(|(id, _)| *id == t.id).map_or(0, |(_, n)| *n);
                out(t, load)
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TechnicianIn {
    #[schema(example = "Agus Setiawan")]
    pub full_name: String,
    #[schema(example = "0812-7777-1001")]
    pub phone: String,
    /// The login of a `technician` user, for their phone-sized queue.
    pub user_id: Option<i64>,
    /// junior, senior, expert or specialist.
    pub skill_level: Option<String>,
    #[schema(example = "Karawang Barat")]
    pub work_zone: String,
    pub max_daily_tickets: Option<i32>,
    /// `HH:MM` (default 08:00).
    pub work_start: Option<String>,
    /// `HH:MM` (default 17:00).
    pub work_end: Option<String>,
    /// Skill codes with a level 1–5, e.g. `{"ftth_basic_install": 4}`.
    #[serde(default)]
    pub skills: std::collections::BTreeMap<String, i32>,
}

fn hhmm(field: &str, v: Option<String>, default: &str) -> AppResult<String> {
    let v = v.unwrap_or_else(|| default.to_owned());
    chrono::NaiveTime::parse_from_str(&v, "%H:%M")
        .map(|t| t.format("%H:%M").to_string())
        .map_err(|_| AppError::field(field, format!("`{v}` is not a time such as 08:00")))
}

/// Adds a technician (employee id `TECnnnn` given in order).
#[utoipa::path(post, path = "/api/v1/technicians", tag = "technicians", request_body = TechnicianIn, security(("bearer" = [])),
    responses((status = 201, body = TechnicianOut),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create(
    State(state): State<AppState>,
    _staff: Staff<perm::TechniciansEdit>,
    ApiJson(req): ApiJson<TechnicianIn>,
) -> AppResult<(StatusCode, Json<TechnicianOut>)> {
    let full_name = req.full_name.trim().to_owned();
    if !(2..=100).contains(&full_name.chars().count()) {
        return Err(AppError::field("full_name", "2 to 100 characters"));
    }
    let phone = aglis_core::phone::Phone::parse(&req.phone)
        .map_err(|e| AppError::field("phone", e.to_string()))?
        .as_str()
        .to_owned();
    let skill_level = req.skill_level.unwrap_or_else(|| "junior".into());
    if !LEVELS.contains(&skill_level.as_str()) {
        return Err(AppError::field("skill_level", format!("one of {}", LEVELS.join(", "))));
    }
    let work_zone = req.work_zone.trim().to_owned();
    if !(2..=100).contains(&work_zone.chars().count()) {
        return Err(AppError::field("work_zone", "2 to 100 characters"));
    }
    let max_daily_tickets = req.max_daily_tickets.unwrap_or(8);
    if !(1..=50).contains(&max_daily_tickets) {
        return Err(AppError::field("max_daily_tickets", "from 1 to 50"));
    }
    let (work_start, work_end) =
        (hhmm("work_start", req.work_start, "08:00")?, hhmm("work_end", req.work_end, "17:00")?);
    if work_start >= work_end {
        return Err(AppError::field("work_end", "must be after work_start"));
    }
    let mut skills = Vec::new();
    for (code, level) in req.skills {
        let ok = (1..=50).contains(&code.len())
            && code.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit());
        if !ok || !(1..=5).contains(&level) {
            return Err(AppError::field("skills", format!("`{code}`: a code of a-z and _ with a level from 1 to 5")));
        }
        skills.push((code, level));
    }
    if let Some(uid) = req.user_id {
        let user = users::get(&state.db, uid)
            .await?
            .ok_or_else(|| AppError::field("user_id", format!("there is no user {uid}")))?;
        if user.role != Role::Technician {
            return Err(AppError::field("user_id", format!("{} is a {}, not a technician", user.username, user.role)));
        }
    }
    let profile = Profile {
        user_id: req.user_id,
        full_name,
        phone,
        skill_level,
        work_zone,
        max_daily_tickets,
        work_start,
        work_end,
        skills,
    };
    for _ in 0..5 {
        let n = technicians::highest_employee_number(&state.db).await? + 1;
        match technicians::create(&state.db, &format!("TEC{n:04}"), profile.clone(), state.now()).await {
            Ok(t) => return Ok((StatusCode::CREATED, Json(out(t, 0)))),
            Err(e) if e.is_unique_on("user_id") => {
                return Err(AppError::field("user_id", "this user already has a technician profile"));
            }
            Err(e) if e.is_unique_on("employee_id") => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Conflict { detail: "too many at once; try again".into(), fields: Default::default() })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityIn {
    /// available, busy, break, offline or on_leave.
    pub availability: String,
}

/// Sets availability: supervisors for anyone, a technician for themself.
#[utoipa::path(post, path = "/api/v1/technicians/{id}/availability", tag = "technicians", request_body = AvailabilityIn,
    params(("id" = i64, Path, description = "Technician id")), security(("bearer" = [])),
    responses((status = 204),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn set_availability(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<AvailabilityIn>,
) -> AppResult<StatusCode> {
    let t = technicians::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("technician"))?;
    let own = t.user_id == Some(auth.user.id);
    if !own && !auth.user.role.can(aglis_core::permission::Permission::TechniciansEdit) {
        return Err(AppError::Forbidden("only supervisors or the technician themself".into()));
    }
    if !AVAILABILITY.contains(&req.availability.as_str()) {
        return Err(AppError::field("availability", format!("one of {}", AVAILABILITY.join(", "))));
    }
    technicians::set_availability(&state.db, id, &req.availability, state.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
