//! Broadcasts to customers: who is in a target, the broadcast record and the link from each
//! recipient's message to it, and delivery figures from those messages' statuses (one grouped
//! query for a page of broadcasts).

use crate::DbError;
use crate::entity::broadcast_messages as links;
use crate::entity::broadcasts::{self, Column, Entity};
use crate::entity::{customers, messages, odps};
use aglis_core::broadcast::{Figures, TargetKind, receives};
use aglis_core::customer::CustomerStatus;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use std::collections::BTreeMap;

pub use crate::entity::broadcasts::Model as Broadcast;
pub use crate::repo::customers::Customer;

/// Who a broadcast is aimed at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Odp(i64),
    Area(String),
    Package(i64),
}

impl Target {
    pub fn kind(&self) -> TargetKind {
        match self {
            Target::Odp(_) => TargetKind::Odp,
            Target::Area(_) => TargetKind::Area,
            Target::Package(_) => TargetKind::Package,
        }
    }
}

/// The customers a broadcast to `target` goes to (see `aglis_core::broadcast::receives`), in id order.
pub async fn recipients(conn: &impl ConnectionTrait, target: &Target) -> Result<Vec<Customer>, DbError> {
    let statuses = [CustomerStatus::Active.as_str(), CustomerStatus::Suspended.as_str()];
    let mut q = customers::Entity::find().filter(customers::Column::Status.is_in(statuses));
    q = match target {
        Target::Odp(id) => q.filter(customers::Column::OdpId.eq(*id)),
        Target::Package(id) => q.filter(customers::Column::PackageId.eq(*id)),
        Target::Area(area) => {
            let odps_in_area = Query::select()
                .column(odps::Column::Id)
                .from(odps::Entity)
                .and_where(odps::Column::Area.eq(area))
                .to_owned();
            q.filter(customers::Column::OdpId.in_subquery(odps_in_area))
        }
    };
    let all = q.order_by_asc(customers::Column::Id).all(conn).await?;
    Ok(all.into_iter().filter(|c| receives(c.status, &c.phone, &c.muted_messages)).collect())
}

/// The areas of the ODPs, in name order.
pub async fn areas(conn: &impl ConnectionTrait) -> Result<Vec<String>, DbError> {
    Ok(odps::Entity::find()
        .select_only()
        .column(odps::Column::Area)
        .distinct()
        .order_by_asc(odps::Column::Area)
        .into_tuple()
        .all(conn)
        .await?)
}

#[derive(Debug, Clone)]
pub struct NewBroadcast {
    pub target: Target,
    pub target_label: String,
    pub body_id: String,
    pub body_en: String,
    pub recipients: i32,
    pub created_by: Option<i64>,
}

pub async fn create(conn: &impl ConnectionTrait, new: NewBroadcast, now: DateTime<Utc>) -> Result<Broadcast, DbError> {
    let (target_id, target_area) = match &new.target {
        Target::Odp(id) | Target::Package(id) => (Some(*id), None),
        Target::Area(area) => (None, Some(area.clone())),
    };
    Ok(broadcasts::ActiveModel {
        target_kind: Set(new.target.kind()),
        target_id: Set(target_id),
        target_area: Set(target_area),
        target_label: Set(new.target_label),
        body_id: Set(new.body_id),
        body_en: Set(new.body_en),
        recipients: Set(new.recipients),
        created_by: Set(new.created_by),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?)
}

/// Links a recipient's message to its broadcast.
pub async fn link(
    conn: &impl ConnectionTrait,
    broadcast_id: i64,
    message_id: i64,
    customer_id: i64,
) -> Result<(), DbError> {
    links::ActiveModel { broadcast_id: Set(broadcast_id), message_id: Set(message_id), customer_id: Set(customer_id) }
        .insert(conn)
        .await?;
    Ok(())
}

pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Broadcast>, DbError> {
    Ok(Entity::find_by_id(id).one(conn).await?)
}

/// A page of broadcasts, newest first, and the total.
pub async fn list(conn: &impl ConnectionTrait, page: u64, per_page: u64) -> Result<(Vec<Broadcast>, u64), DbError> {
    let q = Entity::find().order_by_desc(Column::CreatedAt).order_by_desc(Column::Id);
    let total = q.clone().count(conn).await?;
    let items = q.offset(page.saturating_sub(1) * per_page).limit(per_page).all(conn).await?;
    Ok((items, total))
}

/// Delivery figures of each of `ids` (a broadcast without messages has none).
pub async fn figures(conn: &impl ConnectionTrait, ids: &[i64]) -> Result<BTreeMap<i64, Figures>, DbError> {
    let mut out: BTreeMap<i64, Figures> = ids.iter().map(|id| (*id, Figures::default())).collect();
    if ids.is_empty() {
        return Ok(out);
    }
    let q = Query::select()
        .column((links::Entity, links::Column::BroadcastId))
        .column((messages::Entity, messages::Column::Status))
        .expr_as(Expr::col((messages::Entity, messages::Column::Id)).count(), Alias::new("n"))
        .from(links::Entity)
        .inner_join(
            messages::Entity,
            Expr::col((messages::Entity, messages::Column::Id)).equals((links::Entity, links::Column::MessageId)),
        )
        .and_where(Expr::col((links::Entity, links::Column::BroadcastId)).is_in(ids.iter().copied()))
        .group_by_col((links::Entity, links::Column::BroadcastId))
        .group_by_col((messages::Entity, messages::Column::Status))
        .to_owned();
    for row in conn.query_all(&q).await? {
        let id: i64 = row.try_get("", "broadcast_id")?;
        let status: String = row.try_get("", "status")?;
        let n: i64 = row.try_get("", "n")?;
        out.entry(id).or_default().add(&status, n);
    }
    Ok(out)
}
