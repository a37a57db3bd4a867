//! Generated tickets for load tests: `count` over the two years up to now, in a realistic mix —
//! mostly repairs, mostly closed, the last two days still being worked — each with its "created"
//! history entry. A day's numbers continue after those already taken (the demo's tickets).

use super::{Lcg, progress};
use aglis_core::ticket::{Priority, TicketStatus, TicketType, number_prefix};
use aglis_core::ticket_sla::{default_targets, targets_for};
use aglis_db::entity::{customers, technicians, ticket_events, ticket_words, tickets};
use aglis_db::{DatabaseConnection, TransactionTrait};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set};

const DAYS: i64 = 730;
const BATCH: usize = 1_000;

const TYPES: &[(TicketType, usize)] = &[
    (TicketType::Repair, 60),
    (TicketType::Installation, 15),
    (TicketType::Maintenance, 10),
    (TicketType::Upgrade, 5),
    (TicketType::WifiSetup, 5),
    (TicketType::Dismantle, 5),
];
const PRIORITIES: &[(Priority, usize)] =
    &[(Priority::Low, 20), (Priority::Normal, 55), (Priority::High, 20), (Priority::Critical, 5)];
const TITLES: &[&str] = &[
    "Internet mati total, lampu LOS merah",
    "Koneksi putus-putus setiap sore",
    "Kecepatan tidak sesuai paket",
    "Modem sering restart sendiri",
    "Kabel drop putus",
    "WiFi tidak terdeteksi di lantai 2",
    "Redaman tinggi",
    "Tidak bisa buka situs tertentu",
];
const ACTIVE: &[TicketStatus] = &[
    TicketStatus::Open,
    TicketStatus::Assigned,
    TicketStatus::OnTheWay,
    TicketStatus::InProgress,
    TicketStatus::PendingParts,
    TicketStatus::WaitingCustomer,
];

fn weighted<T: Copy>(rng: &mut Lcg, table: &[(T, usize)]) -> T {
    let total: usize = table.iter().map(|(_, w)| w).sum();
    let mut pick = rng.next(total);
    for (v, w) in table {
        if pick < *w {
            return *v;
        }
        pick -= w;
    }
    table[0].0
}

