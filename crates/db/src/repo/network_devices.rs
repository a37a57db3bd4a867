//! Network devices (issue 21): the routers and NASes that carry out suspensions.

use crate::DbError;
use crate::entity::network_devices::{self, Column, Entity};
use aglis_core::enforcement::DeviceKind;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};

pub use crate::entity::network_devices::Model as Device;

/// A device's fields as staff enter them; the secret is already sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceFields {
    pub name: String,
    pub kind: DeviceKind,
    pub address: String,
    pub username: String,
    pub insecure_tls: bool,
    pub isolate_profile: String,
    pub isolate_list: String,
    pub dry_run: bool,
    pub enabled: bool,
}

pub async fn create(
    conn: &impl ConnectionTrait,
    f: DeviceFields,
    secret_sealed: String,
    now: DateTime<Utc>,
) -> Result<Device, DbError> {
    Ok(network_devices::ActiveModel {
        name: Set(f.name),
        kind: Set(f.kind),
        address: Set(f.address),
        username: Set(f.username),
        secret_sealed: Set(secret_sealed),
        insecure_tls: Set(f.insecure_tls),
        isolate_profile: Set(f.isolate_profile),
        isolate_list: Set(f.isolate_list),
        dry_run: Set(f.dry_run),
        enabled: Set(f.enabled),
        checked_at: Set(None),
        check_ok: Set(None),
        check_detail: Set(String::new()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?)
}

/// Replaces a device's fields, and its secret when `secret_sealed` is given. `None`: no such device.
pub async fn update(
    conn: &impl ConnectionTrait,
    id: i64,
    f: DeviceFields,
    secret_sealed: Option<String>,
    now: DateTime<Utc>,
) -> Result<Option<Device>, DbError> {
    let Some(d) = get(conn, id).await? else { return Ok(None) };
    let mut m: network_devices::ActiveModel = d.into();
    m.name = Set(f.name);
    m.kind = Set(f.kind);
    m.address = Set(f.address);
    m.username = Set(f.username);
    m.insecure_tls = Set(f.insecure_tls);
    m.isolate_profile = Set(f.isolate_profile);
    m.isolate_list = Set(f.isolate_list);
    m.dry_run = Set(f.dry_run);
    m.enabled = Set(f.enabled);
    if let Some(s) = secret_sealed {
        m.secret_sealed = Set(s);
    }
    m.updated_at = Set(now);
    Ok(Some(m.update(conn).await?))
}

pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Device>, DbError> {
    Ok(Entity::find_by_id(id).one(conn).await?)
}

/// Every device, by name.
pub async fn all(conn: &impl ConnectionTrait) -> Result<Vec<Device>, DbError> {
    Ok(Entity::find().order_by_asc(Column::Name).all(conn).await?)
}

pub async fn count(conn: &impl ConnectionTrait) -> Result<u64, DbError> {
    Ok(Entity::find().count(conn).await?)
}

/// Records a "test connection".
pub async fn checked(
    conn: &impl ConnectionTrait,
    id: i64,
    ok: bool,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    Entity::update_many()
        .col_expr(Column::CheckedAt, Expr::value(now))
        .col_expr(Column::CheckOk, Expr::value(ok))
        .col_expr(Column::CheckDetail, Expr::value(detail.chars().take(500).collect::<String>()))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Deletes a device; the caller checked that no service is bound to it.
pub async fn delete(conn: &impl ConnectionTrait, id: i64) -> Result<bool, DbError> {
    Ok(Entity::delete_by_id(id).exec(conn).await?.rows_affected == 1)
}
