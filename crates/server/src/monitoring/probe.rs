//! The WhatsApp providers' own status checks, asked at most every 30 s per instance (Fonnte
//! limits its device endpoint).

use crate::state::AppState;
use chrono::{DateTime, Utc};

pub const PROBE_EVERY: chrono::Duration = chrono::Duration::seconds(30);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub provider: String,
    pub result: Result<(), String>,
}

/// The last probes and when they ran.
#[derive(Debug, Default)]
pub struct ProbeCache {
    last: tokio::sync::Mutex<Option<(DateTime<Utc>, Vec<Probe>)>>,
}

/// The WhatsApp providers' status checks, fresh or at most [`PROBE_EVERY`] old.
pub async fn whatsapp(state: &AppState) -> Vec<Probe> {
    let now = state.now();
    let mut last = state.monitor.probes.last.lock().await;
    if let Some((at, probes)) = last.as_ref()
        && now - *at < PROBE_EVERY
        && now >= *at
    {
        return probes.clone();
    }
    let probes: Vec<Probe> = state
        .notifier
        .probe_whatsapp()
        .await
        .into_iter()
        .map(|(provider, result)| Probe { provider, result })
        .collect();
    *last = Some((now, probes.clone()));
    probes
}
