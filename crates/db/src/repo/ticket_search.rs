//! Ticket text search at a million tickets: words of the title and of the customer's name in
//! `ticket_words` (migration m0014), kept in the ticket's own transaction.
//!
//! Each search word matches the start of a word ("red" finds "redaman"), through the shared word
//! search ([`super::word_search`]): the rarest word's index ranges drive and the other words and
//! the filters (status, technician…) are checked per candidate. Tickets add one path: when a
//! filter is rarer than the words (open tickets of "siti"), the filter's index drives instead and
//! the words are checked per ticket.
//!
//! Totals are counted up to [`SEARCH_CAP`] ("1000+": add a word or a filter). Every value (search
//! words, statuses, ids, limits) is a bound parameter; the SQL text is built from fixed pieces
//! only ([`Sql`]).

use super::tickets::{Ticket, TicketQuery};
use crate::DbError;
use crate::entity::{ticket_words, tickets};
use aglis_core::ticket::search_words;

use super::word_search::{
    SEARCH_CAP, TICKET_WORDS, capped, has_word_sql, ids, newest_page, rarest, search, word_sizes,
};
use crate::sql::Sql;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QuerySelect, Set};

/// Most tickets a filter may hold to be walked, each checked for the words, when the words are
/// common.
const FILTER_WALK: u64 = 5_000;

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

/// The filters of `q` on a ticket row aliased `t`, `AND`-joined (`1 = 1` for none).
fn filter_sql(q: &TicketQuery) -> Sql {
    let mut parts = vec![Sql::new("1 = 1")];
    if let Some(s) = q.status {
        parts.push(Sql::new("t.status = ").bind(s.as_str()));
    }
    if let Some(statuses) = q.scope_statuses() {
        let mut list = Sql::new("t.status IN (");
        for (i, st) in statuses.iter().enumerate() {
            list = if i == 0 { list } else { list.push(", ") }.bind(st.as_str());
        }
        parts.push(list.push(")"));
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
        || q.scope_statuses().is_some()
        || q.priority.is_some()
        || q.technician_id.is_some()
        || q.customer_id.is_some()
        || q.member.is_some()
}

/// The count of the filter alone, when it is cheap to know: a status from `ticket_counts`; a
/// customer's or a technician's own tickets are few.
async fn filter_size(conn: &impl ConnectionTrait, q: &TicketQuery) -> Result<Option<u64>, DbError> {
    if q.customer_id.is_some() || q.member.is_some() {
        return Ok(Some(0));
    }
    let statuses = match (q.status, q.scope_statuses()) {
        (Some(status), _) => vec![status],
        (None, Some(scope)) => scope,
        (None, None) => return Ok(None),
    };
    let n: i64 = crate::entity::ticket_counts::Entity::find()
        .filter(crate::entity::ticket_counts::Column::Status.is_in(statuses.iter().map(|s| s.as_str())))
        .all(conn)
        .await?
        .iter()
        .map(|r| r.n)
        .sum();
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
    let sizes =
        if words.len() > 1 || filter.is_some() { word_sizes(conn, &TICKET_WORDS, words).await? } else { Vec::new() };
    let (driver_at, driver_size) = rarest(&sizes);
    // The filter drives when it is rarer than the words, or small enough to walk when the
    // words are common (open tickets of "siti": the words would be checked to their end).
    let filter_drives = filter.is_some_and(|n| n < driver_size || (driver_size >= SEARCH_CAP && n <= FILTER_WALK));
    let (page, total, exact) = if filter_drives {
        // On PostgreSQL `OFFSET 0` keeps each check a per-ticket index probe: turned into a
        // semi-join it hashed every ticket of the word ("siti": 24 k) per request (124 ms p99).
        let probe = if conn.get_database_backend() == DatabaseBackend::Postgres { " OFFSET 0" } else { "" };
        let mut cond = vec![filter_sql(q)];
        cond.extend(words.iter().map(|w| has_word_sql(&TICKET_WORDS, "t.id", w, probe)));
        let matching = Sql::new("SELECT t.id FROM tickets t WHERE ").append(Sql::join(cond, " AND "));
        let page = ids(conn, newest_page(matching.clone(), "t.id", per_page, offset)).await?;
        let (total, exact) = capped(conn, matching).await?;
        (page, total, exact)
    } else {
        let check = has_filter(q).then(|| {
            Sql::new("EXISTS (SELECT 1 FROM tickets t WHERE t.id = w.ticket_id AND ").append(filter_sql(q)).push(")")
        });
        search(conn, &TICKET_WORDS, words, driver_at, check, per_page, offset).await?
    };
    Ok((fetch_in_order(conn, &page).await?, total, exact))
}

/// Tickets `ids`, in that order.
async fn fetch_in_order(conn: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<Ticket>, DbError> {
    let mut rows = tickets::Entity::find().filter(tickets::Column::Id.is_in(ids.to_vec())).all(conn).await?;
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aglis_core::ticket::TicketStatus;
    use sea_orm::Value;

    #[test]
    fn filters_are_bound() {
        let q = TicketQuery { status: Some(TicketStatus::Open), member: Some(4), ..Default::default() };
        let f = filter_sql(&q);
        assert_eq!(
            f.text,
            "1 = 1 AND t.status = ? AND (t.lead_technician_id = ? OR t.id IN (SELECT tt.ticket_id FROM ticket_team tt \
             WHERE tt.technician_id = ?))"
        );
        assert_eq!(f.values, vec![Value::from("open"), Value::from(4i64), Value::from(4i64)]);
        assert_eq!(filter_sql(&TicketQuery::default()).text, "1 = 1");
        let done = TicketQuery { scope: Some(aglis_core::ticket::TicketScope::Done), ..Default::default() };
        assert_eq!(filter_sql(&done).text, "1 = 1 AND t.status IN (?, ?, ?)");
        let all = TicketQuery { scope: Some(aglis_core::ticket::TicketScope::All), ..Default::default() };
        assert_eq!(filter_sql(&all).text, "1 = 1");
    }
}
