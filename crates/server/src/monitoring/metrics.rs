//! Metrics: every request is counted by route template and status and timed into a histogram
//! (Prometheus, per instance), and added to this instance's per-minute figures, which are flushed
//! to the database so the alert rules and the charts see every instance. `/metrics` also reports
//! the job queue, the messages, the database pool and the backup age, read when it is scraped.

use crate::state::AppState;
use aglis_db::repo::metrics::{self as figures_repo, MinuteFigures};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, DurationRound, Utc};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

pub const REQUESTS: &str = "aglis_http_requests_total";
pub const DURATION: &str = "aglis_http_request_duration_seconds";
/// Seconds; the alert on average response time is at 3 s.
const BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

static PROMETHEUS: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process's Prometheus recorder (once).
pub fn install() -> &'static PrometheusHandle {
    PROMETHEUS.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(DURATION.to_owned()), BUCKETS)
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics shows only its own figures");
        }
        handle
    })
}

/// Requests per minute since the last flush, keyed by the minute (UTC).
#[derive(Debug, Default)]
pub struct Figures {
    minutes: Mutex<BTreeMap<DateTime<Utc>, MinuteFigures>>,
}

impl Figures {
    pub fn record(&self, now: DateTime<Utc>, error: bool, elapsed: Duration) {
        let minute = now.duration_trunc(chrono::Duration::minutes(1)).unwrap_or(now);
        let ms = i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX);
        let mut map = self.minutes.lock().unwrap_or_else(PoisonError::into_inner);
        let f = map.entry(minute).or_default();
        f.add(&MinuteFigures { requests: 1, errors: i64::from(error), latency_ms_sum: ms, latency_ms_max: ms });
    }

    /// Adds the counted minutes to this instance's rows. What cannot be written is kept for the
    /// next flush.
    pub async fn flush(&self, db: &impl sea_orm::ConnectionTrait, instance: &str) -> Result<(), aglis_db::DbError> {
        let taken = std::mem::take(&mut *self.minutes.lock().unwrap_or_else(PoisonError::into_inner));
        let mut pending = taken.into_iter();
        while let Some((minute, f)) = pending.next() {
            if let Err(e) = figures_repo::add_minute(db, instance, minute, f).await {
                let mut map = self.minutes.lock().unwrap_or_else(PoisonError::into_inner);
                for (m, f) in std::iter::once((minute, f)).chain(pending) {
                    map.entry(m).or_default().add(&f);
                }
                return Err(e);
            }
        }
        Ok(())
    }
}

/// Monitoring traffic (scrapes, load-balancer probes) is not the users' traffic: it is counted in
/// Prometheus but left out of the figures the alert rules read.
fn is_monitoring(path: &str) -> bool {
    path == "/metrics" || path.starts_with("/api/health")
}

/// Middleware: counts and times every request.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let response = next.run(req).await;
    let elapsed = started.elapsed();
    let status = response.status();
    let labels = [("route", route.clone()), ("method", method.clone()), ("status", status.as_u16().to_string())];
    metrics::counter!(REQUESTS, &labels).increment(1);
    metrics::histogram!(DURATION, &[("route", route.clone()), ("method", method)]).record(elapsed.as_secs_f64());
    if !is_monitoring(&route) {
        state.monitor.figures.record(state.now(), status.is_server_error(), elapsed);
    }
    response
}

/// Whether `headers` carry `Authorization: Bearer <AGLIS_MONITORING_TOKEN>`.
pub fn has_token(state: &AppState, headers: &HeaderMap) -> bool {
    use secrecy::ExposeSecret;
    let Some(expected) = &state.config.monitoring.token else { return false };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    crate::auth::token::constant_time_eq(given, expected.expose_secret())
}

