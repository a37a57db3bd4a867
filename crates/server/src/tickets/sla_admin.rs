//! `/admin/sla` and `/api/v1/sla/targets`, `/api/v1/holidays`: the SLA table (first response and
//! resolution per ticket type and priority, each on a calendar) and the public holidays that
//! business-hours clocks skip, for admins and supervisors (`master_data.manage`).
//!
//! Edits take effect at once, as nothing is cached: a ticket reads the table when it is created
//! (and keeps those promises), the SLA check reads the holidays on every run. A changed holiday
//! also moves the stored deadline of the active business-hours tickets it concerns. While no
//! holiday is stored the built-in Indonesian list applies; the first edit stores that list, so
//! the admin edits the list in use.

use crate::audit::{self, Entry, RequestMeta};
use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult, FieldErrors, Problem};
use crate::extract::{ApiForm, ApiJson, ApiQuery};
use crate::listing::{Page, PageQuery, Paging};
use crate::pages::{Shell, render};
use crate::state::AppState;
use crate::tickets::service;
use aglis_core::schedule::JAKARTA;
use aglis_core::sla::SlaClock;
use aglis_core::ticket::{Priority, TicketType};
use aglis_core::ticket_sla::{self, CalendarKind, TargetRow, Targets};
use aglis_db::repo::{sla, ticket_stats, tickets};
use aglis_db::{DbError, TransactionTrait};
use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Datelike, Duration, NaiveDate};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// API routes.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_targets, put_targets))
        .routes(routes!(list_holidays, add_holiday))
        .routes(routes!(delete_holiday))
}

/// Page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/sla", get(page))
        .route("/admin/sla/targets", post(save_targets_form))
        .route("/admin/sla/holidays", post(add_holiday_form))
        .route("/admin/sla/holidays/{date}/delete", get(confirm_delete).post(delete_holiday_form))
}

// ---------------------------------------------------------------------------------------------
// Checking what people type.

/// The longest target: a year of minutes.
const MAX_MINUTES: i64 = 366 * 24 * 60;
/// Holidays can be kept for these years.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// What is wrong with a typed value: the field, an English message for the API and a locale key
/// for the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bad {
    Type,
    Priority,
    Calendar,
    Response,
    Resolution,
    ResponseAfterResolution,
    Twice,
    Date,
    Name,
    Year,
    Taken,
}

impl Bad {
    fn field(self) -> &'static str {
        match self {
            Bad::Type => "ticket_type",
            Bad::Priority | Bad::Twice => "priority",
            Bad::Calendar => "calendar",
            Bad::Response => "response_minutes",
            Bad::Resolution | Bad::ResponseAfterResolution => "resolution_minutes",
            Bad::Date | Bad::Taken => "date",
            Bad::Name => "name",
            Bad::Year => "year",
        }
    }

    fn message(self) -> String {
        let names = |all: &[&str]| all.join(", ");
        match self {
            Bad::Type => format!(
                "must be `*` (every type) or one of {}",
                names(&TicketType::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>())
            ),
            Bad::Priority => {
                format!("must be one of {}", names(&Priority::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>()))
            }
            Bad::Calendar => "must be `24x7` (every hour counts) or `business` (working hours without holidays)".into(),
            Bad::Response | Bad::Resolution => format!("must be a whole number of minutes from 1 to {MAX_MINUTES}"),
            Bad::ResponseAfterResolution => "must not be shorter than the first-response target".into(),
            Bad::Twice => "this type and priority appear twice in the request; send each once".into(),
            Bad::Date => {
                format!("must be a real date written YYYY-MM-DD, in the years {}–{}", YEARS.start(), YEARS.end())
            }
            Bad::Name => "must be 1 to 100 characters (the holiday's name)".into(),
            Bad::Year => format!("must be a year from {} to {}", YEARS.start(), YEARS.end()),
            Bad::Taken => "is already a holiday".into(),
        }
    }

    fn key(self) -> &'static str {
        match self {
            Bad::Type => "slaadm.err.type",
            Bad::Priority | Bad::Twice => "slaadm.err.priority",
            Bad::Calendar => "slaadm.err.calendar",
            Bad::Response | Bad::Resolution => "slaadm.err.minutes",
            Bad::ResponseAfterResolution => "slaadm.err.order",
            Bad::Date => "slaadm.err.date",
            Bad::Name => "slaadm.err.name",
            Bad::Year => "slaadm.err.year",
            Bad::Taken => "slaadm.err.taken",
        }
    }
}

