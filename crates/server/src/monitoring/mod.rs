//! Monitoring (issue 9): health checks, Prometheus metrics and their per-minute summary in the
//! database, the error inbox and Sentry, alert rules evaluated every minute, the database
//! watchdog, and the monitoring pages.

pub mod api;
pub mod config;
pub mod demo;
pub mod demo_gateway;
pub mod errors;
pub mod health;
pub mod metrics;
pub mod pages;
pub mod probe;
pub mod sentry;

use crate::app::AppState;
use chrono::{DateTime, Utc};
use std::time::Instant;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// This instance's monitoring state. One per process (per [`AppState`]).
pub struct Monitor {
    /// `host-xxxxxxxx`: names this instance's rows of figures.
    pub instance: String,
    pub started: Instant,
    pub started_at: DateTime<Utc>,
    /// Requests counted since the last flush to the database.
    pub figures: metrics::Figures,
    pub sentry: Option<sentry::SentryReporter>,
    /// The WhatsApp providers' last status checks.
    pub probes: probe::ProbeCache,
    /// `aglis demo` only: the local WhatsApp gateway the monitoring page can break and repair.
    pub demo_gateway: Option<demo_gateway::DemoGateway>,
}

impl Monitor {
    pub fn new(config: &crate::config::Config, now: DateTime<Utc>) -> anyhow::Result<Self> {
        errors::install_panic_hook();
        metrics::install();
        let instance = format!("{}-{}", crate::backup::host_name(), &uuid::Uuid::new_v4().simple().to_string()[..8]);
        Ok(Self {
            instance,
            started: Instant::now(),
            started_at: now,
            figures: metrics::Figures::default(),
            sentry: sentry::SentryReporter::from_config(&config.monitoring)?,
            probes: probe::ProbeCache::default(),
            demo_gateway: None,
        })
    }

    pub fn uptime_secs(&self) -> u64 {
        self.started.elapsed().as_secs()
    }
}

/// The routes outside the OpenAPI document: `/metrics` (Prometheus text).
pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/metrics", axum::routing::get(metrics::scrape)).merge(pages::router())
}

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health::health))
        .routes(routes!(health::live))
        .routes(routes!(health::ready))
        .merge(api::api_router())
}
