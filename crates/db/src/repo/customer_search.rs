//! The customer list: search, filters, sort and pages that stay fast at 100 k customers.
//!
//! Nothing here scans `customers` or counts its rows per request:
//! - the unfiltered total (or by status and package) is a sum over `customer_counts`, which
//!   triggers keep (migration m0009); other totals are counted up to [`TOTAL_CAP`] and shown as
//!   "10.000+" beyond it;
//! - a page is two queries: the page's ids from an index (`ORDER BY … LIMIT … OFFSET`, which
//!   walks only the index), then those rows by primary key;
//! - a name search reads its matches with their names from `customer_words` (one covering index
//!   range per word, intersected in SQL), lets the engine sort those index entries and fetches
//!   only the page's rows. Joined to `customers` instead, PostgreSQL walks the whole name index
//!   looking for "Siti…" (40 ms a request).

use super::customers::Customer;
use crate::DbError;
use crate::entity::customer_counts;
use crate::entity::customer_words;
use crate::entity::customers::{Column, Entity};
use aglis_core::customer::{CustomerStatus, search_words};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query, SelectStatement, UnionType};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Name,
    Newest,
    Code,
}

#[derive(Debug, Clone, Default)]
pub struct CustomerQuery {
    /// A code (`AGLS…`), a phone number (`0812…`, `62812…`) or words of the name, each matched by prefix.
    pub q: Option<String>,
    pub status: Option<CustomerStatus>,
    pub package_id: Option<i64>,
    pub odp_id: Option<i64>,
    /// Postpaid or prepaid customers only.
    pub billing_mode: Option<aglis_core::prepaid::BillingMode>,
    pub sort: Sort,
    pub page: u64,
    pub per_page: u64,
}

impl CustomerQuery {
    fn filtered(&self) -> bool {
        self.status.is_some() || self.package_id.is_some() || self.odp_id.is_some() || self.billing_mode.is_some()
    }

    fn offset(&self) -> u64 {
        self.page.saturating_sub(1) * self.per_page()
    }

    fn per_page(&self) -> u64 {
        Ord::max(self.per_page, 1)
    }
}

/// One page of customers and how many match in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub items: Vec<Customer>,
    /// Every match, or [`TOTAL_CAP`] when there are more (then `exact` is false).
    pub total: u64,
    pub exact: bool,
}

/// Totals that cannot be read from `customer_counts` are counted this far and no further.
pub const TOTAL_CAP: u64 = 10_000;

/// Most index entries a name search reads itself to filter and sort (a common first name at
/// 100 k customers has about 2,500); a broader one (two common letters) is left to the engine.
const MAX_CANDIDATES: u64 = 10_000;

fn prefix_range(column: impl ColumnTrait, prefix: &str) -> Condition {
    let mut c = Condition::all().add(column.gte(prefix.to_owned()));
    if let Some(end) = super::prefix_end(prefix) {
        c = c.add(column.lt(end));
    }
    c
}

/// What a search text means.
enum Search {
    /// A code or phone-number prefix (or nothing searchable).
    Match(Condition),
    /// Words of a name, each matched from its start.
    Words(Vec<String>),
}

fn classify(q: &str) -> Search {
    let trimmed = q.trim();
    let upper = trimmed.to_uppercase();
    if upper.starts_with("AGLS") && upper[4..].chars().all(|c| c.is_ascii_digit()) {
        return Search::Match(prefix_range(Column::Code, &upper));
    }
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    let phoneish = trimmed.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')' | '.'));
    if phoneish && digits.len() >= 3 {
        let normalised = if let Some(rest) = digits.strip_prefix('0') {
            format!("62{rest}")
        } else if digits.starts_with('8') {
            format!("62{digits}")
        } else {
            digits
        };
        return Search::Match(prefix_range(Column::Phone, &normalised));
    }
    let words = search_words(trimmed);
    if words.is_empty() {
        // Nothing searchable (one letter, punctuation): match nothing rather than everything.
        return Search::Match(Condition::all().add(Column::Id.eq(-1)));
    }
    Search::Words(words)
}

