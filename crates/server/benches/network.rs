//! How fast network enforcement is at an ISP's scale (issue 21).
//!
//! `cargo bench -p aglis-server --bench network` (SQLite in a temp directory), or with
//! `AGLIS_BENCH_DATABASE_URL=postgres://…/postgres`. `AGLIS_BENCH_SERVICES` (default 20,000)
//! customers, every one bound to one fake MikroTik (REST on 127.0.0.1) by PPPoE.
//!
//! Measured, in process, the job runner off:
//! - the drift check of every service (all due at once): services per second, and the requests
//!   the router got (one snapshot per sweep, however many services);
//! - isolating and restoring one customer end to end (the status change, the look: read the
//!   secret, switch the profile, kick the session, read back, record), 200 times: p50 and p99.
//!
//! The figures go to stdout as `name value` lines; progress goes to stderr.

use aglis_core::clock::SystemClock;
use aglis_core::customer::CustomerStatus;
use aglis_core::enforcement::{DeviceKind, Method, ServiceState, SuspendReason};
use aglis_db::repo::customer_services;
use aglis_db::repo::network_devices::{self, DeviceFields};
use aglis_db::repo::packages::{self, PackageFields};
use aglis_integrations::network::routeros_fake::FakeRouterOs;
use aglis_server::app::Application;
use aglis_server::enforcement::service::{Requester, set_service};
use aglis_server::enforcement::{driver, reconcile};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{EntityTrait, QuerySelect};
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

fn percentiles(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    (at(0.5), at(0.99))
}

async fn run_bench() -> Result<(), String> {
    aglis_integrations::http::install_crypto_provider();
    let n: usize = match std::env::var("AGLIS_BENCH_SERVICES") {
        Ok(v) => v.parse().map_err(|_| format!("AGLIS_BENCH_SERVICES: `{v}` is not a number"))?,
        Err(_) => 20_000,
    };
    let db = common::database().await;
    let data_dir = std::env::temp_dir().join(format!("aglis-bench-data-{}", uuid::Uuid::new_v4().simple()));
    let env: BTreeMap<String, String> = [
        ("AGLIS_DATA_DIR", data_dir.display().to_string()),
        ("AGLIS_DATABASE_URL", db.url.clone()),
        ("AGLIS_DB_MAX_CONNECTIONS", "8".to_owned()),
        ("AGLIS_BIND", "127.0.0.1:0".to_owned()),
        ("AGLIS_SECRET_KEY", "bench-secret-key-that-is-long-enough-0123456789".to_owned()),
        ("AGLIS_NOTIFY_LOG_PROVIDER", "true".to_owned()),
        ("AGLIS_RUN_WORKERS", "false".to_owned()),
        ("AGLIS_DEVICES_LOOPBACK_ONLY", "true".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let config = aglis_server::config::load(&env).map_err(|e| e.to_string())?;
    let app = Application::build(config, Arc::new(SystemClock)).await.map_err(|e| format!("{e:#}"))?;
    let state = app.state.clone();
    let now = Utc::now();
    let f = PackageFields {
        name: "Home Silver 50M".into(),
        speed_mbps: 50,
        monthly_price: 199_900,
        installation_fee: 250_000,
        description: String::new(),
        is_active: true,
    };
    packages::create(&state.db, f, now).await.map_err(|e| e.to_string())?;
    eprintln!("network bench ({}): seeding {n} customers", db.engine);
    aglis_server::seed::customers(&state.db, n, now - chrono::TimeDelta::days(400))
        .await
        .map_err(|e| format!("{e:#}"))?;
    let router = FakeRouterOs::start("bench", "bench-pw").await.map_err(|e| e.to_string())?;
    router.seed_isolation();
    let sealed = driver::seal_secret(&state, "bench-pw").map_err(|e| e.to_string())?;
    let fields = DeviceFields {
        name: "CCR bench".into(),
        kind: DeviceKind::Routeros,
        address: router.url(),
        username: "bench".into(),
        insecure_tls: false,
        isolate_profile: "ISOLIR".into(),
        isolate_list: "ISOLIR".into(),
        dry_run: false,
        enabled: true,
    };
    let device = network_devices::create(&state.db, fields, sealed, now).await.map_err(|e| e.to_string())?;
    let rows: Vec<(i64, CustomerStatus)> = aglis_db::entity::customers::Entity::find()
        .select_only()
        .column(aglis_db::entity::customers::Column::Id)
        .column(aglis_db::entity::customers::Column::Status)
        .into_tuple()
        .all(&state.db)
        .await
        .map_err(|e| e.to_string())?;
    eprintln!("network bench: binding {} services", rows.len());
    let mut active = Vec::new();
    for (id, status) in &rows {
        let name = format!("c{id}");
        let suspended = *status != CustomerStatus::Active;
        let profile = if suspended { "ISOLIR" } else { "50M" };
        router.add("ppp/secret", &[("name", &name), ("password", "x"), ("service", "pppoe"), ("profile", profile)]);
        if !suspended {
            router.add("ppp/active", &[("name", &name), ("service", "pppoe"), ("address", "10.30.0.2")]);
            active.push(*id);
        }
        let s = customer_services::bind(&state.db, *id, device.id, Method::PppoeProfile, &name, now)
            .await
            .map_err(|e| e.to_string())?;
        let applied = if suspended { ServiceState::Suspended } else { ServiceState::Active };
        customer_services::record_applied(&state.db, &s, applied, Some("50M".into()), now)
            .await
            .map_err(|e| e.to_string())?;
    }

    // The drift check: every service unread for an hour.
    aglis_db::entity::customer_services::Entity::update_many()
        .col_expr(
            aglis_db::entity::customer_services::Column::CheckedAt,
            Expr::value(now - chrono::TimeDelta::hours(1)),
        )
        .exec(&state.db)
        .await
        .map_err(|e| e.to_string())?;
    router.clear_log();
    let started = Instant::now();
    let mut checked = 0;
    loop {
        let n = reconcile::sweep(&state).await.map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        checked += n;
    }
    let took = started.elapsed();
    println!("drift_check_services {checked}");
    println!("drift_check_seconds {:.2}", took.as_secs_f64());
    println!("drift_check_services_per_second {:.0}", checked as f64 / took.as_secs_f64());
    println!("drift_check_router_requests {}", router.requests().len());
    println!("drift_check_router_writes {}", router.writes());

    // Isolate and restore, end to end, one customer at a time.
    let mut isolate = Vec::new();
    let mut restore = Vec::new();
    for id in active.iter().take(200) {
        for (want, samples) in [(ServiceState::Suspended, &mut isolate), (ServiceState::Active, &mut restore)] {
            let started = Instant::now();
            set_service(&state, *id, want, SuspendReason::Manual, "bench", &Requester::Policy)
                .await
                .map_err(|e| e.to_string())?;
            let look = reconcile::look(&state, *id).await.map_err(|e| e.to_string())?;
            samples.push(started.elapsed());
            if look != reconcile::Look::Applied(want) {
                return Err(format!("customer {id}: {look:?}"));
            }
        }
    }
    let (p50, p99) = percentiles(isolate);
    println!("isolate_p50_ms {p50:.1}");
    println!("isolate_p99_ms {p99:.1}");
    let (p50, p99) = percentiles(restore);
    println!("restore_p50_ms {p50:.1}");
    println!("restore_p99_ms {p99:.1}");
    drop(app);
    db.remove().await;
    let _ = std::fs::remove_dir_all(data_dir);
    Ok(())
}

fn main() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("async runtime");
    match runtime.block_on(run_bench()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("network bench failed: {e}");
            ExitCode::FAILURE
        }
    }
}
