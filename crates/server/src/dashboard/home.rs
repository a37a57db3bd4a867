//! What each role's start page shows ("what needs me now?"): figures that link to the list
//! behind them, the most urgent tickets, the team's load, the day's work. Gathered here, drawn by
//! `templates/dashboard/index.html`.

use crate::error::AppResult;
use crate::pages::Shell;
use crate::state::AppState;
use aglis_core::notification::MessageStatus;
use aglis_core::permission::{Permission, Role};
use aglis_core::schedule::JAKARTA;
use aglis_core::technician::Availability;
use aglis_core::ticket::{TicketScope, TicketSort, TicketStatus};
use aglis_db::repo::technicians::Technician;
use aglis_db::repo::tickets::{self, Ticket, TicketQuery};
use aglis_db::repo::{backups, customers, registrations, technicians, ticket_stats};
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use std::collections::BTreeMap;

/// A figure: its value, its label's locale key, the list behind it and its tone (`alert`,
/// `warn`, `ok` or empty).
pub struct Tile {
    pub value: String,
    pub label: &'static str,
    pub href: String,
    pub tone: &'static str,
}

/// A row of a bar chart.
pub struct BarRow {
    pub label: String,
    pub value: i64,
    /// Percent of the largest value.
    pub pct: i64,
    pub href: String,
}

/// An urgent ticket.
pub struct UrgentRow {
    pub t: Ticket,
    pub customer: String,
    pub lead: String,
    pub left: String,
    pub overdue: bool,
}

/// A technician and their load today.
pub struct TechRow {
    pub id: i64,
    pub name: String,
    pub availability: Availability,
    pub load: i64,
    pub capacity: i64,
    pub pct: i64,
}

/// A stop of a technician's day.
pub struct Stop {
    pub t: Ticket,
    pub customer: String,
    pub address: String,
    /// `tel:` target (`+62…`) and as shown.
    pub tel: String,
    pub phone: String,
    /// A map link (coordinates, else the address).
    pub map: String,
    pub left: String,
    pub overdue: bool,
}

/// A technician's performance over 30 days.
pub struct PerfRow {
    pub name: String,
    pub resolved: i64,
    pub within_sla: i64,
    pub pct: i64,
}

/// A small health badge.
pub struct Badge {
    pub label: &'static str,
    pub value: String,
    pub tone: &'static str,
    pub href: &'static str,
}

#[derive(Default)]
pub struct Home {
    pub tiles: Vec<Tile>,
    pub urgent: Vec<UrgentRow>,
    pub technicians: Vec<TechRow>,
    pub registration_steps: Vec<BarRow>,
    pub escalations: Vec<BarRow>,
    pub areas: Vec<BarRow>,
    pub odps_full: Vec<BarRow>,
    pub day: Option<Vec<Stop>>,
    pub performance: Vec<PerfRow>,
    pub customers: Vec<BarRow>,
    /// The manager's twelve months.
    pub trends: Option<super::trends::Trends>,
    pub badges: Vec<Badge>,
}

fn bars(rows: Vec<(String, i64, String)>) -> Vec<BarRow> {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    rows.into_iter().map(|(label, value, href)| BarRow { label, value, pct: value * 100 / max, href }).collect()
}

fn day_start(now: DateTime<Utc>) -> DateTime<Utc> {
    let today = now.with_timezone(&JAKARTA).date_naive();
    JAKARTA.from_local_datetime(&today.and_time(NaiveTime::MIN)).single().map_or(now, |d| d.with_timezone(&Utc))
}

