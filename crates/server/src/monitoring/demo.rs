//! The demo's monitoring history, so the monitoring page is never empty: a day of request figures
//! from two instances and of queue samples, shaped like a fibre ISP's day in WIB (quiet at night,
//! busy office hours, the customer portal's evening peak), with one error incident about six hours
//! ago and one slow period about fourteen hours ago; the error inbox those and a few older
//! problems left; and the alerts of the last days, one of them still firing. Seeded once, on the
//! demo database's first run; the figures are deterministic for a given minute.

use crate::state::AppState;
use aglis_core::alerting::{ErrorSource, ErrorStatus, RuleCode, average_ms, error_rate_pct, fingerprint};
use aglis_core::schedule::JAKARTA;
use aglis_db::entity::{metric_minutes, queue_samples};
use aglis_db::repo::alerts::{self, DirectIncident};
use aglis_db::repo::error_groups::{self, Occurrence};
use aglis_db::repo::metrics::{MinuteFigures, QueueSample};
use aglis_db::{ConnectionTrait, TransactionTrait};
use chrono::{DateTime, Duration, DurationRound, TimeZone, Timelike, Utc};
use sea_orm::{EntityTrait, Set};

/// The demo's two application instances behind the load balancer.
pub const INSTANCES: [&str; 2] = ["aglis-app-1-demo", "aglis-app-2-demo"];
/// The share of the traffic each instance gets.
const SHARE: [f64; 2] = [0.53, 0.47];
/// How many minutes of figures and queue samples (one day).
pub const MINUTES: i64 = 24 * 60;

/// Requests per minute on both instances together at each WIB hour (0 to 24), before the noise:
/// quiet at night, office hours, a dip at lunch, the customer portal's peak after dinner.
const HOURLY: [f64; 25] = [
    12.0, 5.0, 3.5, 2.5, 3.0, 5.0, 11.0, 24.0, 46.0, 68.0, 82.0, 80.0, 62.0, 72.0, 78.0, 74.0, 63.0, 46.0, 40.0, 58.0,
    84.0, 92.0, 70.0, 34.0, 12.0,
];

/// The error incident ("database is locked" on ticket transitions): minutes ago, and how long.
const ERRORS_AGO: i64 = 6 * 60 + 7;
const ERRORS_MINUTES: i64 = 15;
/// The slow period (a heavy report query holding the database): minutes ago, and how long.
const SLOW_AGO: i64 = 14 * 60 - 22;
const SLOW_MINUTES: i64 = 10;
/// The two panics on a customer's page, minutes ago (on the second instance).
const PANICS_AGO: [i64; 2] = [20 * 60 + 11, 4 * 60 + 3];
/// An alert fires once its five-minute window is breached and resolves once the window is clean.
const WINDOW: i64 = 5;

/// Requests per minute on both instances at `minute_of_day` (WIB, 0–1439), before the noise.
pub fn expected_rate(minute_of_day: u32) -> f64 {
    let minute_of_day = minute_of_day % 1440;
    let hour = (minute_of_day / 60) as usize;
    let frac = f64::from(minute_of_day % 60) / 60.0;
    HOURLY[hour] + (HOURLY[hour + 1] - HOURLY[hour]) * frac
}

/// A number in `[0, 1)` that depends only on `key` (SplitMix64).
fn unit(key: u64) -> f64 {
    let mut z = key.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// The noise of one stream of one source in one minute.
fn noise(minute: DateTime<Utc>, source: u64, stream: u64) -> f64 {
    let m = u64::try_from(minute.timestamp().div_euclid(60)).unwrap_or(0);
    unit((m << 12) | ((source & 0xff) << 4) | (stream & 0xf))
}

fn minute_of_day_wib(minute: DateTime<Utc>) -> u32 {
    let wib = minute.with_timezone(&JAKARTA);
    wib.hour() * 60 + wib.minute()
}

/// What was going on in a minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Normal,
    /// Some requests answered 500 ("database is locked").
    Errors,
    /// Every request took seconds.
    Slow,
}