/// `GET /metrics`: Prometheus text. With `AGLIS_MONITORING_TOKEN` set, only with that token.
pub async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if state.config.monitoring.token.is_some() && !has_token(&state, &headers) {
        let mut r = (StatusCode::UNAUTHORIZED, "metrics need `Authorization: Bearer <AGLIS_MONITORING_TOKEN>`\n")
            .into_response();
        r.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        return r;
    }
    if let Err(e) = sample_gauges(&state).await {
        tracing::warn!(error = %e, "metrics: the database figures could not be read");
        metrics::gauge!("aglis_database_up").set(0.0);
    } else {
        metrics::gauge!("aglis_database_up").set(1.0);
    }
    let body = install().render();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response()
}

type Labels = Vec<(&'static str, String)>;

/// The label sets each gauge family was given at earlier scrapes.
static SEEN: Mutex<BTreeMap<&'static str, BTreeSet<Labels>>> = Mutex::new(BTreeMap::new());

/// Sets a gauge family from the database's rows, and to 0 every label set an earlier scrape had
/// that the rows no longer have: a drained queue or a re-queued dead job does not keep its old
/// value.
fn set_gauges(name: &'static str, rows: Vec<(Labels, f64)>) {
    let mut seen = SEEN.lock().unwrap_or_else(PoisonError::into_inner);
    let family = seen.entry(name).or_default();
    for gone in family.iter().filter(|l| !rows.iter().any(|(r, _)| r == *l)) {
        metrics::gauge!(name, gone).set(0.0);
    }
    for (labels, value) in rows {
        metrics::gauge!(name, &labels).set(value);
        family.insert(labels);
    }
}

/// Sets the gauges read from the database and the pool at scrape time.
async fn sample_gauges(state: &AppState) -> Result<(), aglis_db::DbError> {
    let now = state.now();
    metrics::gauge!("aglis_uptime_seconds").set(state.monitor.uptime_secs() as f64);
    metrics::gauge!("aglis_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    let pool = aglis_db::pool_usage(&state.db);
    metrics::gauge!("aglis_db_pool_connections", "state" => "idle").set(pool.idle as f64);
    metrics::gauge!("aglis_db_pool_connections", "state" => "in_use").set(pool.size.saturating_sub(pool.idle) as f64);
    metrics::gauge!("aglis_db_pool_max_connections").set(f64::from(state.config.db_max_connections));
    let mut waiting = Vec::new();
    let mut oldest = Vec::new();
    for stat in aglis_db::jobs::queue_stats(&state.reads, now).await? {
        let labels = vec![("kind", stat.kind.clone()), ("priority", stat.priority.to_string())];
        let age = stat.oldest_due.map_or(0, |t| (now - t).num_seconds().max(0));
        waiting.push((labels.clone(), stat.waiting as f64));
        oldest.push((labels, age as f64));
    }
    set_gauges("aglis_jobs_waiting", waiting);
    set_gauges("aglis_jobs_oldest_due_seconds", oldest);
    let dead = aglis_db::jobs::dead_by_kind(&state.reads).await?;
    set_gauges("aglis_jobs_dead", dead.into_iter().map(|(kind, n)| (vec![("kind", kind)], n as f64)).collect());
    let since = now - chrono::Duration::hours(24);
    let mut calls = Vec::new();
    for rate in aglis_db::repo::delivery_attempts::rates(&state.reads, since).await? {
        let labels = |result: &str| {
            vec![("provider", rate.provider.clone()), ("channel", rate.channel.clone()), ("result", result.to_owned())]
        };
        calls.push((labels("ok"), rate.ok as f64));
        calls.push((labels("failed"), (rate.calls - rate.ok) as f64));
    }
    set_gauges("aglis_provider_calls_24h", calls);
    for (status, n) in aglis_db::repo::messages::status_counts(&state.reads, since).await? {
        metrics::gauge!("aglis_messages_24h", "status" => status.as_str()).set(n as f64);
    }
    if let Some(b) = aglis_db::repo::backups::latest_complete(&state.reads).await? {
        let at = b.finished_at.unwrap_or(b.started_at);
        metrics::gauge!("aglis_backup_age_seconds").set((now - at).num_seconds().max(0) as f64);
        metrics::gauge!("aglis_backup_size_bytes").set(b.size_bytes.unwrap_or(0) as f64);
    }
    Ok(())
}
