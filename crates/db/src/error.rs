//! The data layer's one error type.

use sea_orm::{DbErr, SqlErr};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A named unique constraint (or, on SQLite, the `table.column` it covers) was violated.
    #[error("unique constraint violated: {0}")]
    Unique(String),
    #[error("stored value is invalid: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Db(DbErr),
}

impl From<DbErr> for DbError {
    fn from(err: DbErr) -> Self {
        if let DbErr::Type(msg) = err {
            // A stored value that is not one of its enum's values (see `aglis_core::str_enum!`).
            return DbError::Corrupt(msg);
        }
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(msg)) => DbError::Unique(msg),
            _ => DbError::Db(err),
        }
    }
}

impl DbError {
    /// Whether this is a unique violation that mentions `needle` (a constraint name such as
    /// `uq_users_username` on PostgreSQL, or `users.username` on SQLite: pass the column name).
    pub fn is_unique_on(&self, needle: &str) -> bool {
        matches!(self, DbError::Unique(msg) if msg.contains(needle))
    }
}
