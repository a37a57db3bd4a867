//! AGLIS data layer: one code base for SQLite (embedded default) and PostgreSQL (production).
//!
//! Nothing here knows about HTTP. Repository functions take the connection or transaction explicitly
//! (`&impl ConnectionTrait`), so services decide where transactions begin and end.

pub mod codes;
pub mod connection;
pub mod entity;
pub mod error;
pub mod jobs;
pub mod leases;
pub mod migration;
pub mod rate_limit;
pub mod repo;
pub mod schedules;
pub(crate) mod sql;

pub use connection::{
    Engine, PoolUsage, connect, connect_existing, connect_reads, engine, is_aglis_database, pool_usage, sqlite_path,
};
pub use error::DbError;
pub use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, TransactionTrait};