/// The seeded day: it ends at the minute `now` falls in (that minute is left to the live figures).
#[derive(Debug, Clone, Copy)]
pub struct Day {
    pub end: DateTime<Utc>,
}

impl Day {
    pub fn ending(now: DateTime<Utc>) -> Self {
        Self { end: now.duration_trunc(Duration::minutes(1)).unwrap_or(now) }
    }

    fn ago(&self, minutes: i64) -> DateTime<Utc> {
        self.end - Duration::minutes(minutes)
    }

    /// The day's minutes, oldest first.
    pub fn minutes(&self) -> impl Iterator<Item = DateTime<Utc>> + use<> {
        let end = self.end;
        (1..=MINUTES).rev().map(move |ago| end - Duration::minutes(ago))
    }

    pub fn errors_start(&self) -> DateTime<Utc> {
        self.ago(ERRORS_AGO)
    }

    /// The first minute after the error incident.
    pub fn errors_end(&self) -> DateTime<Utc> {
        self.errors_start() + Duration::minutes(ERRORS_MINUTES)
    }

    pub fn slow_start(&self) -> DateTime<Utc> {
        self.ago(SLOW_AGO)
    }

    /// The first minute after the slow period.
    pub fn slow_end(&self) -> DateTime<Utc> {
        self.slow_start() + Duration::minutes(SLOW_MINUTES)
    }

    pub fn phase(&self, minute: DateTime<Utc>) -> Phase {
        if minute >= self.errors_start() && minute < self.errors_end() {
            Phase::Errors
        } else if minute >= self.slow_start() && minute < self.slow_end() {
            Phase::Slow
        } else {
            Phase::Normal
        }
    }

    /// Whether a handler panicked on `instance` in `minute`.
    fn panicked(&self, minute: DateTime<Utc>, instance: usize) -> bool {
        instance == 1 && PANICS_AGO.iter().any(|ago| self.ago(*ago) == minute)
    }
}

/// One instance's figures in one minute of the given phase (before any panic is added). During
/// the incident 3–4 % of the requests fail; `carry` keeps the fractions of an error from minute to
/// minute, so the share holds at night too, when a minute has only a couple of requests.
pub fn minute_figures(minute: DateTime<Utc>, instance: usize, phase: Phase, carry: &mut f64) -> MinuteFigures {
    let n = |stream| noise(minute, instance as u64, stream);
    let rate = expected_rate(minute_of_day_wib(minute));
    let requests = ((rate * SHARE[instance % 2] * (0.8 + 0.4 * n(0))).round() as i64).max(1);
    let (avg, max) = match phase {
        Phase::Normal => {
            let avg = 40.0 + 50.0 * rate / 100.0 + 30.0 * n(1);
            // Now and then one request (a big export, a cold cache) takes a second.
            let spike = if n(3) < 0.02 { 3.0 } else { 1.0 };
            (avg, avg * (2.0 + 3.0 * n(2)) * spike)
        }
        // Requests waited for the write lock, some up to SQLite's 5 s busy timeout.
        Phase::Errors => (160.0 + 120.0 * n(1), 5000.0 + 400.0 * n(2)),
        Phase::Slow => {
            let avg = 3150.0 + 500.0 * n(1);
            (avg, avg * (2.0 + 1.5 * n(2)))
        }
    };
    let errors = match phase {
        Phase::Errors => {
            *carry += requests as f64 * (0.03 + 0.012 * n(4));
            let errors = carry.floor();
            *carry -= errors;
            (errors as i64).min(requests)
        }
        // The odd upload cut off by a technician's mobile connection (the ignored inbox group).
        _ if requests >= 10 && n(4) < 0.003 => 1,
        _ => 0,
    };
    let avg = avg.round() as i64;
    let max = if requests == 1 { avg } else { (max.round() as i64).max(avg) };
    MinuteFigures { requests, errors, latency_ms_sum: requests * avg, latency_ms_max: max }
}

