//! How fast billing is at an ISP's scale (issue 19's targets).
//!
//! `cargo bench -p aglis-server --bench billing` (SQLite in a temp directory), or with
//! `AGLIS_BENCH_DATABASE_URL=postgres://…/postgres` (a new database on that server, dropped
//! afterwards). `AGLIS_BENCH_CUSTOMERS` (default 100,000) and `AGLIS_BENCH_MONTHS` (default 12).
//!
//! Measured, on one instance with the job runner on:
//! - the monthly run for every customer (target < 30 s), and the same month again, when there is
//!   nothing to do (< 3 s); then the other months, to fill the invoice table (1.2 M invoices);
//! - invoice lists and searches as the page asks them, 200 times each, in process (the repository
//!   call, one request at a time): p50 and p99 (target p99 < 50 ms);
//! - Midtrans callbacks over HTTP at 50 a second for 10 s, each for a real open invoice and
//!   correctly signed: the time to the answer (stored with its job; applied by the runner meanwhile),
//!   p50 and p99 (target p99 < 20 ms).
//!
//! The figures go to stdout as `name value` lines; progress goes to stderr.

use aglis_core::clock::SystemClock;
use aglis_core::invoice::InvoiceStatus;
use aglis_core::proration::Period;
use aglis_db::repo::invoices::{self, InvoiceQuery};
use aglis_db::repo::packages::{self, PackageFields};
use aglis_server::app::Application;
use aglis_server::billing::run;
use aglis_server::state::AppState;
use chrono::{TimeZone, Utc};
use sea_orm::{EntityTrait, QueryFilter, QuerySelect};
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

const SERVER_KEY: &str = "SB-Mid-server-BENCH";

mod common;

use common::database;

fn env_number(name: &str, default: usize) -> Result<usize, String> {
    match std::env::var(name) {
        Ok(v) => v.parse().map_err(|_| format!("{name}: `{v}` is not a number")),
        Err(_) => Ok(default),
    }
}

/// p50 and p99 of `samples`, in milliseconds.
fn percentiles(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    (at(0.5), at(0.99), samples.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0))
}

async fn list_timings(state: &AppState, name: &str, q: InvoiceQuery) -> Result<(), String> {
    let mut samples = Vec::with_capacity(200);
    let mut found = 0;
    for _ in 0..200 {
        let started = Instant::now();
        let (items, total, _) = invoices::list(&state.reads, &q).await.map_err(|e| e.to_string())?;
        samples.push(started.elapsed());
        found = total.max(items.len() as u64);
    }
    let (p50, p99, max) = percentiles(samples);
    println!("list_{name:<22} matches={found:<6} p50_ms={p50:.1} p99_ms={p99:.1} max_ms={max:.1}");
    Ok(())
}

fn period_at(months_back: u32, now: chrono::DateTime<Utc>) -> Period {
    let mut p = Period::containing(now.with_timezone(&aglis_core::schedule::JAKARTA).date_naive());
    for _ in 0..months_back {
        p = p.previous();
    }
    p
}

/// 07:00 WIB on `period`'s first day: when its run would have happened.
fn run_time(period: Period) -> chrono::DateTime<Utc> {
    aglis_core::schedule::JAKARTA
        .from_local_datetime(&period.start.and_hms_opt(7, 0, 0).expect("time"))
        .single()
        .expect("WIB has no gaps")
        .with_timezone(&Utc)
}

