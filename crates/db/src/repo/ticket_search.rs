//! Ticket text search at a million tickets: words of the title and of the customer's name in
//! `ticket_words` (migration m0014), kept in the ticket's own transaction.
//!
//! Each search word matches the start of a word ("red" finds "redaman"). A page never sorts
//! all matches:
//! - a search word is first expanded to the indexed words it starts (a loose index scan, at
//!   most [`EXPANSION`]); each indexed word's tickets come newest first straight from the
//!   primary key (`word`, `ticket_id`), so a page is the union of a few `LIMIT`ed index ranges;
//! - the other search words and the filters (status, technician…) are checked per candidate
//!   through `ix_ticket_words_ticket` and the tickets' primary key;
//! - when a filter is rarer than the words (open tickets of "siti"), the filter's index drives
//!   instead and the words are checked per ticket.
//!
//! Totals are counted up to [`SEARCH_CAP`] ("1000+": add a word or a filter). Every value (search
//! words, statuses, ids, limits) is a bound parameter; the SQL text is built from fixed pieces
//! only ([`Sql`]).

use super::tickets::{Ticket, TicketQuery};
use crate::DbError;
use crate::entity::{ticket_words, tickets};
use aglis_core::ticket::search_words;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QuerySelect, Set, Statement, Value,
};

/// Most matches a search counts before answering "1000+": counting checks each candidate's
/// other words and filters, a row look-up each (10 k of them took 12 ms on SQLite).
pub const SEARCH_CAP: u64 = 1_000;

/// Most tickets a filter may hold to be walked, each checked for the words, when the words are
/// common.
const FILTER_WALK: u64 = 5_000;

/// Most indexed words one search word expands to; beyond, its matches are sorted instead.
const EXPANSION: usize = 20;

/// The search-index rows of ticket `id`.
pub fn word_rows(id: i64, title: &str, customer_name: &str) -> Vec<ticket_words::ActiveModel> {
    search_words(title, customer_name)
        .into_iter()
        .map(|w| ticket_words::ActiveModel { word: Set(w), ticket_id: Set(id) })
        .collect()
}

/// Writes (or rewrites) ticket `id`'s search words.
pub async fn index_ticket(
    conn: &impl ConnectionTrait,
    id: i64,
    title: &str,
    customer_name: &str,
) -> Result<(), DbError> {
    ticket_words::Entity::delete_many().filter(ticket_words::Column::TicketId.eq(id)).exec(conn).await?;
    let rows = word_rows(id, title, customer_name);
    if !rows.is_empty() {
        ticket_words::Entity::insert_many(rows).exec_without_returning(conn).await?;
    }
    Ok(())
}

/// Rewrites the search words of every ticket of customer `customer_id`, now called `name`.
pub async fn reindex_customer(conn: &impl ConnectionTrait, customer_id: i64, name: &str) -> Result<(), DbError> {
    let rows: Vec<(i64, String)> = tickets::Entity::find()
        .select_only()
        .column(tickets::Column::Id)
        .column(tickets::Column::Title)
        .filter(tickets::Column::CustomerId.eq(customer_id))
        .into_tuple()
        .all(conn)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
    // One delete and inserts of at most a thousand tickets' words, not two statements a ticket.
    for chunk in ids.chunks(1_000) {
        ticket_words::Entity::delete_many()
            .filter(ticket_words::Column::TicketId.is_in(chunk.to_vec()))
            .exec(conn)
            .await?;
    }
    for chunk in rows.chunks(1_000) {
        let words: Vec<ticket_words::ActiveModel> =
            chunk.iter().flat_map(|(id, title)| word_rows(*id, title, name)).collect();
        if !words.is_empty() {
            ticket_words::Entity::insert_many(words).exec_without_returning(conn).await?;
        }
    }
    Ok(())
}

/// SQL text with a `?` for each value, the values in order: a value is always bound, never
/// formatted into the text. [`Sql::statement`] numbers the placeholders for PostgreSQL (`$1`…);
/// the text holds no other `?` (no literals at all).
#[derive(Debug, Clone, Default)]
struct Sql {
    text: String,
    values: Vec<Value>,
}

impl Sql {
    fn new(text: &str) -> Self {
        Sql { text: text.to_owned(), values: Vec::new() }
    }

    fn push(mut self, text: &str) -> Self {
        self.text.push_str(text);
        self
    }

