//! Monitoring (issue 9): health checks, Prometheus metrics and their per-minute summary in the
//! database, the error inbox and Sentry, alert rules evaluated every minute, the database
//! watchdog, and the monitoring pages.

pub mod alerting;
pub mod api;
pub mod charts;
pub mod config;
#[cfg(feature = "demo")]
pub mod demo;
#[cfg(feature = "demo")]
pub mod demo_gateway;
pub mod errors;
pub mod health;
pub mod metrics;
pub mod pages;
pub mod probe;
pub mod rules;
pub mod rules_page;
pub mod sentry;
pub mod service;
pub mod watchdog;

use crate::state::AppState;
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
    #[cfg(feature = "demo")]
    pub demo_gateway: Option<demo_gateway::DemoGateway>,
    /// `aglis demo` only: the local fake Midtrans and Xendit (kept alive with the instance).
    #[cfg(feature = "demo")]
    pub demo_payments: Option<crate::billing::demo_gateways::DemoPayments>,
    /// `aglis demo` only: the local fake MikroTik and RADIUS NAS.
    #[cfg(feature = "demo")]
    pub demo_network: Option<crate::enforcement::demo::DemoNetwork>,
    /// Pings the database; alerts directly when it is down.
    pub watchdog: watchdog::Watchdog,
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
            #[cfg(feature = "demo")]
            demo_gateway: None,
            #[cfg(feature = "demo")]
            demo_payments: None,
            #[cfg(feature = "demo")]
            demo_network: None,
            watchdog: watchdog::Watchdog::default(),
        })
    }

    /// Whether the demo WhatsApp gateway is broken (`None`: there is none, outside `aglis demo`).
    pub fn demo_gateway_broken(&self) -> Option<bool> {
        #[cfg(feature = "demo")]
        return self.demo_gateway.as_ref().map(|g| g.is_broken());
        #[cfg(not(feature = "demo"))]
        None
    }

    /// Breaks or repairs the demo WhatsApp gateway, if there is one.
    pub fn set_demo_gateway_broken(&self, broken: bool) {
        #[cfg(feature = "demo")]
        if let Some(g) = &self.demo_gateway {
            g.set_broken(broken);
        }
        #[cfg(not(feature = "demo"))]
        let _ = broken;
    }

    pub fn uptime_secs(&self) -> u64 {
        self.started.elapsed().as_secs()
    }

    /// Adds this instance's counted requests to the database.
    pub async fn flush(&self, db: &impl aglis_db::ConnectionTrait) -> Result<(), aglis_db::DbError> {
        self.figures.flush(db, &self.instance).await
    }
}

/// Every instance, while it serves: flushes its figures every 10 s and runs the database
/// watchdog every 15 s, until `stop`; flushes once more on the way out.
pub async fn run(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut flush = tokio::time::interval(std::time::Duration::from_secs(10));
    let mut watch = tokio::time::interval(watchdog::TICK);
    loop {
        tokio::select! {
            _ = flush.tick() => {
                if let Err(e) = state.monitor.flush(&state.db).await {
                    tracing::debug!(error = %e, "metrics: figures kept for the next flush");
                }
            }
            _ = watch.tick() => {
                state.monitor.watchdog.tick(&state).await;
            }
            _ = stop.changed() => break,
        }
    }
    let _ = state.monitor.flush(&state.db).await;
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
