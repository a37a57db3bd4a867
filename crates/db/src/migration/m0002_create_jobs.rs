//! The database as queue, lock service and scheduler memory: `jobs`, `leases`, `schedules`.

use super::{ts, ts_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    Kind,
    Payload,
    Priority,
    Status,
    RunAt,
    Attempts,
    MaxAttempts,
    LockedUntil,
    LockedBy,
    LastError,
    DedupKey,
    CreatedAt,
    UpdatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum Leases {
    Table,
    Name,
    Holder,
    AcquiredAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Schedules {
    Table,
    Id,
    Name,
    Cron,
    Timezone,
    JobKind,
    Payload,
    Enabled,
    NextRunAt,
    LastRunAt,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(ColumnDef::new(Jobs::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Jobs::Kind).string_len(100).not_null())
                    .col(ColumnDef::new(Jobs::Payload).text().not_null())
                    .col(ColumnDef::new(Jobs::Priority).small_integer().not_null())
                    .col(ColumnDef::new(Jobs::Status).string_len(10).not_null())
                    .col(ts(Jobs::RunAt))
                    .col(ColumnDef::new(Jobs::Attempts).integer().not_null().default(0))
                    .col(ColumnDef::new(Jobs::MaxAttempts).integer().not_null())
                    .col(ts_null(Jobs::LockedUntil))
                    .col(ColumnDef::new(Jobs::LockedBy).string_len(100).null())
                    .col(ColumnDef::new(Jobs::LastError).text().null())
                    .col(ColumnDef::new(Jobs::DedupKey).string_len(200).null())
                    .col(ts(Jobs::CreatedAt))
                    .col(ts(Jobs::UpdatedAt))
                    .col(ts_null(Jobs::FinishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("uq_jobs_dedup_key").table(Jobs::Table).col(Jobs::DedupKey).unique().to_owned(),
            )
            .await?;
        // The claim query: due queued jobs by priority then due time.
        manager
            .create_index(
                Index::create()
                    .name("ix_jobs_claim")
                    .table(Jobs::Table)
                    .col(Jobs::Status)
                    .col(Jobs::Priority)
                    .col(Jobs::RunAt)
                    .to_owned(),
            )
            .await?;
        // Lock-expiry recovery and the admin list (by state, newest first).
        manager
            .create_index(
                Index::create()
                    .name("ix_jobs_status_locked_until")
                    .table(Jobs::Table)
                    .col(Jobs::Status)
                    .col(Jobs::LockedUntil)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_jobs_status_updated_at")
                    .table(Jobs::Table)
                    .col(Jobs::Status)
                    .col(Jobs::UpdatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Leases::Table)
                    .col(ColumnDef::new(Leases::Name).string_len(50).not_null().primary_key())
                    .col(ColumnDef::new(Leases::Holder).string_len(100).not_null())
                    .col(ts(Leases::AcquiredAt))
                    .col(ts(Leases::ExpiresAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Schedules::Table)
                    .col(ColumnDef::new(Schedules::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Schedules::Name).string_len(100).not_null())
                    .col(ColumnDef::new(Schedules::Cron).string_len(100).not_null())
                    .col(ColumnDef::new(Schedules::Timezone).string_len(50).not_null())
                    .col(ColumnDef::new(Schedules::JobKind).string_len(100).not_null())
                    .col(ColumnDef::new(Schedules::Payload).text().not_null())
                    .col(ColumnDef::new(Schedules::Enabled).boolean().not_null().default(true))
                    .col(ts(Schedules::NextRunAt))
                    .col(ts_null(Schedules::LastRunAt))
                    .col(ts(Schedules::CreatedAt))
                    .col(ts(Schedules::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_schedules_name")
                    .table(Schedules::Table)
                    .col(Schedules::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_schedules_enabled_next_run_at")
                    .table(Schedules::Table)
                    .col(Schedules::Enabled)
                    .col(Schedules::NextRunAt)
                    .to_owned(),
            )
            .await
    }
}
