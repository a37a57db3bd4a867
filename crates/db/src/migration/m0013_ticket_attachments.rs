//! Ticket attachments (spec §2.8 `attachments`): photos and documents kept in the object store,
//! one row each naming its object. Comments need no table: they are `ticket_events` of kind
//! `comment`.

use super::ts;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TicketAttachments {
    Table,
    Id,
    TicketId,
    ObjectKey,
    Filename,
    Size,
    MimeType,
    Kind,
    UploadedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Tickets {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let t = || TicketAttachments::Table;
        manager
            .create_table(
                Table::create()
                    .table(t())
                    .col(ColumnDef::new(TicketAttachments::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(TicketAttachments::TicketId).big_integer().not_null())
                    // `tickets/<ticket id>/<uuid>.<ext>`: never built from the client's file name.
                    .col(ColumnDef::new(TicketAttachments::ObjectKey).string_len(200).not_null())
                    // The client's name, cleaned (no path, no quotes), for display and download.
                    .col(ColumnDef::new(TicketAttachments::Filename).string_len(120).not_null())
                    .col(ColumnDef::new(TicketAttachments::Size).big_integer().not_null())
                    // The type read from the file's first bytes.
                    .col(ColumnDef::new(TicketAttachments::MimeType).string_len(50).not_null())
                    .col(ColumnDef::new(TicketAttachments::Kind).string_len(20).not_null())
                    .col(ColumnDef::new(TicketAttachments::UploadedBy).big_integer().null())
                    .col(ts(TicketAttachments::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ticket_attachments_ticket")
                            .from(t(), TicketAttachments::TicketId)
                            .to(Tickets::Table, Tickets::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_ticket_attachments_object_key")
                    .table(t())
                    .col(TicketAttachments::ObjectKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // A ticket's files, oldest first (the page and the resolve check read them by ticket).
        manager
            .create_index(
                Index::create()
                    .name("ix_ticket_attachments_ticket")
                    .table(t())
                    .col(TicketAttachments::TicketId)
                    .col(TicketAttachments::Id)
                    .to_owned(),
            )
            .await
    }
}
