//! Demo technicians (the demo's technician accounts, in Karawang and Bekasi zones) and tickets in
//! every state over the last days, some near or past their SLA, so the ticket pages, a
//! technician's queue and the escalation figures all have something to show.

use crate::state::AppState;
use aglis_core::technician::SkillLevel;
use aglis_core::ticket::{Priority, TicketStatus, TicketType};
use aglis_core::ticket_sla;
use aglis_db::repo::customers::{CustomerQuery, list as list_customers};
use aglis_db::repo::technicians::{self, Profile};
use aglis_db::repo::tickets::{self, NewTicket, Ticket};
use aglis_db::repo::users;
use chrono::{DateTime, Duration, Utc};

/// (skill code, level 1–5)
type Skills = &'static [(&'static str, i32)];

/// (username, zone, level, skills)
const TECHNICIANS: &[(&str, &str, SkillLevel, Skills)] = &[
    (
        "technician",
        "Karawang Barat",
        SkillLevel::Senior,
        &[("ftth_basic_install", 4), ("fiber_splicing", 3), ("speed_testing", 5)],
    ),
    (
        "teknisi.karawang1",
        "Karawang Barat",
        SkillLevel::Expert,
        &[("fiber_splicing", 5), ("backbone_fiber", 4), ("olt_management", 3)],
    ),
    ("teknisi.karawang2", "Telukjambe", SkillLevel::Junior, &[("ftth_basic_install", 3), ("speed_testing", 3)]),
    ("teknisi.bekasi1", "Bekasi Timur", SkillLevel::Senior, &[("ftth_basic_install", 4), ("wifi_setup", 4)]),
    (
        "teknisi.bekasi2",
        "Cikarang",
        SkillLevel::Specialist,
        &[("backbone_fiber", 5), ("tower_climbing", 4), ("fiber_splicing", 5)],
    ),
];

/// (type, priority, title, hours ago, status it has reached, technician index)
const TICKETS: &[(TicketType, Priority, &str, i64, TicketStatus, usize)] = &[
    (TicketType::Repair, Priority::Critical, "Internet mati total, lampu LOS merah", 1, TicketStatus::Open, 0),
    (TicketType::Repair, Priority::High, "Koneksi putus-putus setiap sore", 3, TicketStatus::Assigned, 0),
    (TicketType::Repair, Priority::Normal, "Kecepatan hanya 5 Mbps dari paket 50 Mbps", 20, TicketStatus::OnTheWay, 0),
    (TicketType::Installation, Priority::Normal, "Pemasangan baru Perum Galuh Mas", 40, TicketStatus::InProgress, 0),
    (TicketType::WifiSetup, Priority::Low, "Ganti nama dan sandi WiFi", 26, TicketStatus::WaitingCustomer, 2),
    (TicketType::Repair, Priority::High, "Kabel drop putus tertimpa pohon", 5, TicketStatus::PendingParts, 1),
    (TicketType::Maintenance, Priority::Normal, "Perapian kabel ODP-KRW-004", 70, TicketStatus::Resolved, 1),
    (TicketType::Upgrade, Priority::Low, "Upgrade ke Home Gold 100M", 120, TicketStatus::Closed, 3),
    (TicketType::Dismantle, Priority::Low, "Cabut perangkat, pelanggan pindah", 96, TicketStatus::Cancelled, 3),
    (TicketType::Repair, Priority::Normal, "Modem sering restart sendiri", 50, TicketStatus::Reopened, 4),
    (TicketType::Repair, Priority::High, "Redaman tinggi -29 dBm", 6, TicketStatus::InProgress, 4),
    (TicketType::Repair, Priority::Critical, "Satu cluster Cikarang padam", 3, TicketStatus::InProgress, 4),
    (TicketType::Repair, Priority::Normal, "Tidak bisa buka situs tertentu", 2, TicketStatus::Open, 0),
    (TicketType::Installation, Priority::Normal, "Pemasangan baru Bekasi Timur", 10, TicketStatus::Assigned, 3),
    (TicketType::Maintenance, Priority::Low, "Cek rutin ODP-BKS-011", 40, TicketStatus::Resolved, 3),
];

/// The statuses a ticket walks through to reach `to` (after `open`).
fn path_to(to: TicketStatus) -> &'static [TicketStatus] {
    use TicketStatus::*;
    match to {
        Open => &[],
        Assigned => &[Assigned],
        OnTheWay => &[Assigned, OnTheWay],
        InProgress => &[Assigned, OnTheWay, InProgress],
        PendingParts => &[Assigned, InProgress, PendingParts],
        WaitingCustomer => &[Assigned, InProgress, WaitingCustomer],
        Resolved => &[Assigned, OnTheWay, InProgress, Resolved],
        Closed => &[Assigned, InProgress, Resolved, Closed],
        Cancelled => &[Cancelled],
        Reopened => &[Assigned, InProgress, Resolved, Reopened],
    }
}

