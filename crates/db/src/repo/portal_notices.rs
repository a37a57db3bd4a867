//! The portal's questions and answers and its announcements.

use crate::DbError;
use crate::entity::portal_notices::{self, Column, Entity};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    Set,
};

pub use crate::entity::portal_notices::Model as Notice;

pub const FAQ: &str = "faq";
pub const ANNOUNCEMENT: &str = "announcement";

#[derive(Debug, Clone, Default)]
pub struct NewNotice {
    pub kind: &'static str,
    pub city: Option<String>,
    pub title_id: String,
    pub body_id: String,
    pub title_en: String,
    pub body_en: String,
    pub position: i32,
    pub ends_on: Option<NaiveDate>,
    pub created_by: Option<i64>,
}

pub async fn create(conn: &impl ConnectionTrait, n: NewNotice, now: DateTime<Utc>) -> Result<Notice, DbError> {
    Ok(portal_notices::ActiveModel {
        kind: Set(n.kind.to_owned()),
        city: Set(n.city),
        title_id: Set(n.title_id),
        body_id: Set(n.body_id),
        title_en: Set(n.title_en),
        body_en: Set(n.body_en),
        position: Set(n.position),
        ends_on: Set(n.ends_on),
        created_by: Set(n.created_by),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?)
}

/// Every notice of `kind`, in its order (announcements newest first).
pub async fn all(conn: &impl ConnectionTrait, kind: &str) -> Result<Vec<Notice>, DbError> {
    let q = Entity::find().filter(Column::Kind.eq(kind));
    let q = if kind == ANNOUNCEMENT {
        q.order_by_desc(Column::Id)
    } else {
        q.order_by_asc(Column::Position).order_by_asc(Column::Id)
    };
    Ok(q.all(conn).await?)
}

/// The announcements a customer in `city` reads on `today`: for everyone or for their city,
/// not yet ended, newest first.
pub async fn for_customer(conn: &impl ConnectionTrait, city: &str, today: NaiveDate) -> Result<Vec<Notice>, DbError> {
    let rows = Entity::find()
        .filter(Column::Kind.eq(ANNOUNCEMENT))
        .filter(Condition::any().add(Column::EndsOn.is_null()).add(Column::EndsOn.gte(today)))
        .order_by_desc(Column::Id)
        .all(conn)
        .await?;
    let city = city.trim().to_lowercase();
    Ok(rows.into_iter().filter(|n| n.city.as_deref().is_none_or(|c| c.trim().to_lowercase() == city)).collect())
}

pub async fn count(conn: &impl ConnectionTrait, kind: &str) -> Result<u64, DbError> {
    Ok(Entity::find().filter(Column::Kind.eq(kind)).count(conn).await?)
}

pub async fn delete(conn: &impl ConnectionTrait, id: i64) -> Result<bool, DbError> {
    Ok(Entity::delete_by_id(id).exec(conn).await?.rows_affected == 1)
}

pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Notice>, DbError> {
    Ok(Entity::find_by_id(id).one(conn).await?)
}

/// Replaces notice `id`'s text, city and last day (its kind and place stay); `false` when gone.
pub async fn update(conn: &impl ConnectionTrait, id: i64, n: NewNotice, now: DateTime<Utc>) -> Result<bool, DbError> {
    let Some(found) = Entity::find_by_id(id).one(conn).await? else { return Ok(false) };
    let mut a: portal_notices::ActiveModel = found.into();
    a.city = Set(n.city);
    a.title_id = Set(n.title_id);
    a.body_id = Set(n.body_id);
    a.title_en = Set(n.title_en);
    a.body_en = Set(n.body_en);
    a.ends_on = Set(n.ends_on);
    a.updated_at = Set(now);
    a.update(conn).await?;
    Ok(true)
}