async fn run_bench() -> Result<(), String> {
    aglis_integrations::http::install_crypto_provider();
    let customers = env_number("AGLIS_BENCH_CUSTOMERS", 100_000)?;
    let months = u32::try_from(env_number("AGLIS_BENCH_MONTHS", 12)?.clamp(1, 24)).unwrap_or(12);
    let db = database().await;
    let data_dir = std::env::temp_dir().join(format!("aglis-bench-data-{}", uuid::Uuid::new_v4().simple()));
    let env: BTreeMap<String, String> = [
        ("AGLIS_DATA_DIR", data_dir.display().to_string()),
        ("AGLIS_DATABASE_URL", db.url.clone()),
        ("AGLIS_DB_MAX_CONNECTIONS", "8".to_owned()),
        ("AGLIS_BIND", "127.0.0.1:0".to_owned()),
        ("AGLIS_SECRET_KEY", "bench-secret-key-that-is-long-enough-0123456789".to_owned()),
        ("AGLIS_MIDTRANS_SERVER_KEY", SERVER_KEY.to_owned()),
        ("AGLIS_NOTIFY_LOG_PROVIDER", "true".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let config = aglis_server::config::load(&env).map_err(|e| e.to_string())?;
    let app = Application::build(config, Arc::new(SystemClock)).await.map_err(|e| format!("{e:#}"))?;
    let state = app.state.clone();
    let address = format!("http://127.0.0.1:{}", app.port());
    let now = Utc::now();
    for (name, speed, price) in [
        ("Home Bronze 30M", 30, 166_500),
        ("Home Silver 50M", 50, 199_900),
        ("Home Gold 75M", 75, 249_900),
        ("Home Platinum 100M", 100, 349_900),
    ] {
        let f = PackageFields {
            name: name.into(),
            speed_mbps: speed,
            monthly_price: price,
            installation_fee: 250_000,
            description: String::new(),
            is_active: true,
        };
        packages::create(&state.db, f, now).await.map_err(|e| e.to_string())?;
    }
    eprintln!("billing bench ({}): seeding {customers} customers", db.engine);
    let first = period_at(months - 1, now);
    aglis_server::seed::customers(&state.db, customers, run_time(first) - chrono::TimeDelta::days(30))
        .await
        .map_err(|e| format!("{e:#}"))?;

    // The run of the first month, then again (nothing to do).
    let started = Instant::now();
    let report = run::run_at(&state, first, false, None, run_time(first), None).await.map_err(|e| e.to_string())?;
    let first_run = started.elapsed();
    let started = Instant::now();
    let again = run::run_at(&state, first, false, None, run_time(first), None).await.map_err(|e| e.to_string())?;
    let second_run = started.elapsed();
    println!("engine {}", db.engine);
    println!(
        "monthly_run customers={} created={} seconds={:.1} (target < 30)",
        report.customers,
        report.created,
        first_run.as_secs_f64()
    );
    println!("monthly_run_again created={} seconds={:.2} (target < 3)", again.created, second_run.as_secs_f64());

    let mut rest = Duration::ZERO;
    for back in (0..months - 1).rev() {
        let period = period_at(back, now);
        eprintln!("billing bench ({}): month {period}", db.engine);
        let started = Instant::now();
        run::run_at(&state, period, false, None, run_time(period).min(now), None).await.map_err(|e| e.to_string())?;
        rest += started.elapsed();
    }
    let total = sea_orm::PaginatorTrait::count(aglis_db::entity::invoices::Entity::find(), &state.db)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "invoices {total} (the other {} months' runs: {:.1} s each)",
        months - 1,
        rest.as_secs_f64() / f64::from((months - 1).max(1))
    );
    // What every run that writes pays once: the customers whose ledger is in credit.
    let entries = sea_orm::PaginatorTrait::count(aglis_db::entity::ledger_entries::Entity::find(), &state.db)
        .await
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let in_credit = aglis_db::repo::ledger::customers_in_credit(&state.db).await.map_err(|e| e.to_string())?;
    println!(
        "customers_in_credit entries={entries} found={} seconds={:.2}",
        in_credit.len(),
        started.elapsed().as_secs_f64()
    );
    aglis_db::repo::invoices::mark_overdue(&state.db, now.date_naive(), now).await.map_err(|e| e.to_string())?;
    aglis_server::seed::analyze(&state.db).await.map_err(|e| format!("{e:#}"))?;

    let this = period_at(0, now);
    let page = |q: InvoiceQuery| InvoiceQuery { page: 1, per_page: 25, ..q };
    list_timings(&state, "all", page(InvoiceQuery::default())).await?;
    list_timings(&state, "overdue", page(InvoiceQuery { status: Some(InvoiceStatus::Overdue), ..Default::default() }))
        .await?;
    list_timings(&state, "this_month", page(InvoiceQuery { period: Some(this), ..Default::default() })).await?;
    list_timings(
        &state,
        "this_month_paid",
        page(InvoiceQuery { period: Some(this), status: Some(InvoiceStatus::Paid), ..Default::default() }),
    )
    .await?;
    list_timings(
        &state,
        "number_prefix",
        page(InvoiceQuery { number: Some(format!("INV-{}-0012", this.code())), ..Default::default() }),
    )
    .await?;
    list_timings(&state, "one_customer", page(InvoiceQuery { customer_id: Some(4_242), ..Default::default() })).await?;
    list_timings(&state, "page_200", InvoiceQuery { page: 200, per_page: 25, ..Default::default() }).await?;

    // Prepaid: a day's renewals (one customer in 33 moved to prepaid, their paid term ending in
    // three days: the renewals of a day when every customer is prepaid), then the suspension list.
    prepaid_timings(&state, customers, now).await?;

    // Callbacks: 50 a second for 10 s, each paying one open invoice of this month.
    let open = aglis_db::entity::invoices::Entity::find()
        .filter(sea_orm::ColumnTrait::eq(&aglis_db::entity::invoices::Column::Period, this.to_string()))
        .filter(sea_orm::ColumnTrait::eq(&aglis_db::entity::invoices::Column::Status, InvoiceStatus::Open.as_str()))
        .limit(500)
        .all(&state.db)
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(app.run_until(std::future::pending()));
    let client = reqwest::Client::new();
    let mut samples = Vec::with_capacity(open.len());
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut refused = 0;
    for (i, inv) in open.iter().enumerate() {
        tick.tick().await;
        let gross = format!("{}.00", inv.total);
        let body = serde_json::json!({
            "transaction_time": "2026-12-02 10:15:00", "transaction_status": "settlement",
            "transaction_id": format!("bench-{i:06}-{}", inv.id), "status_message": "midtrans payment notification",
            "status_code": "200",
            "signature_key": aglis_core::payment_gateway::midtrans_signature(&inv.number, "200", &gross, SERVER_KEY),
            "payment_type": "qris", "order_id": inv.number, "merchant_id": "G141532850", "gross_amount": gross,
            "fraud_status": "accept", "currency": "IDR"
        });
        let started = Instant::now();
        let res = client
            .post(format!("{address}/api/webhooks/payments/midtrans"))
            .json(&body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        samples.push(started.elapsed());
        if !res.status().is_success() {
            refused += 1;
        }
    }
    let sent = samples.len();
    let (p50, p99, max) = percentiles(samples);
    println!(
        "callbacks sent={sent} refused={refused} rate=50/s p50_ms={p50:.1} p99_ms={p99:.1} max_ms={max:.1} (target p99 < 20)"
    );
    // Give the runner a moment to apply them, then count.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let paid = aglis_db::repo::payments::list(
        &state.db,
        &aglis_db::repo::payments::PaymentQuery {
            method: Some(aglis_core::payment::PaymentMethod::Midtrans),
            page: 1,
            per_page: 1,
            ..Default::default()
        },
    )
    .await
    .map_err(|e| e.to_string())?
    .1;
    println!("callbacks_applied_within_5s {paid}");
    let _ = state.db.close().await;
    db.remove().await;
    let _ = std::fs::remove_dir_all(&data_dir);
    if refused > 0 {
        return Err(format!("{refused} callbacks were not answered 200"));
    }
    Ok(())
}

async fn prepaid_timings(state: &AppState, customers: usize, now: chrono::DateTime<Utc>) -> Result<(), String> {
    use aglis_db::entity::customers as c;
    use sea_orm::{ColumnTrait, QueryOrder, QuerySelect};
    let today = now.with_timezone(&aglis_core::schedule::JAKARTA).date_naive();
    let ids: Vec<i64> = c::Entity::find()
        .select_only()
        .column(c::Column::Id)
        .filter(c::Column::Status.eq("active"))
        .order_by_desc(c::Column::Id)
        .limit(u64::try_from(customers / 33).unwrap_or(1).max(1))
        .into_tuple()
        .all(&state.db)
        .await
        .map_err(|e| e.to_string())?;
    for chunk in ids.chunks(500) {
        c::Entity::update_many()
            .col_expr(c::Column::BillingMode, sea_orm::sea_query::Expr::value("prepaid"))
            .col_expr(c::Column::PaidUntil, sea_orm::sea_query::Expr::value(today + chrono::TimeDelta::days(3)))
            .filter(c::Column::Id.is_in(chunk.to_vec()))
            .exec(&state.db)
            .await
            .map_err(|e| e.to_string())?;
    }
    let started = Instant::now();
    let report = aglis_server::billing::prepaid::write_renewals(state, now).await.map_err(|e| e.to_string())?;
    let first = started.elapsed();
    let started = Instant::now();
    let again = aglis_server::billing::prepaid::write_renewals(state, now).await.map_err(|e| e.to_string())?;
    println!(
        "prepaid_renewals customers={} written={} seconds={:.2}; again written={} seconds={:.2}",
        ids.len(),
        report.written,
        first.as_secs_f64(),
        again.written,
        started.elapsed().as_secs_f64()
    );
    let mut samples = Vec::new();
    let mut listed = 0;
    for _ in 0..5 {
        let started = Instant::now();
        let cutoff = today - chrono::TimeDelta::days(7);
        listed = aglis_db::repo::billing_stats::aging_by_customer(&state.db, today, Some(cutoff), 0, 25)
            .await
            .map_err(|e| e.to_string())?
            .1;
        samples.push(started.elapsed());
    }
    let (p50, _, max) = percentiles(samples);
    println!("suspension_list customers={listed} p50_ms={p50:.1} max_ms={max:.1}");
    Ok(())
}

fn main() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("async runtime");
    match runtime.block_on(run_bench()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("billing bench failed: {e}");
            ExitCode::FAILURE
        }
    }
}
