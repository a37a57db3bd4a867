//! `/admin/sla`: the SLA table as a form (every row, and one to add for a type) and the holidays of
//! a year, with a confirmation step before a holiday is deleted.

use super::service::{self, table};
use crate::audit::RequestMeta;
use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult};
use crate::extract::{ApiForm, ApiQuery};
use crate::pages::{Shell, render};
use crate::state::AppState;
use crate::validation::Explain;
use aglis_core::sla_input::{self, SlaInputError};
use aglis_core::ticket::{Priority, TicketType};
use aglis_core::ticket_sla::CalendarKind;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Datelike, Duration, NaiveDate};
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/sla", get(page))
        .route("/admin/sla/targets", post(save_targets_form))
        .route("/admin/sla/holidays", post(add_holiday_form))
        .route("/admin/sla/holidays/{date}/delete", get(confirm_delete).post(delete_holiday_form))
}

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
#[template(path = "sla/admin.html")]
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
    errors: BTreeMap<String, Vec<SlaInputError>>,
    new_row: BTreeMap<String, String>,
    new_error: Vec<SlaInputError>,
    holiday_date: String,
    holiday_name: String,
    holiday_error: Vec<SlaInputError>,
    confirm: Option<(NaiveDate, String)>,
    saved: &'static str,
}

fn joined(shell: &Shell, bad: &[SlaInputError]) -> String {
    let mut keys: Vec<String> = bad.iter().map(|b| shell.say(&b.explain())).collect();
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
    let (holidays, built_in) = service::holidays_of(&state.db, year).await?;
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
    let year = sla_input::check_year(q.year.unwrap_or_else(|| service::this_year(&state)))?;
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
    let mut errors: BTreeMap<String, Vec<SlaInputError>> = BTreeMap::new();
    for r in &current {
        let key = row_key(r.row.ticket_type, r.row.priority);
        let field = |f: &str| form.get(&format!("{key}.{f}"));
        if field("response").is_none() && field("resolution").is_none() && field("calendar").is_none() {
            continue;
        }
        let calendar = field("calendar").map_or(r.row.targets.calendar.as_str(), String::as_str);
        let ty = r.row.ticket_type.map(|t| t.as_str());
        match sla_input::parse_row(
            ty,
            r.row.priority.as_str(),
            number(field("response")),
            number(field("resolution")),
            calendar,
        ) {
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
            new_error.push(SlaInputError::Type);
        }
        match sla_input::parse_row(
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
        let year = service::this_year(&state);
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
        service::save_targets(&state, s.auth(), &meta, &changed).await?;
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
    let refuse = async |bad: Vec<SlaInputError>, year: i32| {
        let s = PageState {
            holiday_date: form.date.clone(),
            holiday_name: form.name.clone(),
            holiday_error: bad,
            ..PageState::default()
        };
        admin_page(&state, shell.clone(), year, s).await
    };
    let (day, name) = match sla_input::parse_holiday(&form.date, &form.name) {
        Ok(holiday) => holiday,
        Err(bad) => return refuse(bad, service::this_year(&state)).await,
    };
    match service::add(&state, s.auth(), &meta, day, &name).await {
        Ok(()) => Ok(Redirect::to(&format!("/admin/sla?year={}&saved=added", day.year())).into_response()),
        Err(AppError::Conflict { .. }) => {
            let mut page = refuse(vec![SlaInputError::Taken], day.year()).await?;
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
    let day = sla_input::parse_day(&date).map_err(|_| AppError::NotFound(format!("`{date}` is not a holiday")))?;
    let (days, _) = service::holidays_of(&state.db, day.year()).await?;
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
    let day = sla_input::parse_day(&date).map_err(|_| AppError::NotFound(format!("`{date}` is not a holiday")))?;
    service::remove(&state, s.auth(), &meta, day).await?;
    Ok(Redirect::to(&format!("/admin/sla?year={}&saved=deleted", day.year())).into_response())
}
