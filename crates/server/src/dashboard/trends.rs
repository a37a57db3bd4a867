//! The manager's trends over the last twelve months (issue 22): customers who came and left,
//! tickets opened per type, the share resolved within their SLA and the average time to resolve,
//! per month in Asia/Jakarta. Each chart has the numbers beside it, each number linked to the list
//! behind it.
//!
//! The eleven finished months change little (a ticket resolved then and reopened, a late
//! import), so each instance holds them for [`FINISHED_TTL`] and reads them again in the
//! background when they are older; the current month's four aggregates (index ranges of at most
//! a month) are held for [`CURRENT_TTL`]. Twelve months at every page would read some 500 k index
//! entries at a million tickets (0.2 s on SQLite).

use crate::billing::charts::{self, BarChart, Series};
use crate::error::AppResult;
use crate::i18n::Lang;
use crate::monitoring::charts::number;
use crate::pages::Shell;
use crate::state::AppState;
use aglis_core::ticket::TicketType;
use aglis_core::trends::{self, MONTHS, Month};
use aglis_db::repo::trends::{self as repo, MonthFigures};
use chrono::{DateTime, Datelike, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// How long an instance shows the finished months it read before reading them again.
pub const FINISHED_TTL: chrono::Duration = chrono::Duration::minutes(10);
/// How long it shows the current month's.
pub const CURRENT_TTL: chrono::Duration = chrono::Duration::minutes(1);

const BLUE: &str = "#0b5cad";
const RED: &str = "#c0262d";
const GREEN: &str = "#2e7d32";
const ORANGE: &str = "#b54708";

/// Each ticket type's colour in the stacked chart, and its name's locale key.
const TYPES: [(TicketType, &str, &str); 8] = [
    (TicketType::Installation, BLUE, "ticket.type.installation"),
    (TicketType::Repair, RED, "ticket.type.repair"),
    (TicketType::Maintenance, ORANGE, "ticket.type.maintenance"),
    (TicketType::Upgrade, GREEN, "ticket.type.upgrade"),
    (TicketType::Downgrade, "#6941c6", "ticket.type.downgrade"),
    (TicketType::WifiSetup, "#0e7490", "ticket.type.wifi_setup"),
    (TicketType::Dismantle, "#667085", "ticket.type.dismantle"),
    (TicketType::Survey, "#c11574", "ticket.type.survey"),
];

/// The lists behind the figures (the lists filter by status and scope, not by month or type).
pub const NEW_CUSTOMERS_HREF: &str = "/customers?sort=newest";
pub const CHURN_HREF: &str = "/customers?status=terminated";
pub const TICKETS_HREF: &str = "/tickets?scope=all";
pub const RESOLVED_HREF: &str = "/tickets?scope=done";
pub const SLA_HREF: &str = "/escalations";

/// A number of the table beside a chart.
pub struct Cell {
    pub text: String,
    pub href: &'static str,
}

/// A month's row of numbers.
pub struct Row {
    /// `Nov 2026`.
    pub month: String,
    pub new_customers: Cell,
    pub churned: Cell,
    /// One per ticket type, in [`TYPES`] order, then the total: each with its column's locale key.
    pub opened: Vec<(&'static str, Cell)>,
    pub resolved: Cell,
    pub within_sla: Cell,
    /// `92%`, or `—` without resolved tickets.
    pub sla: Cell,
    /// `5,3` hours, or `—`.
    pub hours: Cell,
}

/// The trends section of the manager's start page.
pub struct Trends {
    pub customers: BarChart,
    pub tickets: BarChart,
    pub sla: BarChart,
    pub resolution: BarChart,
    /// The type names' locale keys, in the rows' order.
    pub types: Vec<&'static str>,
    pub rows: Vec<Row>,
}

impl Trends {
    /// The charts in the order shown.
    pub fn charts(&self) -> [&BarChart; 4] {
        [&self.customers, &self.tickets, &self.sla, &self.resolution]
    }
}

/// Figures read for `month` (the current one, or the one the finished months lead to) at `at`.
#[derive(Debug)]
struct Held {
    month: Month,
    at: DateTime<Utc>,
    figures: Arc<Vec<MonthFigures>>,
}

impl Held {
    fn fresh(&self, month: Month, now: DateTime<Utc>, ttl: chrono::Duration) -> bool {
        self.month == month && now - self.at < ttl
    }
}

/// The trend figures, per instance (see the module's documentation). Ages are read on the
/// application's clock.
#[derive(Debug, Default)]
pub struct TrendCache {
    finished: Arc<tokio::sync::Mutex<Option<Held>>>,
    refreshing: Arc<AtomicBool>,
    current: tokio::sync::Mutex<Option<Held>>,
}

impl TrendCache {
    /// The figures of `finished` (the months before `current`): the copy held for `current`, read
    /// again in the background once older than [`FINISHED_TTL`]; read now when none is held for
    /// it (the first page, a new month), by one page while others wait for it.
    async fn finished(
        &self,
        state: &AppState,
        current: Month,
        finished: &[Month],
    ) -> AppResult<Arc<Vec<MonthFigures>>> {
        let now = state.now();
        let mut held = self.finished.lock().await;
        if let Some(h) = held.as_ref().filter(|h| h.month == current) {
            if !h.fresh(current, now, FINISHED_TTL) && !self.refreshing.swap(true, Ordering::SeqCst) {
                let (reads, months) = (state.reads.clone(), finished.to_vec());
                let (slot, flag) = (Arc::clone(&self.finished), Arc::clone(&self.refreshing));
                tokio::spawn(async move {
                    if let Ok(fresh) = repo::months(&reads, &months).await {
                        *slot.lock().await = Some(Held { month: current, at: now, figures: Arc::new(fresh) });
                    }
                    flag.store(false, Ordering::SeqCst);
                });
            }
            return Ok(Arc::clone(&h.figures));
        }
        let figures = Arc::new(repo::months(&state.reads, finished).await?);
        *held = Some(Held { month: current, at: now, figures: Arc::clone(&figures) });
        Ok(figures)
    }

    /// The current month's figures, read again once older than [`CURRENT_TTL`] (four aggregates
    /// over at most a month: cheap, but a month's end at a million tickets is some 20 ms of them).
    async fn current(&self, state: &AppState, current: Month) -> AppResult<MonthFigures> {
        let now = state.now();
        let mut held = self.current.lock().await;
        if let Some(f) = held.as_ref().filter(|h| h.fresh(current, now, CURRENT_TTL)).and_then(|h| h.figures.first()) {
            return Ok(f.clone());
        }
        let figures = repo::month(&state.reads, current).await?;
        *held = Some(Held { month: current, at: now, figures: Arc::new(vec![figures.clone()]) });
        Ok(figures)
    }
}

/// The twelve months up to `now`, oldest first.
pub async fn figures(state: &AppState, now: DateTime<Utc>) -> AppResult<Vec<MonthFigures>> {
    let months = trends::months(now, MONTHS);
    let Some((current, finished)) = months.split_last() else { return Ok(Vec::new()) };
    let mut all = state.trends.finished(state, *current, finished).await?.to_vec();
    all.push(state.trends.current(state, *current).await?);
    Ok(all)
}

/// `Nov` on a chart's axis (twelve months name each month once, and a phone has room for three
/// letters), `Nov 2026` in a table.
fn month_name(m: Month, lang: Lang, long: bool) -> String {
    let name: String = aglis_core::billing::month_name(lang.into(), m.first_day).chars().take(3).collect();
    if long { format!("{name} {}", m.first_day.year()) } else { name }
}

/// Tenths of an hour as read: `5,3` / `5.3`.
fn hours(tenths: i64, lang: Lang) -> String {
    number(tenths as f64 / 10.0, 1, lang)
}

/// The charts and the numbers of `months`.
pub fn build(months: &[MonthFigures], shell: &Shell) -> Trends {
    let lang = shell.lang;
    let label = |m: &MonthFigures| month_name(m.month, lang, false);
    let count = |v: i64| v.to_string();
    let named = |keys: &'static [&'static str]| {
        move |l: &str, i: usize, v: i64| format!("{l} · {}: {v}", keys.get(i).map_or("", |k| shell.t(k)))
    };
    const CUSTOMER_SERIES: [&str; 2] = ["home.trends.new", "home.trends.churned"];
    let customers = charts::measured(
        "customers",
        &[Series { colour: BLUE, key: CUSTOMER_SERIES[0] }, Series { colour: RED, key: CUSTOMER_SERIES[1] }],
        &months.iter().map(|m| (label(m), vec![m.new_customers, m.churned])).collect::<Vec<_>>(),
        false,
        None,
        &count,
        &named(&CUSTOMER_SERIES),
    );
    const TYPE_KEYS: [&str; 8] =
        [TYPES[0].2, TYPES[1].2, TYPES[2].2, TYPES[3].2, TYPES[4].2, TYPES[5].2, TYPES[6].2, TYPES[7].2];
    let opened = |m: &MonthFigures| -> Vec<i64> {
        TYPES.iter().map(|(t, _, _)| m.opened.iter().find(|(x, _)| x == t).map_or(0, |(_, n)| *n)).collect()
    };
    let tickets = charts::measured(
        "tickets",
        &TYPES.map(|(_, colour, key)| Series { colour, key }),
        &months.iter().map(|m| (label(m), opened(m))).collect::<Vec<_>>(),
        true,
        None,
        &count,
        &named(&TYPE_KEYS),
    );
    let pct = |m: &MonthFigures| trends::percent(m.within_sla, m.resolved);
    let sla = charts::measured(
        "sla",
        &[Series { colour: GREEN, key: "home.trends.sla_series" }],
        &months.iter().map(|m| (label(m), vec![pct(m).unwrap_or(0)])).collect::<Vec<_>>(),
        false,
        Some(100),
        &|v| format!("{v}%"),
        &|l, _, v| format!("{l}: {v}%"),
    );
    let tenths = |m: &MonthFigures| trends::average_tenths_of_hour(m.resolution_seconds, m.resolved);
    let unit = shell.t("home.trends.hours_unit");
    let resolution = charts::measured(
        "resolution",
        &[Series { colour: ORANGE, key: "home.trends.hours_series" }],
        &months.iter().map(|m| (label(m), vec![tenths(m).unwrap_or(0)])).collect::<Vec<_>>(),
        false,
        None,
        &|v| format!("{} {unit}", hours(v, lang)),
        &|l, _, v| format!("{l}: {} {unit}", hours(v, lang)),
    );
    let cell = |text: String, href: &'static str| Cell { text, href };
    let rows = months
        .iter()
        .map(|m| {
            let mut cells: Vec<(&'static str, Cell)> =
                TYPE_KEYS.iter().zip(opened(m)).map(|(k, n)| (*k, cell(n.to_string(), TICKETS_HREF))).collect();
            cells.push(("home.trends.total", cell(m.opened_total().to_string(), TICKETS_HREF)));
            Row {
                month: month_name(m.month, lang, true),
                new_customers: cell(m.new_customers.to_string(), NEW_CUSTOMERS_HREF),
                churned: cell(m.churned.to_string(), CHURN_HREF),
                opened: cells,
                resolved: cell(m.resolved.to_string(), RESOLVED_HREF),
                within_sla: cell(m.within_sla.to_string(), SLA_HREF),
                sla: cell(pct(m).map_or_else(|| "—".to_owned(), |p| format!("{p}%")), SLA_HREF),
                hours: cell(tenths(m).map_or_else(|| "—".to_owned(), |t| hours(t, lang)), RESOLVED_HREF),
            }
        })
        .collect();
    Trends { customers, tickets, sla, resolution, types: TYPE_KEYS.to_vec(), rows }
}