/// `*`, `all` or nothing: every type.
fn parse_type(raw: Option<&str>) -> Result<Option<TicketType>, Bad> {
    match raw.map(str::trim) {
        None | Some("" | "*" | "all") => Ok(None),
        Some(t) => t.parse().map(Some).map_err(|_| Bad::Type),
    }
}

fn minutes(raw: Option<i64>, bad: Bad) -> Result<i64, Bad> {
    raw.filter(|m| (1..=MAX_MINUTES).contains(m)).ok_or(bad)
}

/// One row of the SLA table from what was typed, or everything wrong with it.
fn parse_row(
    ticket_type: Option<&str>,
    priority: &str,
    response: Option<i64>,
    resolution: Option<i64>,
    calendar: &str,
) -> Result<TargetRow, Vec<Bad>> {
    let ticket_type = parse_type(ticket_type);
    let priority = priority.trim().parse::<Priority>().map_err(|_| Bad::Priority);
    let calendar = calendar.trim().parse::<CalendarKind>().map_err(|_| Bad::Calendar);
    let response = minutes(response, Bad::Response);
    let resolution = minutes(resolution, Bad::Resolution);
    match (ticket_type, priority, calendar, response, resolution) {
        (Ok(ticket_type), Ok(priority), Ok(calendar), Ok(response), Ok(resolution)) => {
            if response > resolution {
                return Err(vec![Bad::ResponseAfterResolution]);
            }
            Ok(TargetRow {
                ticket_type,
                priority,
                targets: Targets {
                    first_response: Duration::minutes(response),
                    resolution: Duration::minutes(resolution),
                    calendar,
                },
            })
        }
        (a, b, c, d, e) => Err([a.err(), b.err(), c.err(), d.err(), e.err()].into_iter().flatten().collect()),
    }
}

/// A real date, `YYYY-MM-DD`, in [`YEARS`].
fn parse_day(raw: &str) -> Result<NaiveDate, Bad> {
    let raw = raw.trim();
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .filter(|d| raw.len() == 10 && YEARS.contains(&d.year()))
        .ok_or(Bad::Date)
}

fn parse_name(raw: &str) -> Result<String, Bad> {
    let name = raw.trim();
    let ok = (1..=100).contains(&name.chars().count()) && !name.chars().any(char::is_control);
    if ok { Ok(name.to_owned()) } else { Err(Bad::Name) }
}

fn holiday_name() -> utoipa::openapi::schema::ObjectBuilder {
    crate::schemas::line(1, 100)
}

fn check_year(year: i32) -> Result<i32, Bad> {
    if YEARS.contains(&year) { Ok(year) } else { Err(Bad::Year) }
}

/// A 422 naming every field (under `prefix`) in English.
fn api_error(prefix: &str, bad: &[Bad]) -> AppError {
    let mut fields = FieldErrors::new();
    for b in bad {
        fields.entry(format!("{prefix}{}", b.field())).or_default().push(b.message());
    }
    AppError::fields(fields)
}

// ---------------------------------------------------------------------------------------------
// The use cases.

/// One row of the table as in use: stored by an admin (`custom`) or a default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableRow {
    pub row: TargetRow,
    pub custom: bool,
}

fn type_order(t: Option<TicketType>) -> usize {
    t.map_or(0, |t| 1 + TicketType::ALL.iter().position(|x| *x == t).unwrap_or(0))
}

fn priority_order(p: Priority) -> usize {
    Priority::ALL.len() - Priority::ALL.iter().position(|x| *x == p).unwrap_or(0)
}

