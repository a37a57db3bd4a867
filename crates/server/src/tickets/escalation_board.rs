//! `/escalations` and `GET /api/v1/escalations`: the escalation dashboard (P2.4) for those who
//! assign tickets — tickets at risk (still worked, at least the first escalation threshold of
//! their resolution SLA used, not breached), breached tickets still worked, escalations per day
//! over the last 30 days and SLA compliance per team over the last 30 days.
//!
//! A team is the lead technician's work zone (`Karawang Barat`, `Cikarang`, …): the zone is how
//! technicians are grouped and dispatched. Compliance is the share of tickets resolved in the
//! period that were resolved within their resolution SLA (never breached).
//!
//! Clocks are computed as the ticket page does (calendar, holidays, pauses), so a ticket past its
//! deadline counts as breached even before the minute's SLA check recorded it.

use crate::auth::extract::{Staff, perm};
use crate::dashboard::api::DayCount;
use crate::error::AppResult;
use crate::extract::ApiQuery;
use crate::listing::{Page, Paging};
use crate::pages::{Shell, render};
use crate::state::AppState;
use crate::tickets::service;
use aglis_core::schedule::JAKARTA;
use aglis_core::sla::{Calendar, SlaClock};
use aglis_core::ticket_sla::CalendarKind;
use aglis_db::repo::ticket_stats::{self, ActiveTicket};
use aglis_db::repo::{customers, technicians};
use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// API routes.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(escalations))
}

/// Page routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/escalations", get(page))
}

/// Days in the escalation chart and the compliance period.
const DAYS: i64 = 30;

/// An active ticket with its resolution clock now.
#[derive(Debug, Clone)]
pub struct Entry {
    pub t: ActiveTicket,
    pub percent: u32,
    pub paused: bool,
    /// When the target is (or was) reached; none while paused and not breached.
    pub due_at: Option<DateTime<Utc>>,
}

/// Resolved tickets of one team and how many were within the SLA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamFigure {
    /// The work zone; `None` for tickets resolved without a lead technician.
    pub team: Option<String>,
    pub resolved: i64,
    pub within_sla: i64,
}

impl TeamFigure {
    /// Percent within the SLA, to one decimal (none resolved: none).
    pub fn percent(&self) -> Option<f64> {
        (self.resolved > 0).then(|| (self.within_sla as f64 * 1000.0 / self.resolved as f64).round() / 10.0)
    }

    /// The bar's width, whole percent.
    pub fn bar(&self) -> i64 {
        if self.resolved > 0 { self.within_sla * 100 / self.resolved } else { 0 }
    }
}

/// Everything the dashboard shows.
#[derive(Debug, Clone)]
pub struct Board {
    pub threshold: u32,
    /// Most used first.
    pub at_risk: Vec<Entry>,
    pub breached: Vec<Entry>,
    /// The last 30 local days, oldest first.
    pub per_day: Vec<(NaiveDate, u64)>,
    /// By team name; tickets without a lead last.
    pub teams: Vec<TeamFigure>,
    pub overall: TeamFigure,
    /// Technicians by id: (name, work zone).
    pub technicians: BTreeMap<i64, (String, String)>,
}

fn local_midnight(day: NaiveDate, fallback: DateTime<Utc>) -> DateTime<Utc> {
    day.and_time(NaiveTime::MIN).and_local_timezone(JAKARTA).earliest().map_or(fallback, |t| t.with_timezone(&Utc))
}

