//! `/api/v1/registrations`: the sign-ups for staff, and the workflow steps.

use crate::auth::extract::{CurrentUser, Staff, perm};
use crate::error::{AppError, AppResult, Problem};
use crate::extract::{ApiJson, ApiQuery, IdPath};
use crate::listing::{Page, PageQuery, Paging};
use crate::registrations::service;
use crate::state::AppState;
use aglis_core::registration::{RegistrationStatus, StepInput};
use aglis_db::repo::registrations::{self, Registration, RegistrationQuery};
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(show)).routes(routes!(take_step))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationOut {
    pub id: i64,
    /// `REGyyyymmddNNN`.
    pub number: String,
    pub full_name: String,
    pub phone: String,
    pub email: Option<String>,
    pub address: String,
    pub city: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub package_id: i64,
    pub status: String,
    pub reason: Option<String>,
    pub survey_at: Option<DateTime<Utc>>,
    pub survey_feasible: Option<bool>,
    pub odp_id: Option<i64>,
    pub installation_at: Option<DateTime<Utc>>,
    pub customer_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    /// The statuses it can move to next.
    pub next: Vec<String>,
}

impl From<Registration> for RegistrationOut {
    fn from(r: Registration) -> Self {
        RegistrationOut {
            next: r.status.next().iter().map(|s| s.as_str().to_owned()).collect(),
            id: r.id,
            number: r.number,
            full_name: r.full_name,
            phone: r.phone,
            email: r.email,
            address: r.address,
            city: r.city,
            latitude: r.latitude,
            longitude: r.longitude,
            package_id: r.package_id,
            status: r.status.as_str().to_owned(),
            reason: r.reason,
            survey_at: r.survey_at,
            survey_feasible: r.survey_feasible,
            odp_id: r.odp_id,
            installation_at: r.installation_at,
            customer_id: r.customer_id,
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    #[param(inline)]
    pub status: Option<RegistrationStatus>,
    /// Part of the number, name or phone.
    pub q: Option<String>,
}

/// Registrations, newest first.
#[utoipa::path(get, path = "/api/v1/registrations", tag = "registrations", params(ListParams, PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<RegistrationOut>),))]
async fn list(
    State(state): State<AppState>,
    _staff: Staff<perm::RegistrationsView>,
    ApiQuery(p): ApiQuery<ListParams>,
    paging: Paging,
) -> AppResult<Json<Page<RegistrationOut>>> {
    let q = RegistrationQuery { status: p.status, q: p.q, page: paging.page, per_page: paging.per_page };
    let (items, total) = registrations::list(&state.db, &q).await?;
    Ok(Json(Page::new(items.into_iter().map(RegistrationOut::from).collect(), total, paging)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StepOut {
    #[schema(inline)]
    pub status: RegistrationStatus,
    pub detail: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationDetail {
    #[serde(flatten)]
    pub registration: RegistrationOut,
    /// Oldest first.
    pub history: Vec<StepOut>,
}

/// One registration with its history.
#[utoipa::path(get, path = "/api/v1/registrations/{id}", tag = "registrations",
    params(("id" = i64, Path, description = "Registration id")), security(("bearer" = [])),
    responses((status = 200, body = RegistrationDetail),))]
async fn show(
    State(state): State<AppState>,
    _staff: Staff<perm::RegistrationsView>,
    IdPath(id): IdPath,
) -> AppResult<Json<RegistrationDetail>> {
    let r = registrations::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("registration"))?;
    let history = registrations::events(&state.db, id)
        .await?
        .into_iter()
        .map(|e| StepOut { status: e.status, detail: e.detail, at: e.at })
        .collect();
    Ok(Json(RegistrationDetail { registration: r.into(), history }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepIn {
    /// The next status: verified, survey_scheduled, surveyed, approved, installation_scheduled,
    /// installed, activated, rejected or cancelled.
    #[schema(inline, example = "verified")]
    pub status: RegistrationStatus,
    /// Rejected or cancelled: why.
    pub reason: Option<String>,
    /// Survey or installation scheduled: when (RFC 3339).
    pub scheduled_at: Option<DateTime<Utc>>,
    /// Surveyed: whether a connection is possible.
    pub feasible: Option<bool>,
    /// Surveyed: the ODP that will serve the address.
    pub odp_id: Option<i64>,
    pub notes: Option<String>,
}

/// Takes the next step. Each step needs its permission (verify, approve, reject) and what it
/// records; the applicant is told by WhatsApp.
#[utoipa::path(post, path = "/api/v1/registrations/{id}/steps", tag = "registrations", request_body = StepIn,
    params(("id" = i64, Path, description = "Registration id")), security(("bearer" = [])),
    responses((status = 200, body = RegistrationOut),
        (status = 409, description = "Not allowed from the current status", body = Problem, content_type = "application/problem+json"),))]
async fn take_step(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    IdPath(id): IdPath,
    body: Result<ApiJson<StepIn>, AppError>,
) -> AppResult<Json<RegistrationOut>> {
    // Refused before the body is read: a customer learns nothing about the step's fields.
    if !auth.user.role.is_staff() {
        return Err(AppError::Forbidden("staff only".into()));
    }
    let ApiJson(req) = body?;
    let input = StepInput {
        reason: req.reason,
        scheduled_at: req.scheduled_at,
        feasible: req.feasible,
        odp_id: req.odp_id,
        notes: req.notes,
    };
    Ok(Json(service::step(&state, id, req.status, input, &auth).await?.into()))
}