/// The table in use: the stored rows, and the defaults where none is stored; rows for every type
/// first, most urgent first.
pub async fn table(conn: &impl ConnectionTrait) -> AppResult<Vec<TableRow>> {
    let mut rows: Vec<TableRow> =
        sla::targets(conn).await?.into_iter().map(|row| TableRow { row, custom: true }).collect();
    for row in ticket_sla::default_targets() {
        if !rows.iter().any(|r| r.row.ticket_type == row.ticket_type && r.row.priority == row.priority) {
            rows.push(TableRow { row, custom: false });
        }
    }
    rows.sort_by_key(|r| (type_order(r.row.ticket_type), priority_order(r.row.priority)));
    Ok(rows)
}

/// Stores `rows` (all or none).
async fn save_targets(state: &AppState, rows: &[TargetRow]) -> AppResult<()> {
    let txn = state.db.begin().await.map_err(DbError::from)?;
    sla::set_targets(&txn, rows).await?;
    txn.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// The holidays of `year` in use, and whether they are the built-in list (none stored).
pub async fn holidays_of(conn: &impl ConnectionTrait, year: i32) -> AppResult<(Vec<(NaiveDate, String)>, bool)> {
    if sla::has_holidays(conn).await? {
        return Ok((sla::holidays_in_year(conn, year).await?, false));
    }
    let built_in = aglis_core::sla::INDONESIAN_HOLIDAYS
        .iter()
        .filter(|(d, _)| d.year() == year)
        .map(|(d, n)| (*d, (*n).to_owned()))
        .collect();
    Ok((built_in, true))
}

/// Recomputes the stored deadline of the active business-hours tickets whose clock runs, after
/// the holidays changed. Returns how many moved.
async fn refresh_business_dues(conn: &impl ConnectionTrait, now: chrono::DateTime<chrono::Utc>) -> AppResult<usize> {
    let running: Vec<_> = ticket_stats::active(conn)
        .await?
        .into_iter()
        .filter(|t| t.calendar == CalendarKind::Business && !t.status.pauses_sla())
        .collect();
    let ids: Vec<i64> = running.iter().map(|t| t.id).collect();
    let pauses = ticket_stats::pauses_of(conn, &ids).await?;
    let cal = service::calendar(conn, CalendarKind::Business).await?;
    let mut moved = 0;
    for t in running {
        let p = pauses.get(&t.id).map_or(&[][..], Vec::as_slice);
        let due = SlaClock::measure(&cal, t.created_at, t.resolution, p, now).due_at;
        if due != t.sla_due_at {
            tickets::set_due(conn, t.id, due).await?;
            moved += 1;
        }
    }
    Ok(moved)
}

/// Adds a holiday: 409 if the day is one already.
async fn add(state: &AppState, day: NaiveDate, name: &str) -> AppResult<()> {
    let txn = state.db.begin().await.map_err(DbError::from)?;
    sla::store_built_in_holidays(&txn).await?;
    if let Some(existing) = sla::holiday(&txn, day).await? {
        return Err(AppError::taken("date", format!("{day} is already a holiday ({existing})")));
    }
    match sla::add_holiday(&txn, day, name).await {
        Err(e) if e.is_unique_on("day") || e.is_unique_on("holidays") => {
            return Err(AppError::taken("date", format!("{day} is already a holiday")));
        }
        other => other?,
    }
    refresh_business_dues(&txn, state.now()).await?;
    txn.commit().await.map_err(DbError::from)?;
    state.holidays.invalidate();
    Ok(())
}

/// Deletes a holiday: 404 if the day is none, 409 for the last one (with none stored, the
/// built-in list would apply again).
async fn remove(state: &AppState, day: NaiveDate) -> AppResult<()> {
    let txn = state.db.begin().await.map_err(DbError::from)?;
    sla::store_built_in_holidays(&txn).await?;
    if sla::holiday(&txn, day).await?.is_none() {
        return Err(AppError::NotFound(format!("{day} is not a holiday")));
    }
    sla::delete_holiday(&txn, day).await?;
    if !sla::has_holidays(&txn).await? {
        return Err(AppError::Conflict {
            detail: "the last holiday cannot be deleted: without any, the built-in Indonesian list applies again. \
                     Add the new holidays first, or use the 24/7 calendar."
                .into(),
            fields: FieldErrors::new(),
        });
    }
    refresh_business_dues(&txn, state.now()).await?;
    txn.commit().await.map_err(DbError::from)?;
    state.holidays.invalidate();
    Ok(())
}

fn this_year(state: &AppState) -> i32 {
    state.now().with_timezone(&JAKARTA).year()
}

// ---------------------------------------------------------------------------------------------
// The API.

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
    Ok(Json(Page::of_all(table(&state.db).await?.into_iter().map(SlaTargetOut::from).collect(), paging)))
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
        let parsed = parse_row(
            r.ticket_type.as_deref(),
            &r.priority,
            Some(r.response_minutes),
            Some(r.resolution_minutes),
            &r.calendar,
        );
        let parsed = parsed.and_then(|row| {
            let twice = rows.iter().any(|x| x.ticket_type == row.ticket_type && x.priority == row.priority);
            if twice { Err(vec![Bad::Twice]) } else { Ok(row) }
        });
        match parsed {
            Ok(row) => rows.push(row),
            Err(bad) => {
                if let AppError::Validation { fields: f, .. } = api_error(&format!("rows[{i}]."), &bad) {
                    fields.extend(f);
                }
            }
        }
    }
    if !fields.is_empty() {
        return Err(AppError::fields(fields));
    }
    save_targets(&state, &rows).await?;
    audit::record(&state, Entry::setting_changed(s.auth(), &meta, "sla_targets", audit::sites::sla_rows(&rows)))
        .await?;
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
    let year = check_year(q.year.unwrap_or_else(|| this_year(&state))).map_err(|b| api_error("", &[b]))?;
    let (days, built_in) = holidays_of(&state.db, year).await?;
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
    let (day, name) = match (parse_day(&req.date), parse_name(&req.name)) {
        (Ok(day), Ok(name)) => (day, name),
        (d, n) => return Err(api_error("", &[d.err(), n.err()].into_iter().flatten().collect::<Vec<_>>())),
    };
    add(&state, day, &name).await?;
    audit::record(
        &state,
        Entry::setting_changed(s.auth(), &meta, "holidays", audit::sites::holiday("added", day, &name)),
    )
    .await?;
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
    let day = parse_day(&date).map_err(|_| AppError::NotFound(format!("{date} is not a holiday")))?;
    remove(&state, day).await?;
    audit::record(
        &state,
        Entry::setting_changed(s.auth(), &meta, "holidays", audit::sites::holiday("deleted", day, "")),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------------
// The page.

/// A row of the table as the form shows it (typed values kept after a refusal).
struct TargetView {
    /// `all.normal`, `installation.high`: the form fields are `<key>.response` and so on.
    key: String,
    ticket_type: Option<TicketType>,
    priority: Priority,
    response: String,
    resolution: String,
    calendar: String,
    /// The resolution target in hours, as a hint.
    hours: String,
    custom: bool,
    error: String,
}

#[derive(Template)]
#[template(path = "tickets/sla_admin.html")]
struct AdminPage {
    shell: Shell,
    rows: Vec<TargetView>,
    /// The "add a row for one type" form as typed.
    new_row: BTreeMap<String, String>,
    new_error: String,
    year: i32,
    holidays: Vec<(NaiveDate, String)>,
    built_in: bool,
    holiday_date: String,
    holiday_name: String,
    holiday_error: String,
    /// The holiday whose deletion waits for confirmation.
    confirm: Option<(NaiveDate, String)>,
    /// The locale key of what was just saved.
    saved: &'static str,
}

impl AdminPage {
    fn new_value(&self, field: &str) -> &str {
        self.new_row.get(field).map_or("", String::as_str)
    }

    fn type_label(&self, t: &Option<TicketType>) -> &'static str {
        match t {
            Some(t) => self.shell.t_prefixed("ticket.type.", t.as_str()),
            None => self.shell.t("slaadm.all_types"),
        }
    }

    fn types(&self) -> &'static [TicketType] {
        TicketType::ALL
    }

    fn priorities(&self) -> &'static [Priority] {
        Priority::ALL
    }

    fn calendars(&self) -> &'static [CalendarKind] {
        CalendarKind::ALL
    }

    fn weekday(&self, d: &NaiveDate) -> &'static str {
        self.shell.t_prefixed("slaadm.weekday.", &d.weekday().num_days_from_monday().to_string())
    }
}