/// `SELECT customer_id FROM customer_words WHERE word` starts with `word`.
fn word_ids_query(word: &str) -> SelectStatement {
    Query::select()
        .column(customer_words::Column::CustomerId)
        .from(customer_words::Entity)
        .cond_where(prefix_range(customer_words::Column::Word, word))
        .to_owned()
}

/// Customers having a name word starting with each of `words`, as a condition on `customers.id`.
fn words_condition(words: &[String]) -> Condition {
    words.iter().fold(Condition::all(), |c, w| c.add(Column::Id.in_subquery(word_ids_query(w))))
}

/// `SELECT customer_id, name FROM customer_words WHERE word` starts with `word`: a range of the
/// covering index (`word`, `name`, `customer_id`).
fn word_range(word: &str) -> SelectStatement {
    Query::select()
        .column((customer_words::Entity, customer_words::Column::CustomerId))
        .column((customer_words::Entity, customer_words::Column::Name))
        .from(customer_words::Entity)
        .cond_where(prefix_range(customer_words::Column::Word, word))
        .to_owned()
}

/// Reads `Option<i64>` of a query's first row's `n`.
async fn count_of(conn: &impl ConnectionTrait, stmt: SelectStatement) -> Result<u64, DbError> {
    let n: i64 = match conn.query_one(&stmt).await? {
        Some(r) => r.try_get("", "n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

fn ids_of(rows: &[sea_orm::QueryResult]) -> Result<Vec<i64>, DbError> {
    Ok(rows.iter().map(|r| r.try_get_by_index::<i64>(0)).collect::<Result<Vec<_>, _>>()?)
}

/// One word, no filter, in name order (the commonest search): the engine groups and sorts the
/// word's index entries and counts them, never touching `customers`. A customer whose two
/// words share the prefix is one match.
async fn one_word_page(conn: &impl ConnectionTrait, word: &str, query: &CustomerQuery) -> Result<Listed, DbError> {
    let (name, id) = (customer_words::Column::Name, customer_words::Column::CustomerId);
    let mut page = word_range(word);
    page.group_by_columns([name, id])
        .order_by(name, Order::Asc)
        .order_by(id, Order::Asc)
        .limit(query.per_page())
        .offset(query.offset());
    let ids = ids_of(&conn.query_all(&page).await?)?;
    let count = Query::select()
        .expr_as(Expr::cust("COUNT(DISTINCT customer_id)"), Alias::new("n"))
        .from(customer_words::Entity)
        .cond_where(prefix_range(customer_words::Column::Word, word))
        .to_owned();
    let total = count_of(conn, count).await?;
    Ok(Listed { items: fetch_in_order(conn, &ids).await?, total, exact: true })
}

/// `(customer_id, name)` of the customers matching every word, each once: the words' ranges
/// intersected on (id, name), which is the same for every word of a customer.
fn intersected(words: &[String]) -> SelectStatement {
    let (first, rest) = words.split_first().map_or(("", &[][..]), |(f, r)| (f.as_str(), r));
    let mut select = word_range(first);
    for w in rest {
        select.union(UnionType::Intersect, word_range(w));
    }
    select
}

/// Several words, no filter, in name order, too many candidates to read: the word ranges
/// intersected on (id, name) (the same for every word of a customer), sorted and counted by
/// the engine.
async fn intersected_page(
    conn: &impl ConnectionTrait,
    words: &[String],
    query: &CustomerQuery,
) -> Result<Listed, DbError> {
    let mut page = intersected(words);
    page.order_by(customer_words::Column::Name, Order::Asc)
        .order_by(customer_words::Column::CustomerId, Order::Asc)
        .limit(query.per_page())
        .offset(query.offset());
    let ids = ids_of(&conn.query_all(&page).await?)?;
    let count = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from_subquery(intersected(words), Alias::new("m"))
        .to_owned();
    let total = count_of(conn, count).await?;
    Ok(Listed { items: fetch_in_order(conn, &ids).await?, total, exact: true })
}

/// How a candidate sorts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Name(String),
    Newest(std::cmp::Reverse<DateTime<Utc>>),
    Code(String),
}

/// The ids of `(key, tie-break, id)` triples, sorted.
fn in_key_order(mut keyed: Vec<(Key, i64, i64)>) -> Vec<i64> {
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, _, id)| id).collect()
}