pub async fn seed(state: &AppState) -> anyhow::Result<()> {
    let now = state.now();
    let mut techs = Vec::new();
    for (i, (username, zone, level, skills)) in TECHNICIANS.iter().enumerate() {
        let Some((user, _)) = users::find_credentials(&state.db, username).await? else { continue };
        let profile = Profile {
            user_id: Some(user.id),
            full_name: user.full_name.clone(),
            phone: user.phone.clone().unwrap_or_default(),
            skill_level: *level,
            work_zone: (*zone).into(),
            max_daily_tickets: 8,
            work_start: "08:00".into(),
            work_end: "17:00".into(),
            skills: skills.iter().map(|(s, l)| ((*s).to_owned(), *l)).collect(),
        };
        techs.push(
            technicians::create(&state.db, &format!("TEC{:04}", i + 1), profile, now - Duration::days(400)).await?,
        );
    }
    anyhow::ensure!(!techs.is_empty(), "the demo technician accounts are missing");
    // The year before [`HISTORY`]'s weeks, for the manager's trends (from the first month they
    // show), written first so that ticket ids grow with time as the lists' "newest" expects.
    let first = aglis_core::trends::months(now, aglis_core::trends::MONTHS).first().map_or(now, |m| m.from);
    crate::seed::tickets::past_months(&state.db, first, now - Duration::days(32)).await?;
    let q =
        CustomerQuery { page: 1, per_page: 60, sort: aglis_db::repo::customers::Sort::Newest, ..Default::default() };
    let people = list_customers(&state.db, &q).await?.items;
    anyhow::ensure!(!people.is_empty(), "seed customers before tickets");
    for (i, (ty, priority, title, hours_ago, reach, tech)) in TICKETS.iter().enumerate() {
        let customer = &people[i % people.len()];
        let created = now - Duration::hours(*hours_ago) - Duration::minutes(17 * i64::try_from(i).unwrap_or(0));
        let (mut t, _) = open_ticket(state, customer, *ty, *priority, title, created).await?;
        let lead = &techs[tech % techs.len()];
        let steps = path_to(*reach);
        let gap = Duration::hours(*hours_ago) / i32::try_from(steps.len() + 1).unwrap_or(1);
        let mut at = created;
        for (n, to) in steps.iter().enumerate() {
            at += gap;
            if *to == TicketStatus::Assigned {
                tickets::set_team(&state.db, t.id, lead.id, &[], at).await?;
                t.lead_technician_id = Some(lead.id);
            }
            t = walk(state, t, *to, at, n).await?;
        }
        let due = if t.status.is_active() {
            crate::tickets::service::resolution_clock(&state.db, &t, now).await?.due_at
        } else {
            None
        };
        tickets::set_due(&state.db, t.id, due).await?;
    }
    history(state, &techs, &people, now).await?;
    crate::tickets::escalation::check(state).await?;
    Ok(())
}

