//! Search through a word table (`ticket_words`, `message_words`, `audit_words`): one row per
//! (word, record id), primary key (`word`, id) and an index (id, `word`), written in the record's
//! own transaction. Never a `LIKE '%…%'` scan, and never all matches sorted:
//! - each search word matches the start of a word; the rarest one (counted up to the cap from
//!   its index range) drives;
//! - it is expanded to the indexed words it starts (a loose index scan, at most [`EXPANSION`]);
//!   each of those words' records come newest first straight from the primary key, so a page is
//!   the union of a few `LIMIT`ed index ranges;
//! - the other words and the caller's filter are checked per candidate.
//!
//! Totals are counted up to [`SEARCH_CAP`] ("1000+": add a word or a filter).

use crate::DbError;
use crate::sql::{Sql, int};
use sea_orm::ConnectionTrait;

/// Most matches a search counts before answering "1000+".
pub const SEARCH_CAP: u64 = 1_000;

/// Most indexed words one search word expands to; beyond, its matches are sorted instead.
const EXPANSION: usize = 20;

/// A word table and its record id column.
#[derive(Debug, Clone, Copy)]
pub struct WordTable {
    pub words: &'static str,
    pub id: &'static str,
}

pub const TICKET_WORDS: WordTable = WordTable { words: "ticket_words", id: "ticket_id" };
pub const MESSAGE_WORDS: WordTable = WordTable { words: "message_words", id: "message_id" };
pub const AUDIT_WORDS: WordTable = WordTable { words: "audit_words", id: "audit_id" };

/// Writes record `id`'s search `words` into `t` (in the caller's transaction, with the record).
pub(crate) async fn write_words(
    conn: &impl ConnectionTrait,
    t: &WordTable,
    id: i64,
    words: Vec<String>,
) -> Result<(), DbError> {
    use sea_orm::sea_query::{Alias, Query};
    if words.is_empty() {
        return Ok(());
    }
    let mut insert =
        Query::insert().into_table(Alias::new(t.words)).columns([Alias::new("word"), Alias::new(t.id)]).to_owned();
    for w in words {
        insert.values_panic([w.into(), id.into()]);
    }
    conn.execute(&insert).await?;
    Ok(())
}

/// Removes the words of the records with ids up to `last` (a purge of the oldest records).
pub(crate) async fn delete_words_through(
    conn: &impl ConnectionTrait,
    t: &WordTable,
    last: i64,
) -> Result<u64, DbError> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    let delete =
        Query::delete().from_table(Alias::new(t.words)).and_where(Expr::col(Alias::new(t.id)).lte(last)).to_owned();
    Ok(conn.execute(&delete).await?.rows_affected())
}

/// `column >= ? AND column < ?`: the words starting with `prefix`.
pub(crate) fn prefix_sql(column: &str, prefix: &str) -> Sql {
    let from = Sql::new(column).push(" >= ").bind(prefix);
    match super::prefix_end(prefix) {
        Some(end) => from.push(&format!(" AND {column} < ")).bind(end),
        None => from,
    }
}

/// `EXISTS (…)`: record `id_column` has a word starting with `prefix` in `t`. `tail` ends the
/// subquery (PostgreSQL's `OFFSET 0` keeps it a per-record probe, see ticket_search).
pub(crate) fn has_word_sql(t: &WordTable, id_column: &str, prefix: &str, tail: &str) -> Sql {
    Sql::new(&format!("EXISTS (SELECT 1 FROM {} o WHERE o.{} = {id_column} AND ", t.words, t.id))
        .append(prefix_sql("o.word", prefix))
        .push(tail)
        .push(")")
}

pub(crate) async fn ids(conn: &impl ConnectionTrait, sql: Sql) -> Result<Vec<i64>, DbError> {
    let rows = conn.query_all_raw(sql.statement(conn.get_database_backend())).await?;
    Ok(rows.iter().map(|r| r.try_get_by_index::<i64>(0)).collect::<Result<Vec<_>, _>>()?)
}

