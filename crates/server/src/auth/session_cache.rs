//! API-token look-ups held per instance for [`TTL`]: every API request resolves its bearer token,
//! and a client calling several times a second would otherwise read the same session and user
//! rows each time (a third of the statements of a ticket read).
//!
//! Only `api` sessions are held (browser sessions have idle timeouts and a pending second
//! factor, and are read every time). Any change of a user or of sessions on this instance
//! clears the whole cache after its commit; another instance's change is seen within [`TTL`].
//! The expiry and the user's `is_active` are still checked on every request.

use aglis_db::entity::sessions;
use aglis_db::repo::users::User;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How long a looked-up session is used without reading it again.
pub const TTL: Duration = Duration::from_secs(2);
/// Entries kept at most; past it the cache starts over (it only saves reads).
const MAX_ENTRIES: usize = 10_000;

type Entry = (Instant, sessions::Model, User);

#[derive(Debug, Default)]
pub struct SessionCache {
    map: Mutex<HashMap<String, Entry>>,
}

impl SessionCache {
    /// The session and user of token hash `hash`, if read less than [`TTL`] ago.
    pub fn get(&self, hash: &str) -> Option<(sessions::Model, User)> {
        let map = self.lock();
        let (at, session, user) = map.get(hash)?;
        (at.elapsed() < TTL).then(|| (session.clone(), user.clone()))
    }

    pub fn put(&self, hash: String, session: sessions::Model, user: User) {
        let mut map = self.lock();
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(hash, (Instant::now(), session, user));
    }

    /// Forgets everything: after any change of a user, their 2FA or their sessions.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        // Plain data: a panic elsewhere cannot leave it half-written.
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
