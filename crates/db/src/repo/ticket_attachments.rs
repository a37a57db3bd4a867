//! Ticket attachments (the rows; the bytes are in the object store) and the ticket's
//! first-response stamp, which comments and assignments set as well as status steps.

use crate::DbError;
use crate::entity::ticket_attachments::{self, Column, Entity};
use aglis_core::attachment::{AttachmentKind, FileType};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

/// An attachment is its row: file type and kind are read back typed (string-backed enums).
pub use crate::entity::ticket_attachments::Model as Attachment;

/// A stored object to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAttachment {
    pub ticket_id: i64,
    pub object_key: String,
    pub filename: String,
    pub size: i64,
    pub file_type: FileType,
    pub kind: AttachmentKind,
    pub uploaded_by: Option<i64>,
}

/// Most files one ticket keeps (photos of every step and a few documents fit well under it).
pub const MAX_PER_TICKET: u64 = 50;

pub async fn insert(conn: &impl ConnectionTrait, a: NewAttachment, now: DateTime<Utc>) -> Result<Attachment, DbError> {
    let model = ticket_attachments::ActiveModel {
        ticket_id: Set(a.ticket_id),
        object_key: Set(a.object_key),
        filename: Set(a.filename),
        size: Set(a.size),
        file_type: Set(a.file_type),
        kind: Set(a.kind),
        uploaded_by: Set(a.uploaded_by),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(model)
}

/// A ticket's files, oldest first (at most [`MAX_PER_TICKET`]).
pub async fn list(conn: &impl ConnectionTrait, ticket_id: i64) -> Result<Vec<Attachment>, DbError> {
    Ok(Entity::find()
        .filter(Column::TicketId.eq(ticket_id))
        .order_by_asc(Column::Id)
        .limit(MAX_PER_TICKET)
        .all(conn)
        .await?)
}

/// Attachment `id` of ticket `ticket_id` (`None` when it belongs to another ticket).
pub async fn get(conn: &impl ConnectionTrait, ticket_id: i64, id: i64) -> Result<Option<Attachment>, DbError> {
    Ok(Entity::find_by_id(id).filter(Column::TicketId.eq(ticket_id)).one(conn).await?)
}

pub async fn count(conn: &impl ConnectionTrait, ticket_id: i64) -> Result<u64, DbError> {
    let n: Option<i64> = Entity::find()
        .select_only()
        .column_as(Expr::col(Column::Id).count(), "n")
        .filter(Column::TicketId.eq(ticket_id))
        .into_tuple()
        .one(conn)
        .await?;
    Ok(u64::try_from(n.unwrap_or(0)).unwrap_or(0))
}

/// The kinds a ticket has files of (for the resolve check).
pub async fn kinds(conn: &impl ConnectionTrait, ticket_id: i64) -> Result<Vec<AttachmentKind>, DbError> {
    let raw: Vec<String> = Entity::find()
        .select_only()
        .column(Column::Kind)
        .distinct()
        .filter(Column::TicketId.eq(ticket_id))
        .into_tuple()
        .all(conn)
        .await?;
    raw.iter().map(|k| k.parse().map_err(|e| DbError::Corrupt(format!("ticket {ticket_id} attachment: {e}")))).collect()
}

/// Removes the row; `false` when it was gone already.
pub async fn delete(conn: &impl ConnectionTrait, id: i64) -> Result<bool, DbError> {
    Ok(Entity::delete_by_id(id).exec(conn).await?.rows_affected == 1)
}
