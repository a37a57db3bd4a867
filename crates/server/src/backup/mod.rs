//! Backups that are proven restorable (issue 8).
//!
//! A *set* is one folder `aglis-<UTC time>` under `AGLIS_BACKUP_DIR` with three zstd-compressed
//! parts (database, uploaded files, configuration) and a `manifest.json` written last: a set is
//! built in `.incomplete-<name>` and renamed into place only when whole, so a crash or a kill
//! never leaves a folder that claims to be a backup.
//!
//! - [`create`]: snapshot the database (SQLite `VACUUM INTO`; PostgreSQL `pg_dump` on an exported
//!   snapshot, the same one the row counts and table fingerprints are read from), pack the files
//!   and the configuration, write the manifest, rename, copy to the bucket, verify, apply retention.
//! - [`verify`]: restore the database part into a scratch database (a temporary SQLite file or a
//!   temporary PostgreSQL database), run the engine's integrity check, compare the row counts and
//!   fingerprints with the manifest, drop the scratch copy.
//! - [`restore`]: the same checks first, then the database, files and configuration into a stopped
//!   or fresh installation.
//! - [`jobs`]: the 02:00 WIB schedule, the daily verification, the "no backup in 26 h" watch, and
//!   the alerts (e-mail and WhatsApp to every admin through the notification queue).

pub mod api;
pub mod archive;
pub mod cli;
pub mod config;
pub mod create;
pub mod database;
#[cfg(feature = "demo")]
pub mod demo;
pub mod files;
pub mod jobs;
pub mod pages;
pub mod progress;
pub mod remote;
pub mod restore;
pub mod retention;
pub mod service;
pub mod set;
pub mod settings;
pub mod verify;

use crate::config::Config;
use crate::state::AppState;
use crate::storage::Storage;
use aglis_core::clock::Clock;
use aglis_db::DatabaseConnection;
use std::sync::Arc;

/// What backup work needs: the CLI builds one without a web server, jobs take it from the state.
#[derive(Clone)]
pub struct Ctx {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub storage: Storage,
    pub clock: Arc<dyn Clock>,
}

impl Ctx {
    pub fn from_state(state: &AppState) -> Self {
        Ctx {
            db: state.db.clone(),
            config: state.config.clone(),
            storage: state.storage.clone(),
            clock: state.clock.clone(),
        }
    }

    /// For the command line: opens the installation's database, which must exist
    /// ([`crate::cli::open_installation`]), and the file store from the configuration.
    pub async fn connect(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let db = crate::cli::open_installation(&config).await?;
        let storage = Storage::from_config(&config.storage)?;
        Ok(Ctx { db, config: Arc::new(config), storage, clock })
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    pub fn engine(&self) -> aglis_db::Engine {
        aglis_db::engine(&self.db)
    }
}

/// This machine's name, recorded with each set (with several instances, the one whose directory
/// holds it).
pub fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

pub use aglis_core::backup::Trigger;
