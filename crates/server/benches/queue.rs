//! How fast the WhatsApp queue takes messages in and sends them out.
//!
//! `cargo xtask bench [--engine sqlite|postgres|all]` runs this once per engine; by hand:
//! `cargo bench -p aglis-server --bench queue` (SQLite in a temp directory), or with
//! `AGLIS_BENCH_DATABASE_URL=postgres://…/postgres` (a new database is created on that server and
//! dropped afterwards). `AGLIS_BENCH_MESSAGES` sets the number of messages (default 5000).
//!
//! Measured, with a local fake Fonnte and the rate limit off:
//! - enqueue: messages recorded with their delivery jobs through `service::send`, one at a time,
//!   each in its own transaction (as API requests do);
//! - dispatch: the same messages sent through the queue by job runners (`Runner::run_once` until
//!   the queue is empty), first by one runner, then (a second batch) by two runners at once, each
//!   with its own connection pool as two instances would have.
//!
//! The figures go to stdout as a header line and one row; progress goes to stderr.

use aglis_core::clock::SystemClock;
use aglis_core::job::JobPriority;
use aglis_core::notification::{Channel, MessageStatus};
use aglis_integrations::whatsapp::fonnte::fake::FakeFonnte;
use aglis_server::app::Application;
use aglis_server::jobs::{Runner, builtin_registry};
use aglis_server::notifications::service::{self, SendMessage};
use aglis_server::state::AppState;
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

const TOKEN: &str = "bench-device-token";
const DEFAULT_MESSAGES: usize = 5000;
/// Per-instance pool size, as in a small production setup.
const POOL: u32 = 5;

/// Message texts an ISP sends, `{}` standing for a per-message detail.
const TEXTS: &[&str] = &[
    "Yth. pelanggan, tagihan internet bulan ini sebesar Rp {} jatuh tempo tanggal 20. Abaikan pesan ini jika sudah membayar. Terima kasih.",
    "Pembayaran Rp {} telah kami terima. Terima kasih telah menggunakan layanan kami.",
    "Info gangguan: jaringan fiber di area Anda sedang dalam perbaikan (tiket {}). Estimasi pulih pukul 16.00 WIB. Mohon maaf atas ketidaknyamanannya.",
    "Teknisi kami akan datang untuk pemasangan pada hari Sabtu pukul 09.00 WIB. Nomor tiket: {}. Balas pesan ini jika ingin mengubah jadwal.",
    "Layanan internet Anda telah pulih. Jika masih mengalami kendala, silakan hubungi kami dengan menyebut nomor pelanggan {}.",
];
const PREFIXES: &[&str] = &["0812", "0813", "0821", "0852", "0857", "0878", "0896"];

/// A small deterministic generator, enough to vary numbers and texts.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[usize::try_from(self.next()).unwrap_or(0) % items.len()]
    }
}

/// One realistic message: an `08…` number and an Indonesian text.
fn message(rng: &mut Lcg, i: usize) -> SendMessage {
    let to = format!("{}{:08}", rng.pick(PREFIXES), rng.next() % 100_000_000);
    let detail = match i % 3 {
        0 => format!("{}.000", 150 + rng.next() % 350),
        1 => format!("TKT-{:06}", rng.next() % 1_000_000),
        _ => format!("KRW-{:05}", rng.next() % 100_000),
    };
    let body = rng.pick(TEXTS).replace("{}", &detail);
    SendMessage::parse(Channel::Whatsapp, &to, None, &body, JobPriority::Normal).expect("a valid message")
}

mod common;

use common::database;

/// Records `n` messages one request at a time; returns the time taken.
async fn enqueue(state: &AppState, rng: &mut Lcg, n: usize) -> Duration {
    let messages: Vec<SendMessage> = (0..n).map(|i| message(rng, i)).collect();
    let started = Instant::now();
    for cmd in messages {
        service::send(state, None, cmd).await.expect("queue a message");
    }
    started.elapsed()
}

