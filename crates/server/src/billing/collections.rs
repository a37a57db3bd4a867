//! The collections pages: `/billing` (what was billed and collected this month, what is overdue,
//! and charts: billed vs collected per month, arrears per billing month, per package, aging),
//! `/billing/aging` (who owes how long, and the suspension list) and `/billing/gateway-log` (every
//! gateway callback as it arrived, with what applying it did).

use super::charts::{self, BarChart, Series};
use crate::auth::extract::{Staff, perm};
use crate::error::AppResult;
use crate::extract::ApiQuery;
use crate::i18n::Lang;
use crate::listing::Paging;
use crate::pages::{Shell, render};
use crate::state::AppState;
use aglis_core::proration::Period;
use aglis_core::schedule::JAKARTA;
use aglis_db::entity::webhook_events;
use aglis_db::repo::billing_stats::{self, Aging, CustomerAging, PeriodFigures};
use aglis_db::repo::webhook_events as events_repo;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use chrono::NaiveDate;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/billing", get(dashboard))
        .route("/billing/aging", get(aging))
        .route("/billing/gateway-log", get(gateway_log))
}

const BLUE: &str = "#0b5cad";
const GREEN: &str = "#2e7d32";
const RED: &str = "#c0262d";
const ORANGE: &str = "#b54708";

fn today(state: &AppState) -> NaiveDate {
    state.now().with_timezone(&JAKARTA).date_naive()
}

/// The first day an invoice may be due and still keep its customer off the suspension list.
pub fn grace_cutoff(state: &AppState) -> NaiveDate {
    today(state) - chrono::Days::new(u64::from(state.config.payments.grace_days))
}

#[derive(Template)]
#[template(path = "billing/collections.html")]
struct DashboardPage {
    shell: Shell,
    period: String,
    current: PeriodFigures,
    aging: Aging,
    to_suspend: u64,
    grace_days: u32,
    prepaid: aglis_db::repo::prepaid::Figures,
    charts: Vec<BarChart>,
}

/// `Des 26` / `Dec 26`: a month on a chart's axis (the first three letters of its name).
fn month_label(period: &str, lang: Lang) -> String {
    let Some(p) = Period::parse(period) else { return period.to_owned() };
    let name: String = aglis_core::billing::month_name(lang.into(), p.start).chars().take(3).collect();
    format!("{name} {:02}", chrono::Datelike::year(&p.start) % 100)
}

async fn dashboard(
    State(state): State<AppState>,
    shell: Shell,
    _staff: Staff<perm::BillingView>,
) -> AppResult<Response> {
    let today = today(&state);
    let this = Period::containing(today);
    let mut from = this;
    for _ in 0..11 {
        from = from.previous();
    }
    let months = billing_stats::per_period(&state.reads, &from.to_string()).await?;
    let current = months.iter().find(|m| m.period == this.to_string()).cloned().unwrap_or(PeriodFigures {
        period: this.to_string(),
        invoices: 0,
        billed: 0,
        collected: 0,
    });
    let aging = billing_stats::aging_totals(&state.reads, today).await?;
    let (_, to_suspend) =
        billing_stats::aging_by_customer(&state.reads, today, Some(grace_cutoff(&state)), 0, 1).await?;
    let id = shell.lang == Lang::Id;
    let label = |p: &str| month_label(p, shell.lang);
    let billed_collected = charts::bars(
        "billed_collected",
        &[
            Series { colour: BLUE, key: "billing.series.billed" },
            Series { colour: GREEN, key: "billing.series.collected" },
        ],
        &months.iter().map(|m| (label(&m.period), vec![m.billed, m.collected])).collect::<Vec<_>>(),
        id,
    );
    let arrears = charts::bars(
        "arrears",
        &[Series { colour: RED, key: "billing.series.unpaid" }],
        &months.iter().map(|m| (label(&m.period), vec![m.outstanding()])).collect::<Vec<_>>(),
        id,
    );
    let packages = billing_stats::per_package(&state.reads, &this.to_string()).await?;
    let per_package = charts::bars(
        "per_package",
        &[Series { colour: BLUE, key: "billing.series.billed" }, Series { colour: RED, key: "billing.series.unpaid" }],
        &packages.iter().map(|p| (p.package.clone(), vec![p.billed, p.outstanding])).collect::<Vec<_>>(),
        id,
    );
    let aging_chart = charts::bars(
        "aging",
        &[Series { colour: ORANGE, key: "billing.series.owed" }],
        &[
            (shell.t("aging.not_due").to_owned(), vec![aging.not_due]),
            ("0–30".to_owned(), vec![aging.upto_30]),
            ("31–60".to_owned(), vec![aging.upto_60]),
            ("61–90".to_owned(), vec![aging.upto_90]),
            ("90+".to_owned(), vec![aging.over_90]),
        ],
        id,
    );
    render(&DashboardPage {
        period: this.to_string(),
        current,
        aging,
        to_suspend,
        grace_days: state.config.payments.grace_days,
        prepaid: aglis_db::repo::prepaid::figures(&state.reads, today).await?,
        charts: vec![billed_collected, arrears, per_package, aging_chart],
        shell,
    })
}

