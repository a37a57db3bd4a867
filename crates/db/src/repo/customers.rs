//! Customers: profile, status dates, ODP port, history, and a list whose search goes through
//! indexes only (code and phone prefixes, name words in `customer_words`), fast at 100 k rows.

use crate::DbError;
use crate::entity::customer_events;
use crate::entity::customer_words;
use crate::entity::customers::{self, Column, Entity};
use aglis_core::customer::{CustomerStatus, search_words};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub phone: String,
    pub email: Option<String>,
    pub ktp: Option<String>,
    pub address: String,
    pub city: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub package_id: i64,
    pub odp_id: Option<i64>,
    pub odp_port: Option<i32>,
    pub status: CustomerStatus,
    pub user_id: Option<i64>,
    pub notes: String,
    pub registered_at: DateTime<Utc>,
    pub activated_at: Option<DateTime<Utc>>,
    pub suspended_at: Option<DateTime<Utc>>,
    pub terminated_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<customers::Model> for Customer {
    type Error = DbError;
    fn try_from(m: customers::Model) -> Result<Self, DbError> {
        Ok(Customer {
            status: m.status.parse().map_err(|e| DbError::Corrupt(format!("customer {}: {e}", m.id)))?,
            id: m.id,
            code: m.code,
            name: m.name,
            phone: m.phone,
            email: m.email,
            ktp: m.ktp,
            address: m.address,
            city: m.city,
            latitude: m.latitude,
            longitude: m.longitude,
            package_id: m.package_id,
            odp_id: m.odp_id,
            odp_port: m.odp_port,
            user_id: m.user_id,
            notes: m.notes,
            registered_at: m.registered_at,
            activated_at: m.activated_at,
            suspended_at: m.suspended_at,
            terminated_at: m.terminated_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

/// A customer's editable profile, checked by the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub name: String,
    pub phone: String,
    pub email: Option<String>,
    pub ktp: Option<String>,
    pub address: String,
    pub city: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub package_id: i64,
    pub notes: String,
}

async fn set_words(conn: &impl ConnectionTrait, id: i64, name: &str) -> Result<(), DbError> {
    customer_words::Entity::delete_many().filter(customer_words::Column::CustomerId.eq(id)).exec(conn).await?;
    let rows: Vec<customer_words::ActiveModel> = search_words(name)
        .into_iter()
        .map(|w| customer_words::ActiveModel { word: Set(w), customer_id: Set(id) })
        .collect();
    if !rows.is_empty() {
        customer_words::Entity::insert_many(rows).exec_without_returning(conn).await?;
    }
    Ok(())
}

/// Appends to a customer's history.
pub async fn add_event(
    conn: &impl ConnectionTrait,
    customer_id: i64,
    kind: &str,
    detail: &str,
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    customer_events::ActiveModel {
        customer_id: Set(customer_id),
        kind: Set(kind.to_owned()),
        detail: Set(detail.chars().take(2000).collect()),
        actor_id: Set(actor),
        at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Creates a customer with `code` and `status`. A taken code or phone is `DbError::Unique`.
pub async fn create(
    conn: &impl ConnectionTrait,
    code: &str,
    p: Profile,
    status: CustomerStatus,
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Customer, DbError> {
    let activated = (status == CustomerStatus::Active).then_some(now);
    let model = customers::ActiveModel {
        code: Set(code.to_owned()),
        name: Set(p.name.clone()),
        phone: Set(p.phone),
        email: Set(p.email),
        ktp: Set(p.ktp),
        address: Set(p.address),
        city: Set(p.city),
        latitude: Set(p.latitude),
        longitude: Set(p.longitude),
        package_id: Set(p.package_id),
        odp_id: Set(None),
        odp_port: Set(None),
        status: Set(status.as_str().to_owned()),
        user_id: Set(None),
        notes: Set(p.notes),
        registered_at: Set(now),
        activated_at: Set(activated),
        suspended_at: Set(None),
        terminated_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    set_words(conn, model.id, &p.name).await?;
    add_event(conn, model.id, "created", &format!("{code} ({status})"), actor, now).await?;
    Customer::try_from(model)
}

/// Replaces the profile. `None` when there is no such customer.
pub async fn update_profile(
    conn: &impl ConnectionTrait,
    id: i64,
    p: Profile,
    changes: &str,
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Option<Customer>, DbError> {
    let Some(model) = Entity::find_by_id(id).one(conn).await? else { return Ok(None) };
    let mut a: customers::ActiveModel = model.into();
    a.name = Set(p.name.clone());
    a.phone = Set(p.phone);
    a.email = Set(p.email);
    a.ktp = Set(p.ktp);
    a.address = Set(p.address);
    a.city = Set(p.city);
    a.latitude = Set(p.latitude);
    a.longitude = Set(p.longitude);
    a.package_id = Set(p.package_id);
    a.notes = Set(p.notes);
    a.updated_at = Set(now);
    let model = a.update(conn).await?;
    set_words(conn, id, &p.name).await?;
    add_event(conn, id, "updated", changes, actor, now).await?;
    Ok(Some(model.try_into()?))
}

/// Moves a customer to `to` (checked by the caller), stamping its date.
pub async fn set_status(
    conn: &impl ConnectionTrait,
    id: i64,
    to: CustomerStatus,
    reason: &str,
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let column = match to {
        CustomerStatus::Prospect => Column::RegisteredAt,
        CustomerStatus::Active => Column::ActivatedAt,
        CustomerStatus::Suspended => Column::SuspendedAt,
        CustomerStatus::Terminated => Column::TerminatedAt,
    };
    let mut update = Entity::update_many()
        .col_expr(Column::Status, Expr::value(to.as_str()))
        .col_expr(column, Expr::value(now))
        .col_expr(Column::UpdatedAt, Expr::value(now));
    if to == CustomerStatus::Terminated {
        // A terminated customer frees the port (kept in the history).
        update = update.col_expr(Column::OdpPort, Expr::value(Option::<i32>::None));
    }
    update.filter(Column::Id.eq(id)).exec(conn).await?;
    let detail = if reason.is_empty() { to.as_str().to_owned() } else { format!("{to}: {reason}") };
    add_event(conn, id, "status", &detail, actor, now).await
}

/// Puts a customer on an ODP port (or takes them off with `None`).
pub async fn set_port(
    conn: &impl ConnectionTrait,
    id: i64,
    port: Option<(i64, i32)>,
    detail: &str,
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    Entity::update_many()
        .col_expr(Column::OdpId, Expr::value(port.map(|p| p.0)))
        .col_expr(Column::OdpPort, Expr::value(port.map(|p| p.1)))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    add_event(conn, id, "port", detail, actor, now).await
}

/// Links (or unlinks) the portal account.
pub async fn set_user(conn: &impl ConnectionTrait, id: i64, user_id: Option<i64>) -> Result<(), DbError> {
    Entity::update_many().col_expr(Column::UserId, Expr::value(user_id)).filter(Column::Id.eq(id)).exec(conn).await?;
    Ok(())
}

pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Customer>, DbError> {
    Entity::find_by_id(id).one(conn).await?.map(Customer::try_from).transpose()
}

pub async fn by_phone(conn: &impl ConnectionTrait, phone: &str) -> Result<Option<Customer>, DbError> {
    Entity::find().filter(Column::Phone.eq(phone)).one(conn).await?.map(Customer::try_from).transpose()
}

pub async fn by_user(conn: &impl ConnectionTrait, user_id: i64) -> Result<Option<Customer>, DbError> {
    Entity::find().filter(Column::UserId.eq(user_id)).one(conn).await?.map(Customer::try_from).transpose()
}

/// The day's highest customer code starting with `prefix` (`AGLS20261125`).
pub async fn highest_code(conn: &impl ConnectionTrait, prefix: &str) -> Result<Option<String>, DbError> {
    Ok(Entity::find()
        .select_only()
        .column(Column::Code)
        .filter(Column::Code.gte(prefix.to_owned()))
        .filter(Column::Code.lt(format!("{prefix}~")))
        .order_by_desc(Column::Code)
        .limit(1)
        .into_tuple::<String>()
        .one(conn)
        .await?)
}

pub async fn events(conn: &impl ConnectionTrait, id: i64) -> Result<Vec<customer_events::Model>, DbError> {
    Ok(customer_events::Entity::find()
        .filter(customer_events::Column::CustomerId.eq(id))
        .order_by_desc(customer_events::Column::Id)
        .all(conn)
        .await?)
}

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
    pub sort: Sort,
    pub page: u64,
    pub per_page: u64,
}

/// The smallest string greater than every string starting with `prefix` (`budi` → `budj`;
/// digits and ASCII letters only), or `None` when there is none.
fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last {
            '0'..='8' | 'a'..='y' | 'A'..='Y' => char::from_u32(last as u32 + 1),
            '9' => Some('a'),
            _ => None,
        };
        if let Some(n) = next {
            chars.push(n);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

fn prefix_range(column: impl ColumnTrait, prefix: &str) -> Condition {
    let mut c = Condition::all().add(column.gte(prefix.to_owned()));
    if let Some(end) = prefix_end(prefix) {
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

/// The condition for name words: the matching ids read up front, plus a subquery for each word
/// too broad to list. `None` when no customer can match.
async fn words_condition(conn: &impl ConnectionTrait, words: &[String]) -> Result<Option<Condition>, DbError> {
    let (ids, broad) = ids_for_words(conn, words).await?;
    let mut c = Condition::all();
    match ids {
        Some(ids) if ids.is_empty() => return Ok(None),
        Some(ids) => c = c.add(Column::Id.is_in(ids)),
        None => {} // every word was broad
    }
    for w in broad {
        c = c.add(Column::Id.in_subquery(word_ids_query(&w)));
    }
    Ok(Some(c))
}

fn word_ids_query(word: &str) -> sea_orm::sea_query::SelectStatement {
    let mut sub = Query::select();
    sub.column(customer_words::Column::CustomerId)
        .from(customer_words::Entity)
        .cond_where(prefix_range(customer_words::Column::Word, word));
    sub.to_owned()
}

/// Most ids a name search resolves up front; a broader word (two letters matching most names)
/// falls back to a subquery.
const MAX_WORD_IDS: u64 = 20_000;

/// The customers whose name has a word starting with each of `words`, read from the words
/// index first: the list query then reads only those rows (by primary key) instead of walking
/// the name index checking each customer, which PostgreSQL's planner prefers for common names.
/// Returns the ids (if any word was narrow enough) and the words too broad to list.
async fn ids_for_words(
    conn: &impl ConnectionTrait,
    words: &[String],
) -> Result<(Option<Vec<i64>>, Vec<String>), DbError> {
    let mut result: Option<std::collections::BTreeSet<i64>> = None;
    let mut broad = Vec::new();
    for w in words {
        let ids: Vec<i64> = customer_words::Entity::find()
            .select_only()
            .column(customer_words::Column::CustomerId)
            .filter(prefix_range(customer_words::Column::Word, w))
            .limit(MAX_WORD_IDS + 1)
            .into_tuple()
            .all(conn)
            .await?;
        if u64::try_from(ids.len()).unwrap_or(u64::MAX) > MAX_WORD_IDS {
            broad.push(w.clone()); // too broad to list: checked by a subquery instead
            continue;
        }
        let set: std::collections::BTreeSet<i64> = ids.into_iter().collect();
        result = Some(match result {
            None => set,
            Some(prev) => prev.intersection(&set).copied().collect(),
        });
    }
    Ok((result.map(|s| s.into_iter().collect()), broad))
}

pub async fn list(conn: &impl ConnectionTrait, query: &CustomerQuery) -> Result<(Vec<Customer>, u64), DbError> {
    let mut cond = Condition::all();
    if let Some(q) = query.q.as_deref().filter(|q| !q.trim().is_empty()) {
        match classify(q) {
            Search::Match(c) => cond = cond.add(c),
            Search::Words(words) => match words_condition(conn, &words).await? {
                Some(c) => cond = cond.add(c),
                None => return Ok((Vec::new(), 0)),
            },
        }
    }
    if let Some(s) = query.status {
        cond = cond.add(Column::Status.eq(s.as_str()));
    }
    if let Some(p) = query.package_id {
        cond = cond.add(Column::PackageId.eq(p));
    }
    if let Some(o) = query.odp_id {
        cond = cond.add(Column::OdpId.eq(o));
    }
    let select = Entity::find().filter(cond);
    let total = select.clone().count(conn).await?;
    let per_page = Ord::max(query.per_page, 1);
    let ordered = match query.sort {
        Sort::Name => select.order_by_asc(Column::Name).order_by_asc(Column::Id),
        Sort::Newest => select.order_by_desc(Column::RegisteredAt).order_by_desc(Column::Id),
        Sort::Code => select.order_by_asc(Column::Code),
    };
    let rows = ordered.offset(query.page.saturating_sub(1) * per_page).limit(per_page).all(conn).await?;
    Ok((rows.into_iter().map(Customer::try_from).collect::<Result<_, _>>()?, total))
}

/// Customers per status (every status present).
pub async fn status_counts(conn: &impl ConnectionTrait) -> Result<Vec<(CustomerStatus, i64)>, DbError> {
    let rows: Vec<(String, i64)> = Entity::find()
        .select_only()
        .column(Column::Status)
        .column_as(Expr::col(Column::Id).count(), "n")
        .group_by(Column::Status)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(CustomerStatus::ALL
        .iter()
        .map(|s| (*s, rows.iter().find(|(n, _)| n == s.as_str()).map_or(0, |(_, n)| *n)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::prefix_end;

    #[test]
    fn prefix_ends() {
        assert_eq!(prefix_end("budi").as_deref(), Some("budj"));
        assert_eq!(prefix_end("aziz").as_deref(), Some("azj"));
        assert_eq!(prefix_end("62819").as_deref(), Some("6281a"));
        assert_eq!(prefix_end("AGLS2026112"), Some("AGLS2026113".into()));
        assert_eq!(prefix_end("zz"), None);
    }
}
