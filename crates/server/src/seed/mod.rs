//! `aglis seed --scale large`: a realistic data set for load tests — 100 k customers over five
//! years of sign-ups, across the demo's packages and ODPs, and 1 M tickets over two years (`tickets`) —
//! written in batches with a progress bar.

pub mod tickets;

use aglis_core::customer::CustomerStatus;
use aglis_db::entity::{customer_words, customers};
use aglis_db::{DatabaseConnection, TransactionTrait};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{EntityTrait, Set};
use std::io::Write;

/// Given names; the demo uses the first 30, the load seed all of them.
pub(crate) const FIRST: &[&str] = &[
    "Budi", "Siti", "Agus", "Dewi", "Slamet", "Sri", "Hendra", "Rina", "Joko", "Yuliana", "Dedi", "Wati", "Eko",
    "Fitri", "Rizky", "Nur", "Bambang", "Ani", "Fajar", "Lestari", "Andi", "Maya", "Teguh", "Intan", "Wahyu", "Ratna",
    "Iwan", "Sari", "Hadi", "Putri", "Asep", "Ujang", "Neng", "Cecep", "Euis", "Dadang", "Yanti", "Aris", "Mulyadi",
    "Nining",
];
/// Family names; the demo uses the first 20.
pub(crate) const LAST: &[&str] = &[
    "Santoso",
    "Rahayu",
    "Setiawan",
    "Lestari",
    "Wijaya",
    "Wahyuni",
    "Gunawan",
    "Marlina",
    "Susilo",
    "Kurniawan",
    "Saputra",
    "Hidayat",
    "Nugroho",
    "Pratama",
    "Ramadhan",
    "Permata",
    "Hartono",
    "Suryani",
    "Purnomo",
    "Maharani",
    "Sutisna",
    "Kusnadi",
    "Supriatna",
    "Rohmana",
    "Sumarni",
    "Firmansyah",
    "Hermawan",
    "Solehudin",
    "Mulyana",
    "Sopian",
];
const STREETS: &[(&str, &str)] = &[
    ("Perum Galuh Mas", "Karawang"),
    ("Jl. Tuparev", "Karawang"),
    ("Perum Karaba Indah", "Karawang"),
    ("Jl. Ahmad Yani Cikampek", "Karawang"),
    ("Perum Griya Telukjambe", "Karawang"),
    ("Jl. Cut Mutia", "Bekasi"),
    ("Perum Bumi Bekasi Baru", "Bekasi"),
    ("Perum Metland Cibitung", "Bekasi"),
    ("Jl. Raya Industri Cikarang", "Bekasi"),
];

/// A small deterministic generator, so runs are comparable.
pub(crate) struct Lcg(pub(crate) u64);

impl Lcg {
    pub(crate) fn next(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        usize::try_from((self.0 >> 33) % u64::try_from(n.max(1)).unwrap_or(1)).unwrap_or(0)
    }
}

fn bar(done: usize, total: usize, started: std::time::Instant) {
    progress("customers", done, total, started);
}

/// A progress bar on stderr: `what [####    ] done/total (rate/s)`.
pub(crate) fn progress(what: &str, done: usize, total: usize, started: std::time::Instant) {
    let width = 30;
    let filled = done * width / total.max(1);
    let rate = done as f64 / started.elapsed().as_secs_f64().max(0.001);
    eprint!("\r  {what} [{}{}] {done}/{total} ({:.0}/s)   ", "#".repeat(filled), " ".repeat(width - filled), rate);
    let _ = std::io::stderr().flush();
}