#[derive(Debug, Deserialize, Default)]
struct AgingParams {
    /// `suspension`: only the customers past the grace period.
    #[serde(default)]
    list: String,
    page: Option<u64>,
}

#[derive(Template)]
#[template(path = "billing/aging.html")]
struct AgingPage {
    shell: Shell,
    rows: Vec<CustomerAging>,
    totals: Aging,
    suspension: bool,
    grace_days: u32,
    total: u64,
    page: u64,
    pages: u64,
    base_query: String,
    /// Staff who may isolate get a button per row of the suspension list.
    can_isolate: bool,
}

async fn aging(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::BillingView>,
    ApiQuery(p): ApiQuery<AgingParams>,
) -> AppResult<Response> {
    let paging = Paging::parse(p.page, None)?;
    let suspension = p.list == "suspension";
    let cutoff = suspension.then(|| grace_cutoff(&state));
    let today = today(&state);
    let (rows, total) =
        billing_stats::aging_by_customer(&state.reads, today, cutoff, paging.offset(), paging.per_page).await?;
    let totals = billing_stats::aging_totals(&state.reads, today).await?;
    render(&AgingPage {
        shell,
        rows,
        totals,
        suspension,
        grace_days: state.config.payments.grace_days,
        total,
        page: paging.page,
        pages: paging.pages(total),
        base_query: if suspension { "list=suspension".into() } else { String::new() },
        can_isolate: suspension && staff.auth().user.role.can(aglis_core::permission::Permission::ServiceSuspend),
    })
}

#[derive(Debug, Deserialize, Default)]
struct LogParams {
    #[serde(default)]
    outcome: String,
    page: Option<u64>,
}

struct LogRow {
    event: webhook_events::Model,
    pretty: String,
}

#[derive(Template)]
#[template(path = "billing/gateway_log.html")]
struct LogPage {
    shell: Shell,
    rows: Vec<LogRow>,
    outcome: String,
    outcomes: [&'static str; 4],
    total: u64,
    total_exact: bool,
    page: u64,
    pages: u64,
    base_query: String,
}

async fn gateway_log(
    State(state): State<AppState>,
    shell: Shell,
    _staff: Staff<perm::BillingView>,
    ApiQuery(p): ApiQuery<LogParams>,
) -> AppResult<Response> {
    let paging = Paging::parse(p.page, None)?;
    let outcomes = ["applied", "ignored", "unmatched", "invalid"];
    let outcome = outcomes.iter().find(|o| **o == p.outcome).copied();
    let (events, total, exact) = events_repo::page_of_sources(
        &state.reads,
        &["midtrans", "xendit"],
        outcome,
        paging.offset(),
        paging.per_page,
        10_000,
    )
    .await?;
    render(&LogPage {
        rows: events.into_iter().map(|event| LogRow { pretty: super::pages::pretty(&event.payload), event }).collect(),
        outcome: outcome.unwrap_or_default().to_owned(),
        outcomes,
        total,
        total_exact: exact,
        page: paging.page,
        pages: paging.pages(total),
        base_query: outcome.map(|o| format!("outcome={o}")).unwrap_or_default(),
        shell,
    })
}