/// Computes the dashboard at the state's clock.
pub async fn board(state: &AppState) -> AppResult<Board> {
    let now = state.now();
    let db = &state.reads;
    let threshold = state.config.escalation.to_high;
    let active = ticket_stats::active(db).await?;
    let ids: Vec<i64> = active.iter().map(|t| t.id).collect();
    let pauses = ticket_stats::pauses_of(db, &ids).await?;
    let business = service::calendar(db, CalendarKind::Business).await?;
    let (mut at_risk, mut breached) = (Vec::new(), Vec::new());
    for t in active {
        let cal = match t.calendar {
            CalendarKind::Always => &Calendar::Always,
            CalendarKind::Business => &business,
        };
        let p = pauses.get(&t.id).map_or(&[][..], Vec::as_slice);
        let clock = SlaClock::measure(cal, t.created_at, t.resolution, p, now);
        let is_breached = t.breached_at.is_some() || clock.breached();
        let entry = Entry {
            percent: clock.percent_elapsed(),
            paused: clock.paused,
            due_at: if is_breached { t.breached_at.or(clock.due_at) } else { clock.due_at },
            t,
        };
        if is_breached {
            breached.push(entry);
        } else if entry.percent >= threshold {
            at_risk.push(entry);
        }
    }
    for list in [&mut at_risk, &mut breached] {
        list.sort_by(|a, b| b.percent.cmp(&a.percent).then(a.t.id.cmp(&b.t.id)));
    }

    let today = now.with_timezone(&JAKARTA).date_naive();
    let first = today - Duration::days(DAYS - 1);
    let mut per_day: BTreeMap<NaiveDate, u64> = first.iter_days().take_while(|d| *d <= today).map(|d| (d, 0)).collect();
    for at in ticket_stats::escalations_since(db, local_midnight(first, now - Duration::days(DAYS))).await? {
        if let Some(n) = per_day.get_mut(&at.with_timezone(&JAKARTA).date_naive()) {
            *n += 1;
        }
    }

    let technicians: BTreeMap<i64, (String, String)> =
        technicians::list(db, None, None).await?.into_iter().map(|t| (t.id, (t.full_name, t.work_zone))).collect();
    let mut by_team: BTreeMap<(bool, String), (i64, i64)> = BTreeMap::new();
    for c in ticket_stats::compliance_by_lead(db, now - Duration::days(DAYS)).await? {
        let zone = c.lead_technician_id.and_then(|id| technicians.get(&id)).map(|(_, zone)| zone.clone());
        let key = (zone.is_none(), zone.unwrap_or_default());
        let e = by_team.entry(key).or_default();
        e.0 += c.resolved;
        e.1 += c.within_sla;
    }
    let teams: Vec<TeamFigure> = by_team
        .into_iter()
        .map(|((no_lead, team), (resolved, within_sla))| TeamFigure {
            team: (!no_lead).then_some(team),
            resolved,
            within_sla,
        })
        .collect();
    let overall = TeamFigure {
        team: None,
        resolved: teams.iter().map(|t| t.resolved).sum(),
        within_sla: teams.iter().map(|t| t.within_sla).sum(),
    };
    Ok(Board { threshold, at_risk, breached, per_day: per_day.into_iter().collect(), teams, overall, technicians })
}

/// One page of `list` with the customers' names (one query for the page).
async fn page_of(state: &AppState, list: &[Entry], paging: Paging) -> AppResult<(Vec<Entry>, BTreeMap<i64, String>)> {
    let start = usize::try_from((paging.page - 1) * paging.per_page).unwrap_or(usize::MAX);
    let size = usize::try_from(paging.per_page).unwrap_or(usize::MAX);
    let items: Vec<Entry> = list.iter().skip(start).take(size).cloned().collect();
    let ids: Vec<i64> = items.iter().filter_map(|e| e.t.customer_id).collect();
    let names = customers::names(&state.reads, &ids).await?.into_iter().collect();
    Ok((items, names))
}

// ---------------------------------------------------------------------------------------------
// The API.

