//! Outgoing notifications (WhatsApp, e-mail) as first-class records, with a timeline of events.

use super::{ts, ts_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    Channel,
    Recipient,
    Subject,
    Body,
    TemplateCode,
    Variables,
    Priority,
    Status,
    Provider,
    ProviderMessageId,
    Attempts,
    LastError,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    SentAt,
    DeliveredAt,
    ReadAt,
    FailedAt,
}

#[derive(DeriveIden)]
enum MessageEvents {
    Table,
    Id,
    MessageId,
    Status,
    Detail,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .col(ColumnDef::new(Messages::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Messages::Channel).string_len(10).not_null())
                    .col(ColumnDef::new(Messages::Recipient).string_len(254).not_null())
                    .col(ColumnDef::new(Messages::Subject).string_len(200).null())
                    .col(ColumnDef::new(Messages::Body).text().not_null())
                    .col(ColumnDef::new(Messages::TemplateCode).string_len(100).null())
                    .col(ColumnDef::new(Messages::Variables).text().null())
                    .col(ColumnDef::new(Messages::Priority).small_integer().not_null())
                    .col(ColumnDef::new(Messages::Status).string_len(10).not_null())
                    .col(ColumnDef::new(Messages::Provider).string_len(30).null())
                    .col(ColumnDef::new(Messages::ProviderMessageId).string_len(200).null())
                    .col(ColumnDef::new(Messages::Attempts).integer().not_null().default(0))
                    .col(ColumnDef::new(Messages::LastError).text().null())
                    .col(ColumnDef::new(Messages::CreatedBy).big_integer().null())
                    .col(ts(Messages::CreatedAt))
                    .col(ts(Messages::UpdatedAt))
                    .col(ts_null(Messages::SentAt))
                    .col(ts_null(Messages::DeliveredAt))
                    .col(ts_null(Messages::ReadAt))
                    .col(ts_null(Messages::FailedAt))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("ix_messages_status_created_at", vec![Messages::Status, Messages::CreatedAt]),
            ("ix_messages_channel_created_at", vec![Messages::Channel, Messages::CreatedAt]),
            ("ix_messages_recipient", vec![Messages::Recipient]),
            ("ix_messages_created_at", vec![Messages::CreatedAt]),
        ] {
            let mut idx = Index::create().name(name).table(Messages::Table).to_owned();
            for c in cols {
                idx.col(c);
            }
            manager.create_index(idx).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("uq_messages_provider_message_id")
                    .table(Messages::Table)
                    .col(Messages::Provider)
                    .col(Messages::ProviderMessageId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MessageEvents::Table)
                    .col(ColumnDef::new(MessageEvents::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(MessageEvents::MessageId).big_integer().not_null())
                    .col(ColumnDef::new(MessageEvents::Status).string_len(10).not_null())
                    .col(ColumnDef::new(MessageEvents::Detail).text().null())
                    .col(ts(MessageEvents::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_message_events_message")
                            .from(MessageEvents::Table, MessageEvents::MessageId)
                            .to(Messages::Table, Messages::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_message_events_message_id")
                    .table(MessageEvents::Table)
                    .col(MessageEvents::MessageId)
                    .to_owned(),
            )
            .await
    }
}