    fn bind(mut self, value: impl Into<Value>) -> Self {
        self.text.push('?');
        self.values.push(value.into());
        self
    }

    fn append(mut self, other: Sql) -> Self {
        self.text.push_str(&other.text);
        self.values.extend(other.values);
        self
    }

    /// `parts` joined by `sep`.
    fn join(parts: Vec<Sql>, sep: &str) -> Sql {
        let mut out = Sql::default();
        for (i, part) in parts.into_iter().enumerate() {
            if i > 0 {
                out = out.push(sep);
            }
            out = out.append(part);
        }
        out
    }

    fn statement(self, backend: DatabaseBackend) -> Statement {
        let text = match backend {
            DatabaseBackend::Postgres => {
                let mut n = 0;
                let mut numbered = String::with_capacity(self.text.len() + 8);
                for c in self.text.chars() {
                    if c == '?' {
                        n += 1;
                        numbered.push_str(&format!("${n}"));
                    } else {
                        numbered.push(c);
                    }
                }
                numbered
            }
            _ => self.text,
        };
        Statement::from_sql_and_values(backend, text, self.values)
    }
}

/// `column >= ? AND column < ?`: the words starting with `prefix`.
fn prefix_sql(column: &str, prefix: &str) -> Sql {
    let from = Sql::new(column).push(" >= ").bind(prefix);
    match super::prefix_end(prefix) {
        Some(end) => from.push(&format!(" AND {column} < ")).bind(end),
        None => from,
    }
}

/// The filters of `q` on a ticket row aliased `t`, `AND`-joined (`1 = 1` for none).
fn filter_sql(q: &TicketQuery) -> Sql {
    let mut parts = vec![Sql::new("1 = 1")];
    if let Some(s) = q.status {
        parts.push(Sql::new("t.status = ").bind(s.as_str()));
    }
    if let Some(p) = q.priority {
        parts.push(Sql::new("t.priority = ").bind(p.as_str()));
    }
    if let Some(id) = q.technician_id {
        parts.push(Sql::new("t.lead_technician_id = ").bind(id));
    }
    if let Some(id) = q.customer_id {
        parts.push(Sql::new("t.customer_id = ").bind(id));
    }
    if let Some(id) = q.member {
        parts.push(
            Sql::new("(t.lead_technician_id = ")
                .bind(id)
                .push(" OR t.id IN (SELECT tt.ticket_id FROM ticket_team tt WHERE tt.technician_id = ")
                .bind(id)
                .push("))"),
        );
    }
    Sql::join(parts, " AND ")
}

fn has_filter(q: &TicketQuery) -> bool {
    q.status.is_some()
        || q.priority.is_some()
        || q.technician_id.is_some()
        || q.customer_id.is_some()
        || q.member.is_some()
}

/// `EXISTS (…)`: ticket `id_column` has a word starting with `prefix`.
/// `tail` ends the subquery (PostgreSQL's `OFFSET 0`, see [`list`]).
fn has_word_sql(id_column: &str, prefix: &str, tail: &str) -> Sql {
    Sql::new(&format!("EXISTS (SELECT 1 FROM ticket_words o WHERE o.ticket_id = {id_column} AND "))
        .append(prefix_sql("o.word", prefix))
        .push(tail)
        .push(")")
}

async fn ids(conn: &impl ConnectionTrait, sql: Sql) -> Result<Vec<i64>, DbError> {
    let rows = conn.query_all_raw(sql.statement(conn.get_database_backend())).await?;
    Ok(rows.iter().map(|r| r.try_get_by_index::<i64>(0)).collect::<Result<Vec<_>, _>>()?)
}

/// `SELECT COUNT(*) FROM (inner LIMIT cap + 1)`, as `(n, exact)`.
async fn capped(conn: &impl ConnectionTrait, inner: Sql) -> Result<(u64, bool), DbError> {
    let sql = Sql::new("SELECT COUNT(*) FROM (").append(inner).push(" LIMIT ").bind(cap_plus_one()).push(") c");
    let n = ids(conn, sql).await?.first().copied().unwrap_or(0);
    let n = u64::try_from(n).unwrap_or(0);
    Ok(if n > SEARCH_CAP { (SEARCH_CAP, false) } else { (n, true) })
}

fn cap_plus_one() -> i64 {
    i64::try_from(SEARCH_CAP + 1).unwrap_or(i64::MAX)
}

fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// `… ORDER BY column DESC LIMIT ? OFFSET ?`.
fn newest_page(sql: Sql, column: &str, per_page: u64, offset: u64) -> Sql {
    sql.push(&format!(" ORDER BY {column} DESC LIMIT ")).bind(int(per_page)).push(" OFFSET ").bind(int(offset))
}

/// The indexed words starting with `prefix`, at most `EXPANSION + 1`, each found by one index
/// seek from the previous.
async fn expand(conn: &impl ConnectionTrait, prefix: &str) -> Result<Vec<String>, DbError> {
    // Only `> v.word` as the lower bound: given `>= prefix` too, SQLite seeks from the prefix
    // and walks every entry of the previous word (125 k for "redaman": 2 ms instead of 0.05).
    let next = match super::prefix_end(prefix) {
        Some(end) => Sql::new("w.word < ").bind(end),
        None => Sql::new("1 = 1"),
    };
    let sql = Sql::new("WITH RECURSIVE v(word) AS (SELECT MIN(word) FROM ticket_words WHERE ")
        .append(prefix_sql("word", prefix))
        .push(" UNION ALL SELECT (SELECT MIN(w.word) FROM ticket_words w WHERE w.word > v.word AND ")
        .append(next)
        .push(") FROM v WHERE v.word IS NOT NULL) SELECT word FROM v WHERE word IS NOT NULL LIMIT ")
        .bind(int(EXPANSION as u64 + 1));
    let rows = conn.query_all_raw(sql.statement(conn.get_database_backend())).await?;
    let words = rows.iter().map(|r| r.try_get_by_index::<String>(0)).collect::<Result<Vec<_>, _>>()?;
    // Without an end to the range (a prefix of "z"s), the walk may pass the prefix's words.
    Ok(words.into_iter().take_while(|w| w.starts_with(prefix)).collect())
}

/// The count of the filter alone, when it is cheap to know: a status from `ticket_counts`; a
/// customer's or a technician's own tickets are few.
async fn filter_size(conn: &impl ConnectionTrait, q: &TicketQuery) -> Result<Option<u64>, DbError> {
    if q.customer_id.is_some() || q.member.is_some() {
        return Ok(Some(0));
    }
    let Some(status) = q.status else { return Ok(None) };
    let n = crate::entity::ticket_counts::Entity::find_by_id(status.as_str().to_owned())
        .one(conn)
        .await?
        .map_or(0, |r| r.n);
    Ok(Some(u64::try_from(n).unwrap_or(0)))
}

