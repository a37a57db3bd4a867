//! Provider callbacks, stored raw before they are applied; and the id Fonnte uses in its
//! delivery-state callbacks (`stateid`), bound to a message by its first status callback.

use super::{ts, ts_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebhookEvents {
    Table,
    Id,
    Source,
    Payload,
    ReceivedAt,
    ProcessedAt,
    Outcome,
    MessageId,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    ProviderStateId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookEvents::Table)
                    .col(ColumnDef::new(WebhookEvents::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(WebhookEvents::Source).string_len(30).not_null())
                    .col(ColumnDef::new(WebhookEvents::Payload).text().not_null())
                    .col(ts(WebhookEvents::ReceivedAt))
                    .col(ts_null(WebhookEvents::ProcessedAt))
                    .col(ColumnDef::new(WebhookEvents::Outcome).string_len(20).null())
                    .col(ColumnDef::new(WebhookEvents::MessageId).big_integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_events_outcome_received_at")
                    .table(WebhookEvents::Table)
                    .col(WebhookEvents::Outcome)
                    .col(WebhookEvents::ReceivedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .add_column(ColumnDef::new(Messages::ProviderStateId).string_len(200).null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_messages_provider_state_id")
                    .table(Messages::Table)
                    .col(Messages::ProviderStateId)
                    .to_owned(),
            )
            .await
    }
}
