//! Spans of days a customer's service was suspended or paused (never billed). A suspension opens
//! one on the day the account is suspended and closes it on the day it is active again, in the
//! same transaction as the status change; dated pauses are entered with both days.

use crate::DbError;
use crate::entity::service_pauses::{self, Column, Entity, Model};
use aglis_core::customer::PauseReason;
use aglis_core::proration::{Period, Span};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use std::collections::HashMap;

/// Opens a suspension from `day`, unless one is open already.
pub async fn open_suspension(
    conn: &impl ConnectionTrait,
    customer_id: i64,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let open = Entity::find()
        .filter(Column::CustomerId.eq(customer_id))
        .filter(Column::Reason.eq(PauseReason::Suspended.as_str()))
        .filter(Column::UntilDay.is_null())
        .one(conn)
        .await?;
    if open.is_none() {
        add(conn, customer_id, PauseReason::Suspended, Span::from(day), "", now).await?;
    }
    Ok(())
}

/// Ends an open suspension: service again from `day`.
pub async fn close_suspension(conn: &impl ConnectionTrait, customer_id: i64, day: NaiveDate) -> Result<(), DbError> {
    Entity::update_many()
        .col_expr(Column::UntilDay, Expr::value(day))
        .filter(Column::CustomerId.eq(customer_id))
        .filter(Column::Reason.eq(PauseReason::Suspended.as_str()))
        .filter(Column::UntilDay.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn add(
    conn: &impl ConnectionTrait,
    customer_id: i64,
    reason: PauseReason,
    span: Span,
    note: &str,
    now: DateTime<Utc>,
) -> Result<Model, DbError> {
    Ok(service_pauses::ActiveModel {
        customer_id: Set(customer_id),
        reason: Set(reason),
        from_day: Set(span.from),
        until_day: Set(span.until),
        note: Set(note.chars().take(300).collect()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?)
}

/// The spans of each of `customers` that touch `period`.
pub async fn in_period(
    conn: &impl ConnectionTrait,
    customers: &[i64],
    period: Period,
) -> Result<HashMap<i64, Vec<Span>>, DbError> {
    let mut out: HashMap<i64, Vec<Span>> = HashMap::new();
    for chunk in customers.chunks(500) {
        let rows = Entity::find()
            .filter(Column::CustomerId.is_in(chunk.to_vec()))
            .filter(Column::FromDay.lte(period.end))
            .filter(Condition::any().add(Column::UntilDay.is_null()).add(Column::UntilDay.gt(period.start)))
            .order_by_asc(Column::FromDay)
            .all(conn)
            .await?;
        for r in rows {
            out.entry(r.customer_id).or_default().push(Span { from: r.from_day, until: r.until_day });
        }
    }
    Ok(out)
}

/// A customer's spans, newest first.
pub async fn of_customer(conn: &impl ConnectionTrait, customer_id: i64) -> Result<Vec<Model>, DbError> {
    Ok(Entity::find().filter(Column::CustomerId.eq(customer_id)).order_by_desc(Column::FromDay).all(conn).await?)
}

pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Model>, DbError> {
    Ok(Entity::find_by_id(id).one(conn).await?)
}

/// Removes a pause that has not begun.
pub async fn delete(conn: &impl ConnectionTrait, id: i64) -> Result<(), DbError> {
    Entity::delete_by_id(id).exec(conn).await?;
    Ok(())
}

/// Ends a pause early: service again from `day`.
pub async fn end_on(conn: &impl ConnectionTrait, id: i64, day: NaiveDate) -> Result<(), DbError> {
    Entity::update_many().col_expr(Column::UntilDay, Expr::value(day)).filter(Column::Id.eq(id)).exec(conn).await?;
    Ok(())
}

/// Notes that pause `id` moved a prepaid term on by `days`.
pub async fn set_prepaid_days(conn: &impl ConnectionTrait, id: i64, days: i32) -> Result<(), DbError> {
    Entity::update_many().col_expr(Column::PrepaidDays, Expr::value(days)).filter(Column::Id.eq(id)).exec(conn).await?;
    Ok(())
}