/// One page of the tickets matching every word of `words` and the filters of `q`, newest first.
pub async fn list(
    conn: &impl ConnectionTrait,
    q: &TicketQuery,
    words: &[String],
) -> Result<(Vec<Ticket>, u64, bool), DbError> {
    let per_page = Ord::max(q.per_page, 1);
    let offset = q.page.saturating_sub(1) * per_page;
    let filter = filter_size(conn, q).await?;
    // How common each word is, counted up to the cap from its index range (needless for one
    // word without a filter to weigh it against).
    let mut sizes = Vec::with_capacity(words.len());
    if words.len() > 1 || filter.is_some() {
        for w in words {
            let (n, _) =
                capped(conn, Sql::new("SELECT 1 FROM ticket_words WHERE ").append(prefix_sql("word", w))).await?;
            sizes.push(n);
        }
    }
    let (driver_at, driver_size) =
        sizes.iter().copied().enumerate().min_by_key(|(_, n)| *n).unwrap_or((0, SEARCH_CAP + 1));
    // The filter drives when it is rarer than the words, or small enough to walk when the
    // words are common (open tickets of "siti": the words would be checked to their end).
    let filter_drives = filter.is_some_and(|n| n < driver_size || (driver_size >= SEARCH_CAP && n <= FILTER_WALK));
    let (page, (total, exact)) = match filter_drives {
        true => {
            // On PostgreSQL `OFFSET 0` keeps each check a per-ticket index probe: turned into a
            // semi-join it hashed every ticket of the word ("siti": 24 k) per request (124 ms p99).
            let probe = if conn.get_database_backend() == DatabaseBackend::Postgres { " OFFSET 0" } else { "" };
            let mut cond = vec![filter_sql(q)];
            cond.extend(words.iter().map(|w| has_word_sql("t.id", w, probe)));
            let matching = Sql::new("SELECT t.id FROM tickets t WHERE ").append(Sql::join(cond, " AND "));
            let page = ids(conn, newest_page(matching.clone(), "t.id", per_page, offset)).await?;
            (page, capped(conn, matching).await?)
        }
        false => {
            let driver = &words[driver_at];
            let mut checks: Vec<Sql> = words
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != driver_at)
                .map(|(_, w)| has_word_sql("w.ticket_id", w, ""))
                .collect();
            if has_filter(q) {
                checks.push(
                    Sql::new("EXISTS (SELECT 1 FROM tickets t WHERE t.id = w.ticket_id AND ")
                        .append(filter_sql(q))
                        .push(")"),
                );
            }
            let checks =
                if checks.is_empty() { Sql::default() } else { Sql::new(" AND ").append(Sql::join(checks, " AND ")) };
            let expanded = expand(conn, driver).await?;
            if expanded.is_empty() {
                (Vec::new(), (0, true))
            } else if expanded.len() <= EXPANSION {
                // Each indexed word's newest `limit` matches from its own index range, merged:
                // for the page, and (newest first, so on the pages just read) for the count.
                let merged = |limit: u64| {
                    let parts: Vec<Sql> = expanded
                        .iter()
                        .enumerate()
                        .map(|(i, word)| {
                            Sql::new("SELECT ticket_id FROM (SELECT w.ticket_id FROM ticket_words w WHERE w.word = ")
                                .bind(word.as_str())
                                .append(checks.clone())
                                .push(" ORDER BY w.ticket_id DESC LIMIT ")
                                .bind(int(limit))
                                .push(&format!(") p{i}"))
                        })
                        .collect();
                    Sql::join(parts, " UNION ")
                };
                let page = ids(conn, newest_page(merged(offset + per_page), "ticket_id", per_page, offset)).await?;
                let all = Sql::new("SELECT ticket_id FROM (").append(merged(SEARCH_CAP + 1)).push(") m");
                (page, capped(conn, all).await?)
            } else {
                let matching = Sql::new("SELECT DISTINCT w.ticket_id FROM ticket_words w WHERE ")
                    .append(prefix_sql("w.word", driver))
                    .append(checks);
                let page = ids(conn, newest_page(matching.clone(), "w.ticket_id", per_page, offset)).await?;
                (page, capped(conn, matching).await?)
            }
        }
    };
    Ok((fetch_in_order(conn, &page).await?, total, exact))
}

/// Tickets `ids`, in that order.
async fn fetch_in_order(conn: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<Ticket>, DbError> {
    let mut rows = tickets::Entity::find().filter(tickets::Column::Id.is_in(ids.to_vec())).all(conn).await?;
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
    rows.into_iter().map(Ticket::try_from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aglis_core::ticket::TicketStatus;

    #[test]
    fn values_are_bound_never_written_into_the_text() {
        let p = prefix_sql("word", "red");
        assert_eq!(p.text, "word >= ? AND word < ?");
        assert_eq!(p.values, vec![Value::from("red"), Value::from("ree")]);
        let hostile = prefix_sql("word", "o'neil; DROP TABLE tickets --");
        assert!(!hostile.text.contains("DROP") && !hostile.text.contains('\''), "{}", hostile.text);
        let q = TicketQuery { status: Some(TicketStatus::Open), member: Some(4), ..Default::default() };
        let f = filter_sql(&q);
        assert_eq!(
            f.text,
            "1 = 1 AND t.status = ? AND (t.lead_technician_id = ? OR t.id IN (SELECT tt.ticket_id FROM ticket_team tt \
             WHERE tt.technician_id = ?))"
        );
        assert_eq!(f.values, vec![Value::from("open"), Value::from(4i64), Value::from(4i64)]);
        assert_eq!(filter_sql(&TicketQuery::default()).text, "1 = 1");
    }

    #[test]
    fn postgres_placeholders_are_numbered_in_order() {
        let sql = Sql::new("a = ").bind(1i64).push(" AND b = ").bind("x");
        assert_eq!(sql.clone().statement(DatabaseBackend::Postgres).sql, "a = $1 AND b = $2");
        assert_eq!(sql.statement(DatabaseBackend::Sqlite).sql, "a = ? AND b = ?");
    }
}
