//! Customers' services on network devices (issue 21): the binding, what the device was last made
//! to do, the retry state of a failing device, the log of changes, and the policy's runs.

use crate::DbError;
use crate::entity::customer_services::{self, Column, Entity};
use crate::entity::customers;
use crate::entity::network_actions;
use crate::entity::suspension_runs;
use aglis_core::customer::CustomerStatus;
use aglis_core::enforcement::{Method, ServiceState};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

pub use crate::entity::customer_services::Model as Service;
pub use crate::entity::network_actions::Model as Action;
pub use crate::entity::suspension_runs::Model as Run;

/// Binds a customer's service to a device and identity (replacing a previous binding); the
/// reconciler looks at it at once. A new device or identity forgets what was applied.
pub async fn bind(
    conn: &impl ConnectionTrait,
    customer_id: i64,
    device_id: i64,
    method: Method,
    identity: &str,
    now: DateTime<Utc>,
) -> Result<Service, DbError> {
    if let Some(old) = get(conn, customer_id).await? {
        let same = old.device_id == device_id && old.identity == identity && old.method == method;
        let mut m: customer_services::ActiveModel = old.into();
        m.device_id = Set(device_id);
        m.method = Set(method);
        m.identity = Set(identity.to_owned());
        if !same {
            m.applied = Set(None);
            m.applied_at = Set(None);
            m.paid_profile = Set(None);
        }
        m.failures = Set(0);
        m.next_attempt_at = Set(Some(now));
        m.last_error = Set(String::new());
        m.updated_at = Set(now);
        return Ok(m.update(conn).await?);
    }
    Ok(customer_services::ActiveModel {
        customer_id: Set(customer_id),
        device_id: Set(device_id),
        method: Set(method),
        identity: Set(identity.to_owned()),
        paid_profile: Set(None),
        applied: Set(None),
        applied_at: Set(None),
        checked_at: Set(None),
        failures: Set(0),
        next_attempt_at: Set(Some(now)),
        last_error: Set(String::new()),
        desired_since: Set(now),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?)
}

pub async fn get(conn: &impl ConnectionTrait, customer_id: i64) -> Result<Option<Service>, DbError> {
    Ok(Entity::find_by_id(customer_id).one(conn).await?)
}

/// The service bound to `identity` on `device_id` (the isolation page finds a customer by address).
pub async fn by_identity(
    conn: &impl ConnectionTrait,
    device_id: Option<i64>,
    identity: &str,
) -> Result<Option<Service>, DbError> {
    let mut q = Entity::find().filter(Column::Identity.eq(identity));
    if let Some(d) = device_id {
        q = q.filter(Column::DeviceId.eq(d));
    }
    Ok(q.order_by_asc(Column::CustomerId).one(conn).await?)
}

/// The customer's status changed: the service is looked at now, its failures forgotten.
pub async fn desired_changed(conn: &impl ConnectionTrait, customer_id: i64, now: DateTime<Utc>) -> Result<(), DbError> {
    Entity::update_many()
        .col_expr(Column::DesiredSince, Expr::value(now))
        .col_expr(Column::Failures, Expr::value(0))
        .col_expr(Column::NextAttemptAt, Expr::value(now))
        .col_expr(Column::LastError, Expr::value(""))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::CustomerId.eq(customer_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Services the reconciler should look at, with their customer's status: a try is due, or the
/// device was not read since `stale_before` (the drift check). Oldest first, at most `limit`.
pub async fn due(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    stale_before: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<(Service, CustomerStatus)>, DbError> {
    let services = Entity::find()
        .filter(
            Condition::any()
                .add(Column::NextAttemptAt.lte(now))
                .add(Column::CheckedAt.is_null())
                .add(Column::CheckedAt.lt(stale_before)),
        )
        // Tries that are due first (engines sort NULL differently), then the longest unread.
        .order_by(Expr::col(Column::NextAttemptAt).is_null(), sea_orm::Order::Asc)
        .order_by_asc(Column::NextAttemptAt)
        .order_by_asc(Column::CheckedAt)
        .limit(limit)
        .all(conn)
        .await?;
    with_status(conn, services).await
}

/// Pairs services with their customer's status (a service whose customer is gone is left out).
pub async fn with_status(
    conn: &impl ConnectionTrait,
    services: Vec<Service>,
) -> Result<Vec<(Service, CustomerStatus)>, DbError> {
    if services.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = services.iter().map(|s| s.customer_id).collect();
    let statuses: Vec<(i64, CustomerStatus)> = customers::Entity::find()
        .select_only()
        .column(customers::Column::Id)
        .column(customers::Column::Status)
        .filter(customers::Column::Id.is_in(ids))
        .into_tuple()
        .all(conn)
        .await?;
    let statuses: std::collections::HashMap<i64, CustomerStatus> = statuses.into_iter().collect();
    Ok(services.into_iter().filter_map(|s| statuses.get(&s.customer_id).map(|st| (s, *st))).collect())
}

/// The device now does `applied` (read back or written): failures are forgotten; `applied_at`
/// moves only when the state changed; `paid_profile`, when given, is remembered.
pub async fn record_applied(
    conn: &impl ConnectionTrait,
    s: &Service,
    applied: ServiceState,
    paid_profile: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let mut update = Entity::update_many()
        .col_expr(Column::Applied, Expr::value(applied.as_str()))
        .col_expr(Column::CheckedAt, Expr::value(now))
        .col_expr(Column::Failures, Expr::value(0))
        .col_expr(Column::NextAttemptAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(Column::LastError, Expr::value(""))
        .col_expr(Column::UpdatedAt, Expr::value(now));
    if s.applied != Some(applied) {
        update = update.col_expr(Column::AppliedAt, Expr::value(now));
    }
    if let Some(p) = paid_profile {
        update = update.col_expr(Column::PaidProfile, Expr::value(p));
    }
    update.filter(Column::CustomerId.eq(s.customer_id)).exec(conn).await?;
    Ok(())
}

/// A try failed: the error, and when to try again.
pub async fn record_failure(
    conn: &impl ConnectionTrait,
    customer_id: i64,
    failures: i32,
    error: &str,
    next_attempt_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    Entity::update_many()
        .col_expr(Column::CheckedAt, Expr::value(now))
        .col_expr(Column::Failures, Expr::value(failures))
        .col_expr(Column::NextAttemptAt, Expr::value(next_attempt_at))
        .col_expr(Column::LastError, Expr::value(error.chars().take(500).collect::<String>()))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::CustomerId.eq(customer_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Active customers whose device still isolates them although their status changed before
/// `before`: "paid but still isolated". At most `limit`, with their total.
pub async fn active_but_suspended(
    conn: &impl ConnectionTrait,
    before: DateTime<Utc>,
    limit: usize,
) -> Result<(Vec<Service>, usize), DbError> {
    let services = Entity::find()
        .filter(Column::Applied.eq(ServiceState::Suspended.as_str()))
        .filter(Column::DesiredSince.lt(before))
        .order_by_asc(Column::DesiredSince)
        .all(conn)
        .await?;
    let stuck: Vec<Service> = with_status(conn, services)
        .await?
        .into_iter()
        .filter(|(_, st)| *st == CustomerStatus::Active)
        .map(|(s, _)| s)
        .collect();
    let total = stuck.len();
    Ok((stuck.into_iter().take(limit).collect(), total))
}

/// Services bound to a device.
pub async fn count_on_device(conn: &impl ConnectionTrait, device_id: i64) -> Result<u64, DbError> {
    Ok(Entity::find().filter(Column::DeviceId.eq(device_id)).count(conn).await?)
}

/// `(device id, bound, applied suspended)` for every device with services.
pub async fn device_counts(conn: &impl ConnectionTrait) -> Result<Vec<(i64, i64, i64)>, DbError> {
    let rows: Vec<(i64, Option<ServiceState>)> =
        Entity::find().select_only().column(Column::DeviceId).column(Column::Applied).into_tuple().all(conn).await?;
    let mut out: Vec<(i64, i64, i64)> = Vec::new();
    for (device, applied) in rows {
        let i = match out.iter().position(|r| r.0 == device) {
            Some(i) => i,
            None => {
                out.push((device, 0, 0));
                out.len() - 1
            }
        };
        out[i].1 += 1;
        if applied == Some(ServiceState::Suspended) {
            out[i].2 += 1;
        }
    }
    Ok(out)
}

/// One entry of the enforcement log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAction {
    pub customer_id: i64,
    pub device_id: Option<i64>,
    pub action: &'static str,
    pub requested_by: String,
    pub reason: String,
    pub dry_run: bool,
    pub ok: bool,
    pub steps: Vec<String>,
    pub error: String,
}

pub async fn add_action(conn: &impl ConnectionTrait, a: NewAction, now: DateTime<Utc>) -> Result<Action, DbError> {
    Ok(network_actions::ActiveModel {
        customer_id: Set(a.customer_id),
        device_id: Set(a.device_id),
        action: Set(a.action.to_owned()),
        requested_by: Set(a.requested_by.chars().take(100).collect()),
        reason: Set(a.reason.chars().take(500).collect()),
        dry_run: Set(a.dry_run),
        ok: Set(a.ok),
        steps: Set(a.steps.join("\n")),
        error: Set(a.error.chars().take(500).collect()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?)
}

/// The log, newest first; of one customer or device when given.
pub async fn actions(
    conn: &impl ConnectionTrait,
    customer_id: Option<i64>,
    device_id: Option<i64>,
    offset: u64,
    limit: u64,
) -> Result<(Vec<Action>, u64), DbError> {
    let mut q = network_actions::Entity::find();
    if let Some(c) = customer_id {
        q = q.filter(network_actions::Column::CustomerId.eq(c));
    }
    if let Some(d) = device_id {
        q = q.filter(network_actions::Column::DeviceId.eq(d));
    }
    let total = q.clone().count(conn).await?;
    let rows = q
        .order_by_desc(network_actions::Column::CreatedAt)
        .order_by_desc(network_actions::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(conn)
        .await?;
    Ok((rows, total))
}

/// Records a policy run.
pub async fn add_run(
    conn: &impl ConnectionTrait,
    candidates: usize,
    suspended: usize,
    tripped: bool,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<Run, DbError> {
    Ok(suspension_runs::ActiveModel {
        candidates: Set(i32::try_from(candidates).unwrap_or(i32::MAX)),
        suspended: Set(i32::try_from(suspended).unwrap_or(i32::MAX)),
        tripped: Set(tripped),
        detail: Set(detail.to_owned()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?)
}

/// Policy runs since `since`, newest first.
pub async fn runs_since(conn: &impl ConnectionTrait, since: DateTime<Utc>) -> Result<Vec<Run>, DbError> {
    Ok(suspension_runs::Entity::find()
        .filter(suspension_runs::Column::CreatedAt.gte(since))
        .order_by_desc(suspension_runs::Column::Id)
        .all(conn)
        .await?)
}

/// The latest policy runs.
pub async fn recent_runs(conn: &impl ConnectionTrait, limit: u64) -> Result<Vec<Run>, DbError> {
    Ok(suspension_runs::Entity::find().order_by_desc(suspension_runs::Column::Id).limit(limit).all(conn).await?)
}

/// Active customers per device: `(device id, active customers bound to it)`.
pub async fn active_per_device(conn: &impl ConnectionTrait) -> Result<Vec<(i64, i64)>, DbError> {
    use sea_orm::sea_query::{Alias, Query};
    let mut q = Query::select();
    q.column((Entity, Column::DeviceId))
        .expr_as(Expr::col((Entity, Column::CustomerId)).count(), Alias::new("n"))
        .from(Entity)
        .inner_join(
            customers::Entity,
            Expr::col((customers::Entity, customers::Column::Id)).equals((Entity, Column::CustomerId)),
        )
        .and_where(Expr::col((customers::Entity, customers::Column::Status)).eq(CustomerStatus::Active.as_str()))
        .group_by_col((Entity, Column::DeviceId));
    let rows = conn.query_all(&q).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push((row.try_get::<i64>("", "device_id")?, row.try_get::<i64>("", "n")?));
    }
    Ok(out)
}

/// `(customer id, device id)` of the services of these customers.
pub async fn devices_of(conn: &impl ConnectionTrait, customer_ids: &[i64]) -> Result<Vec<(i64, i64)>, DbError> {
    let mut out = Vec::new();
    for chunk in customer_ids.chunks(500) {
        let rows: Vec<(i64, i64)> = Entity::find()
            .select_only()
            .column(Column::CustomerId)
            .column(Column::DeviceId)
            .filter(Column::CustomerId.is_in(chunk.to_vec()))
            .into_tuple()
            .all(conn)
            .await?;
        out.extend(rows);
    }
    Ok(out)
}

/// Active customers in all.
pub async fn active_customers(conn: &impl ConnectionTrait) -> Result<u64, DbError> {
    Ok(customers::Entity::find()
        .filter(customers::Column::Status.eq(CustomerStatus::Active.as_str()))
        .count(conn)
        .await?)
}

/// Customers suspended for being overdue (the policy checks whether they paid by other means).
pub async fn suspended_for_overdue(conn: &impl ConnectionTrait, limit: u64) -> Result<Vec<i64>, DbError> {
    Ok(customers::Entity::find()
        .select_only()
        .column(customers::Column::Id)
        .filter(customers::Column::Status.eq(CustomerStatus::Suspended.as_str()))
        .filter(customers::Column::SuspendReason.eq(aglis_core::enforcement::SuspendReason::Overdue.as_str()))
        .limit(limit)
        .into_tuple()
        .all(conn)
        .await?)
}

/// A device's settings changed: each of its services is looked at again at the next sweep.
pub async fn retry_device(conn: &impl ConnectionTrait, device_id: i64, now: DateTime<Utc>) -> Result<(), DbError> {
    Entity::update_many()
        .col_expr(Column::NextAttemptAt, Expr::value(now))
        .col_expr(Column::Failures, Expr::value(0))
        .filter(Column::DeviceId.eq(device_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Every service, by customer (the demo rebuilds its fake devices from them).
pub async fn all(conn: &impl ConnectionTrait) -> Result<Vec<Service>, DbError> {
    Ok(Entity::find().order_by_asc(Column::CustomerId).all(conn).await?)
}

/// Services whose device does not do what the customer's status says (or was never read), the
/// longest waiting first, with the customer's status; at most `limit`, and how many in all.
pub async fn out_of_sync(conn: &impl ConnectionTrait, limit: u64) -> Result<Vec<(Service, CustomerStatus)>, DbError> {
    use sea_orm::sea_query::Query;
    let ids = |active: bool| {
        let mut q = Query::select();
        q.column(customers::Column::Id).from(customers::Entity);
        let status = Expr::col(customers::Column::Status);
        q.and_where(if active {
            status.eq(CustomerStatus::Active.as_str())
        } else {
            status.ne(CustomerStatus::Active.as_str())
        });
        q.to_owned()
    };
    let not =
        |state: ServiceState| Condition::any().add(Column::Applied.is_null()).add(Column::Applied.ne(state.as_str()));
    let services = Entity::find()
        .filter(
            Condition::any()
                .add(Condition::all().add(Column::CustomerId.in_subquery(ids(true))).add(not(ServiceState::Active)))
                .add(
                    Condition::all().add(Column::CustomerId.in_subquery(ids(false))).add(not(ServiceState::Suspended)),
                ),
        )
        .order_by_asc(Column::DesiredSince)
        .limit(limit)
        .all(conn)
        .await?;
    with_status(conn, services).await
}

/// Nothing to do now (the device is switched off): looked at again at the next drift check.
pub async fn mark_checked(conn: &impl ConnectionTrait, customer_id: i64, now: DateTime<Utc>) -> Result<(), DbError> {
    Entity::update_many()
        .col_expr(Column::CheckedAt, Expr::value(now))
        .col_expr(Column::NextAttemptAt, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(Column::CustomerId.eq(customer_id))
        .exec(conn)
        .await?;
    Ok(())
}