/// One row of the seeded figures.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    pub minute: DateTime<Utc>,
    pub instance: usize,
    pub figures: MinuteFigures,
}

/// Every instance's figures over the day, oldest first.
pub fn day_figures(day: &Day) -> Vec<Row> {
    let mut rows = Vec::with_capacity(2 * MINUTES as usize);
    let mut carry = [0.5; INSTANCES.len()];
    for minute in day.minutes() {
        for (instance, carry) in carry.iter_mut().enumerate() {
            let mut figures = minute_figures(minute, instance, day.phase(minute), carry);
            if day.panicked(minute, instance) {
                figures.errors += 1;
            }
            rows.push(Row { minute, instance, figures });
        }
    }
    rows
}

/// The queue in one minute: mostly a few jobs, the nightly jobs at 02:00 WIB (backup, purges,
/// reports), notifications piling up during the error incident, and the job that went dead then.
pub fn queue_sample(day: &Day, minute: DateTime<Utc>) -> QueueSample {
    let n = |stream| noise(minute, 0xee, stream);
    let base = if n(0) < 0.6 { 0 } else { (1 + (n(1) * 5.0) as i64).min(5) };
    let mod_wib = i64::from(minute_of_day_wib(minute));
    let nightly = match mod_wib - 120 {
        k @ 0..4 => 6 * (k + 1),
        k @ 4..30 => (24 - (k - 4)).max(0),
        _ => 0,
    };
    let incident = match (minute - day.errors_start()).num_minutes() {
        k @ 0..ERRORS_MINUTES => k + 2,
        k @ ERRORS_MINUTES..30 => (ERRORS_MINUTES + 2 - 2 * (k - ERRORS_MINUTES)).max(0),
        _ => 0,
    };
    let bump = nightly + incident;
    let depth = base + bump;
    let oldest_due_secs = match (depth, bump) {
        (0, _) => 0,
        (_, 0) => 1 + (n(2) * 14.0) as i64,
        _ => 20 + 6 * bump + (n(2) * 30.0) as i64,
    };
    QueueSample { minute, depth, dead: i64::from(minute >= day.errors_end()), oldest_due_secs }
}

/// Seeds the history unless the database has any alert already (a demo restarted on its data).
pub async fn seed(state: &AppState) -> anyhow::Result<()> {
    if alerts::history(&state.db, None, 1, 1).await?.1 > 0 {
        return Ok(());
    }
    let started = std::time::Instant::now();
    let day = Day::ending(state.now());
    let rows = day_figures(&day);
    let txn = state.db.begin().await?;
    let people = People::find(&txn).await?;
    insert_figures(&txn, &day, &rows).await?;
    seed_inbox(&txn, &day, &rows, &people).await?;
    seed_alerts(&txn, &day, &rows, &people).await?;
    txn.commit().await?;
    tracing::debug!(elapsed_ms = started.elapsed().as_millis(), "demo monitoring history seeded");
    Ok(())
}

/// Rows per insert: well under SQLite's and PostgreSQL's limits on bound parameters.
const CHUNK: usize = 500;

async fn insert_figures(conn: &impl ConnectionTrait, day: &Day, rows: &[Row]) -> anyhow::Result<()> {
    for chunk in rows.chunks(CHUNK) {
        let models = chunk.iter().map(|r| metric_minutes::ActiveModel {
            instance: Set(INSTANCES[r.instance].to_owned()),
            minute: Set(r.minute),
            requests: Set(r.figures.requests),
            errors: Set(r.figures.errors),
            latency_ms_sum: Set(r.figures.latency_ms_sum),
            latency_ms_max: Set(r.figures.latency_ms_max),
            ..Default::default()
        });
        metric_minutes::Entity::insert_many(models).exec_without_returning(conn).await?;
    }
    let samples: Vec<queue_samples::ActiveModel> = day
        .minutes()
        .map(|minute| {
            let s = queue_sample(day, minute);
            queue_samples::ActiveModel {
                minute: Set(s.minute),
                depth: Set(s.depth),
                dead: Set(s.dead),
                oldest_due_secs: Set(s.oldest_due_secs),
            }
        })
        .collect();
    for chunk in samples.chunks(CHUNK) {
        queue_samples::Entity::insert_many(chunk.to_vec()).exec_without_returning(conn).await?;
    }
    Ok(())
}

