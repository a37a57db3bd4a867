//! How fast a list exports at an ISP's scale (issue 22's target: 100 k customers in under 5 s).
//!
//! `cargo bench -p aglis-server --bench export` (SQLite in a temp directory), or with
//! `AGLIS_BENCH_DATABASE_URL=postgres://…/postgres` (a new database on that server, dropped
//! afterwards). `AGLIS_BENCH_CUSTOMERS` (default 100,000).
//!
//! Measured through the HTTP route, as a client downloads it (`GET /api/v1/customers/export`,
//! every customer, then the active ones, as xlsx and as CSV): the seconds to the last byte, the
//! file's size, and how far the process's resident memory rose above where it stood before the
//! export (sampled at every chunk received), which stays flat however many rows there are.
//!
//! The figures go to stdout as `name value` lines; progress goes to stderr.

use aglis_core::clock::SystemClock;
use aglis_core::permission::Role;
use aglis_db::repo::packages::{self, PackageFields};
use aglis_db::repo::users::{self, NewUser};
use aglis_server::app::Application;
use chrono::Utc;
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

mod common;

use common::database;

const PASSWORD: &str = "bench-password-123";

/// The process's resident memory in KiB: all of it (`VmRSS`, which also counts the database
/// file's pages SQLite maps in with `mmap_size`) and the private, anonymous part (`RssAnon`: the
/// heap, where an export holding its rows would show). 0 where `/proc` is missing.
fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("RssAnon:"))
}

async fn run_bench() -> Result<(), String> {
    aglis_integrations::http::install_crypto_provider();
    let customers: usize = match std::env::var("AGLIS_BENCH_CUSTOMERS") {
        Ok(v) => v.parse().map_err(|_| format!("AGLIS_BENCH_CUSTOMERS: `{v}` is not a number"))?,
        Err(_) => 100_000,
    };
    let db = database().await;
    let data_dir = std::env::temp_dir().join(format!("aglis-bench-data-{}", uuid::Uuid::new_v4().simple()));
    let env: BTreeMap<String, String> = [
        ("AGLIS_DATA_DIR", data_dir.display().to_string()),
        ("AGLIS_DATABASE_URL", db.url.clone()),
        ("AGLIS_DB_MAX_CONNECTIONS", "8".to_owned()),
        ("AGLIS_BIND", "127.0.0.1:0".to_owned()),
        ("AGLIS_SECRET_KEY", "bench-secret-key-that-is-long-enough-0123456789".to_owned()),
        ("AGLIS_RUN_WORKERS", "false".to_owned()),
        ("AGLIS_REQUIRE_2FA", "false".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let config = aglis_server::config::load(&env).map_err(|e| e.to_string())?;
    let app = Application::build(config, Arc::new(SystemClock)).await.map_err(|e| format!("{e:#}"))?;
    let state = app.state.clone();
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until(std::future::pending()));
    let now = Utc::now();
    for (name, speed, price) in
        [("Home Bronze 30M", 30, 166_500), ("Home Silver 50M", 50, 199_900), ("Home Gold 75M", 75, 249_900)]
    {
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
    eprintln!("export bench ({}): seeding {customers} customers", db.engine);
    aglis_server::seed::customers(&state.db, customers, now - chrono::TimeDelta::days(30))
        .await
        .map_err(|e| format!("{e:#}"))?;
    aglis_server::seed::analyze(&state.db).await.map_err(|e| format!("{e:#}"))?;
    let hash = aglis_server::auth::password::hash(PASSWORD).map_err(|e| e.to_string())?;
    let admin = NewUser {
        username: "bench.admin".into(),
        email: None,
        full_name: "Bench Admin".into(),
        phone: None,
        role: Role::Admin,
        password_hash: hash,
    };
    users::create(&state.db, admin, now).await.map_err(|e| e.to_string())?;
    let client = reqwest::Client::new();
    let login: serde_json::Value = client
        .post(format!("{address}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "bench.admin", "password": PASSWORD}))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let token = login["token"].as_str().ok_or("no token")?.to_owned();

    println!("engine {}", db.engine);
    println!("customers {customers}");
    let mut slowest = 0.0_f64;
    // The first export also reads the database file into memory (SQLite maps it in): measured
    // apart, then the same again warm.
    let runs = ["format=xlsx", "format=xlsx", "format=csv", "format=xlsx&status=active", "format=csv&status=active"];
    for (i, query) in runs.into_iter().enumerate() {
        let before = rss_kib();
        let started = Instant::now();
        let mut res = client
            .get(format!("{address}/api/v1/customers/export?{query}"))
            .bearer_auth(&token)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !res.status().is_success() {
            return Err(format!("{query}: {}", res.status()));
        }
        let (mut bytes, mut lines, mut peak) = (0_usize, 0_usize, before);
        while let Some(chunk) = res.chunk().await.map_err(|e| e.to_string())? {
            bytes += chunk.len();
            lines += chunk.iter().filter(|b| **b == b'\n').count();
            let now = rss_kib();
            peak = (peak.0.max(now.0), peak.1.max(now.1));
        }
        let secs = started.elapsed().as_secs_f64();
        slowest = slowest.max(secs);
        let rows = if query.contains("csv") { format!(" rows={}", lines.saturating_sub(1)) } else { String::new() };
        let name = query.replace("format=", "").replace("&status=", "_") + if i == 0 { "_cold" } else { "" };
        println!(
            "export_customers_{name:<22} seconds={secs:.2} mb={:.1} rss_growth_mb={:.1} anon_growth_mb={:.1} rss_mb={:.0}{rows}",
            bytes as f64 / 1e6,
            peak.0.saturating_sub(before.0) as f64 / 1024.0,
            peak.1.saturating_sub(before.1) as f64 / 1024.0,
            peak.0 as f64 / 1024.0,
        );
    }
    println!("target_under_5s {}", if slowest < 5.0 { "met" } else { "MISSED" });
    db.remove().await;
    let _ = std::fs::remove_dir_all(data_dir);
    Ok(())
}

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("export bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run_bench()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("export bench failed: {e}");
            ExitCode::FAILURE
        }
    }
}
