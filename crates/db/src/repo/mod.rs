//! Repositories, one per feature.

pub mod messages;
pub mod sessions;
pub mod users;
pub mod webhook_events;