/// The demo accounts the history names (by id only).
struct People {
    admin: Option<i64>,
    cs: Option<i64>,
    technicians: Vec<i64>,
}

impl People {
    async fn find(conn: &impl ConnectionTrait) -> anyhow::Result<Self> {
        async fn id(conn: &impl ConnectionTrait, username: &str) -> anyhow::Result<Option<i64>> {
            Ok(aglis_db::repo::users::find_credentials(conn, username).await?.map(|(u, _)| u.id))
        }
        let mut technicians = Vec::new();
        for username in ["technician", "teknisi.karawang1", "teknisi.karawang2", "teknisi.bekasi1", "teknisi.bekasi2"] {
            technicians.extend(id(conn, username).await?);
        }
        Ok(Self { admin: id(conn, "admin").await?, cs: id(conn, "cs").await?, technicians })
    }

    fn technician(&self, i: usize) -> Option<i64> {
        (!self.technicians.is_empty()).then(|| self.technicians[i % self.technicians.len()])
    }
}

const LOCKED_TITLE: &str = "error returned from database: (code: 5) database is locked";
const LOCKED_ROUTE: &str = "/api/v1/tickets/{id}/transitions";
const LOCKED_DETAIL: &str = "\
POST /api/v1/tickets/{id}/transitions answered 500

saving the transition: Execution Error: error returned from database: (code: 5) database is locked

Caused by:
    0: Execution Error: error returned from database: (code: 5) database is locked
    1: error returned from database: (code: 5) database is locked
    2: (code: 5) database is locked

The write waited for SQLite's busy timeout (5000 ms) while another connection held the write lock.";

const FONNTE_TITLE: &str = "fonnte: device disconnected";
const FONNTE_ROUTE: &str = "notifications.send";
const FONNTE_DETAIL: &str = "\
job notifications.send went dead after 5 of 5 attempts (last attempt after a 30 min back-off)

fonnte: device disconnected

