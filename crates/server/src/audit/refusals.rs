//! Refused webhook calls (a wrong signature or token), counted in memory per provider and source
//! address and written to the audit log once a minute: one record per source with how many calls
//! and why, at most [`SOURCES_PER_FLUSH`] sources per flush and the rest summed into one record.
//!
//! Anyone can send these calls, so the request path must not write: every audited write goes
//! through the one-row chain head, and a flood recorded call by call would queue every staff
//! action behind it. Counted here, a flood of any size and from any number of addresses costs a
//! map update per call and a handful of audit records a minute per instance.

use crate::audit::{Entry, RequestMeta, record};
use crate::error::AppResult;
use crate::state::AppState;
use aglis_core::audit::{AuditEvent, AuditResult};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

/// Sources recorded one by one per flush; the others are summed into one record.
pub const SOURCES_PER_FLUSH: usize = 20;
/// Distinct sources counted between flushes; beyond it, calls only add to the overflow count.
const MAX_TRACKED: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Source {
    provider: &'static str,
    ip: String,
}

#[derive(Debug, Clone)]
struct Tally {
    calls: u64,
    reasons: BTreeMap<&'static str, u64>,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    user_agent: Option<String>,
}

/// Per provider: (sources, calls) of what is not recorded source by source.
type Rest = BTreeMap<&'static str, (u64, u64)>;

#[derive(Debug, Default)]
struct Counts {
    sources: HashMap<Source, Tally>,
    /// Calls from sources beyond [`MAX_TRACKED`], per provider.
    overflow: BTreeMap<&'static str, u64>,
}

/// The per-instance counter.
#[derive(Debug, Default)]
pub struct Refusals {
    counts: Mutex<Counts>,
}

impl Refusals {
    /// Counts one refused call from `meta`'s address; never touches the database.
    pub fn note(&self, meta: &RequestMeta, provider: &'static str, why: &'static str, at: DateTime<Utc>) {
        tracing::warn!(provider, ip = %meta.ip, reason = why, "webhook refused");
        let Ok(mut counts) = self.counts.lock() else { return };
        let source = Source { provider, ip: meta.ip.clone() };
        let tracked = counts.sources.len();
        match counts.sources.get_mut(&source) {
            Some(t) => {
                t.calls += 1;
                *t.reasons.entry(why).or_default() += 1;
                t.last = at;
            }
            None if tracked < MAX_TRACKED => {
                let tally = Tally {
                    calls: 1,
                    reasons: BTreeMap::from([(why, 1)]),
                    first: at,
                    last: at,
                    user_agent: meta.user_agent.clone(),
                };
                counts.sources.insert(source, tally);
            }
            None => *counts.overflow.entry(provider).or_default() += 1,
        }
    }

    /// The calls counted since the last take: the busiest sources first (recorded one by one,
    /// at most `per_source`), then the rest summed per provider.
    fn take(&self, per_source: usize) -> (Vec<(Source, Tally)>, Rest) {
        let counts = match self.counts.lock() {
            Ok(mut c) => std::mem::take(&mut *c),
            Err(_) => return (Vec::new(), BTreeMap::new()),
        };
        let mut sources: Vec<(Source, Tally)> = counts.sources.into_iter().collect();
        sources.sort_by(|a, b| b.1.calls.cmp(&a.1.calls).then_with(|| a.0.ip.cmp(&b.0.ip)));
        let mut rest = Rest::new();
        for (source, tally) in sources.iter().skip(per_source) {
            let r = rest.entry(source.provider).or_default();
            r.0 += 1;
            r.1 += tally.calls;
        }
        for (provider, calls) in counts.overflow {
            rest.entry(provider).or_default().1 += calls;
        }
        sources.truncate(per_source);
        (sources, rest)
    }
}

/// Writes what was counted since the last flush to the audit log; returns the records written.
/// Every instance flushes once a minute and when it stops.
pub async fn flush(state: &AppState) -> AppResult<usize> {
    let (sources, rest) = state.refusals.take(SOURCES_PER_FLUSH);
    let mut written = 0;
    for (source, tally) in sources {
        let meta = RequestMeta { ip: source.ip, user_agent: tally.user_agent };
        let details = json!({
            "provider": source.provider,
            "calls": tally.calls,
            // A list, not a map: a reason names the header or token, and keys that look like
            // secrets are redacted.
            "reasons": tally.reasons.iter().map(|(why, calls)| json!({ "reason": why, "calls": calls })).collect::<Vec<_>>(),
            "first_at": tally.first,
            "last_at": tally.last,
        });
        record(state, webhook_entry(source.provider).meta(&meta).details(details)).await?;
        written += 1;
    }
    for (provider, (sources, calls)) in rest {
        let details = json!({ "provider": provider, "calls": calls, "other_sources": sources });
        record(state, webhook_entry(provider).details(details)).await?;
        written += 1;
    }
    Ok(written)
}

fn webhook_entry(provider: &str) -> Entry {
    Entry::new(AuditEvent::WebhookSignatureFailed, AuditResult::Denied).resource(format!("webhook:{provider}"))
}

/// Flushes every minute until `stop` turns true, then once more.
pub async fn run(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let minute = std::time::Duration::from_secs(60);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + minute, minute);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => {}
        }
        if let Err(e) = flush(&state).await {
            tracing::error!(error = %e, "recording refused webhooks failed");
        }
        if *stop.borrow() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(ip: &str) -> RequestMeta {
        RequestMeta { ip: ip.into(), user_agent: Some("curl/8".into()) }
    }

    #[test]
    fn calls_are_summed_per_source_busiest_first_and_the_rest_per_provider() {
        let r = Refusals::default();
        let at = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).expect("time");
        for _ in 0..3 {
            r.note(&meta("10.0.0.1"), "meta", "bad signature", at);
        }
        r.note(&meta("10.0.0.1"), "meta", "bad token", at + chrono::Duration::seconds(5));
        r.note(&meta("10.0.0.2"), "meta", "bad signature", at);
        r.note(&meta("10.0.0.3"), "fonnte", "bad token", at);
        let (sources, rest) = r.take(2);
        assert_eq!(sources.len(), 2);
        assert_eq!((sources[0].0.ip.as_str(), sources[0].1.calls), ("10.0.0.1", 4));
        assert_eq!(sources[0].1.reasons.get("bad token"), Some(&1));
        assert_eq!(sources[0].1.last - sources[0].1.first, chrono::Duration::seconds(5));
        // 10.0.0.2 and 10.0.0.3 have one call each; the address decides the order.
        assert_eq!(sources[1].0.ip, "10.0.0.2");
        assert_eq!(rest.get("fonnte"), Some(&(1, 1)));
        // Taken: the next flush starts from nothing.
        let (sources, rest) = r.take(2);
        assert!(sources.is_empty() && rest.is_empty());
    }

    #[test]
    fn beyond_the_tracked_sources_calls_still_count() {
        let r = Refusals::default();
        let at = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).expect("time");
        for i in 0..(MAX_TRACKED + 5) {
            r.note(&meta(&format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256)), "meta", "bad", at);
        }
        let (sources, rest) = r.take(SOURCES_PER_FLUSH);
        assert_eq!(sources.len(), SOURCES_PER_FLUSH);
        let (others, calls) = rest["meta"];
        assert_eq!(others as usize, MAX_TRACKED - SOURCES_PER_FLUSH);
        assert_eq!(calls as usize, MAX_TRACKED + 5 - SOURCES_PER_FLUSH);
    }
}
