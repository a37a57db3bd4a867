//! SeaORM entities, one file per table.

pub mod jobs;
pub mod leases;
pub mod message_events;
pub mod messages;
pub mod schedules;
pub mod sessions;
pub mod users;
pub mod webhook_events;