#[derive(Debug, Default)]
struct PageState {
    typed: BTreeMap<String, String>,
    errors: BTreeMap<String, Vec<Bad>>,
    new_row: BTreeMap<String, String>,
    new_error: Vec<Bad>,
    holiday_date: String,
    holiday_name: String,
    holiday_error: Vec<Bad>,
    confirm: Option<(NaiveDate, String)>,
    saved: &'static str,
}

fn joined(shell: &Shell, bad: &[Bad]) -> String {
    let mut keys: Vec<&str> = bad.iter().map(|b| shell.t(b.key())).collect();
    keys.dedup();
    keys.join(" ")
}

/// `24j`, `1j 30m` (`24h`, `1h 30m`).
fn span(shell: &Shell, d: Duration) -> String {
    let (h, m) = (d.num_minutes() / 60, d.num_minutes() % 60);
    match (h, m) {
        (0, m) => format!("{m}{}", shell.t("ticket.unit_m")),
        (h, 0) => format!("{h}{}", shell.t("ticket.unit_h")),
        (h, m) => format!("{h}{} {m}{}", shell.t("ticket.unit_h"), shell.t("ticket.unit_m")),
    }
}

fn row_key(t: Option<TicketType>, p: Priority) -> String {
    format!("{}.{}", t.map_or("all", |t| t.as_str()), p.as_str())
}