/// The start page of `role`.
pub async fn gather(state: &AppState, shell: &Shell, role: Role, user_id: i64) -> AppResult<Home> {
    let now = state.now();
    let mut home = Home::default();
    if role == Role::Technician {
        home.day = Some(technician_day(state, shell, user_id, now).await?);
        return Ok(home);
    }
    // The team, read once for every section that names technicians.
    let techs = technicians::list(&state.reads, None, None).await?;
    let f = tickets::figures(&state.reads, now, day_start(now)).await?;
    let count = |s: TicketStatus| f.by_status.iter().find(|(x, _)| *x == s).map_or(0, |(_, n)| *n);
    let active: i64 = f.by_status.iter().filter(|(s, _)| s.is_active()).map(|(_, n)| n).sum();
    let regs = registrations::status_counts(&state.reads).await?;
    let reg =
        |s: aglis_core::registration::RegistrationStatus| regs.iter().find(|(x, _)| *x == s).map_or(0, |(_, n)| *n);
    let waiting: i64 = regs.iter().filter(|(s, _)| !s.is_final()).map(|(_, n)| n).sum();
    let tone = |n: i64, t: &'static str| if n > 0 { t } else { "ok" };
    let tile = |value: String, label, href: &str, tone| Tile { value, label, href: href.to_owned(), tone };
    let tickets_view = role.can(Permission::TicketsView);
    if tickets_view {
        home.tiles.push(tile(
            f.breached_active.to_string(),
            "home.breached",
            "/tickets",
            tone(f.breached_active, "alert"),
        ));
        home.tiles.push(tile(f.at_risk.to_string(), "home.at_risk", "/tickets", tone(f.at_risk, "warn")));
    }
    match role {
        Role::CustomerService => {
            use aglis_core::registration::RegistrationStatus as R;
            let submitted = reg(R::Submitted);
            home.tiles.push(tile(
                submitted.to_string(),
                "home.to_verify",
                "/registrations?status=submitted",
                tone(submitted, "warn"),
            ));
            let wc = count(TicketStatus::WaitingCustomer);
            home.tiles.push(tile(wc.to_string(), "home.waiting_customer", "/tickets?status=waiting_customer", ""));
            let failed = failed_messages_today(state, now).await?;
            home.tiles.push(tile(
                failed.to_string(),
                "home.failed_messages",
                "/notifications?status=failed",
                tone(failed, "alert"),
            ));
        }
        Role::Noc => {
            home.areas = open_per_area(state).await?;
            home.odps_full = odps_near_full(state).await?;
            if let Some(pct) = delivery_rate(state, now).await? {
                home.tiles.push(tile(
                    format!("{pct}%"),
                    "home.delivery_rate",
                    "/notifications",
                    if pct >= 95 { "ok" } else { "warn" },
                ));
            }
            let failed = failed_messages_today(state, now).await?;
            home.tiles.push(tile(
                failed.to_string(),
                "home.failed_messages",
                "/notifications?status=failed",
                tone(failed, "alert"),
            ));
        }
        Role::Manager => {
            home.performance = performance(state, &techs, now).await?;
            home.customers = bars(
                customers::status_counts(&state.reads)
                    .await?
                    .into_iter()
                    .map(|(s, n)| {
                        (shell.t_prefixed("cust.status.", s.as_str()).to_owned(), n, format!("/customers?status={s}"))
                    })
                    .collect(),
            );
            home.trends = Some(super::trends::build(&super::trends::figures(state, now).await?, shell));
        }
        _ => {}
    }
    if tickets_view {
        let open = count(TicketStatus::Open);
        home.tiles.push(tile(open.to_string(), "home.unassigned", "/tickets?status=open", tone(open, "warn")));
        home.tiles.push(tile(active.to_string(), "home.active", "/tickets", ""));
        home.tiles.push(tile(f.resolved_today.to_string(), "home.resolved_today", "/tickets?scope=done", "ok"));
        if f.resolved_30d > 0 {
            let pct = f.within_sla_30d * 100 / f.resolved_30d;
            home.tiles.push(tile(
                format!("{pct}%"),
                "home.sla_30d",
                "/escalations",
                if pct >= 90 { "ok" } else { "warn" },
            ));
        }
        home.urgent = urgent(state, shell, &techs, now).await?;
    }
    if role.can(Permission::RegistrationsView) {
        home.tiles.push(tile(waiting.to_string(), "home.registrations_waiting", "/registrations", ""));
        home.registration_steps = bars(
            regs.iter()
                .filter(|(s, _)| !s.is_final())
                .map(|(s, n)| {
                    (shell.t_prefixed("reg.status.", s.as_str()).to_owned(), *n, format!("/registrations?status={s}"))
                })
                .collect(),
        );
    }
    if matches!(role, Role::Admin | Role::Supervisor) {
        home.technicians = team(state, &techs).await?;
        let today = now.with_timezone(&JAKARTA).date_naive();
        let mut per_day: BTreeMap<chrono::NaiveDate, i64> =
            (0..7).rev().map(|d| (today - Duration::days(d), 0)).collect();
        for at in &f.escalations_7d {
            if let Some(n) = per_day.get_mut(&at.with_timezone(&JAKARTA).date_naive()) {
                *n += 1;
            }
        }
        home.escalations = bars(
            per_day.into_iter().map(|(d, n)| (d.format("%d-%m").to_string(), n, "/escalations".to_owned())).collect(),
        );
    }
    if role.can(Permission::JobsView) {
        let jobs = aglis_db::jobs::counts(&state.reads).await?;
        let stuck: u64 = jobs.iter().filter(|(s, _)| matches!(*s, "failed" | "dead")).map(|(_, n)| n).sum();
        let queued: u64 = jobs.iter().filter(|(s, _)| *s == "queued").map(|(_, n)| n).sum();
        home.badges.push(Badge {
            label: "home.queue",
            value: format!("{queued} / {stuck}"),
            tone: if stuck > 0 { "warn" } else { "ok" },
            href: "/admin/jobs",
        });
    }
    if role.can(Permission::BackupsManage) {
        let last = backups::latest_complete(&state.reads).await?;
        let (value, tone) = match last {
            Some(b) => {
                let hours = (now - b.started_at).num_hours();
                (shell.local_time(&b.started_at), if hours <= 26 { "ok" } else { "alert" })
            }
            None => ("—".to_owned(), "alert"),
        };
        home.badges.push(Badge { label: "home.backup", value, tone, href: "/admin/backups" });
    }
    Ok(home)
}

