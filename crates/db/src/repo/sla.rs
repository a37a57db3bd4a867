//! The editable SLA table and the public holidays business-hours clocks skip.

use crate::DbError;
use crate::entity::{holidays, sla_targets};
use aglis_core::ticket_sla::{TargetRow, Targets};
use chrono::{Duration, NaiveDate};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use std::collections::BTreeSet;

/// The rows admins set (`ticket_type` `*`: every type). Unreadable rows are skipped.
pub async fn targets(conn: &impl ConnectionTrait) -> Result<Vec<TargetRow>, DbError> {
    Ok(sla_targets::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|r| {
            Some(TargetRow {
                ticket_type: if r.ticket_type == "*" { None } else { Some(r.ticket_type.parse().ok()?) },
                priority: r.priority.parse().ok()?,
                targets: Targets {
                    first_response: Duration::minutes(r.response_minutes.into()),
                    resolution: Duration::minutes(r.resolution_minutes.into()),
                    calendar: r.calendar.parse().ok()?,
                },
            })
        })
        .collect())
}

/// Sets one row of the SLA table.
pub async fn set_target(conn: &impl ConnectionTrait, row: &TargetRow) -> Result<(), DbError> {
    let minutes = |d: Duration| i32::try_from(d.num_minutes()).unwrap_or(i32::MAX);
    let model = sla_targets::ActiveModel {
        ticket_type: Set(row.ticket_type.map_or("*".to_owned(), |t| t.as_str().to_owned())),
        priority: Set(row.priority.as_str().to_owned()),
        response_minutes: Set(minutes(row.targets.first_response)),
        resolution_minutes: Set(minutes(row.targets.resolution)),
        calendar: Set(row.targets.calendar.as_str().to_owned()),
    };
    sla_targets::Entity::insert(model)
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([sla_targets::Column::TicketType, sla_targets::Column::Priority])
                .update_columns([
                    sla_targets::Column::ResponseMinutes,
                    sla_targets::Column::ResolutionMinutes,
                    sla_targets::Column::Calendar,
                ])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The holidays in the database; the built-in Indonesian list while there are none.
pub async fn holidays(conn: &impl ConnectionTrait) -> Result<BTreeSet<NaiveDate>, DbError> {
    let days: BTreeSet<NaiveDate> = holidays::Entity::find().all(conn).await?.into_iter().map(|h| h.day).collect();
    Ok(if days.is_empty() { aglis_core::sla::indonesian_holidays() } else { days })
}

/// `(day, name)`, in date order.
pub async fn holiday_list(conn: &impl ConnectionTrait) -> Result<Vec<(NaiveDate, String)>, DbError> {
    Ok(holidays::Entity::find()
        .order_by_asc(holidays::Column::Day)
        .all(conn)
        .await?
        .into_iter()
        .map(|h| (h.day, h.name))
        .collect())
}

/// Sets several rows of the SLA table (in the caller's transaction, so all or none).
pub async fn set_targets(conn: &impl ConnectionTrait, rows: &[TargetRow]) -> Result<(), DbError> {
    for row in rows {
        set_target(conn, row).await?;
    }
    Ok(())
}

/// Whether any holiday is stored (none: business-hours clocks use the built-in list).
pub async fn has_holidays(conn: &impl ConnectionTrait) -> Result<bool, DbError> {
    Ok(holidays::Entity::find().count(conn).await? > 0)
}

/// The stored holidays of `year` (local dates), in date order, through the primary key.
pub async fn holidays_in_year(conn: &impl ConnectionTrait, year: i32) -> Result<Vec<(NaiveDate, String)>, DbError> {
    let (Some(first), Some(next)) = (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year + 1, 1, 1))
    else {
        return Ok(Vec::new());
    };
    Ok(holidays::Entity::find()
        .filter(holidays::Column::Day.gte(first))
        .filter(holidays::Column::Day.lt(next))
        .order_by_asc(holidays::Column::Day)
        .all(conn)
        .await?
        .into_iter()
        .map(|h| (h.day, h.name))
        .collect())
}

/// The stored holiday on `day`, if any.
pub async fn holiday(conn: &impl ConnectionTrait, day: NaiveDate) -> Result<Option<String>, DbError> {
    Ok(holidays::Entity::find_by_id(day).one(conn).await?.map(|h| h.name))
}

/// Stores the built-in Indonesian list while no holiday is stored, so that the first edit an
/// admin makes starts from the list the clocks were using. `true` if it did.
pub async fn store_built_in_holidays(conn: &impl ConnectionTrait) -> Result<bool, DbError> {
    if has_holidays(conn).await? {
        return Ok(false);
    }
    let rows = aglis_core::sla::INDONESIAN_HOLIDAYS
        .iter()
        .map(|(day, name)| holidays::ActiveModel { day: Set(*day), name: Set((*name).to_owned()) });
    holidays::Entity::insert_many(rows).exec_without_returning(conn).await?;
    Ok(true)
}

/// Adds a holiday; a day already stored is `DbError::Unique`.
pub async fn add_holiday(conn: &impl ConnectionTrait, day: NaiveDate, name: &str) -> Result<(), DbError> {
    holidays::Entity::insert(holidays::ActiveModel { day: Set(day), name: Set(name.to_owned()) })
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Deletes the holiday on `day`; `false` if there was none.
pub async fn delete_holiday(conn: &impl ConnectionTrait, day: NaiveDate) -> Result<bool, DbError> {
    Ok(holidays::Entity::delete_by_id(day).exec(conn).await?.rows_affected == 1)
}