/// Adds `count` tickets. Needs customers (run after [`super::customers`] or on the demo).
pub async fn seed(db: &DatabaseConnection, count: usize, now: DateTime<Utc>) -> anyhow::Result<()> {
    let customer_ids: Vec<(i64, String)> = customers::Entity::find()
        .select_only()
        .column(customers::Column::Id)
        .column(customers::Column::Name)
        .into_tuple()
        .all(db)
        .await?;
    let tech_ids: Vec<i64> =
        technicians::Entity::find().select_only().column(technicians::Column::Id).into_tuple().all(db).await?;
    anyhow::ensure!(!customer_ids.is_empty() && !tech_ids.is_empty(), "seed the demo (customers, technicians) first");
    let table = default_targets();
    let mut rng = Lcg(104_729);
    let started = std::time::Instant::now();
    let per_day = count.div_ceil(usize::try_from(DAYS).unwrap_or(1));
    let mut done = 0;
    let first_day = now - Duration::days(DAYS);
    let mut rows = Vec::with_capacity(BATCH);
    let mut numbers = Vec::with_capacity(BATCH);
    for day in 0..DAYS {
        let day_start = first_day + Duration::days(day);
        let prefix = number_prefix(day_start);
        // After the day's numbers already taken (the demo's tickets of the last days).
        let taken = aglis_db::repo::tickets::highest_number(db, &prefix)
            .await?
            .and_then(|n| n.strip_prefix(&prefix).and_then(|d| d.parse::<usize>().ok()))
            .unwrap_or(0);
        for k in 0..per_day {
            if done + rows.len() >= count {
                break;
            }
            let created = day_start + Duration::seconds(i64::try_from(k * 86_000 / per_day).unwrap_or(0));
            let ty = weighted(&mut rng, TYPES);
            let priority = weighted(&mut rng, PRIORITIES);
            let targets = targets_for(&table, ty, priority).ok_or_else(|| anyhow::anyhow!("no SLA row"))?;
            let recent = now - created < Duration::days(2);
            let status = if recent {
                ACTIVE[rng.next(ACTIVE.len())]
            } else {
                match rng.next(100) {
                    0..=89 => TicketStatus::Closed,
                    90..=94 => TicketStatus::Resolved,
                    _ => TicketStatus::Cancelled,
                }
            };
            let took = Duration::minutes(i64::try_from(30 + rng.next(36 * 60)).unwrap_or(60));
            let lead = (status != TicketStatus::Open).then(|| tech_ids[rng.next(tech_ids.len())]);
            let number = format!("{prefix}{:03}", taken + k + 1);
            let (customer_id, name) = &customer_ids[rng.next(customer_ids.len())];
            let title = TITLES[rng.next(TITLES.len())];
            numbers.push(Numbered { number: number.clone(), words: aglis_core::ticket::search_words(title, name) });
            rows.push(row(
                Generated { number, customer_id: *customer_id, ty, priority, status, title, created, took, lead },
                targets,
            ));
            if rows.len() == BATCH {
                write(db, std::mem::take(&mut rows), std::mem::take(&mut numbers)).await?;
                done += BATCH;
                progress("tickets", done, count, started);
            }
        }
    }
    if !rows.is_empty() {
        done += rows.len();
        write(db, rows, numbers).await?;
        progress("tickets", done, count, started);
    }
    eprintln!("\n  {done} tickets in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// What a generated ticket is made of.
struct Generated {
    number: String,
    customer_id: i64,
    ty: TicketType,
    priority: Priority,
    status: TicketStatus,
    title: &'static str,
    created: DateTime<Utc>,
    /// From opening to resolution (when resolved or closed).
    took: Duration,
    lead: Option<i64>,
}

/// A generated ticket's row: resolved `took` after it came in (closed a day later), past its SLA
/// when that took longer than its resolution target.
fn row(g: Generated, targets: aglis_core::ticket_sla::Targets) -> tickets::ActiveModel {
    let Generated { number, customer_id, ty, priority, status, title, created, took, lead } = g;
    let resolved = matches!(status, TicketStatus::Resolved | TicketStatus::Closed).then_some(created + took);
    let minutes = |d: Duration| i32::try_from(d.num_minutes()).unwrap_or(i32::MAX);
    tickets::ActiveModel {
        number: Set(number),
        customer_id: Set(Some(customer_id)),
        registration_id: Set(None),
        ticket_type: Set(ty),
        category: Set(String::new()),
        priority: Set(priority),
        status: Set(status),
        title: Set(title.to_owned()),
        description: Set("Dilaporkan pelanggan lewat WhatsApp.".to_owned()),
        location: Set(String::new()),
        latitude: Set(None),
        longitude: Set(None),
        lead_technician_id: Set(lead),
        created_by: Set(None),
        sla_calendar: Set(targets.calendar),
        response_minutes: Set(minutes(targets.first_response)),
        resolution_minutes: Set(minutes(targets.resolution)),
        sla_due_at: Set(status.is_active().then_some(created + targets.resolution)),
        first_response_at: Set(lead.map(|_| created + Duration::minutes(20))),
        started_at: Set(resolved.map(|_| created + Duration::minutes(40))),
        resolved_at: Set(resolved),
        closed_at: Set((status == TicketStatus::Closed).then_some(created + took + Duration::hours(24))),
        breached_at: Set(resolved.filter(|_| took > targets.resolution).map(|_| created + targets.resolution)),
        escalated_high_at: Set(None),
        escalated_critical_at: Set(None),
        completion: Set(None),
        created_at: Set(created),
        updated_at: Set(resolved.unwrap_or(created)),
        ..Default::default()
    }
}

/// The demo's finished tickets of the year before its last weeks, for the manager's trends
/// (issue 22): from `from` to `until`, some days none, some several, more repairs in the rainy
/// months (November to March) and slower work then, so each month reads differently. Closed,
/// resolved or cancelled, for customers with a service; numbered after each day's numbers
/// already taken. Returns how many.
pub async fn past_months(db: &DatabaseConnection, from: DateTime<Utc>, until: DateTime<Utc>) -> anyhow::Result<usize> {
    use chrono::Datelike;
    let customer_ids: Vec<(i64, String)> = customers::Entity::find()
        .select_only()
        .column(customers::Column::Id)
        .column(customers::Column::Name)
        .filter(customers::Column::ActivatedAt.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    let tech_ids: Vec<i64> =
        technicians::Entity::find().select_only().column(technicians::Column::Id).into_tuple().all(db).await?;
    anyhow::ensure!(!customer_ids.is_empty() && !tech_ids.is_empty(), "seed the demo (customers, technicians) first");
    let table = default_targets();
    let mut rng = Lcg(7_919);
    let (mut rows, mut numbers) = (Vec::new(), Vec::new());
    let mut day_start = from;
    while day_start < until {
        let month = day_start.with_timezone(&aglis_core::schedule::JAKARTA).month();
        let rainy = matches!(month, 11 | 12 | 1 | 2 | 3);
        // Some ten a month in the dry months, half as many again in the rainy ones, some busier.
        let chance = if rainy { 45 } else { 28 } + if month % 4 == 1 { 12 } else { 0 };
        let today = usize::from(rng.next(100) < chance) + usize::from(rng.next(100) < chance / 4);
        let prefix = number_prefix(day_start);
        let taken = aglis_db::repo::tickets::highest_number(db, &prefix)
            .await?
            .and_then(|n| n.strip_prefix(&prefix).and_then(|d| d.parse::<usize>().ok()))
            .unwrap_or(0);
        for k in 0..today {
            let created = day_start + Duration::hours(1 + i64::try_from(rng.next(12)).unwrap_or(0));
            if created >= until {
                break;
            }
            let ty = if rainy && rng.next(4) == 0 { TicketType::Repair } else { weighted(&mut rng, TYPES) };
            let priority = weighted(&mut rng, PRIORITIES);
            let targets = targets_for(&table, ty, priority).ok_or_else(|| anyhow::anyhow!("no SLA row"))?;
            let status = match rng.next(100) {
                0..=84 => TicketStatus::Closed,
                85..=91 => TicketStatus::Resolved,
                _ => TicketStatus::Cancelled,
            };
            let slowest = if rainy { 30 * 60 } else { 14 * 60 } + usize::try_from(month).unwrap_or(0) * 45;
            let took = Duration::minutes(i64::try_from(30 + rng.next(slowest)).unwrap_or(60));
            let number = format!("{prefix}{:03}", taken + k + 1);
            let (customer_id, name) = &customer_ids[rng.next(customer_ids.len())];
            let title = TITLES[rng.next(TITLES.len())];
            numbers.push(Numbered { number: number.clone(), words: aglis_core::ticket::search_words(title, name) });
            let lead = Some(tech_ids[rng.next(tech_ids.len())]);
            rows.push(row(
                Generated { number, customer_id: *customer_id, ty, priority, status, title, created, took, lead },
                targets,
            ));
        }
        day_start += Duration::days(1);
    }
    let n = rows.len();
    if n > 0 {
        write(db, rows, numbers).await?;
    }
    Ok(n)
}

/// A generated ticket's number and search words, to find its id after the insert.
struct Numbered {
    number: String,
    words: Vec<String>,
}

/// One batch, its "created" history entries and its search words, in one transaction.
async fn write(db: &DatabaseConnection, rows: Vec<tickets::ActiveModel>, numbers: Vec<Numbered>) -> anyhow::Result<()> {
    let txn = db.begin().await?;
    tickets::Entity::insert_many(rows).exec_without_returning(&txn).await?;
    let ids: Vec<(i64, String, DateTime<Utc>)> = tickets::Entity::find()
        .select_only()
        .column(tickets::Column::Id)
        .column(tickets::Column::Number)
        .column(tickets::Column::CreatedAt)
        .filter(tickets::Column::Number.is_in(numbers.iter().map(|n| n.number.clone())))
        .into_tuple()
        .all(&txn)
        .await?;
    let words_of: std::collections::HashMap<&str, &[String]> =
        numbers.iter().map(|n| (n.number.as_str(), n.words.as_slice())).collect();
    let words: Vec<ticket_words::ActiveModel> = ids
        .iter()
        .flat_map(|(id, number, _)| {
            words_of
                .get(number.as_str())
                .copied()
                .unwrap_or_default()
                .iter()
                .map(|w| ticket_words::ActiveModel { word: Set(w.clone()), ticket_id: Set(*id) })
        })
        .collect();
    ticket_words::Entity::insert_many(words).exec_without_returning(&txn).await?;
    let ids: Vec<(i64, DateTime<Utc>)> = ids.into_iter().map(|(id, _, at)| (id, at)).collect();
    let events = ids.into_iter().map(|(id, at)| ticket_events::ActiveModel {
        ticket_id: Set(id),
        kind: Set("created".into()),
        from_status: Set(None),
        to_status: Set(Some(TicketStatus::Open)),
        detail: Set("generated".into()),
        actor_id: Set(None),
        at: Set(at),
        ..Default::default()
    });
    ticket_events::Entity::insert_many(events).exec_without_returning(&txn).await?;
    txn.commit().await?;
    Ok(())
}
