//! Repositories, one per feature.

pub mod sessions;
pub mod users;
