//! Installation-wide settings (`settings` table): read and upsert by key.

use crate::DbError;
use crate::entity::settings::{Column, Entity, Model};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

/// The key whose value says what kind of installation this database is.
pub const INSTALLATION: &str = "installation";
/// [`INSTALLATION`]'s value on a database `aglis demo` seeded.
pub const DEMO: &str = "demo";

/// The value of `key`, if set.
pub async fn get(conn: &impl ConnectionTrait, key: &str) -> Result<Option<String>, DbError> {
    Ok(Entity::find_by_id(key.to_owned()).one(conn).await?.map(|m: Model| m.value))
}

/// Sets `key` to `value`.
pub async fn set(conn: &impl ConnectionTrait, key: &str, value: &str, now: DateTime<Utc>) -> Result<(), DbError> {
    let row = crate::entity::settings::ActiveModel {
        key: Set(key.to_owned()),
        value: Set(value.to_owned()),
        updated_at: Set(now),
    };
    Entity::insert(row)
        .on_conflict(OnConflict::column(Column::Key).update_columns([Column::Value, Column::UpdatedAt]).to_owned())
        .exec(conn)
        .await?;
    Ok(())
}
