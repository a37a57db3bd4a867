//! The next counter of a human-code series ([`aglis_core::codes::Series`]): one atomic upsert on
//! `code_counters` in the caller's transaction (m0024). No retries and no "409, try again": a
//! concurrent creator waits for the counter's row (PostgreSQL) or for the single writer (SQLite)
//! and gets the next number; a creation that rolls back gives its number back.

use crate::DbError;
use aglis_core::codes::{Series, SeriesFull};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

/// The next code of `series`. `highest` is the highest code of the series already stored (made
/// before the counter existed, or imported with its code): the counter never hands out a number
/// at or below it. `Ok(Err(_))` when the series is used up.
pub async fn next(
    conn: &impl ConnectionTrait,
    series: &Series,
    highest: Option<&str>,
) -> Result<Result<String, SeriesFull>, DbError> {
    let floor = i64::from(highest.and_then(|h| series.number_of(h)).unwrap_or(0));
    let backend = conn.get_database_backend();
    let (greatest, placeholders) = match backend {
        DatabaseBackend::Postgres => ("GREATEST", ("$1", "$2")),
        _ => ("MAX", ("?", "?")),
    };
    let sql = format!(
        "INSERT INTO code_counters (series, last) VALUES ({}, {}) \
         ON CONFLICT (series) DO UPDATE SET last = {greatest}(code_counters.last + 1, excluded.last) \
         RETURNING last",
        placeholders.0, placeholders.1
    );
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [series.prefix.clone().into(), (floor + 1).into()]))
        .await?
        .ok_or_else(|| DbError::Corrupt("the code counter returned nothing".into()))?;
    let n: i64 = row.try_get_by_index(0)?;
    Ok(u32::try_from(n)
        .map_err(|_| SeriesFull { prefix: series.prefix.clone(), max: series.max })
        .and_then(|n| series.code(n)))
}
