//! `GET /api/v1/dashboard`: the counts and figures the staff dashboard shows.

use crate::auth::extract::{Staff, perm};
use crate::error::AppResult;
use crate::state::AppState;
use aglis_core::schedule::JAKARTA;
use aglis_core::technician::Availability;
use aglis_db::repo::{customers, registrations, technicians, tickets};
use axum::Json;
use axum::extract::State;
use chrono::{Duration, NaiveTime, TimeZone};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(dashboard))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DayCount {
    /// `YYYY-MM-DD`, Asia/Jakarta.
    pub day: String,
    pub count: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketFigures {
    /// Tickets per status (every status present).
    pub by_status: BTreeMap<String, i64>,
    /// Still worked (not resolved, closed or cancelled).
    pub active: i64,
    /// Still worked and past the resolution SLA.
    pub breached: i64,
    /// Still worked, escalated, not yet past the SLA.
    pub at_risk: i64,
    /// Resolved since midnight (Asia/Jakarta).
    pub resolved_today: i64,
    /// Share of the last 30 days' resolved tickets resolved within the SLA (none resolved: null).
    pub sla_compliance_30d: Option<f64>,
    /// Escalations per day, the last 7 days, oldest first.
    pub escalations_per_day: Vec<DayCount>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Dashboard {
    pub tickets: TicketFigures,
    /// Customers per status.
    pub customers: BTreeMap<String, i64>,
    /// Registrations not yet activated, rejected or cancelled.
    pub registrations_waiting: i64,
    pub technicians_available: u64,
    pub technicians_total: u64,
}

/// The staff dashboard's figures.
#[utoipa::path(get, path = "/api/v1/dashboard", tag = "dashboard", security(("bearer" = [])),
    responses((status = 200, body = Dashboard),))]
async fn dashboard(State(state): State<AppState>, _staff: Staff<perm::DashboardView>) -> AppResult<Json<Dashboard>> {
    let now = state.now();
    let today = now.with_timezone(&JAKARTA).date_naive();
    let day_start = JAKARTA
        .from_local_datetime(&today.and_time(NaiveTime::MIN))
        .single()
        .map_or(now, |d| d.with_timezone(&chrono::Utc));
    let f = tickets::figures(&state.reads, now, day_start).await?;
    let mut per_day: BTreeMap<String, u64> =
        (0..7).rev().map(|d| ((today - Duration::days(d)).to_string(), 0)).collect();
    for at in &f.escalations_7d {
        if let Some(n) = per_day.get_mut(&at.with_timezone(&JAKARTA).date_naive().to_string()) {
            *n += 1;
        }
    }
    let active = f.by_status.iter().filter(|(s, _)| s.is_active()).map(|(_, n)| n).sum();
    let compliance = (f.resolved_30d > 0).then(|| {
        let pct = f.within_sla_30d as f64 * 100.0 / f.resolved_30d as f64;
        (pct * 10.0).round() / 10.0
    });
    let techs = technicians::list(&state.reads, None, None).await?;
    let regs = registrations::status_counts(&state.reads).await?;
    Ok(Json(Dashboard {
        tickets: TicketFigures {
            by_status: f.by_status.iter().map(|(s, n)| (s.as_str().to_owned(), *n)).collect(),
            active,
            breached: f.breached_active,
            at_risk: f.at_risk,
            resolved_today: f.resolved_today,
            sla_compliance_30d: compliance,
            escalations_per_day: per_day.into_iter().map(|(day, count)| DayCount { day, count }).collect(),
        },
        customers: customers::status_counts(&state.reads)
            .await?
            .into_iter()
            .map(|(s, n)| (s.as_str().to_owned(), n))
            .collect(),
        registrations_waiting: regs.iter().filter(|(s, _)| !s.is_final()).map(|(_, n)| n).sum(),
        technicians_available: u64::try_from(
            techs.iter().filter(|t| t.is_active && t.availability == Availability::Available).count(),
        )
        .unwrap_or(0),
        technicians_total: u64::try_from(techs.len()).unwrap_or(0),
    }))
}