/// Sends everything due with `runners` runners at once, each with its own pool; returns the time.
async fn dispatch(state: &AppState, url: &str, runners: usize) -> Duration {
    let mut handles = Vec::new();
    let mut pools = Vec::new();
    for _ in 0..runners {
        let db = aglis_db::connect(url, POOL).await.expect("a runner's own pool");
        pools.push(db.clone());
        handles.push(Runner::new(AppState { db, ..state.clone() }, Arc::new(builtin_registry())));
    }
    let started = Instant::now();
    let tasks: Vec<_> = handles
        .into_iter()
        .map(|runner| tokio::spawn(async move { while runner.run_once().await.expect("run a batch").claimed > 0 {} }))
        .collect();
    for task in tasks {
        task.await.expect("runner task");
    }
    let elapsed = started.elapsed();
    for db in pools {
        let _ = db.close().await;
    }
    elapsed
}

async fn sent(state: &AppState) -> u64 {
    let counts = aglis_db::repo::messages::status_counts(&state.db, chrono::DateTime::UNIX_EPOCH).await.expect("count");
    counts.iter().find(|(s, _)| *s == MessageStatus::Sent).map_or(0, |(_, n)| u64::try_from(*n).unwrap_or(0))
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

async fn run() -> Result<(), String> {
    aglis_integrations::http::install_crypto_provider();
    let n = match std::env::var("AGLIS_BENCH_MESSAGES") {
        Ok(v) => v.parse::<usize>().map_err(|_| format!("AGLIS_BENCH_MESSAGES: `{v}` is not a number"))?,
        Err(_) => DEFAULT_MESSAGES,
    };
    let db = database().await;
    let fake = FakeFonnte::start(TOKEN).await.map_err(|e| format!("fake Fonnte: {e}"))?;
    let data_dir = std::env::temp_dir().join(format!("aglis-bench-data-{}", uuid::Uuid::new_v4().simple()));
    let env: BTreeMap<String, String> = [
        ("AGLIS_DATA_DIR", data_dir.display().to_string()),
        ("AGLIS_DATABASE_URL", db.url.clone()),
        ("AGLIS_DB_MAX_CONNECTIONS", POOL.to_string()),
        ("AGLIS_BIND", "127.0.0.1:0".to_owned()),
        ("AGLIS_SECRET_KEY", "bench-secret-key-that-is-long-enough-0123456789".to_owned()),
        ("AGLIS_RUN_WORKERS", "false".to_owned()),
        ("AGLIS_FONNTE_TOKEN", TOKEN.to_owned()),
        ("AGLIS_FONNTE_URL", fake.url.clone()),
        ("AGLIS_WHATSAPP_RATE_PER_MIN", "0".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let config = aglis_server::config::load(&env).map_err(|e| e.to_string())?;
    let app = Application::build(config, Arc::new(SystemClock)).await.map_err(|e| format!("{e:#}"))?;
    let state = app.state.clone();
    drop(app); // the HTTP listener is not needed
    let mut rng = Lcg(0x00A6_115E);

    eprintln!("queue bench ({}): enqueueing {n} messages", db.engine);
    let enqueue_1 = enqueue(&state, &mut rng, n).await;
    eprintln!("queue bench ({}): sending them with 1 runner", db.engine);
    let one = dispatch(&state, &db.url, 1).await;
    eprintln!("queue bench ({}): enqueueing {n} more", db.engine);
    let enqueue_2 = enqueue(&state, &mut rng, n).await;
    eprintln!("queue bench ({}): sending them with 2 runners", db.engine);
    let two = dispatch(&state, &db.url, 2).await;

    let total = 2 * n;
    let (recorded, received) = (sent(&state).await, fake.received().len());
    let engine = db.engine;
    let _ = state.db.close().await;
    db.remove().await;
    let _ = std::fs::remove_dir_all(&data_dir);
    if recorded != total as u64 || received != total {
        return Err(format!("{recorded} messages recorded as sent and {received} received, of {total}"));
    }

    println!(
        "{:<9} {:>8} {:>14} {:>19} {:>20}",
        "engine", "messages", "enqueue msg/s", "dispatch msg/s (1)", "dispatch msg/s (2)"
    );
    println!(
        "{:<9} {:>8} {:>14.0} {:>19.0} {:>20.0}",
        engine,
        n,
        rate(2 * n, enqueue_1 + enqueue_2),
        rate(n, one),
        rate(n, two)
    );
    Ok(())
}

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; this bench has no options.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("async runtime");
    match runtime.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("queue bench failed: {e}");
            ExitCode::FAILURE
        }
    }
}
