//! Sliding-window rate limits shared by every instance: one row per limited key (locked while a
//! hit is counted) and one row per hit.

use super::ts;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RateLimitKeys {
    Table,
    Key,
    TouchedAt,
}

#[derive(DeriveIden)]
enum RateLimitHits {
    Table,
    Id,
    Key,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RateLimitKeys::Table)
                    .col(ColumnDef::new(RateLimitKeys::Key).string_len(100).not_null().primary_key())
                    .col(ts(RateLimitKeys::TouchedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RateLimitHits::Table)
                    .col(ColumnDef::new(RateLimitHits::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(RateLimitHits::Key).string_len(100).not_null())
                    .col(ts(RateLimitHits::At))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_rate_limit_hits_key_at")
                    .table(RateLimitHits::Table)
                    .col(RateLimitHits::Key)
                    .col(RateLimitHits::At)
                    .to_owned(),
            )
            .await
    }
}