async fn admin_page(state: &AppState, shell: Shell, year: i32, s: PageState) -> AppResult<Response> {
    let refused = !(s.errors.is_empty() && s.new_error.is_empty() && s.holiday_error.is_empty());
    let rows = table(&state.db)
        .await?
        .into_iter()
        .map(|r| {
            let key = row_key(r.row.ticket_type, r.row.priority);
            let typed =
                |field: &str, current: String| s.typed.get(&format!("{key}.{field}")).cloned().unwrap_or(current);
            let resolution = r.row.targets.resolution;
            TargetView {
                response: typed("response", r.row.targets.first_response.num_minutes().to_string()),
                resolution: typed("resolution", resolution.num_minutes().to_string()),
                calendar: typed("calendar", r.row.targets.calendar.as_str().to_owned()),
                hours: span(&shell, resolution),
                error: s.errors.get(&key).map(|b| joined(&shell, b)).unwrap_or_default(),
                ticket_type: r.row.ticket_type,
                priority: r.row.priority,
                custom: r.custom,
                key,
            }
        })
        .collect();
    let (holidays, built_in) = holidays_of(&state.db, year).await?;
    let page = AdminPage {
        rows,
        new_error: joined(&shell, &s.new_error),
        new_row: s.new_row,
        year,
        holidays,
        built_in,
        holiday_date: s.holiday_date,
        holiday_name: s.holiday_name,
        holiday_error: joined(&shell, &s.holiday_error),
        confirm: s.confirm,
        saved: s.saved,
        shell,
    };
    let status = if refused { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, render(&page)?).into_response())
}

#[derive(Debug, Deserialize, Default)]
struct AdminQuery {
    year: Option<i32>,
    saved: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    shell: Shell,
    _s: Staff<perm::MasterDataManage>,
    ApiQuery(q): ApiQuery<AdminQuery>,
) -> AppResult<Response> {
    let year = check_year(q.year.unwrap_or_else(|| this_year(&state))).map_err(|b| api_error("", &[b]))?;
    let saved = match q.saved.as_deref() {
        Some("targets") => "slaadm.saved_targets",
        Some("added") => "slaadm.saved_added",
        Some("deleted") => "slaadm.saved_deleted",
        _ => "",
    };
    admin_page(&state, shell, year, PageState { saved, ..PageState::default() }).await
}

