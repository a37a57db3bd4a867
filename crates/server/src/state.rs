//! [`AppState`]: what every feature receives (database, configuration, clock, notifier, storage
//! and the per-instance caches). Features depend on this, never on `app.rs`, which assembles them.

use crate::config::Config;
use aglis_core::clock::Clock;
use aglis_db::DatabaseConnection;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// Everything a handler may need. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// For read-only lists and searches: on SQLite a pool of read-only connections beside the
    /// single writer; on PostgreSQL the same pool as `db`.
    pub reads: DatabaseConnection,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    pub notifier: Arc<crate::notifications::Notifier>,
    /// Attachments: a local directory or an S3-compatible bucket.
    pub storage: crate::storage::Storage,
    /// The holidays for read-only SLA clocks (ticket pages), per instance.
    pub holidays: Arc<crate::tickets::holiday_cache::HolidayCache>,
    /// API-token look-ups, per instance, for two seconds.
    pub sessions: Arc<crate::auth::session_cache::SessionCache>,
    /// Metrics, the error inbox's Sentry link, the WhatsApp probes: per instance.
    pub monitor: Arc<crate::monitoring::Monitor>,
    /// Refused webhook calls, counted per instance and recorded once a minute.
    pub refusals: Arc<crate::audit::refusals::Refusals>,
    /// Live updates to this instance's open pages.
    pub live: Arc<crate::live::Hub>,
    /// The manager's trends of the finished months, per instance.
    pub trends: Arc<crate::dashboard::trends::TrendCache>,
}

impl AppState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