/// Adds `count` generated customers (codes `AGLS<day><n>` over the last five years, phones from
/// 62899…). Needs the packages to exist (run on a demo database or after creating packages).
pub async fn customers(db: &DatabaseConnection, count: usize, now: DateTime<Utc>) -> anyhow::Result<()> {
    let packages: Vec<i64> = aglis_db::repo::packages::list(db, true).await?.into_iter().map(|p| p.id).collect();
    anyhow::ensure!(!packages.is_empty(), "no package on sale: run `aglis demo` once first, or create packages");
    let mut rng = Lcg(7_919);
    let started = std::time::Instant::now();
    let days = 5 * 365;
    const BATCH: usize = 1_000;
    let mut done = 0;
    while done < count {
        let n = BATCH.min(count - done);
        let txn = db.begin().await?;
        let mut rows = Vec::with_capacity(n);
        let mut names = Vec::with_capacity(n);
        for i in done..done + n {
            // Spread over five years, at most 9,999 a day: the code's day is the sign-up day.
            let day = i % days;
            let registered = now - Duration::days(i64::try_from(days - day).unwrap_or(0)) - Duration::hours(3);
            let local = registered.with_timezone(&aglis_core::schedule::JAKARTA);
            let code = format!("AGLS{}{:04}", local.format("%Y%m%d"), 5_000 + i / days);
            let name = format!("{} {}", FIRST[rng.next(FIRST.len())], LAST[rng.next(LAST.len())]);
            let (street, city) = STREETS[rng.next(STREETS.len())];
            let status = match rng.next(100) {
                0..=4 => CustomerStatus::Prospect,
                5..=9 => CustomerStatus::Suspended,
                10..=13 => CustomerStatus::Terminated,
                _ => CustomerStatus::Active,
            };
            names.push(name.clone());
            rows.push(customers::ActiveModel {
                code: Set(code),
                name: Set(name),
                phone: Set(format!("62899{:08}", i)),
                email: Set(None),
                ktp: Set(None),
                address: Set(format!(
                    "{street} Blok {}{} No. {}",
                    ['A', 'B', 'C', 'D'][rng.next(4)],
                    rng.next(20) + 1,
                    rng.next(50) + 1
                )),
                city: Set(city.into()),
                latitude: Set(None),
                longitude: Set(None),
                package_id: Set(packages[rng.next(packages.len())]),
                odp_id: Set(None),
                odp_port: Set(None),
                status: Set(status),
                user_id: Set(None),
                notes: Set(String::new()),
                registered_at: Set(registered),
                activated_at: Set((status != CustomerStatus::Prospect).then_some(registered)),
                suspended_at: Set((status == CustomerStatus::Suspended).then_some(now)),
                terminated_at: Set((status == CustomerStatus::Terminated).then_some(now)),
                created_at: Set(registered),
                updated_at: Set(registered),
                ..Default::default()
            });
        }
        customers::Entity::insert_many(rows).exec_without_returning(&txn).await?;
        // The ids just inserted, for the search words.
        let inserted: Vec<(i64, String)> = {
            use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
            customers::Entity::find()
                .select_only()
                .column(customers::Column::Id)
                .column(customers::Column::Name)
                .filter(customers::Column::Phone.gte(format!("62899{:08}", done)))
                .filter(customers::Column::Phone.lte(format!("62899{:08}", done + n - 1)))
                .order_by_asc(customers::Column::Id)
                .into_tuple()
                .all(&txn)
                .await?
        };
        let words: Vec<customer_words::ActiveModel> =
            inserted.iter().flat_map(|(id, name)| aglis_db::repo::customers::word_rows(*id, name)).collect();
        for chunk in words.chunks(2_000) {
            customer_words::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
        }
        txn.commit().await?;
        done += n;
        bar(done, count, started);
    }
    eprintln!("\n  {count} customers in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Fresh statistics for the planner (and on PostgreSQL a visibility map, so index-only scans
/// need not visit the table), as autovacuum would give a production database a minute later.
pub async fn analyze(db: &DatabaseConnection) -> anyhow::Result<()> {
    let analyze = match aglis_db::engine(db) {
        aglis_db::Engine::Postgres => "VACUUM ANALYZE",
        aglis_db::Engine::Sqlite => "ANALYZE",
    };
    sea_orm::ConnectionTrait::execute_unprepared(db, analyze).await?;
    Ok(())
}
