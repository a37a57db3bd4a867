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
    Ok(next_n(conn, series, highest, 1).await?.map(|mut codes| codes.pop().unwrap_or_default()))
}

/// The next `n` codes of `series` (at least one), consecutive, with one statement: what a batch
/// of writes takes at once. `Ok(Err(_))` when the series has fewer than `n` left; the counter has
/// moved then, so the caller rolls back.
pub async fn next_n(
    conn: &impl ConnectionTrait,
    series: &Series,
    highest: Option<&str>,
    n: u32,
) -> Result<Result<Vec<String>, SeriesFull>, DbError> {
    let n = i64::from(n.max(1));
    let floor = i64::from(highest.and_then(|h| series.number_of(h)).unwrap_or(0));
    let backend = conn.get_database_backend();
    let (greatest, placeholders) = match backend {
        DatabaseBackend::Postgres => ("GREATEST", ("$1", "$2", "$3")),
        _ => ("MAX", ("?1", "?2", "?3")),
    };
    let (series_p, start_p, n_p) = placeholders;
    let sql = format!(
        "INSERT INTO code_counters (series, last) VALUES ({series_p}, {start_p}) \
         ON CONFLICT (series) DO UPDATE SET last = {greatest}(code_counters.last, excluded.last - {n_p}) + {n_p} \
         RETURNING last"
    );
    let values = [series.prefix.clone().into(), (floor + n).into(), n.into()];
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?
        .ok_or_else(|| DbError::Corrupt("the code counter returned nothing".into()))?;
    let last: i64 = row.try_get_by_index(0)?;
    Ok(((last - n + 1)..=last)
        .map(|k| {
            u32::try_from(k)
                .map_err(|_| SeriesFull { prefix: series.prefix.clone(), max: series.max })
                .and_then(|k| series.code(k))
        })
        .collect())
}
