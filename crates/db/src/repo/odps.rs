//! ODPs (optical distribution points) and their ports: a customer holds one port; the ODP's used
//! count and `full` status follow from the customers on it.

use crate::DbError;
use crate::entity::customers;
use crate::entity::odps::{self, Column, Entity};
use aglis_core::customer::CustomerStatus;
use aglis_core::network::{OdpStatus, odp_status_for_use};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

/// An ODP is its row: its status is read back typed (a string-backed enum).
pub use crate::entity::odps::Model as Odp;

impl odps::Model {
    pub fn free_ports(&self) -> i32 {
        Ord::max(self.total_ports - self.used_ports, 0)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct OdpFields {
    pub code: String,
    pub area: String,
    pub location: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub total_ports: i32,
    pub status: OdpStatus,
}

pub async fn create(conn: &impl ConnectionTrait, f: OdpFields, now: DateTime<Utc>) -> Result<Odp, DbError> {
    odps::ActiveModel {
        code: Set(f.code),
        area: Set(f.area),
        location: Set(f.location),
        latitude: Set(f.latitude),
        longitude: Set(f.longitude),
        total_ports: Set(f.total_ports),
        used_ports: Set(0),
        status: Set(odp_status_for_use(f.status, 0, f.total_ports)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map_err(DbError::from)
}

/// Changes an ODP's fields; the used count is kept and the status follows it.
pub async fn update(
    conn: &impl ConnectionTrait,
    id: i64,
    f: OdpFields,
    now: DateTime<Utc>,
) -> Result<Option<Odp>, DbError> {
    let Some(model) = Entity::find_by_id(id).one(conn).await? else { return Ok(None) };
    let used = model.used_ports;
    let mut a: odps::ActiveModel = model.into();
    a.code = Set(f.code);
    a.area = Set(f.area);
    a.location = Set(f.location);
    a.latitude = Set(f.latitude);
    a.longitude = Set(f.longitude);
    a.total_ports = Set(f.total_ports);
    a.status = Set(odp_status_for_use(f.status, used, f.total_ports));
    a.updated_at = Set(now);
    Ok(Some(a.update(conn).await?))
}

pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Odp>, DbError> {
    Ok(Entity::find_by_id(id).one(conn).await?)
}

pub async fn delete(conn: &impl ConnectionTrait, id: i64) -> Result<bool, DbError> {
    Ok(Entity::delete_by_id(id).exec(conn).await?.rows_affected == 1)
}

#[derive(Debug, Clone, Default)]
pub struct OdpQuery {
    /// Matches the code or the area, case-insensitively.
    pub q: Option<String>,
    pub status: Option<OdpStatus>,
    pub page: u64,
    pub per_page: u64,
}

pub async fn list(conn: &impl ConnectionTrait, query: &OdpQuery) -> Result<(Vec<Odp>, u64), DbError> {
    let mut cond = Condition::all();
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        cond = cond
            .add(Condition::any().add(super::contains_ci(Column::Code, q)).add(super::contains_ci(Column::Area, q)));
    }
    if let Some(s) = query.status {
        cond = cond.add(Column::Status.eq(s.as_str()));
    }
    let select = Entity::find().filter(cond);
    let total = select.clone().count(conn).await?;
    let per_page = Ord::max(query.per_page, 1);
    let rows = select
        .order_by_asc(Column::Code)
        .offset(query.page.saturating_sub(1) * per_page)
        .limit(per_page)
        .all(conn)
        .await?;
    Ok((rows, total))
}

/// Active ODPs with a free port, by area then code (for assigning customers).
pub async fn with_free_ports(conn: &impl ConnectionTrait) -> Result<Vec<Odp>, DbError> {
    let rows = Entity::find()
        .filter(Column::Status.eq(OdpStatus::Active.as_str()))
        .filter(Expr::col(Column::UsedPorts).lt(Expr::col(Column::TotalPorts)))
        .order_by_asc(Column::Area)
        .order_by_asc(Column::Code)
        .all(conn)
        .await?;
    Ok(rows)
}

/// Ports of `odp_id` held by customers who are not terminated.
pub async fn taken_ports(conn: &impl ConnectionTrait, odp_id: i64) -> Result<Vec<i32>, DbError> {
    let ports: Vec<Option<i32>> = customers::Entity::find()
        .select_only()
        .column(customers::Column::OdpPort)
        .filter(customers::Column::OdpId.eq(odp_id))
        .filter(customers::Column::Status.ne(CustomerStatus::Terminated.as_str()))
        .filter(customers::Column::OdpPort.is_not_null())
        .into_tuple()
        .all(conn)
        .await?;
    let mut ports: Vec<i32> = ports.into_iter().flatten().collect();
    ports.sort_unstable();
    Ok(ports)
}

/// Recounts an ODP's used ports from its customers and sets `full`/`active` accordingly.
pub async fn recount(conn: &impl ConnectionTrait, odp_id: i64, now: DateTime<Utc>) -> Result<(), DbError> {
    let Some(odp) = get(conn, odp_id).await? else { return Ok(()) };
    let used = i32::try_from(taken_ports(conn, odp_id).await?.len()).unwrap_or(i32::MAX);
    let status = odp_status_for_use(odp.status, used, odp.total_ports);
    Entity::update_many()
        .col_expr(Column::UsedPorts, Expr::value(used))
        .col_expr(Column::Status, Expr::value(status.as_str()))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(odp_id))
        .exec(conn)
        .await?;
    Ok(())
}