/// `SELECT COUNT(*) FROM (inner LIMIT cap + 1)`, as `(n, exact)`.
pub(crate) async fn capped(conn: &impl ConnectionTrait, inner: Sql) -> Result<(u64, bool), DbError> {
    let sql = Sql::new("SELECT COUNT(*) FROM (").append(inner).push(" LIMIT ").bind(int(SEARCH_CAP + 1)).push(") c");
    let n = ids(conn, sql).await?.first().copied().unwrap_or(0);
    let n = u64::try_from(n).unwrap_or(0);
    Ok(if n > SEARCH_CAP { (SEARCH_CAP, false) } else { (n, true) })
}

/// `… ORDER BY column DESC LIMIT ? OFFSET ?`.
pub(crate) fn newest_page(sql: Sql, column: &str, per_page: u64, offset: u64) -> Sql {
    sql.push(&format!(" ORDER BY {column} DESC LIMIT ")).bind(int(per_page)).push(" OFFSET ").bind(int(offset))
}

/// How many records have a word starting with each of `words`, each counted up to the cap.
pub(crate) async fn word_sizes(
    conn: &impl ConnectionTrait,
    t: &WordTable,
    words: &[String],
) -> Result<Vec<u64>, DbError> {
    let mut sizes = Vec::with_capacity(words.len());
    for w in words {
        let (n, _) =
            capped(conn, Sql::new(&format!("SELECT 1 FROM {} WHERE ", t.words)).append(prefix_sql("word", w))).await?;
        sizes.push(n);
    }
    Ok(sizes)
}

/// The indexed words starting with `prefix`, at most `EXPANSION + 1`, each found by one index
/// seek from the previous.
async fn expand(conn: &impl ConnectionTrait, t: &WordTable, prefix: &str) -> Result<Vec<String>, DbError> {
    // Only `> v.word` as the lower bound: given `>= prefix` too, SQLite seeks from the prefix
    // and walks every entry of the previous word (125 k for "redaman": 2 ms instead of 0.05).
    let next = match super::prefix_end(prefix) {
        Some(end) => Sql::new("w.word < ").bind(end),
        None => Sql::new("1 = 1"),
    };
    let sql = Sql::new(&format!("WITH RECURSIVE v(word) AS (SELECT MIN(word) FROM {} WHERE ", t.words))
        .append(prefix_sql("word", prefix))
        .push(&format!(" UNION ALL SELECT (SELECT MIN(w.word) FROM {} w WHERE w.word > v.word AND ", t.words))
        .append(next)
        .push(") FROM v WHERE v.word IS NOT NULL) SELECT word FROM v WHERE word IS NOT NULL LIMIT ")
        .bind(int(EXPANSION as u64 + 1));
    let rows = conn.query_all_raw(sql.statement(conn.get_database_backend())).await?;
    let words = rows.iter().map(|r| r.try_get_by_index::<String>(0)).collect::<Result<Vec<_>, _>>()?;
    // Without an end to the range (a prefix of "z"s), the walk may pass the prefix's words.
    Ok(words.into_iter().take_while(|w| w.starts_with(prefix)).collect())
}

/// One page (newest first) of the ids of records having every word of `words` (`driver` is the
/// index of the one to drive with, the rarest) and passing `check`, a condition on the word row
/// aliased `w` (e.g. `EXISTS (SELECT 1 FROM messages m WHERE m.id = w.message_id AND …)`); and
/// how many there are, counted up to the cap.
pub(crate) async fn search(
    conn: &impl ConnectionTrait,
    t: &WordTable,
    words: &[String],
    driver: usize,
    check: Option<Sql>,
    per_page: u64,
    offset: u64,
) -> Result<(Vec<i64>, u64, bool), DbError> {
    let Some(driving) = words.get(driver) else { return Ok((Vec::new(), 0, true)) };
    let wid = format!("w.{}", t.id);
    let mut checks: Vec<Sql> =
        words.iter().enumerate().filter(|(i, _)| *i != driver).map(|(_, w)| has_word_sql(t, &wid, w, "")).collect();
    checks.extend(check);
    let checks = if checks.is_empty() { Sql::default() } else { Sql::new(" AND ").append(Sql::join(checks, " AND ")) };
    let expanded = expand(conn, t, driving).await?;
    let (page, (total, exact)) = if expanded.is_empty() {
        (Vec::new(), (0, true))
    } else if expanded.len() <= EXPANSION {
        // Each indexed word's newest `limit` matches from its own index range, merged: for the
        // page, and (newest first, so on the pages just read) for the count.
        let merged = |limit: u64| {
            let parts: Vec<Sql> = expanded
                .iter()
                .enumerate()
                .map(|(i, word)| {
                    Sql::new(&format!("SELECT {id} FROM (SELECT {wid} FROM {} w WHERE w.word = ", t.words, id = t.id))
                        .bind(word.as_str())
                        .append(checks.clone())
                        .push(&format!(" ORDER BY {wid} DESC LIMIT "))
                        .bind(int(limit))
                        .push(&format!(") p{i}"))
                })
                .collect();
            Sql::join(parts, " UNION ")
        };
        let page = ids(conn, newest_page(merged(offset + per_page), t.id, per_page, offset)).await?;
        let all = Sql::new(&format!("SELECT {} FROM (", t.id)).append(merged(SEARCH_CAP + 1)).push(") m");
        (page, capped(conn, all).await?)
    } else {
        let matching = Sql::new(&format!("SELECT DISTINCT {wid} FROM {} w WHERE ", t.words))
            .append(prefix_sql("w.word", driving))
            .append(checks);
        let page = ids(conn, newest_page(matching.clone(), &wid, per_page, offset)).await?;
        (page, capped(conn, matching).await?)
    };
    Ok((page, total, exact))
}

