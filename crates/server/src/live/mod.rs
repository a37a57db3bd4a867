//! Live updates (issue 22): every instance reads `live_events` about twice a second and hands
//! what is new to its open streams (`GET /api/v1/events`, [`api`]); each stream passes on only
//! what its reader may hear ([`aglis_core::live::may_hear`]). A change made through any instance
//! reaches every open page on every instance within a second or so; a page that lost its stream
//! catches up from its `Last-Event-ID`.

pub mod api;

use aglis_core::live::{LiveKind, parse_ids};
use aglis_db::repo::live_events::{self, LiveEvent};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

use crate::state::AppState;

/// How often the hub reads new events.
pub const POLL: Duration = Duration::from_millis(400);
/// How often the queue's depth is sent (to streams that may hear it).
pub const DEPTH_EVERY: Duration = Duration::from_secs(5);
/// How long events are kept for streams that catch up.
pub const KEEP_HOURS: i64 = 24;
/// Ids below the last one read that are read again: on PostgreSQL an event may commit after one
/// with a higher id (concurrent transactions); it is passed on late, not lost.
const LOOK_BACK_IDS: i64 = 200;
/// Most events read per look.
const BATCH: u64 = 500;

/// One event as the streams see it.
#[derive(Debug, Clone)]
pub struct Heard {
    /// The event's id (none for the queue's depth, which is not kept).
    pub id: Option<i64>,
    pub kind: LiveKind,
    pub technicians: Vec<i64>,
    pub for_user: Option<i64>,
    /// The JSON the stream sends: the kind, the event's own fields and `for_me` added per reader.
    pub data: serde_json::Map<String, serde_json::Value>,
}

impl Heard {
    /// `None` for a row of a kind this version does not know.
    pub fn of(row: &LiveEvent) -> Option<Heard> {
        let kind: LiveKind = row.kind.parse().ok()?;
        let data = match serde_json::from_str(&row.data) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        Some(Heard { id: Some(row.id), kind, technicians: parse_ids(&row.technicians), for_user: row.for_user, data })
    }
}

/// The instance's fan-out of events to its streams.
pub struct Hub {
    tx: broadcast::Sender<Arc<Heard>>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub { tx: broadcast::channel(1024).0 }
    }
}

impl Hub {
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Heard>> {
        self.tx.subscribe()
    }

    /// Open streams on this instance.
    pub fn streams(&self) -> usize {
        self.tx.receiver_count()
    }

    fn send(&self, heard: Heard) {
        let _ = self.tx.send(Arc::new(heard));
    }
}

/// The ids already passed on that may be read again (within [`LOOK_BACK_IDS`] of the newest).
#[derive(Debug, Default)]
pub(crate) struct Seen {
    last: i64,
    ids: BTreeSet<i64>,
}

impl Seen {
    /// Nothing seen yet, the newest id known being `last`.
    pub(crate) fn after(last: i64) -> Seen {
        Seen { last, ids: BTreeSet::new() }
    }

    /// Whether `id` is new; remembers it.
    pub(crate) fn first_time(&mut self, id: i64) -> bool {
        if id <= self.last - LOOK_BACK_IDS || !self.ids.insert(id) {
            return false;
        }
        self.last = self.last.max(id);
        let floor = self.last - LOOK_BACK_IDS;
        while self.ids.first().is_some_and(|f| *f <= floor) {
            self.ids.pop_first();
        }
        true
    }

    /// Where a read of the table starts to find every id not yet seen.
    pub(crate) fn from(&self) -> i64 {
        (self.last - LOOK_BACK_IDS).max(0)
    }
}

/// Reads new events and the queue's depth until `stop`; purges old events now and then.
pub async fn run(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut seen = Seen::after(live_events::last_id(&state.db).await.unwrap_or(0));
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_depth = tokio::time::Instant::now();
    let mut last_purge: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            return;
        }
        if state.live.streams() == 0 {
            // Nobody listens: only keep the place.
            if let Ok(id) = live_events::last_id(&state.reads).await {
                seen = Seen::after(id);
            }
        } else {
            match live_events::after(&state.reads, seen.from(), BATCH).await {
                Ok(rows) => {
                    for row in rows {
                        if seen.first_time(row.id)
                            && let Some(h) = Heard::of(&row)
                        {
                            state.live.send(h);
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "reading live events failed"),
            }
            if last_depth.elapsed() >= DEPTH_EVERY {
                last_depth = tokio::time::Instant::now();
                if let Ok(counts) = aglis_db::jobs::counts(&state.reads).await {
                    let data = counts.into_iter().map(|(s, n)| (s.to_owned(), serde_json::Value::from(n))).collect();
                    state.live.send(Heard {
                        id: None,
                        kind: LiveKind::QueueDepth,
                        technicians: Vec::new(),
                        for_user: None,
                        data,
                    });
                }
            }
        }
        if last_purge.is_none_or(|t| t.elapsed() >= Duration::from_secs(3600)) {
            last_purge = Some(tokio::time::Instant::now());
            let before = state.now() - chrono::Duration::hours(KEEP_HOURS);
            if let Err(e) = live_events::purge(&state.db, before).await {
                tracing::warn!(error = %e, "purging live events failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_passed_on_once_even_when_it_commits_late() {
        let mut s = Seen { last: 10, ids: BTreeSet::new() };
        assert!(s.first_time(11));
        assert!(!s.first_time(11));
        assert!(s.first_time(13));
        // 12 committed after 13: still new.
        assert!(s.first_time(12));
        assert!(!s.first_time(12));
        assert_eq!(s.from(), 0);
        for id in 14..=400 {
            assert!(s.first_time(id));
        }
        assert_eq!(s.from(), 200);
        assert!(!s.first_time(150), "older than the look-back: already passed on or gone");
        assert!(s.ids.len() <= usize::try_from(LOOK_BACK_IDS).unwrap_or(0));
    }
}