/// The column a sort orders by.
fn key_column(sort: Sort) -> Column {
    match sort {
        Sort::Name => Column::Name,
        Sort::Newest => Column::RegisteredAt,
        Sort::Code => Column::Code,
    }
}

/// The sort key in column `index` of `row`, and the id tie-break (the newest sort's highest first).
fn key_at(row: &sea_orm::QueryResult, index: usize, sort: Sort, id: i64) -> Result<(Key, i64), DbError> {
    Ok(match sort {
        Sort::Name => (Key::Name(row.try_get_by_index(index)?), id),
        Sort::Newest => (Key::Newest(std::cmp::Reverse(row.try_get_by_index(index)?)), -id),
        Sort::Code => (Key::Code(row.try_get_by_index(index)?), id),
    })
}

/// Every customer matching the words and `cond`, in `sort` order, when there are at most
/// `max_candidates` index entries to read (else `None`).
///
/// The word's index range (several words: the ranges intersected) is read with each entry's
/// name and the (bounded) set is sorted here. When a filter or the sort needs `customers`, its
/// rows are read by primary key: on SQLite joined in the same query, in that order (`CROSS
/// JOIN`; left to choose, it walks a status index probing each row); on PostgreSQL by a
/// second query on the id list (joined, its planner scans the table).
async fn candidates(
    conn: &impl ConnectionTrait,
    words: &[String],
    cond: Condition,
    query: &CustomerQuery,
    max_candidates: u64,
) -> Result<Option<Vec<i64>>, DbError> {
    let needs_customers = query.filtered() || query.sort != Sort::Name;
    let sqlite = conn.get_database_backend() == sea_orm::DatabaseBackend::Sqlite;
    let mut select = match words {
        [] => return Ok(Some(Vec::new())),
        [word] => word_range(word),
        _ if sqlite => return intersected_ids(conn, words, cond, query.sort, max_candidates).await,
        _ => intersected(words),
    };
    let joined = needs_customers && sqlite;
    if joined {
        // SeaQuery writes no `ON` for a cross join: the condition goes in `WHERE`.
        let on = Expr::col((Entity, Column::Id)).equals((customer_words::Entity, customer_words::Column::CustomerId));
        select.join(JoinType::CrossJoin, Entity, on.clone()).and_where(on).cond_where(cond.clone());
        select.column((Entity, key_column(query.sort)));
    }
    select.limit(max_candidates + 1);
    let rows = conn.query_all(&select).await?;
    if u64::try_from(rows.len()).unwrap_or(u64::MAX) > max_candidates {
        return Ok(None);
    }
    let mut keyed = Vec::with_capacity(rows.len());
    let mut seen = std::collections::HashSet::new();
    for r in &rows {
        let id: i64 = r.try_get_by_index(0)?;
        if !seen.insert(id) {
            continue; // two words of one name share the prefix
        }
        let (key, tie) = match (needs_customers, joined) {
            (false, _) => key_at(r, 1, query.sort, id)?,
            (true, true) => key_at(r, 2, query.sort, id)?,
            (true, false) => (Key::Name(String::new()), id), // read below
        };
        keyed.push((key, tie, id));
    }
    if needs_customers && !joined && !keyed.is_empty() {
        let ids: Vec<i64> = keyed.iter().map(|k| k.2).collect();
        let by_id = Entity::find()
            .select_only()
            .column(Column::Id)
            .column(key_column(query.sort))
            .filter(cond.add(Column::Id.is_in(ids)))
            .into_query();
        keyed.clear();
        for r in &conn.query_all(&by_id).await? {
            let id: i64 = r.try_get_by_index(0)?;
            let (key, tie) = key_at(r, 1, query.sort, id)?;
            keyed.push((key, tie, id));
        }
    }
    Ok(Some(in_key_order(keyed)))
}