/// The table form (`<type|all>.<priority>.{response,resolution,calendar}` for every row shown;
/// only changed rows are stored) or the add-a-row form (`new.{type,priority,response,resolution,calendar}`).
async fn save_targets_form(
    State(state): State<AppState>,
    shell: Shell,
    s: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    ApiForm(form): ApiForm<BTreeMap<String, String>>,
) -> AppResult<Response> {
    let current = table(&state.db).await?;
    let number = |v: Option<&String>| v.and_then(|v| v.trim().parse::<i64>().ok());
    let mut changed = Vec::new();
    let mut errors: BTreeMap<String, Vec<Bad>> = BTreeMap::new();
    for r in &current {
        let key = row_key(r.row.ticket_type, r.row.priority);
        let field = |f: &str| form.get(&format!("{key}.{f}"));
        if field("response").is_none() && field("resolution").is_none() && field("calendar").is_none() {
            continue;
        }
        let calendar = field("calendar").map_or(r.row.targets.calendar.as_str(), String::as_str);
        let ty = r.row.ticket_type.map(|t| t.as_str());
        match parse_row(ty, r.row.priority.as_str(), number(field("response")), number(field("resolution")), calendar) {
            Ok(row) if row == r.row => {}
            Ok(row) => changed.push(row),
            Err(bad) => {
                errors.insert(key, bad);
            }
        }
    }
    let new_row: BTreeMap<String, String> =
        form.iter().filter_map(|(k, v)| k.strip_prefix("new.").map(|f| (f.to_owned(), v.clone()))).collect();
    let mut new_error = Vec::new();
    if new_row.values().any(|v| !v.trim().is_empty()) {
        let get = |f: &str| new_row.get(f).map_or("", String::as_str);
        if get("type").trim().is_empty() {
            new_error.push(Bad::Type);
        }
        match parse_row(
            Some(get("type")),
            get("priority"),
            number(new_row.get("response")),
            number(new_row.get("resolution")),
            get("calendar"),
        ) {
            Ok(row) if new_error.is_empty() => changed.push(row),
            Ok(_) => {}
            Err(bad) => new_error.extend(bad),
        }
    }
    if !errors.is_empty() || !new_error.is_empty() {
        let year = this_year(&state);
        let typed = form.into_iter().filter(|(k, _)| !k.starts_with("new.")).collect();
        return admin_page(
            &state,
            shell,
            year,
            PageState { typed, errors, new_row, new_error, ..PageState::default() },
        )
        .await;
    }
    if !changed.is_empty() {
        save_targets(&state, &changed).await?;
        audit::record(&state, Entry::setting_changed(s.auth(), &meta, "sla_targets", audit::sites::sla_rows(&changed)))
            .await?;
    }
    Ok(Redirect::to("/admin/sla?saved=targets").into_response())
}

#[derive(Debug, Deserialize, Default)]
struct HolidayForm {
    #[serde(default)]
    date: String,
    #[serde(default)]
    name: String,
}

async fn add_holiday_form(
    State(state): State<AppState>,
    shell: Shell,
    s: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    ApiForm(form): ApiForm<HolidayForm>,
) -> AppResult<Response> {
    let refuse = async |bad: Vec<Bad>, year: i32| {
        let s = PageState {
            holiday_date: form.date.clone(),
            holiday_name: form.name.clone(),
            holiday_error: bad,
            ..PageState::default()
        };
        admin_page(&state, shell.clone(), year, s).await
    };
    let (day, name) = match (parse_day(&form.date), parse_name(&form.name)) {
        (Ok(day), Ok(name)) => (day, name),
        (d, n) => return refuse([d.err(), n.err()].into_iter().flatten().collect(), this_year(&state)).await,
    };
    match add(&state, day, &name).await {
        Ok(()) => {
            audit::record(
                &state,
                Entry::setting_changed(s.auth(), &meta, "holidays", audit::sites::holiday("added", day, &name)),
            )
            .await?;
            Ok(Redirect::to(&format!("/admin/sla?year={}&saved=added", day.year())).into_response())
        }
        Err(AppError::Conflict { .. }) => {
            let mut page = refuse(vec![Bad::Taken], day.year()).await?;
            *page.status_mut() = StatusCode::CONFLICT;
            Ok(page)
        }
        Err(e) => Err(e),
    }
}

