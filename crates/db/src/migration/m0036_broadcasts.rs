//! Broadcasts to customers (issue 22). `broadcasts`: who sent what notice to which customers —
//! the target (an ODP, an area or a package; `target_label` keeps its name as it was), the text in
//! Indonesian and English, and how many customers it went to. `broadcast_messages`: the message
//! each recipient got, written in the broadcast's transaction, so its delivery figures are the
//! statuses of those messages.

use super::ts;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Broadcasts {
    Table,
    Id,
    TargetKind,
    TargetId,
    TargetArea,
    TargetLabel,
    BodyId,
    BodyEn,
    Recipients,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum BroadcastMessages {
    Table,
    BroadcastId,
    MessageId,
    CustomerId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Broadcasts::Table)
                    .col(ColumnDef::new(Broadcasts::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Broadcasts::TargetKind).string_len(16).not_null())
                    .col(ColumnDef::new(Broadcasts::TargetId).big_integer().null())
                    .col(ColumnDef::new(Broadcasts::TargetArea).string_len(100).null())
                    .col(ColumnDef::new(Broadcasts::TargetLabel).string_len(200).not_null())
                    .col(ColumnDef::new(Broadcasts::BodyId).text().not_null())
                    .col(ColumnDef::new(Broadcasts::BodyEn).text().not_null())
                    .col(ColumnDef::new(Broadcasts::Recipients).integer().not_null())
                    .col(ColumnDef::new(Broadcasts::CreatedBy).big_integer().null())
                    .col(ts(Broadcasts::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_broadcasts_created_at")
                    .table(Broadcasts::Table)
                    .col(Broadcasts::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BroadcastMessages::Table)
                    .col(ColumnDef::new(BroadcastMessages::MessageId).big_integer().not_null().primary_key())
                    .col(ColumnDef::new(BroadcastMessages::BroadcastId).big_integer().not_null())
                    .col(ColumnDef::new(BroadcastMessages::CustomerId).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_broadcast_messages_broadcast")
                    .table(BroadcastMessages::Table)
                    .col(BroadcastMessages::BroadcastId)
                    .col(BroadcastMessages::MessageId)
                    .to_owned(),
            )
            .await
    }
}
