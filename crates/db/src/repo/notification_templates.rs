//! Notification texts per event and language. Every event of the catalog has a row per language
//! from the first start (`ensure_defaults`); admins edit them, nobody deletes them.

use crate::DbError;
use crate::entity::notification_templates::{self, Column, Entity};
use aglis_core::notification_catalog::{EVENTS, Language};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, TryInsertResult};

pub type Template = notification_templates::Model;

/// Inserts the catalog's default text of every event and language that has no row yet (an admin's
/// edits are kept). Safe to run from several instances at once. Returns how many were inserted.
pub async fn ensure_defaults(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<usize, DbError> {
    let mut inserted = 0;
    for event in EVENTS {
        for &language in Language::ALL {
            let (subject, body) = event.default_text(language);
            let model = notification_templates::ActiveModel {
                event: Set(event.code.to_owned()),
                language: Set(language),
                subject: Set(subject.to_owned()),
                body: Set(body.to_owned()),
                updated_by: Set(None),
                updated_at: Set(now),
                ..Default::default()
            };
            let res =
                Entity::insert(model).on_conflict_do_nothing_on([Column::Event, Column::Language]).exec(conn).await?;
            if matches!(res, TryInsertResult::Inserted(_)) {
                inserted += 1;
            }
        }
    }
    Ok(inserted)
}

/// Every template, by event, Indonesian before English.
pub async fn list(conn: &impl ConnectionTrait) -> Result<Vec<Template>, DbError> {
    Ok(Entity::find().order_by_asc(Column::Event).order_by_desc(Column::Language).all(conn).await?)
}

pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Template>, DbError> {
    Ok(Entity::find_by_id(id).one(conn).await?)
}

pub async fn find(conn: &impl ConnectionTrait, event: &str, language: Language) -> Result<Option<Template>, DbError> {
    Ok(Entity::find().filter(Column::Event.eq(event)).filter(Column::Language.eq(language.as_str())).one(conn).await?)
}

/// Saves new texts (checked by the caller against the event's variables). False when no such row.
pub async fn update(
    conn: &impl ConnectionTrait,
    id: i64,
    subject: &str,
    body: &str,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let res = Entity::update_many()
        .col_expr(Column::Subject, Expr::value(subject))
        .col_expr(Column::Body, Expr::value(body))
        .col_expr(Column::UpdatedBy, Expr::value(by))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}