/// One page of a list and its total, which may be capped (`exact` false: "10000+").
#[derive(Debug, Clone, PartialEq)]
pub struct Listed<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub exact: bool,
}

/// Most rows a list without search words counts before answering "10000+".
pub const LIST_CAP: u64 = 10_000;

/// The ids of `table`'s records with every word of `q` (see [`aglis_core::search::query_words`])
/// that also meet `cond` (a condition on `table`), newest first; `None` when `q` is blank.
/// Words too short to search (one letter) find nothing rather than everything.
pub(crate) async fn search_records(
    conn: &impl ConnectionTrait,
    t: &WordTable,
    table: &str,
    q: Option<&str>,
    cond: sea_orm::Condition,
    per_page: u64,
    offset: u64,
) -> Result<Option<(Vec<i64>, u64, bool)>, DbError> {
    use sea_orm::sea_query::{Alias, Expr, Query};
    let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) else { return Ok(None) };
    let words = aglis_core::search::query_words(q);
    if words.is_empty() {
        return Ok(Some((Vec::new(), 0, true)));
    }
    let sizes = if words.len() > 1 { word_sizes(conn, t, &words).await? } else { Vec::new() };
    let (driver, _) = rarest(&sizes);
    // The filters, as SeaQuery builds them, correlated with the word row.
    let filter = Query::select()
        .expr(Expr::cust("1"))
        .from(Alias::new(table))
        .and_where(Expr::cust(format!("{table}.id = w.{}", t.id)))
        .cond_where(cond)
        .to_owned();
    let check = Sql::new("EXISTS (").append(Sql::from_query(&filter)).push(")");
    Ok(Some(search(conn, t, &words, driver, Some(check), per_page, offset).await?))
}

/// The index of the rarest of `sizes` (the first word when there are none), and its size.
pub(crate) fn rarest(sizes: &[u64]) -> (usize, u64) {
    sizes.iter().copied().enumerate().min_by_key(|(_, n)| *n).unwrap_or((0, SEARCH_CAP + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Value;

    #[test]
    fn values_are_bound_never_written_into_the_text() {
        let p = prefix_sql("word", "red");
        assert_eq!(p.text, "word >= ? AND word < ?");
        assert_eq!(p.values, vec![Value::from("red"), Value::from("ree")]);
        let hostile = prefix_sql("word", "o'neil; DROP TABLE tickets --");
        assert!(!hostile.text.contains("DROP") && !hostile.text.contains('\''), "{}", hostile.text);
        let w = has_word_sql(&MESSAGE_WORDS, "w.message_id", "siti", "");
        assert_eq!(
            w.text,
            "EXISTS (SELECT 1 FROM message_words o WHERE o.message_id = w.message_id AND o.word >= ? AND o.word < ?)"
        );
    }

    #[test]
    fn the_rarest_word_drives() {
        assert_eq!(rarest(&[300, 12, 40]), (1, 12));
        assert_eq!(rarest(&[]), (0, SEARCH_CAP + 1));
    }
}
