//! The holiday calendar for read paths, held per instance for [`TTL`] instead of read on every
//! ticket view. Writes (holiday edits, transitions, the escalation check) still read the table.
//! An edit on this instance drops the copy at once; other instances see it within [`TTL`].

use aglis_db::DbError;
use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a read copy of the holidays is used.
pub const TTL: Duration = Duration::from_secs(60);

type Slot = Option<(Instant, Arc<BTreeSet<NaiveDate>>)>;

#[derive(Debug, Default)]
pub struct HolidayCache {
    slot: Mutex<Slot>,
}

impl HolidayCache {
    /// The holidays, from the copy when it is younger than [`TTL`].
    pub async fn get(&self, conn: &impl ConnectionTrait) -> Result<Arc<BTreeSet<NaiveDate>>, DbError> {
        if let Some(days) = self.fresh() {
            return Ok(days);
        }
        let days = Arc::new(aglis_db::repo::sla::holidays(conn).await?);
        *self.lock() = Some((Instant::now(), Arc::clone(&days)));
        Ok(days)
    }

    /// Forgets the copy (after an edit).
    pub fn invalidate(&self) {
        *self.lock() = None;
    }

    fn fresh(&self) -> Option<Arc<BTreeSet<NaiveDate>>> {
        self.lock().as_ref().filter(|(at, _)| at.elapsed() < TTL).map(|(_, days)| Arc::clone(days))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slot> {
        // The slot holds plain data: a panic elsewhere cannot leave it half-written.
        self.slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
