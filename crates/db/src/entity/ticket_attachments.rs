use aglis_core::attachment::{AttachmentKind, FileType};
use sea_orm::entity::prelude::*;

/// A file attached to a ticket: the row names the object in the object store.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ticket_attachments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ticket_id: i64,
    pub object_key: String,
    pub filename: String,
    pub size: i64,
    #[sea_orm(column_name = "mime_type")]
    pub file_type: FileType,
    pub kind: AttachmentKind,
    pub uploaded_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