#[derive(Debug, Serialize, ToSchema)]
pub struct EscalationTicket {
    pub id: i64,
    pub number: String,
    pub customer_id: Option<i64>,
    pub customer_name: Option<String>,
    pub priority: String,
    pub status: String,
    pub lead_technician_id: Option<i64>,
    pub lead_technician_name: Option<String>,
    /// The lead technician's work zone.
    pub team: Option<String>,
    /// When the resolution target is (or was) reached; null while the clock is paused.
    pub due_at: Option<DateTime<Utc>>,
    pub breached_at: Option<DateTime<Utc>>,
    /// Share of the resolution target used, in whole percent (over 100 when breached).
    pub percent_elapsed: u32,
    /// Waiting for the customer: the clock stands still.
    pub paused: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamCompliance {
    /// The lead technician's work zone; null for tickets resolved without a lead (or, in
    /// `compliance_overall`, every team).
    pub team: Option<String>,
    pub resolved: i64,
    pub within_sla: i64,
    /// `within_sla / resolved` in percent, one decimal; null when none was resolved.
    pub percent: Option<f64>,
}

impl From<&TeamFigure> for TeamCompliance {
    fn from(f: &TeamFigure) -> Self {
        TeamCompliance { team: f.team.clone(), resolved: f.resolved, within_sla: f.within_sla, percent: f.percent() }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Escalations {
    pub generated_at: DateTime<Utc>,
    /// A ticket is at risk from this share of its resolution SLA (the first escalation step).
    pub at_risk_threshold_percent: u32,
    /// Still worked, at least the threshold used, not breached; most used first.
    pub at_risk: Page<EscalationTicket>,
    /// Still worked and past the resolution SLA; most used first.
    pub breached: Page<EscalationTicket>,
    /// Escalation steps taken per day (Asia/Jakarta), the last 30 days, oldest first.
    pub escalations_per_day: Vec<DayCount>,
    /// Tickets resolved in the last 30 days per team (the lead technician's work zone).
    pub compliance_by_team: Vec<TeamCompliance>,
    pub compliance_overall: TeamCompliance,
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct EscalationQuery {
    /// Page of the at-risk list, from 1.
    #[param(minimum = 1, maximum = 1_000_000)]
    pub at_risk_page: Option<u64>,
    /// Page of the breached list, from 1.
    #[param(minimum = 1, maximum = 1_000_000)]
    pub breached_page: Option<u64>,
    /// Items per page of each list, 1–200 (default 25).
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u64>,
}

fn ticket_out(b: &Board, e: Entry, names: &BTreeMap<i64, String>) -> EscalationTicket {
    let lead = e.t.lead_technician_id.and_then(|id| b.technicians.get(&id));
    EscalationTicket {
        id: e.t.id,
        number: e.t.number,
        customer_name: e.t.customer_id.and_then(|c| names.get(&c).cloned()),
        customer_id: e.t.customer_id,
        priority: e.t.priority.as_str().to_owned(),
        status: e.t.status.as_str().to_owned(),
        lead_technician_id: e.t.lead_technician_id,
        lead_technician_name: lead.map(|(name, _)| name.clone()),
        team: lead.map(|(_, zone)| zone.clone()),
        due_at: e.due_at,
        breached_at: e.t.breached_at,
        percent_elapsed: e.percent,
        paused: e.paused,
    }
}

async fn ticket_page(state: &AppState, b: &Board, list: &[Entry], paging: Paging) -> AppResult<Page<EscalationTicket>> {
    let (items, names) = page_of(state, list, paging).await?;
    Ok(Page::new(
        items.into_iter().map(|e| ticket_out(b, e, &names)).collect(),
        u64::try_from(list.len()).unwrap_or(0),
        paging,
    ))
}

/// The escalation dashboard's figures.
#[utoipa::path(get, path = "/api/v1/escalations", tag = "tickets", params(EscalationQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Escalations),))]
async fn escalations(
    State(state): State<AppState>,
    _s: Staff<perm::TicketsAssign>,
    ApiQuery(q): ApiQuery<EscalationQuery>,
) -> AppResult<Json<Escalations>> {
    let risk_paging = Paging::parse(q.at_risk_page, q.per_page)?;
    let breached_paging = Paging::parse(q.breached_page, q.per_page)?;
    let b = board(&state).await?;
    let at_risk = ticket_page(&state, &b, &b.at_risk, risk_paging).await?;
    let breached = ticket_page(&state, &b, &b.breached, breached_paging).await?;
    Ok(Json(Escalations {
        generated_at: state.now(),
        at_risk_threshold_percent: b.threshold,
        at_risk,
        breached,
        escalations_per_day: b.per_day.iter().map(|(d, n)| DayCount { day: d.to_string(), count: *n }).collect(),
        compliance_by_team: b.teams.iter().map(TeamCompliance::from).collect(),
        compliance_overall: TeamCompliance::from(&b.overall),
    }))
}

// ---------------------------------------------------------------------------------------------
// The page.

/// A row of either list.
struct Row {
    e: Entry,
    customer: String,
    lead: String,
    team: String,
}

/// One list with its pager.
struct ListView {
    rows: Vec<Row>,
    total: usize,
    page: u64,
    pages: u64,
    /// The query string of the previous and next pages (the other list keeps its page).
    prev: String,
    next: String,
}

/// A bar of the chart, in SVG units.
struct Bar {
    x: i64,
    y: i64,
    height: i64,
    count: u64,
    /// `dd/mm`, shown under every fifth bar and the last.
    label: String,
    title: String,
}

/// Chart geometry (SVG units): 30 bars of 14 with gaps of 6; the plot is 120 high above the axis.
const BAR_STEP: i64 = 20;
const PLOT_TOP: i64 = 14;
const PLOT_HEIGHT: i64 = 120;

#[derive(Template)]
#[template(path = "tickets/escalations.html")]
struct BoardPage {
    shell: Shell,
    threshold: u32,
    at_risk: ListView,
    breached: ListView,
    bars: Vec<Bar>,
    total_escalations: u64,
    busiest: Option<(String, u64)>,
    teams: Vec<TeamFigure>,
    overall: TeamFigure,
}

impl BoardPage {
    fn axis_y(&self) -> i64 {
        PLOT_TOP + PLOT_HEIGHT
    }

    fn width(&self) -> i64 {
        BAR_STEP * i64::try_from(self.bars.len()).unwrap_or(0)
    }

    fn percent_text(&self, f: &TeamFigure) -> String {
        f.percent().map_or_else(|| "—".to_owned(), |p| format!("{p:.1}%"))
    }

    fn team_name(&self, f: &TeamFigure) -> String {
        f.team.clone().unwrap_or_else(|| self.shell.t("esc.no_lead").to_owned())
    }
}

fn bars(per_day: &[(NaiveDate, u64)]) -> Vec<Bar> {
    let max = per_day.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let last = per_day.len().saturating_sub(1);
    per_day
        .iter()
        .enumerate()
        .map(|(i, (day, count))| {
            let height = i64::try_from(*count * u64::try_from(PLOT_HEIGHT).unwrap_or(0) / max).unwrap_or(0);
            let i = i64::try_from(i).unwrap_or(0);
            Bar {
                x: i * BAR_STEP + 3,
                y: PLOT_TOP + PLOT_HEIGHT - height,
                height,
                count: *count,
                label: if i % 5 == 0 || i == i64::try_from(last).unwrap_or(0) {
                    day.format("%d/%m").to_string()
                } else {
                    String::new()
                },
                title: format!("{}: {count}", day.format("%d-%m-%Y")),
            }
        })
        .collect()
}

/// One page of `list` for the page; `at(p)` is the query string of page `p`.
async fn list_view(
    state: &AppState,
    b: &Board,
    list: &[Entry],
    paging: Paging,
    at: impl Fn(u64) -> String,
) -> AppResult<ListView> {
    let (items, names) = page_of(state, list, paging).await?;
    let rows = items
        .into_iter()
        .map(|e| {
            let lead = e.t.lead_technician_id.and_then(|id| b.technicians.get(&id));
            Row {
                customer: e.t.customer_id.and_then(|c| names.get(&c).cloned()).unwrap_or_default(),
                lead: lead.map(|(n, _)| n.clone()).unwrap_or_default(),
                team: lead.map(|(_, z)| z.clone()).unwrap_or_default(),
                e,
            }
        })
        .collect();
    Ok(ListView {
        rows,
        total: list.len(),
        page: paging.page,
        pages: paging.pages(u64::try_from(list.len()).unwrap_or(0)),
        prev: at(paging.page.saturating_sub(1).max(1)),
        next: at(paging.page + 1),
    })
}

#[derive(Debug, Deserialize, Default)]
struct BoardQuery {
    at_risk_page: Option<u64>,
    breached_page: Option<u64>,
}

async fn page(
    State(state): State<AppState>,
    shell: Shell,
    _s: Staff<perm::TicketsAssign>,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> AppResult<Response> {
    let risk_paging = Paging::parse(q.at_risk_page, None)?;
    let breached_paging = Paging::parse(q.breached_page, None)?;
    let b = board(&state).await?;
    let query = |risk: u64, breached: u64| format!("at_risk_page={risk}&breached_page={breached}");
    let at_risk = list_view(&state, &b, &b.at_risk, risk_paging, |p| query(p, breached_paging.page)).await?;
    let breached = list_view(&state, &b, &b.breached, breached_paging, |p| query(risk_paging.page, p)).await?;
    let busiest = b
        .per_day
        .iter()
        .filter(|(_, n)| *n > 0)
        .max_by_key(|(d, n)| (*n, std::cmp::Reverse(*d)))
        .map(|(d, n)| (d.format("%d-%m-%Y").to_string(), *n));
    render(&BoardPage {
        shell,
        threshold: b.threshold,
        at_risk,
        breached,
        total_escalations: b.per_day.iter().map(|(_, n)| n).sum(),
        busiest,
        bars: bars(&b.per_day),
        teams: b.teams,
        overall: b.overall,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compliance_percent_and_bar() {
        let f = |resolved, within_sla| TeamFigure { team: None, resolved, within_sla };
        assert_eq!(f(0, 0).percent(), None);
        assert_eq!(f(3, 2).percent(), Some(66.7));
        assert_eq!(f(8, 8).percent(), Some(100.0));
        assert_eq!((f(3, 2).bar(), f(0, 0).bar()), (66, 0));
    }

    #[test]
    fn bars_scale_to_the_busiest_day_and_label_every_fifth() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap_or_default();
        let per_day: Vec<_> = (1..=30).map(|d| (day(d), u64::from(d == 3) * 4 + u64::from(d == 4) * 2)).collect();
        let b = bars(&per_day);
        assert_eq!(b.len(), 30);
        assert_eq!((b[2].height, b[3].height, b[0].height), (PLOT_HEIGHT, PLOT_HEIGHT / 2, 0));
        assert_eq!(b[2].y + b[2].height, PLOT_TOP + PLOT_HEIGHT, "bars stand on the axis");
        assert_eq!((b[0].label.as_str(), b[1].label.as_str(), b[29].label.as_str()), ("01/11", "", "30/11"));
        assert!(bars(&[(day(1), 0)]).iter().all(|b| b.height == 0), "no escalations: no division by zero");
    }
}
