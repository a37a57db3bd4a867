//! Package changes: written when a customer's profile names another package; the monthly run
//! reads them to bill each day at the package of that day.

use crate::DbError;
use crate::entity::package_changes::{self, Column, Entity};
use crate::entity::packages;
use aglis_core::proration::Period;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use std::collections::HashMap;

pub use crate::entity::package_changes::Model as PackageChange;

/// Records that `customer_id` moved from package `from` to package `to` on `day`.
pub async fn record(
    conn: &impl ConnectionTrait,
    customer_id: i64,
    from: i64,
    to: i64,
    day: NaiveDate,
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> Result<PackageChange, DbError> {
    let found: HashMap<i64, packages::Model> = packages::Entity::find()
        .filter(packages::Column::Id.is_in([from, to]))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let (Some(old), Some(new)) = (found.get(&from), found.get(&to)) else {
        return Err(DbError::Corrupt(format!("package change {from} -> {to}: a package is missing")));
    };
    Ok(package_changes::ActiveModel {
        customer_id: Set(customer_id),
        from_package_id: Set(from),
        to_package_id: Set(to),
        from_name: Set(old.name.clone()),
        to_name: Set(new.name.clone()),
        from_price: Set(old.monthly_price),
        to_price: Set(new.monthly_price),
        effective_on: Set(day),
        actor_id: Set(actor),
        at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?)
}

/// A customer's changes, newest first.
pub async fn of_customer(conn: &impl ConnectionTrait, customer_id: i64) -> Result<Vec<PackageChange>, DbError> {
    Ok(Entity::find()
        .filter(Column::CustomerId.eq(customer_id))
        .order_by_desc(Column::EffectiveOn)
        .order_by_desc(Column::Id)
        .all(conn)
        .await?)
}

/// The changes effective after `period` began (those after its end say which package its days
/// had), per customer, oldest first.
pub async fn since_start_of(
    conn: &impl ConnectionTrait,
    period: Period,
) -> Result<HashMap<i64, Vec<PackageChange>>, DbError> {
    let rows = Entity::find()
        .filter(Column::EffectiveOn.gt(period.start))
        .order_by_asc(Column::EffectiveOn)
        .order_by_asc(Column::Id)
        .all(conn)
        .await?;
    let mut out: HashMap<i64, Vec<PackageChange>> = HashMap::new();
    for r in rows {
        out.entry(r.customer_id).or_default().push(r);
    }
    Ok(out)
}
