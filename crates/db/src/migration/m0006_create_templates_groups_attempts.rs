//! Notification texts per event and language (editable by admins), named recipient groups (users
//! of some roles plus extra numbers or addresses), and one row per provider call (the queue
//! dashboard's success rates per provider).

use super::ts;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum NotificationTemplates {
    Table,
    Id,
    Event,
    Language,
    Subject,
    Body,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RecipientGroups {
    Table,
    Id,
    Name,
    Description,
    Roles,
    Members,
    IsActive,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DeliveryAttempts {
    Table,
    Id,
    MessageId,
    Provider,
    Channel,
    Ok,
    Error,
    DurationMs,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(NotificationTemplates::Table)
                    .col(
                        ColumnDef::new(NotificationTemplates::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(NotificationTemplates::Event).string_len(60).not_null())
                    .col(ColumnDef::new(NotificationTemplates::Language).string_len(5).not_null())
                    .col(ColumnDef::new(NotificationTemplates::Subject).string_len(200).not_null())
                    .col(ColumnDef::new(NotificationTemplates::Body).text().not_null())
                    .col(ColumnDef::new(NotificationTemplates::UpdatedBy).big_integer().null())
                    .col(ts(NotificationTemplates::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_notification_templates_event_language")
                    .table(NotificationTemplates::Table)
                    .col(NotificationTemplates::Event)
                    .col(NotificationTemplates::Language)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RecipientGroups::Table)
                    .col(ColumnDef::new(RecipientGroups::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(RecipientGroups::Name).string_len(100).not_null())
                    .col(ColumnDef::new(RecipientGroups::Description).string_len(500).not_null())
                    .col(ColumnDef::new(RecipientGroups::Roles).text().not_null())
                    .col(ColumnDef::new(RecipientGroups::Members).text().not_null())
                    .col(ColumnDef::new(RecipientGroups::IsActive).boolean().not_null())
                    .col(ts(RecipientGroups::CreatedAt))
                    .col(ts(RecipientGroups::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_recipient_groups_name")
                    .table(RecipientGroups::Table)
                    .col(RecipientGroups::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DeliveryAttempts::Table)
                    .col(ColumnDef::new(DeliveryAttempts::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(DeliveryAttempts::MessageId).big_integer().not_null())
                    .col(ColumnDef::new(DeliveryAttempts::Provider).string_len(30).not_null())
                    .col(ColumnDef::new(DeliveryAttempts::Channel).string_len(10).not_null())
                    .col(ColumnDef::new(DeliveryAttempts::Ok).boolean().not_null())
                    .col(ColumnDef::new(DeliveryAttempts::Error).text().null())
                    .col(ColumnDef::new(DeliveryAttempts::DurationMs).integer().not_null())
                    .col(ts(DeliveryAttempts::At))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_delivery_attempts_at")
                    .table(DeliveryAttempts::Table)
                    .col(DeliveryAttempts::At)
                    .to_owned(),
            )
            .await
    }
}