/// The eight most urgent tickets still worked.
async fn urgent(
    state: &AppState,
    shell: &Shell,
    techs: &[Technician],
    now: DateTime<Utc>,
) -> AppResult<Vec<UrgentRow>> {
    let q = TicketQuery {
        scope: Some(TicketScope::Open),
        sort: Some(TicketSort::Urgent),
        page: 1,
        per_page: 8,
        ..Default::default()
    };
    let (items, _, _) = tickets::list(&state.reads, &q).await?;
    let ids: Vec<i64> = items.iter().filter_map(|t| t.customer_id).collect();
    let names: BTreeMap<i64, String> = customers::names(&state.reads, &ids).await?.into_iter().collect();
    let leads: BTreeMap<i64, &str> = techs.iter().map(|t| (t.id, t.full_name.as_str())).collect();
    Ok(items
        .into_iter()
        .map(|t| UrgentRow {
            customer: t.customer_id.and_then(|c| names.get(&c).cloned()).unwrap_or_default(),
            lead: t.lead_technician_id.and_then(|l| leads.get(&l)).map(|n| (*n).to_owned()).unwrap_or_default(),
            left: t.sla_due_at.map(|d| shell.time_left(&d, &now)).unwrap_or_default(),
            overdue: t.breached_at.is_some() || t.sla_due_at.is_some_and(|d| d < now),
            t,
        })
        .collect())
}