/// SQLite, several words: the words' id ranges intersected (integers, from the primary key
/// index), then those customers by primary key with their sort key, sorted here. Reading the
/// longest word's entries with their names instead costs twice as much.
async fn intersected_ids(
    conn: &impl ConnectionTrait,
    words: &[String],
    cond: Condition,
    sort: Sort,
    max_candidates: u64,
) -> Result<Option<Vec<i64>>, DbError> {
    let mut ids = word_ids_query(&words[0]);
    for w in &words[1..] {
        ids.union(UnionType::Intersect, word_ids_query(w));
    }
    let select = Entity::find()
        .select_only()
        .column(Column::Id)
        .column(key_column(sort))
        .filter(cond.add(Column::Id.in_subquery(ids)))
        .limit(max_candidates + 1)
        .into_query();
    let rows = conn.query_all(&select).await?;
    if u64::try_from(rows.len()).unwrap_or(u64::MAX) > max_candidates {
        return Ok(None);
    }
    let mut keyed = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: i64 = r.try_get_by_index(0)?;
        let (key, tie) = key_at(r, 1, sort, id)?;
        keyed.push((key, tie, id));
    }
    Ok(Some(in_key_order(keyed)))
}

/// The rows with `ids`, in that order.
async fn fetch_in_order(conn: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<Customer>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut by_id: HashMap<i64, _> =
        Entity::find().filter(Column::Id.is_in(ids.to_vec())).all(conn).await?.into_iter().map(|m| (m.id, m)).collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

fn page_of<T: Clone>(all: &[T], query: &CustomerQuery) -> Vec<T> {
    let start = usize::try_from(query.offset()).unwrap_or(usize::MAX).min(all.len());
    let len = usize::try_from(query.per_page()).unwrap_or(usize::MAX);
    all[start..].iter().take(len).cloned().collect()
}

/// `SELECT id FROM customers WHERE cond ORDER BY` the sort's index columns.
fn sorted_ids(cond: Condition, sort: Sort) -> sea_orm::Select<Entity> {
    let select = Entity::find().select_only().column(Column::Id).filter(cond);
    match sort {
        Sort::Name => select.order_by_asc(Column::Name).order_by_asc(Column::Id),
        Sort::Newest => select.order_by_desc(Column::RegisteredAt).order_by_desc(Column::Id),
        Sort::Code => select.order_by_asc(Column::Code),
    }
}

/// Customers matching `cond`, one page in `query.sort` order, with a capped total.
async fn indexed_page(conn: &impl ConnectionTrait, cond: Condition, query: &CustomerQuery) -> Result<Listed, DbError> {
    let ids: Vec<i64> = sorted_ids(cond.clone(), query.sort)
        .offset(query.offset())
        .limit(query.per_page())
        .into_tuple()
        .all(conn)
        .await?;
    let items = fetch_in_order(conn, &ids).await?;
    let (total, exact) = if query.q.is_none() && query.odp_id.is_none() && query.billing_mode.is_none() {
        (counted(conn, query.status, query.package_id).await?, true)
    } else {
        capped_count(conn, cond).await?
    };
    Ok(Listed { items, total, exact })
}

/// `SELECT COUNT(*) FROM (SELECT id FROM customers WHERE cond LIMIT cap + 1)`.
async fn capped_count(conn: &impl ConnectionTrait, cond: Condition) -> Result<(u64, bool), DbError> {
    let inner = Entity::find().select_only().column(Column::Id).filter(cond).limit(TOTAL_CAP + 1).into_query();
    super::capped_count(conn, inner, TOTAL_CAP).await
}

/// Customers with `status` and `package` (either or both open), from `customer_counts`.
async fn counted(
    conn: &impl ConnectionTrait,
    status: Option<CustomerStatus>,
    package: Option<i64>,
) -> Result<u64, DbError> {
    let rows = customer_counts::Entity::find().all(conn).await?;
    let n: i64 = rows
        .iter()
        .filter(|r| status.is_none_or(|s| r.status == s.as_str()))
        .filter(|r| package.is_none_or(|p| r.package_id == p))
        .map(|r| r.n)
        .sum();
    Ok(u64::try_from(n).unwrap_or(0))
}

pub async fn list(conn: &impl ConnectionTrait, query: &CustomerQuery) -> Result<Listed, DbError> {
    list_reading_at_most(conn, query, MAX_CANDIDATES).await
}

/// [`list`], reading at most `max_candidates` index entries itself before leaving a name
/// search to the engine. Tests give a small number to prove both ways find the same page.
#[doc(hidden)]
pub async fn list_reading_at_most(
    conn: &impl ConnectionTrait,
    query: &CustomerQuery,
    max_candidates: u64,
) -> Result<Listed, DbError> {
    let mut cond = Condition::all();
    if let Some(s) = query.status {
        cond = cond.add(Column::Status.eq(s.as_str()));
    }
    if let Some(p) = query.package_id {
        cond = cond.add(Column::PackageId.eq(p));
    }
    if let Some(o) = query.odp_id {
        cond = cond.add(Column::OdpId.eq(o));
    }
    if let Some(m) = query.billing_mode {
        cond = cond.add(Column::BillingMode.eq(m.as_str()));
    }
    let Some(q) = query.q.as_deref().filter(|q| !q.trim().is_empty()) else {
        let unsearched = CustomerQuery { q: None, ..query.clone() };
        return indexed_page(conn, cond, &unsearched).await;
    };
    let words = match classify(q) {
        Search::Match(m) => return indexed_page(conn, cond.add(m), query).await,
        Search::Words(words) => words,
    };
    let plain = !query.filtered() && query.sort == Sort::Name;
    if let (true, [word]) = (plain, words.as_slice()) {
        return one_word_page(conn, word, query).await;
    }
    if let Some(ids) = candidates(conn, &words, cond.clone(), query, max_candidates).await? {
        let total = u64::try_from(ids.len()).unwrap_or(u64::MAX);
        return Ok(Listed { items: fetch_in_order(conn, &page_of(&ids, query)).await?, total, exact: true });
    }
    if plain {
        return intersected_page(conn, &words, query).await;
    }
    // Broad words with a filter (say, two letters among active customers): the indexes of
    // `customers`, with a capped total.
    indexed_page(conn, cond.add(words_condition(&words)), query).await
}

/// Customers per status (every status present), from `customer_counts`.
pub async fn status_counts(conn: &impl ConnectionTrait) -> Result<Vec<(CustomerStatus, i64)>, DbError> {
    let rows = customer_counts::Entity::find().all(conn).await?;
    Ok(CustomerStatus::ALL
        .iter()
        .map(|s| (*s, rows.iter().filter(|r| r.status == s.as_str()).map(|r| r.n).sum()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ends() {
        use crate::repo::prefix_end;
        assert_eq!(prefix_end("budi").as_deref(), Some("budj"));
        assert_eq!(prefix_end("aziz").as_deref(), Some("azj"));
        assert_eq!(prefix_end("62819").as_deref(), Some("6281a"));
        assert_eq!(prefix_end("AGLS2026112"), Some("AGLS2026113".into()));
        assert_eq!(prefix_end("zz"), None);
    }

    #[test]
    fn pages_of_a_sorted_set() {
        let all: Vec<i64> = (1..=60).collect();
        let q = |page| CustomerQuery { page, per_page: 25, ..Default::default() };
        assert_eq!(page_of(&all, &q(1)), (1..=25).collect::<Vec<_>>());
        assert_eq!(page_of(&all, &q(3)), (51..=60).collect::<Vec<_>>());
        assert!(page_of(&all, &q(4)).is_empty());
        assert!(page_of(&all, &q(1_000_000)).is_empty());
    }
}