Caused by:
    0: provider fonnte refused the message: HTTP 200 {\"status\":false,\"reason\":\"device disconnected\"}
    1: device disconnected

The WhatsApp device linked to the Fonnte account is offline: open the Fonnte dashboard and scan the QR code again.";

const PANIC_TITLE: &str = "handler panicked: called `Option::unwrap()` on a `None` value";
const PANIC_ROUTE: &str = "/admin/customers/{id}";
const PANIC_DETAIL: &str = "\
GET /admin/customers/{id} answered 500

handler panicked: called `Option::unwrap()` on a `None` value

panicked at crates/server/src/customers/pages.rs:231:58:
called `Option::unwrap()` on a `None` value
stack backtrace:
   0: __rustc::rust_begin_unwind
   1: core::panicking::panic_fmt
   2: core::panicking::panic
   3: core::option::unwrap_failed
   4: aglis_server::customers::pages::show::{{closure}}
             at ./crates/server/src/customers/pages.rs:231:58
   5: <axum::handler::HandlerService<H,T,S> as tower_service::Service<http::request::Request<B>>>::call::{{closure}}
   6: <tower_http::catch_panic::ResponseFuture<F,T> as core::future::future::Future>::poll
   7: <aglis_server::monitoring::errors::capture as axum::middleware::from_fn::FromFn>::call::{{closure}}
   8: tokio::runtime::task::harness::Harness<T,S>::poll
   9: tokio::runtime::scheduler::multi_thread::worker::Context::run_task
  10: std::sys::backtrace::__rust_begin_short_backtrace
note: some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.";

const UPLOAD_TITLE: &str = "storage: reading the upload: client disconnected before the body was complete";
const UPLOAD_ROUTE: &str = "/api/v1/tickets/{id}/attachments";
const UPLOAD_DETAIL: &str = "\
POST /api/v1/tickets/{id}/attachments answered 500

storage: reading the upload: client disconnected before the body was complete

Caused by:
    0: error reading a body from connection
    1: connection reset by peer (os error 104)

A technician's phone lost its mobile connection halfway through a photo upload; the app retries by itself.";

/// One occurrence of one of the inbox's groups.
fn occurrence(
    source: ErrorSource,
    title: &str,
    route: &str,
    detail: &str,
    user_id: Option<i64>,
    request: bool,
) -> Occurrence {
    Occurrence {
        fingerprint: fingerprint(source, route, title),
        source,
        title: title.to_owned(),
        route: route.to_owned(),
        request_id: request.then(|| uuid::Uuid::new_v4().to_string()),
        user_id,
        detail: detail.to_owned(),
    }
}

/// Seconds into a minute for its `k`-th occurrence, so they do not all share one instant.
fn within(minute: DateTime<Utc>, k: i64) -> DateTime<Utc> {
    minute + Duration::seconds((k * 17 + 5) % 60)
}

async fn seed_inbox(conn: &impl ConnectionTrait, day: &Day, rows: &[Row], people: &People) -> anyhow::Result<()> {
    // The ignored group: photo uploads cut off in the field, for about a week, ignored five days
    // ago; it keeps counting (the stray 5xx of the day's figures).
    let upload =
        |i: usize| occurrence(ErrorSource::Http, UPLOAD_TITLE, UPLOAD_ROUTE, UPLOAD_DETAIL, people.technician(i), true);
    for (i, hours_ago) in [151i64, 138, 126, 117, 93, 70, 49, 30].into_iter().enumerate() {
        let group = error_groups::record(conn, upload(i), day.end - Duration::minutes(hours_ago * 60 + 13)).await?;
        if i == 2 {
            error_groups::set_status(
                conn,
                group.id,
                ErrorStatus::Ignored,
                people.admin,
                day.end - Duration::hours(120),
            )
            .await?;
        }
    }
    let mut k = 0;
    for r in rows.iter().filter(|r| day.phase(r.minute) == Phase::Normal && r.figures.errors > 0) {
        let panics = i64::from(day.panicked(r.minute, r.instance));
        for _ in panics..r.figures.errors {
            error_groups::record(conn, upload(r.instance + k), within(r.minute, k as i64)).await?;
            k += 1;
        }
    }

    // The fonnte device went offline two days ago: the messages queued then went dead. Nobody has
    // closed the group yet.
    let fonnte = || occurrence(ErrorSource::Job, FONNTE_TITLE, FONNTE_ROUTE, FONNTE_DETAIL, None, false);
    for days_ago in [9i64, 6, 4, 3] {
        error_groups::record(conn, fonnte(), day.end - Duration::days(days_ago) + Duration::minutes(days_ago * 37))
            .await?;
    }
    let outage = whatsapp_start(day);
    for i in 0..33 {
        error_groups::record(conn, fonnte(), outage + Duration::seconds(600 + i * 73)).await?;
    }

    // The panics on a customer's page, opened by customer service (open: not fixed yet).
    for ago in PANICS_AGO {
        let o = occurrence(ErrorSource::Panic, PANIC_TITLE, PANIC_ROUTE, PANIC_DETAIL, people.cs, true);
        error_groups::record(conn, o, day.end - Duration::minutes(ago) + Duration::seconds(41)).await?;
    }

    // The incident's 500s, one occurrence per error in the figures, resolved by the admin after.
    let mut locked = None;
    let mut k = 0;
    for r in rows.iter().filter(|r| day.phase(r.minute) == Phase::Errors) {
        for _ in 0..r.figures.errors {
            let o =
                occurrence(ErrorSource::Http, LOCKED_TITLE, LOCKED_ROUTE, LOCKED_DETAIL, people.technician(k), true);
            locked = Some(error_groups::record(conn, o, within(r.minute, k as i64)).await?.id);
            k += 1;
        }
    }
    if let Some(id) = locked {
        let at = day.errors_end() + Duration::minutes(38);
        error_groups::set_status(conn, id, ErrorStatus::Resolved, people.admin, at).await?;
    }
    Ok(())
}

/// When the WhatsApp device went offline, two days ago.
fn whatsapp_start(day: &Day) -> DateTime<Utc> {
    day.end - Duration::days(2) - Duration::minutes(2 * 60 + 16)
}

/// Both instances' figures in `[from, until)`.
fn totals(rows: &[Row], from: DateTime<Utc>, until: DateTime<Utc>) -> MinuteFigures {
    let mut sum = MinuteFigures::default();
    for r in rows.iter().filter(|r| r.minute >= from && r.minute < until) {
        sum.add(&r.figures);
    }
    sum
}

/// One incident as the evaluation would have recorded it.
struct Incident {
    code: RuleCode,
    value: String,
    detail: String,
    started: DateTime<Utc>,
    /// Re-notifications after the first notice.
    reminders: Vec<DateTime<Utc>>,
    acknowledged: Option<(Option<i64>, DateTime<Utc>)>,
    resolved: Option<DateTime<Utc>>,
}

impl Incident {
    fn new(code: RuleCode, value: String, detail: String, started: DateTime<Utc>) -> Self {
        Self { code, value, detail, started, reminders: Vec::new(), acknowledged: None, resolved: None }
    }

    async fn record(self, conn: &impl ConnectionTrait) -> anyhow::Result<()> {
        let Some(alert) = alerts::open(conn, self.code, &self.value, &self.detail, self.started).await? else {
            anyhow::bail!("a {} alert is already firing", self.code);
        };
        for at in std::iter::once(self.started).chain(self.reminders) {
            alerts::mark_notified(conn, alert.id, &self.value, &self.detail, at).await?;
        }
        if let Some((user, at)) = self.acknowledged {
            alerts::acknowledge(conn, alert.id, user, at).await?;
        }
        if let Some(at) = self.resolved {
            alerts::resolve(conn, alert.id, at).await?;
        }
        Ok(())
    }
}

async fn seed_alerts(conn: &impl ConnectionTrait, day: &Day, rows: &[Row], people: &People) -> anyhow::Result<()> {
    let window = Duration::minutes(WINDOW);
    let now = day.end;

    // Five days ago the database did not answer for three minutes (the watchdog's direct alert).
    let down = now - Duration::days(5) - Duration::minutes(4 * 60 + 41) + Duration::seconds(12);
    alerts::record_direct(
        conn,
        DirectIncident {
            code: RuleCode::Database,
            value: "down",
            detail: "the database did not answer within 3 s",
            started_at: down,
            resolved_at: Some(down + Duration::seconds(3 * 60 + 5)),
            notified_at: Some(down + Duration::seconds(15)),
            notifications: 1,
        },
    )
    .await?;

    // Three nights ago the off-site copy of the nightly backup failed; the next night's went
    // through. Not acknowledged: reminded after 12 hours.
    let today = now.with_timezone(&JAKARTA).date_naive();
    let night = (today - Duration::days(3)).and_hms_opt(2, 0, 0).and_then(|t| JAKARTA.from_local_datetime(&t).single());
    if let Some(night) = night.map(|t| t.with_timezone(&Utc)) {
        let name = aglis_core::backup::set_name(night);
        let started = night + Duration::seconds(4 * 60 + 21);
        let mut i =
            Incident::new(RuleCode::BackupFailed, name.clone(), format!("the off-site copy of {name} failed"), started);
        i.reminders.push(started + Duration::hours(12));
        i.resolved = Some(night + Duration::days(1) + Duration::seconds(3 * 60 + 48));
        i.record(conn).await?;
    }

    // Two days ago the WhatsApp device went offline for 40 minutes; the admin took it on.
    let outage = whatsapp_start(day);
    let mut i = Incident::new(
        RuleCode::Whatsapp,
        "71 %".into(),
        "24 of 34 WhatsApp sends accepted (71 %) in the last 60 min; status check failed: fonnte: device disconnected"
            .into(),
        outage + Duration::minutes(6),
    );
    i.acknowledged = Some((people.admin, outage + Duration::minutes(14)));
    i.resolved = Some(outage + Duration::minutes(46));
    i.record(conn).await?;

    // The slow period: fired once its window was all slow, resolved once it was clean.
    let fired = day.slow_start() + Duration::minutes(WINDOW - 1);
    let t = totals(rows, fired + Duration::minutes(1) - window, fired + Duration::minutes(1));
    let avg = average_ms(t.requests, t.latency_ms_sum).unwrap_or_default();
    let mut i = Incident::new(
        RuleCode::ResponseTime,
        format!("{avg:.0} ms"),
        format!(
            "average response {avg:.0} ms (slowest {} ms) over {} requests in the last {WINDOW} min",
            t.latency_ms_max, t.requests
        ),
        fired + Duration::seconds(2),
    );
    i.resolved = Some(day.slow_end() + Duration::minutes(WINDOW - 1) + Duration::seconds(2));
    i.record(conn).await?;

    // The error incident, the same way. At night a window has too few requests to judge: then
    // the value is the whole incident's.
    let fired = day.errors_start() + Duration::minutes(WINDOW - 1);
    let t = totals(rows, fired + Duration::minutes(1) - window, fired + Duration::minutes(1));
    let (t, minutes) = match error_rate_pct(t.requests, t.errors) {
        Some(_) => (t, WINDOW),
        None => (totals(rows, day.errors_start(), day.errors_end()), ERRORS_MINUTES),
    };
    let pct = if t.requests == 0 { 0.0 } else { t.errors as f64 * 100.0 / t.requests as f64 };
    let mut i = Incident::new(
        RuleCode::ErrorRate,
        format!("{pct:.1} %"),
        format!("{} of {} requests answered 5xx in the last {minutes} min", t.errors, t.requests),
        fired + Duration::seconds(2),
    );
    i.resolved = Some(day.errors_end() + Duration::minutes(WINDOW - 1) + Duration::seconds(2));
    i.record(conn).await?;

    // Still firing: open tickets past their SLA.
    let (n, numbers) = aglis_db::repo::ticket_stats::breached_active(conn, 5).await?;
    let (value, detail) = if numbers.is_empty() {
        ("2 tickets".to_owned(), "2 open tickets past their SLA resolution time".to_owned())
    } else {
        (format!("{n} tickets"), format!("{n} open tickets past their SLA resolution time: {}", numbers.join(", ")))
    };
    Incident::new(RuleCode::SlaBreaches, value, detail, now - Duration::minutes(25) + Duration::seconds(2))
        .record(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `hh:mm` WIB on a fixed day.
    fn wib(h: u32, m: u32) -> DateTime<Utc> {
        JAKARTA.with_ymd_and_hms(2026, 11, 25, h, m, 0).single().expect("time").with_timezone(&Utc)
    }

    fn hour_total(h: u32) -> i64 {
        (0..60).flat_map(|m| (0..2).map(move |i| minute_figures(wib(h, m), i, Phase::Normal, &mut 0.0).requests)).sum()
    }

    #[test]
    fn the_curve_follows_an_isp_day_in_wib() {
        for minute in 0..1440 {
            let r = expected_rate(minute);
            assert!((2.0..=100.0).contains(&r), "{minute}: {r}");
        }
        for h in 1..5 {
            assert!(expected_rate(h * 60) <= 5.0, "night {h}");
        }
        for h in 8..17 {
            assert!((40.0..=90.0).contains(&expected_rate(h * 60)), "office hours {h}");
        }
        assert!(expected_rate(21 * 60) > expected_rate(10 * 60), "the portal's evening peak");
        assert_eq!(expected_rate(1440), expected_rate(0));
        assert!(hour_total(10) > 10 * hour_total(3), "busier at 10:00 WIB than at 03:00 WIB");
    }

    #[test]
    fn figures_are_deterministic_and_in_range() {
        for h in 0..24 {
            for m in (0..60).step_by(7) {
                for i in 0..2 {
                    let f = minute_figures(wib(h, m), i, Phase::Normal, &mut 0.0);
                    assert_eq!(f, minute_figures(wib(h, m), i, Phase::Normal, &mut 0.0));
                    assert!(f.requests >= 1 && f.requests <= 60, "{h}:{m} {f:?}");
                    assert!(f.errors <= 1);
                    let avg = average_ms(f.requests, f.latency_ms_sum).expect("requests");
                    assert!((40.0..=120.0).contains(&avg), "{h}:{m} {avg}");
                    assert!(f.latency_ms_max as f64 >= avg && f.latency_ms_max < 2000, "{f:?}");
                }
            }
        }
        let night = (1..5)
            .flat_map(|h| (0..60).map(move |m| wib(h, m)))
            .map(|t| (0..2).map(|i| minute_figures(t, i, Phase::Normal, &mut 0.0).requests).sum::<i64>())
            .max()
            .expect("minutes");
        assert!(night <= 8, "quiet at night: {night}");
        for h in [3, 10, 21] {
            let (mut carry, mut requests, mut errors) = (0.5, 0, 0);
            for m in 0..15 {
                let f = minute_figures(wib(h, m), 0, Phase::Errors, &mut carry);
                (requests, errors) = (requests + f.requests, errors + f.errors);
            }
            let pct = errors as f64 * 100.0 / requests as f64;
            assert!((2.0..=5.0).contains(&pct) || (h == 3 && errors <= 2), "{h}: {errors} of {requests}");
        }
        let f = minute_figures(wib(10, 0), 0, Phase::Slow, &mut 0.0);
        let avg = average_ms(f.requests, f.latency_ms_sum).expect("requests");
        assert!((3000.0..=3700.0).contains(&avg), "{avg}");
    }

    #[test]
    fn the_day_has_one_incident_one_slow_period_and_a_nightly_queue() {
        let day = Day::ending(wib(15, 42) + Duration::seconds(31));
        let rows = day_figures(&day);
        assert_eq!(rows.len(), 2 * MINUTES as usize);
        assert_eq!(rows.last().map(|r| r.minute), Some(day.end - Duration::minutes(1)));
        let phases = |p| rows.iter().filter(|r| day.phase(r.minute) == p).count();
        assert_eq!(phases(Phase::Errors), 2 * ERRORS_MINUTES as usize);
        assert_eq!(phases(Phase::Slow), 2 * SLOW_MINUTES as usize);
        let incident = totals(&rows, day.errors_start(), day.errors_end());
        let pct = incident.errors as f64 * 100.0 / incident.requests as f64;
        assert!((2.5..=4.5).contains(&pct), "{pct}");
        let samples: Vec<QueueSample> = day.minutes().map(|m| queue_sample(&day, m)).collect();
        assert_eq!(samples.len(), MINUTES as usize);
        let at = |m: DateTime<Utc>| samples.iter().find(|s| s.minute == m).copied().expect("sample");
        assert!(at(wib(2, 5)).depth >= 20, "the nightly jobs");
        assert!(at(day.errors_start() + Duration::minutes(12)).depth >= 14, "the incident");
        assert!(samples.iter().filter(|s| s.depth <= 5).count() > MINUTES as usize * 9 / 10, "mostly quiet");
        assert_eq!(at(day.errors_start()).dead, 0);
        assert_eq!(samples.last().map(|s| s.dead), Some(1));
    }
}