/// Active technicians with their working tickets against their daily capacity.
async fn team(state: &AppState, all: &[Technician]) -> AppResult<Vec<TechRow>> {
    let techs: Vec<&Technician> = all.iter().filter(|t| t.is_active).collect();
    let ids: Vec<i64> = techs.iter().map(|t| t.id).collect();
    let load: BTreeMap<i64, i64> = tickets::active_load(&state.reads, &ids).await?.into_iter().collect();
    let mut rows: Vec<TechRow> = techs
        .into_iter()
        .map(|t| {
            let load = load.get(&t.id).copied().unwrap_or(0);
            let capacity = i64::from(t.max_daily_tickets).max(1);
            TechRow {
                id: t.id,
                name: t.full_name.clone(),
                availability: t.availability,
                load,
                capacity,
                pct: (load * 100 / capacity).min(100),
            }
        })
        .collect();
    rows.sort_by_key(|r| (r.availability != Availability::Available, -r.load));
    Ok(rows)
}

/// Messages that failed since midnight (Jakarta).
async fn failed_messages_today(state: &AppState, now: DateTime<Utc>) -> AppResult<i64> {
    let counts = aglis_db::repo::messages::status_counts(&state.reads, day_start(now)).await?;
    Ok(counts.iter().filter(|(s, _)| matches!(s, MessageStatus::Failed | MessageStatus::Dead)).map(|(_, n)| n).sum())
}

/// The share of the last hour's WhatsApp and e-mail messages the provider took (sent, delivered
/// or read) of those tried; `None` when none was tried.
async fn delivery_rate(state: &AppState, now: DateTime<Utc>) -> AppResult<Option<i64>> {
    let counts = aglis_db::repo::messages::status_counts(&state.reads, now - Duration::hours(1)).await?;
    let n = |f: fn(&MessageStatus) -> bool| counts.iter().filter(|(s, _)| f(s)).map(|(_, n)| n).sum::<i64>();
    let ok = n(|s| matches!(s, MessageStatus::Sent | MessageStatus::Delivered | MessageStatus::Read));
    let bad = n(|s| matches!(s, MessageStatus::Failed | MessageStatus::Dead));
    Ok((ok + bad > 0).then(|| ok * 100 / (ok + bad)))
}

/// Open repair and maintenance tickets per customer city and ODP area.
async fn open_per_area(state: &AppState) -> AppResult<Vec<BarRow>> {
    let active = ticket_stats::active(&state.reads).await?;
    let ids: Vec<i64> = active.iter().filter_map(|t| t.customer_id).collect();
    let custs = customers::by_ids(&state.reads, &ids).await?;
    let odp_ids: Vec<i64> = custs.iter().filter_map(|c| c.odp_id).collect();
    let q = aglis_db::repo::odps::OdpQuery { page: 1, per_page: 5000, ..Default::default() };
    let odps: BTreeMap<i64, String> = aglis_db::repo::odps::list(&state.reads, &q)
        .await?
        .0
        .into_iter()
        .filter(|o| odp_ids.contains(&o.id))
        .map(|o| (o.id, o.code))
        .collect();
    let by_customer: BTreeMap<i64, String> = custs
        .into_iter()
        .map(|c| {
            let odp = c.odp_id.and_then(|o| odps.get(&o).cloned()).unwrap_or_else(|| "—".to_owned());
            (c.id, format!("{} · {odp}", c.city))
        })
        .collect();
    let mut per: BTreeMap<String, i64> = BTreeMap::new();
    for t in &active {
        if let Some(place) = t.customer_id.and_then(|c| by_customer.get(&c)) {
            *per.entry(place.clone()).or_default() += 1;
        }
    }
    let mut rows: Vec<(String, i64, String)> = per.into_iter().map(|(k, n)| (k, n, "/tickets".to_owned())).collect();
    rows.sort_by_key(|r| -r.1);
    rows.truncate(10);
    Ok(bars(rows))
}

