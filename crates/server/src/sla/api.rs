//! `/api/v1/sla/targets` and `/api/v1/holidays`.

use super::service::{self, TableRow};
use crate::audit::RequestMeta;
use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult, FieldErrors, Problem};
use crate::extract::{ApiJson, ApiQuery};
use crate::listing::{Page, PageQuery, Paging};
use crate::state::AppState;
use aglis_core::sla_input::{self, SlaInputError};
use aglis_core::ticket::TicketType;
use aglis_core::ticket_sla::TargetRow;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_targets, put_targets))
        .routes(routes!(list_holidays, add_holiday))
        .routes(routes!(delete_holiday))
}

fn holiday_name() -> utoipa::openapi::schema::ObjectBuilder {
    crate::schemas::line(1, 100)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlaTargetOut {
    /// A ticket type, or `*` for the row that applies to every type without its own row.
    pub ticket_type: String,
    pub priority: String,
    pub response_minutes: i64,
    pub resolution_minutes: i64,
    /// `24x7` or `business` (Mon–Fri 08–17, Sat 08–12 WIB, without holidays).
    pub calendar: String,
    /// Set by an admin (else the built-in default).
    pub custom: bool,
}

impl From<TableRow> for SlaTargetOut {
    fn from(r: TableRow) -> Self {
        SlaTargetOut {
            ticket_type: r.row.ticket_type.map_or("*", |t| t.as_str()).to_owned(),
            priority: r.row.priority.as_str().to_owned(),
            response_minutes: r.row.targets.first_response.num_minutes(),
            resolution_minutes: r.row.targets.resolution.num_minutes(),
            calendar: r.row.targets.calendar.as_str().to_owned(),
            custom: r.custom,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SlaTargetIn {
    /// A ticket type; `*` or absent: every type without its own row.
    #[schema(schema_with = ticket_type_or_all)]
    #[serde(default, deserialize_with = "crate::schemas::non_null")]
    pub ticket_type: Option<String>,
    #[schema(value_type = aglis_core::ticket::Priority, inline)]
    pub priority: String,
    /// Minutes to the first response, 1 to 527040, at most the resolution.
    #[schema(minimum = 1, maximum = 527040)]
    pub response_minutes: i64,
    /// Minutes to resolution, 1 to 527040.
    #[schema(minimum = 1, maximum = 527040)]
    pub resolution_minutes: i64,
    /// `24x7` or `business`.
    #[schema(value_type = aglis_core::ticket_sla::CalendarKind, inline)]
    pub calendar: String,
}

/// A ticket type, `*` or null.
fn ticket_type_or_all() -> utoipa::openapi::schema::ObjectBuilder {
    use utoipa::openapi::schema::{SchemaType, Type};
    let values = TicketType::ALL.iter().map(|t| serde_json::Value::from(t.as_str()));
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(SchemaType::Array(vec![Type::String, Type::Null]))
        .enum_values(Some(values.chain([serde_json::Value::from("*"), serde_json::Value::Null])))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SlaTargetsUpdate {
    /// One or more rows to set (at most 100); rows not sent stay as they are.
    #[schema(min_items = 1, max_items = 100)]
    pub rows: Vec<SlaTargetIn>,
}

/// The SLA table: rows for every type (`*`) first; a ticket uses its type's row, else the `*` row.
async fn table_out(state: &AppState, paging: Paging) -> AppResult<Json<Page<SlaTargetOut>>> {
    Ok(Json(Page::of_all(service::table(&state.db).await?.into_iter().map(SlaTargetOut::from).collect(), paging)))
}

/// The SLA table in use.
#[utoipa::path(get, path = "/api/v1/sla/targets", tag = "tickets", params(PageQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<SlaTargetOut>),))]
async fn get_targets(
    State(state): State<AppState>,
    _s: Staff<perm::MasterDataManage>,
    paging: Paging,
) -> AppResult<Json<Page<SlaTargetOut>>> {
    table_out(&state, paging).await
}

/// Sets one or more rows of the SLA table (all or none); tickets created afterwards use them.
#[utoipa::path(put, path = "/api/v1/sla/targets", tag = "tickets", request_body = SlaTargetsUpdate,
    security(("bearer" = [])),
    responses((status = 200, body = Page<SlaTargetOut>),
        (status = 422, description = "A row is invalid; fields are named `rows[i].field`", body = Problem,
            content_type = "application/problem+json")))]
async fn put_targets(
    State(state): State<AppState>,
    s: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    ApiJson(req): ApiJson<SlaTargetsUpdate>,
) -> AppResult<Json<Page<SlaTargetOut>>> {
    if req.rows.is_empty() || req.rows.len() > 100 {
        return Err(AppError::field("rows", "send 1 to 100 rows"));
    }
    let mut rows: Vec<TargetRow> = Vec::new();
    let mut fields = FieldErrors::new();
    for (i, r) in req.rows.iter().enumerate() {
        let parsed = sla_input::parse_row(
            r.ticket_type.as_deref(),
            &r.priority,
            Some(r.response_minutes),
            Some(r.resolution_minutes),
            &r.calendar,
        );
        let parsed = parsed.and_then(|row| {
            let twice = rows.iter().any(|x| x.ticket_type == row.ticket_type && x.priority == row.priority);
            if twice { Err(vec![SlaInputError::Twice]) } else { Ok(row) }
        });
        match parsed {
            Ok(row) => rows.push(row),
            Err(bad) => fields.extend(crate::error::field_problems(&format!("rows[{i}]."), &bad)),
        }
    }
    if !fields.is_empty() {
        return Err(AppError::fields(fields));
    }
    service::save_targets(&state, s.auth(), &meta, &rows).await?;
    // The whole table after the change (it has at most a few dozen rows).
    table_out(&state, Paging { page: 1, per_page: crate::listing::MAX_PER_PAGE }).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HolidayOut {
    /// `YYYY-MM-DD` (a local date in Indonesia).
    pub date: String,
    pub name: String,
    /// From the built-in list of Indonesian holidays (none is stored yet; the first change
    /// stores them), rather than entered here.
    pub built_in: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HolidayQuery {
    /// The year (2000–2100); this year in Asia/Jakarta by default.
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct HolidayIn {
    /// `YYYY-MM-DD`, in the years 2000–2100.
    #[schema(schema_with = crate::schemas::date)]
    pub date: String,
    /// 1 to 100 characters.
    #[schema(schema_with = holiday_name)]
    pub name: String,
}

/// The public holidays of a year that business-hours SLA clocks skip.
#[utoipa::path(get, path = "/api/v1/holidays", tag = "tickets", params(HolidayQuery, PageQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Page<HolidayOut>),))]
async fn list_holidays(
    State(state): State<AppState>,
    _s: Staff<perm::MasterDataManage>,
    ApiQuery(q): ApiQuery<HolidayQuery>,
    paging: Paging,
) -> AppResult<Json<Page<HolidayOut>>> {
    let year = sla_input::check_year(q.year.unwrap_or_else(|| service::this_year(&state)))?;
    let (days, built_in) = service::holidays_of(&state.db, year).await?;
    let items = days.into_iter().map(|(d, name)| HolidayOut { date: d.to_string(), name, built_in }).collect();
    Ok(Json(Page::of_all(items, paging)))
}

/// Adds a public holiday; business-hours deadlines move past it at once.
#[utoipa::path(post, path = "/api/v1/holidays", tag = "tickets", request_body = HolidayIn, security(("bearer" = [])),
    responses((status = 201, body = HolidayOut),
        (status = 409, description = "Already a holiday", body = Problem, content_type = "application/problem+json"),))]
async fn add_holiday(
    State(state): State<AppState>,
    s: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    ApiJson(req): ApiJson<HolidayIn>,
) -> AppResult<(StatusCode, Json<HolidayOut>)> {
    let (day, name) = sla_input::parse_holiday(&req.date, &req.name)?;
    service::add(&state, s.auth(), &meta, day, &name).await?;
    Ok((StatusCode::CREATED, Json(HolidayOut { date: day.to_string(), name, built_in: false })))
}

/// Deletes a public holiday (not the last one).
#[utoipa::path(delete, path = "/api/v1/holidays/{date}", tag = "tickets",
    params(("date" = String, Path, description = "The holiday, YYYY-MM-DD")), security(("bearer" = [])),
    responses((status = 204, description = "Deleted"),
        (status = 404, description = "Not a holiday", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The last holiday", body = Problem, content_type = "application/problem+json"),))]
async fn delete_holiday(
    State(state): State<AppState>,
    s: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    Path(date): Path<String>,
) -> AppResult<StatusCode> {
    // A path that is no day of the accepted years names no holiday.
    let day = sla_input::parse_day(&date).map_err(|_| AppError::NotFound(format!("{date} is not a holiday")))?;
    service::remove(&state, s.auth(), &meta, day).await?;
    Ok(StatusCode::NO_CONTENT)
}
