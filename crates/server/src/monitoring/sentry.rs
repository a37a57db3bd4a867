//! Sending captured errors to Sentry (`AGLIS_SENTRY_DSN`). STUB: being written.

use super::config::MonitoringConfig;
use super::errors::Captured;

pub struct SentryReporter {}

impl SentryReporter {
    pub fn from_config(_config: &MonitoringConfig) -> anyhow::Result<Option<Self>> {
        Ok(None)
    }

    pub fn capture(&self, _captured: &Captured) {}

    /// Waits until queued events are sent, at most `timeout`; `true` when all were.
    pub fn flush(&self, _timeout: std::time::Duration) -> bool {
        true
    }
}