/// ODPs with at most two free ports.
async fn odps_near_full(state: &AppState) -> AppResult<Vec<BarRow>> {
    let q = aglis_db::repo::odps::OdpQuery { page: 1, per_page: 1000, ..Default::default() };
    let (all, _) = aglis_db::repo::odps::list(&state.reads, &q).await?;
    let mut rows: Vec<(String, i64, String)> = all
        .into_iter()
        .filter(|o| o.total_ports > 0 && o.total_ports - o.used_ports <= 2)
        .map(|o| {
            let pct = i64::from(o.used_ports) * 100 / i64::from(o.total_ports);
            (format!("{} ({}/{})", o.code, o.used_ports, o.total_ports), pct, "/admin/odps".to_owned())
        })
        .collect();
    rows.sort_by_key(|r| -r.1);
    rows.truncate(10);
    Ok(rows.into_iter().map(|(label, value, href)| BarRow { label, value, pct: value, href }).collect())
}

/// Each lead technician's tickets resolved in 30 days and how many within the SLA.
async fn performance(state: &AppState, techs: &[Technician], now: DateTime<Utc>) -> AppResult<Vec<PerfRow>> {
    let names: BTreeMap<i64, &str> = techs.iter().map(|t| (t.id, t.full_name.as_str())).collect();
    let mut rows: Vec<PerfRow> = ticket_stats::compliance_by_lead(&state.reads, now - Duration::days(30))
        .await?
        .into_iter()
        .filter_map(|c| {
            let name = (*names.get(&c.lead_technician_id?)?).to_owned();
            let pct = if c.resolved > 0 { c.within_sla * 100 / c.resolved } else { 0 };
            Some(PerfRow { name, resolved: c.resolved, within_sla: c.within_sla, pct })
        })
        .collect();
    rows.sort_by_key(|r| -r.resolved);
    Ok(rows)
}

/// The technician's tickets still to do, the most urgent first, with what a visit needs.
async fn technician_day(state: &AppState, shell: &Shell, user_id: i64, now: DateTime<Utc>) -> AppResult<Vec<Stop>> {
    let Some(me) = technicians::by_user(&state.reads, user_id).await? else { return Ok(Vec::new()) };
    let q = TicketQuery {
        member: Some(me.id),
        scope: Some(TicketScope::Open),
        sort: Some(TicketSort::Urgent),
        page: 1,
        per_page: 50,
        ..Default::default()
    };
    let (items, _, _) = tickets::list(&state.reads, &q).await?;
    let ids: Vec<i64> = items.iter().filter_map(|t| t.customer_id).collect();
    let custs: BTreeMap<i64, aglis_db::repo::customers::Customer> =
        customers::by_ids(&state.reads, &ids).await?.into_iter().map(|c| (c.id, c)).collect();
    Ok(items
        .into_iter()
        .map(|t| {
            let c = t.customer_id.and_then(|id| custs.get(&id));
            let address = c.map(|c| format!("{}, {}", c.address, c.city)).unwrap_or_else(|| t.location.clone());
            let (lat, lon) = (t.latitude.or(c.and_then(|c| c.latitude)), t.longitude.or(c.and_then(|c| c.longitude)));
            let map = match (lat, lon) {
                (Some(la), Some(lo)) => format!("https://www.google.com/maps/search/?api=1&query={la},{lo}"),
                _ => format!(
                    "https://www.google.com/maps/search/?api=1&query={}",
                    form_urlencoded::byte_serialize(address.as_bytes()).collect::<String>()
                ),
            };
            Stop {
                customer: c.map(|c| c.name.clone()).unwrap_or_default(),
                tel: c.map(|c| format!("+{}", c.phone)).unwrap_or_default(),
                phone: c.map(|c| shell.phone(&c.phone)).unwrap_or_default(),
                address,
                map,
                left: t.sla_due_at.map(|d| shell.time_left(&d, &now)).unwrap_or_default(),
                overdue: t.breached_at.is_some() || t.sla_due_at.is_some_and(|d| d < now),
                t,
            }
        })
        .collect())
}
