//! Internet packages (plans) customers subscribe to.

use crate::DbError;
use crate::entity::customers;
use crate::entity::packages::{self, Column, Entity};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};

pub type Package = packages::Model;

/// A package's editable fields, checked by the caller (prices in whole rupiah).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageFields {
    pub name: String,
    pub speed_mbps: i32,
    pub monthly_price: i64,
    pub installation_fee: i64,
    pub description: String,
    pub is_active: bool,
}

pub async fn create(conn: &impl ConnectionTrait, f: PackageFields, now: DateTime<Utc>) -> Result<Package, DbError> {
    Ok(packages::ActiveModel {
        name: Set(f.name),
        speed_mbps: Set(f.speed_mbps),
        monthly_price: Set(f.monthly_price),
        installation_fee: Set(f.installation_fee),
        description: Set(f.description),
        is_active: Set(f.is_active),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?)
}

pub async fn update(
    conn: &impl ConnectionTrait,
    id: i64,
    f: PackageFields,
    now: DateTime<Utc>,
) -> Result<Option<Package>, DbError> {
    let Some(model) = Entity::find_by_id(id).one(conn).await? else { return Ok(None) };
    let mut a: packages::ActiveModel = model.into();
    a.name = Set(f.name);
    a.speed_mbps = Set(f.speed_mbps);
    a.monthly_price = Set(f.monthly_price);
    a.installation_fee = Set(f.installation_fee);
    a.description = Set(f.description);
    a.is_active = Set(f.is_active);
    a.updated_at = Set(now);
    Ok(Some(a.update(conn).await?))
}

pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Package>, DbError> {
    Ok(Entity::find_by_id(id).one(conn).await?)
}

/// Every package (or only the active ones), cheapest first.
pub async fn list(conn: &impl ConnectionTrait, active_only: bool) -> Result<Vec<Package>, DbError> {
    let mut q = Entity::find();
    if active_only {
        q = q.filter(Column::IsActive.eq(true));
    }
    Ok(q.order_by_asc(Column::MonthlyPrice).order_by_asc(Column::Id).all(conn).await?)
}

/// How many customers (of any status) a package has.
pub async fn customer_count(conn: &impl ConnectionTrait, id: i64) -> Result<u64, DbError> {
    Ok(customers::Entity::find().filter(customers::Column::PackageId.eq(id)).count(conn).await?)
}

/// Deletes a package nobody subscribes to. `false` when there is no such package.
pub async fn delete(conn: &impl ConnectionTrait, id: i64) -> Result<bool, DbError> {
    Ok(Entity::delete_by_id(id).exec(conn).await?.rows_affected == 1)
}

/// Whether the package's invoices carry PPN (`true`: none, e.g. a social or school package).
pub async fn set_tax_exempt(conn: &impl ConnectionTrait, id: i64, exempt: bool) -> Result<(), DbError> {
    packages::Entity::update_many()
        .col_expr(packages::Column::TaxExempt, sea_orm::sea_query::Expr::value(exempt))
        .filter(packages::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}
