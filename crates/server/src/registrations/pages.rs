//! `/registrations`: the sign-ups for staff, and one registration with its history and the form
//! for its next step.

use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::{ApiForm, ApiQuery, IdPath};
use crate::listing::Paging;
use crate::pages::{Shell, render};
use crate::registrations::service;
use crate::state::AppState;
use aglis_core::registration::{RegistrationStatus, StepInput};
use aglis_db::entity::registration_events;
use aglis_db::repo::odps::{self, Odp};
use aglis_db::repo::packages::{self, Package};
use aglis_db::repo::registrations::{self, Registration, RegistrationQuery};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/registrations", get(list))
        .route("/registrations/{id}", get(show))
        .route("/registrations/{id}/steps", post(take_step))
}

#[derive(Debug, Deserialize, Default)]
struct ListForm {
    status: Option<String>,
    q: Option<String>,
    page: Option<u64>,
}

#[derive(Template)]
#[template(path = "registrations/list.html")]
struct ListPage {
    shell: Shell,
    items: Vec<Registration>,
    counts: Vec<(RegistrationStatus, i64)>,
    total: u64,
    page: u64,
    pages: u64,
    status: String,
    q: String,
    base_query: String,
}

async fn list(
    State(state): State<AppState>,
    shell: Shell,
    _staff: Staff<perm::RegistrationsView>,
    ApiQuery(f): ApiQuery<ListForm>,
) -> AppResult<Response> {
    let paging = Paging::parse(f.page, None)?;
    let status = f.status.unwrap_or_default();
    let q = f.q.unwrap_or_default();
    let query = RegistrationQuery {
        status: status.parse().ok(),
        q: Some(q.clone()),
        page: paging.page,
        per_page: paging.per_page,
    };
    let (items, total) = registrations::list(&state.db, &query).await?;
    let counts = registrations::status_counts(&state.db).await?;
    let base_query = serde_urlencoded::to_string([("status", &status), ("q", &q)]).unwrap_or_default();
    render(&ListPage {
        shell,
        items,
        counts,
        total,
        page: paging.page,
        pages: paging.pages(total),
        status,
        q,
        base_query,
    })
}

#[derive(Template)]
#[template(path = "registrations/show.html")]
struct ShowPage {
    shell: Shell,
    reg: Registration,
    package: Option<Package>,
    odp: Option<Odp>,
    odps: Vec<Odp>,
    history: Vec<registration_events::Model>,
    /// The next steps this user may take.
    steps: Vec<RegistrationStatus>,
    errors: FieldErrors,
}

impl ShowPage {
    fn error(&self, field: &str) -> String {
        self.shell.field_error(&self.errors, field)
    }
}

async fn page(
    state: &AppState,
    shell: Shell,
    staff: &Staff<perm::RegistrationsView>,
    id: i64,
    errors: FieldErrors,
) -> AppResult<ShowPage> {
    let reg = registrations::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("registration"))?;
    let package = packages::get(&state.db, reg.package_id).await?;
    let odp = match reg.odp_id {
        Some(o) => odps::get(&state.db, o).await?,
        None => None,
    };
    let odps = odps::with_free_ports(&state.db).await?;
    let history = registrations::events(&state.db, id).await?;
    let role = staff.auth().user.role;
    let steps = reg.status.next().iter().copied().filter(|s| role.can(s.permission())).collect();
    Ok(ShowPage { shell, reg, package, odp, odps, history, steps, errors })
}

async fn show(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::RegistrationsView>,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    render(&page(&state, shell, &staff, id, FieldErrors::new()).await?)
}

#[derive(Debug, Deserialize)]
struct StepForm {
    status: String,
    #[serde(default)]
    reason: String,
    /// `datetime-local` in Asia/Jakarta.
    #[serde(default)]
    scheduled_at: String,
    #[serde(default)]
    feasible: String,
    #[serde(default)]
    odp_id: String,
    #[serde(default)]
    notes: String,
}

/// A `datetime-local` value read as Asia/Jakarta time.
fn jakarta(raw: &str) -> Option<DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(raw.trim(), "%Y-%m-%dT%H:%M").ok()?;
    aglis_core::schedule::JAKARTA.from_local_datetime(&naive).single().map(|t| t.with_timezone(&Utc))
}

async fn take_step(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::RegistrationsView>,
    IdPath(id): IdPath,
    ApiForm(f): ApiForm<StepForm>,
) -> AppResult<Response> {
    let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let result = match f.status.parse::<RegistrationStatus>() {
        Err(e) => Err(AppError::field("status", e.to_string())),
        Ok(to) => {
            let input = StepInput {
                reason: some(&f.reason),
                scheduled_at: jakarta(&f.scheduled_at),
                feasible: match f.feasible.as_str() {
                    "yes" => Some(true),
                    "no" => Some(false),
                    _ => None,
                },
                odp_id: f.odp_id.parse().ok(),
                notes: some(&f.notes),
            };
            service::step(&state, id, to, input, staff.auth()).await
        }
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/registrations/{id}")).into_response()),
        Err(AppError::Validation { fields, .. } | AppError::Conflict { fields, .. }) if !fields.is_empty() => {
            let p = page(&state, shell, &staff, id, fields).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)?).into_response())
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn local_times_are_jakarta() {
        let t = super::jakarta("2026-11-27T10:00").expect("time");
        assert_eq!(t.to_rfc3339(), "2026-11-27T03:00:00+00:00");
        assert!(super::jakarta("besok").is_none());
    }
}