/// The confirmation step before a holiday is deleted.
async fn confirm_delete(
    State(state): State<AppState>,
    shell: Shell,
    _s: Staff<perm::MasterDataManage>,
    Path(date): Path<String>,
) -> AppResult<Response> {
    let day = parse_day(&date).map_err(|_| AppError::NotFound(format!("`{date}` is not a holiday")))?;
    let (days, _) = holidays_of(&state.db, day.year()).await?;
    let name = days.into_iter().find(|(d, _)| *d == day).map(|(_, n)| n);
    let name = name.ok_or_else(|| AppError::NotFound(format!("{day} is not a holiday")))?;
    admin_page(&state, shell, day.year(), PageState { confirm: Some((day, name)), ..PageState::default() }).await
}

async fn delete_holiday_form(
    State(state): State<AppState>,
    s: Staff<perm::MasterDataManage>,
    meta: RequestMeta,
    Path(date): Path<String>,
) -> AppResult<Response> {
    let day = parse_day(&date).map_err(|_| AppError::NotFound(format!("`{date}` is not a holiday")))?;
    remove(&state, day).await?;
    audit::record(
        &state,
        Entry::setting_changed(s.auth(), &meta, "holidays", audit::sites::holiday("deleted", day, "")),
    )
    .await?;
    Ok(Redirect::to(&format!("/admin/sla?year={}&saved=deleted", day.year())).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_checked_field_by_field() {
        let row = parse_row(Some("repair"), "high", Some(30), Some(240), "24x7").expect("valid");
        assert_eq!(row.ticket_type, Some(TicketType::Repair));
        assert_eq!(row.targets.resolution, Duration::hours(4));
        for every in [None, Some("*"), Some("all"), Some(" ")] {
            assert_eq!(parse_row(every, "low", Some(1), Some(1), "business").map(|r| r.ticket_type), Ok(None));
        }
        assert_eq!(parse_row(Some("speed_test"), "high", Some(30), Some(240), "24x7"), Err(vec![Bad::Type]));
        assert_eq!(
            parse_row(Some("repair"), "urgent", Some(0), Some(MAX_MINUTES + 1), "always"),
            Err(vec![Bad::Priority, Bad::Calendar, Bad::Response, Bad::Resolution])
        );
        assert_eq!(parse_row(None, "high", None, Some(-5), "24x7"), Err(vec![Bad::Response, Bad::Resolution]));
        assert_eq!(parse_row(None, "high", Some(241), Some(240), "24x7"), Err(vec![Bad::ResponseAfterResolution]));
        assert!(parse_row(None, "high", Some(240), Some(240), "24x7").is_ok(), "equal is allowed");
        assert!(parse_row(None, "high", Some(MAX_MINUTES), Some(MAX_MINUTES), "24x7").is_ok());
    }

    #[test]
    fn dates_are_real_iso_dates_in_range() {
        assert_eq!(parse_day(" 2026-08-17 "), NaiveDate::from_ymd_opt(2026, 8, 17).ok_or(Bad::Date));
        for bad in ["2026-02-30", "2026-13-01", "17-08-2026", "2026-8-17", "1999-12-31", "2101-01-01", "", "{date}"] {
            assert_eq!(parse_day(bad), Err(Bad::Date), "{bad}");
        }
        assert_eq!(parse_name("  Cuti bersama Idul Fitri "), Ok("Cuti bersama Idul Fitri".to_owned()));
        assert_eq!(parse_name("  "), Err(Bad::Name));
        assert_eq!(parse_name(&"x".repeat(101)), Err(Bad::Name));
        assert_eq!(parse_name("a\u{0}b"), Err(Bad::Name));
        assert_eq!((check_year(2026), check_year(1999)), (Ok(2026), Err(Bad::Year)));
    }

    #[test]
    fn every_refusal_has_a_field_a_message_and_a_text() {
        for b in [
            Bad::Type,
            Bad::Priority,
            Bad::Calendar,
            Bad::Response,
            Bad::Resolution,
            Bad::ResponseAfterResolution,
            Bad::Twice,
            Bad::Date,
            Bad::Name,
            Bad::Year,
            Bad::Taken,
        ] {
            assert!(!b.field().is_empty() && !b.message().is_empty(), "{b:?}");
            for lang in [crate::i18n::Lang::Id, crate::i18n::Lang::En] {
                assert_ne!(lang.t(b.key()), b.key(), "{b:?} has no {lang:?} text");
            }
        }
    }
}