/// (type, priority, title, days ago, WIB hour it came in, minutes it took, technician index, closed since)
type Done = (TicketType, Priority, &'static str, i64, u32, i64, usize, bool);

/// Tickets of the last four weeks, resolved within or past their SLA, some escalated on the way,
/// across every zone (Karawang Barat does best, Cikarang worst), for the escalation dashboard.
const HISTORY: &[Done] = &[
    (TicketType::Repair, Priority::High, "Internet mati setelah hujan deras", 27, 9, 150, 0, true),
    (TicketType::Repair, Priority::High, "Lampu LOS merah, kabel drop tertekuk", 25, 14, 222, 1, true),
    (TicketType::Repair, Priority::Critical, "Satu tiang ODP roboh di Jl. Tuparev", 24, 10, 95, 1, true),
    (TicketType::Repair, Priority::Normal, "Koneksi lambat malam hari", 23, 9, 4 * 60, 0, true),
    (TicketType::Repair, Priority::High, "Putus total, tetangga juga mati", 22, 16, 300, 4, true),
    (TicketType::Installation, Priority::Normal, "Pemasangan baru Perum Karaba Indah", 21, 8, 30 * 60, 2, true),
    (TicketType::Repair, Priority::Normal, "Modem mati total, adaptor rusak", 20, 10, 7 * 24 * 60, 4, true),
    (TicketType::Repair, Priority::Critical, "Kabel feeder putus tergali proyek", 18, 13, 170, 4, true),
    (TicketType::Installation, Priority::Normal, "Pemasangan baru Metland Cibitung", 17, 9, 45 * 60, 3, true),
    (TicketType::Repair, Priority::High, "Redaman -30 dBm di ODP-BKS-007", 16, 11, 180, 3, true),
    (TicketType::Repair, Priority::High, "Sering putus tiap sore", 15, 15, 225, 0, true),
    (TicketType::Maintenance, Priority::Low, "Penggantian splitter ODP-KRW-012", 14, 9, 6 * 60, 1, true),
    (TicketType::Repair, Priority::High, "Internet mati di ruko Cikarang", 13, 19, 330, 4, true),
    (TicketType::WifiSetup, Priority::Low, "Tambah access point lantai 2", 12, 10, 3 * 60, 2, true),
    (TicketType::Repair, Priority::Normal, "Kecepatan turun ke 10 Mbps", 11, 9, 7 * 24 * 60, 2, true),
    (TicketType::Repair, Priority::High, "LOS setelah pemadaman listrik", 9, 8, 232, 3, true),
    (TicketType::Repair, Priority::Critical, "Gangguan massal Bekasi Timur", 8, 20, 100, 3, true),
    (TicketType::Installation, Priority::High, "Pemasangan ulang setelah renovasi", 7, 9, 46 * 60, 1, true),
    (TicketType::Repair, Priority::High, "Konektor ONT longgar", 6, 13, 140, 0, true),
    (TicketType::Repair, Priority::High, "Kabel digigit tikus", 5, 10, 260, 2, true),
    (TicketType::Repair, Priority::Normal, "Tidak bisa streaming", 4, 9, 3 * 60, 0, false),
    (TicketType::Repair, Priority::High, "Internet mati sejak subuh", 3, 7, 228, 4, false),
    (TicketType::Upgrade, Priority::Low, "Upgrade ke Home Platinum 200M", 2, 10, 2 * 60, 3, false),
    (TicketType::Repair, Priority::High, "Ganti kabel drop 120 m", 1, 9, 200, 1, false),
];

/// Seeds [`HISTORY`]: each ticket walks to resolved (and closed), and takes the escalation steps
/// and the breach its SLA clock reached on the way, at the instants they happened.
/// A demo ticket for `customer`, reported on WhatsApp at `created`, with the default SLA of its
/// type and priority; also the calendar its clock runs on.
async fn open_ticket(
    state: &AppState,
    customer: &aglis_db::repo::customers::Customer,
    ty: TicketType,
    priority: Priority,
    title: &str,
    created: DateTime<Utc>,
) -> anyhow::Result<(Ticket, aglis_core::sla::Calendar)> {
    let targets = ticket_sla::targets_for(&ticket_sla::default_targets(), ty, priority)
        .ok_or_else(|| anyhow::anyhow!("no SLA row"))?;
    let cal = crate::tickets::service::calendar(&state.db, targets.calendar).await?;
    let due = cal.add_working(created, targets.resolution);
    let number = tickets::next_number(&state.db, created).await??;
    let new = NewTicket {
        customer_id: Some(customer.id),
        registration_id: None,
        ticket_type: ty,
        category: demo_category(ty, title).into(),
        priority,
        title: title.into(),
        description: format!("{title}. Dilaporkan oleh {} lewat WhatsApp.", customer.name),
        location: format!("{}, {}", customer.address, customer.city),
        latitude: customer.latitude,
        longitude: customer.longitude,
    };
    let t = tickets::create(&state.db, &number, new, targets, due, None, created).await?;
    Ok((t, cal))
}

async fn history(
    state: &AppState,
    techs: &[technicians::Technician],
    people: &[aglis_db::repo::customers::Customer],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    use aglis_core::sla::{SlaClock, instant_at, percent_of};
    use aglis_core::ticket_sla::{Step, due_steps};
    let thresholds = state.config.escalation;
    for (i, (ty, priority, title, days_ago, hour, took, tech, closed)) in HISTORY.iter().enumerate() {
        let customer = &people[(TICKETS.len() + i * 7) % people.len()];
        let day = now.with_timezone(&aglis_core::schedule::JAKARTA).date_naive() - Duration::days(*days_ago);
        let Some(created) = day
            .and_hms_opt(*hour, u32::try_from(i * 7 % 60).unwrap_or(0), 0)
            .and_then(|t| t.and_local_timezone(aglis_core::schedule::JAKARTA).earliest())
            .map(|t| t.with_timezone(&Utc))
        else {
            continue;
        };
        let resolved = created + Duration::minutes(*took);
        if resolved >= now {
            continue;
        }
        let (mut t, cal) = open_ticket(state, customer, *ty, *priority, title, created).await?;
        let targets = t.targets();
        let lead = &techs[tech % techs.len()];
        // The escalation steps and the breach the clock reached before the resolution.
        let clock = SlaClock::measure(&cal, created, targets.resolution, &[], resolved);
        let mut events: Vec<(DateTime<Utc>, Option<Step>)> =
            due_steps(*priority, clock.percent_elapsed(), thresholds, &[])
                .into_iter()
                .filter_map(|s| {
                    let amount = percent_of(targets.resolution, s.threshold(thresholds));
                    instant_at(&cal, created, &[], amount, resolved).map(|at| (at, Some(s)))
                })
                .collect();
        if clock.breached() {
            events.extend(instant_at(&cal, created, &[], targets.resolution, resolved).map(|at| (at, None)));
        }
        let mut steps: Vec<(DateTime<Utc>, TicketStatus)> = vec![
            (created + Duration::minutes(10), TicketStatus::Assigned),
            (created + Duration::minutes(25), TicketStatus::OnTheWay),
            (created + Duration::minutes(60), TicketStatus::InProgress),
            (resolved, TicketStatus::Resolved),
        ];
        if *closed && resolved + Duration::hours(3) < now {
            steps.push((resolved + Duration::hours(3), TicketStatus::Closed));
        }
        let mut current = *priority;
        let mut s = steps.into_iter().peekable();
        let mut e = events.into_iter().peekable();
        loop {
            let next_is_step = match (s.peek(), e.peek()) {
                (Some((a, _)), Some((b, _))) => a <= b,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            if next_is_step {
                let Some((at, to)) = s.next() else { break };
                if to == TicketStatus::Assigned {
                    tickets::set_team(&state.db, t.id, lead.id, &[], at).await?;
                    t.lead_technician_id = Some(lead.id);
                }
                t = walk(state, t, to, at, i).await?;
            } else {
                let Some((at, step)) = e.next() else { break };
                match step {
                    Some(step) => {
                        let to = current.raised();
                        tickets::escalate(&state.db, t.id, step, to, at).await?;
                        let pct = step.threshold(thresholds);
                        let detail = format!("{current} → {to}: {pct}% of the SLA used ({pct}% now)");
                        tickets::add_event(&state.db, t.id, "escalated", None, &detail, None, at).await?;
                        current = to;
                    }
                    None => {
                        tickets::set_breached(&state.db, t.id, at).await?;
                        tickets::add_event(&state.db, t.id, "breached", None, "resolution SLA missed", None, at)
                            .await?;
                    }
                }
            }
        }
        tickets::set_due(&state.db, t.id, None).await?;
    }
    Ok(())
}

/// One recorded step, with the completion readings a resolve needs.
async fn walk(state: &AppState, t: Ticket, to: TicketStatus, at: DateTime<Utc>, n: usize) -> anyhow::Result<Ticket> {
    let completion = (to == TicketStatus::Resolved).then(|| {
        serde_json::json!({"odp_id": 1 + n, "odp_port": 3, "final_attenuation": -19.6, "modem_serial": "ZTEGC8F1A2B3",
            "wifi_name": "AGLIS_Home", "wifi_password": "rahasia2026", "new_package_id": 2})
    });
    tickets::set_status(&state.db, &t, to, completion.as_ref(), at).await?;
    let note = match to {
        TicketStatus::WaitingCustomer => ": pelanggan belum di rumah, dijadwalkan ulang",
        TicketStatus::PendingParts => ": menunggu kabel drop 150 m dari gudang",
        TicketStatus::Cancelled => ": dibatalkan atas permintaan pelanggan",
        TicketStatus::Reopened => ": masalah muncul lagi",
        _ => "",
    };
    let detail = format!("{} → {to}{note}", t.status);
    let kind = if to == TicketStatus::Assigned { "assigned" } else { "status" };
    tickets::add_event(&state.db, t.id, kind, Some((t.status, to)), &detail, None, at).await?;
    tickets::get(&state.db, t.id).await?.ok_or_else(|| anyhow::anyhow!("ticket vanished"))
}

/// A category of the migration's catalogue for a demo ticket, from its type and title.
fn demo_category(ty: TicketType, title: &str) -> &'static str {
    let title = title.to_lowercase();
    match ty {
        TicketType::Installation => "ftth_installation",
        TicketType::Repair if title.contains("los") => "los_red",
        TicketType::Repair if title.contains("lambat") || title.contains("lemot") => "slow",
        TicketType::Repair if title.contains("kabel") => "cable_damage",
        TicketType::Repair => "no_connection",
        TicketType::Maintenance => "preventive_maintenance",
        TicketType::Upgrade => "upgrade",
        TicketType::Downgrade => "downgrade",
        TicketType::WifiSetup => "new_wifi_config",
        TicketType::Dismantle => "dismantle",
        TicketType::Survey => "site_survey",
    }
}
