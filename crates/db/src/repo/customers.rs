//! Customers: profile, status dates, ODP port, history, and a list whose search goes through
//! indexes only (code and phone prefixes, name words in `customer_words`), fast at 100 k rows.

use crate::DbError;
use crate::entity::customer_events;
use crate::entity::customer_words;
use crate::entity::customers::{self, Column, Entity};
use aglis_core::customer::{CustomerStatus, search_words};
use aglis_core::enforcement::SuspendReason;
use aglis_core::notification_catalog::Language;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

/// A customer is their row: status and language are read back typed (string-backed enums).
pub use crate::entity::customers::Model as Customer;

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
    pub language: Language,
}

impl From<&Customer> for Profile {
    /// The profile `c` has now (to change one field of it).
    fn from(c: &Customer) -> Self {
        Profile {
            name: c.name.clone(),
            phone: c.phone.clone(),
            email: c.email.clone(),
            ktp: c.ktp.clone(),
            address: c.address.clone(),
            city: c.city.clone(),
            latitude: c.latitude,
            longitude: c.longitude,
            package_id: c.package_id,
            notes: c.notes.clone(),
            language: c.language,
        }
    }
}

/// The search-index rows for customer `id` called `name`: one per word, each carrying the name.
pub fn word_rows(id: i64, name: &str) -> Vec<customer_words::ActiveModel> {
    search_words(name)
        .into_iter()
        .map(|w| customer_words::ActiveModel { word: Set(w), customer_id: Set(id), name: Set(name.to_owned()) })
        .collect()
}

async fn set_words(conn: &impl ConnectionTrait, id: i64, name: &str) -> Result<(), DbError> {
    customer_words::Entity::delete_many().filter(customer_words::Column::CustomerId.eq(id)).exec(conn).await?;
    let rows = word_rows(id, name);
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
        status: Set(status),
        user_id: Set(None),
        notes: Set(p.notes),
        language: Set(p.language),
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
    Ok(model)
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
    let renamed = model.name != p.name;
    let old_package = model.package_id;
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
    a.language = Set(p.language);
    a.updated_at = Set(now);
    let model = a.update(conn).await?;
    set_words(conn, id, &p.name).await?;
    if renamed {
        // Tickets are searched by their customer's name too.
        super::ticket_search::reindex_customer(conn, id, &p.name).await?;
    }
    if old_package != model.package_id {
        // From today (Asia/Jakarta): the run bills each day at the package of that day.
        let day = now.with_timezone(&aglis_core::schedule::JAKARTA).date_naive();
        super::package_changes::record(conn, id, old_package, model.package_id, day, actor, now).await?;
    }
    add_event(conn, id, "updated", changes, actor, now).await?;
    Ok(Some(model))
}

/// Moves a customer to `to` (checked by the caller), stamping its date.
/// Says why a suspended customer is suspended.
pub async fn set_suspend_reason(conn: &impl ConnectionTrait, id: i64, why: SuspendReason) -> Result<(), DbError> {
    Entity::update_many()
        .col_expr(Column::SuspendReason, Expr::value(why.as_str()))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(CustomerStatus::Suspended.as_str()))
        .exec(conn)
        .await?;
    Ok(())
}

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
    // `activated_at` is the first day of service (billing prorates from it): a reactivation
    // after a suspension keeps it.
    let stamp = if to == CustomerStatus::Active {
        Expr::expr(Func::coalesce([Expr::col(column), Expr::value(now)]))
    } else {
        Expr::value(now)
    };
    let mut update = Entity::update_many()
        .col_expr(Column::Status, Expr::value(to.as_str()))
        .col_expr(column, stamp)
        .col_expr(Column::UpdatedAt, Expr::value(now));
    if to == CustomerStatus::Terminated {
        // A terminated customer frees the port (kept in the history).
        update = update.col_expr(Column::OdpPort, Expr::value(Option::<i32>::None));
    }
    // Suspended by hand unless the caller says why ([`set_suspend_reason`]).
    let why = (to == CustomerStatus::Suspended).then_some(SuspendReason::Manual.as_str());
    update = update.col_expr(Column::SuspendReason, Expr::value(why));
    update.filter(Column::Id.eq(id)).exec(conn).await?;
    // The network device follows the new status now (issue 21).
    super::customer_services::desired_changed(conn, id, now).await?;
    // Suspended days are never billed: the span opens and closes with the status (Jakarta days).
    let today = now.with_timezone(&aglis_core::schedule::JAKARTA).date_naive();
    if to == CustomerStatus::Suspended {
        super::service_pauses::open_suspension(conn, id, today, now).await?;
    } else {
        super::service_pauses::close_suspension(conn, id, today).await?;
    }
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
    Ok(Entity::find_by_id(id).one(conn).await?)
}

pub async fn by_phone(conn: &impl ConnectionTrait, phone: &str) -> Result<Option<Customer>, DbError> {
    Ok(Entity::find().filter(Column::Phone.eq(phone)).one(conn).await?)
}

/// The customers with `ids` (any number, read 500 at a time).
pub async fn by_ids(conn: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<Customer>, DbError> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        out.extend(Entity::find().filter(Column::Id.is_in(chunk.to_vec())).all(conn).await?);
    }
    Ok(out)
}

/// `(id, name)` of the customers with `ids`, in one query (a page's worth).
pub async fn names(conn: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<(i64, String)>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(Entity::find()
        .select_only()
        .column(Column::Id)
        .column(Column::Name)
        .filter(Column::Id.is_in(ids.to_vec()))
        .into_tuple()
        .all(conn)
        .await?)
}

pub async fn by_code(conn: &impl ConnectionTrait, code: &str) -> Result<Option<Customer>, DbError> {
    Ok(Entity::find().filter(Column::Code.eq(code)).one(conn).await?)
}

pub async fn by_user(conn: &impl ConnectionTrait, user_id: i64) -> Result<Option<Customer>, DbError> {
    Ok(Entity::find().filter(Column::UserId.eq(user_id)).one(conn).await?)
}

/// The next customer code of the day at `now` (see [`crate::codes::next`]).
pub async fn next_code(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Result<String, aglis_core::codes::SeriesFull>, DbError> {
    let series = aglis_core::customer::code_series(now);
    let highest = highest_code(conn, &series.prefix).await?;
    crate::codes::next(conn, &series, highest.as_deref()).await
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

pub use super::customer_search::{CustomerQuery, Listed, Sort, TOTAL_CAP, list, list_reading_at_most, status_counts};

/// Whether the customer's invoices carry PPN (`true`: none, e.g. an exempt institution).
pub async fn set_tax_exempt(conn: &impl ConnectionTrait, id: i64, exempt: bool) -> Result<(), DbError> {
    customers::Entity::update_many()
        .col_expr(customers::Column::TaxExempt, sea_orm::sea_query::Expr::value(exempt))
        .filter(customers::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Stores the kinds of optional message customer `id` turned off (see `aglis_core::portal`).
pub async fn set_muted(conn: &impl ConnectionTrait, id: i64, muted: &str, now: DateTime<Utc>) -> Result<(), DbError> {
    Entity::update_many()
        .col_expr(Column::MutedMessages, Expr::value(muted.to_owned()))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}
