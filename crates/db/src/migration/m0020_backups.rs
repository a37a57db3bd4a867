//! Backups (issue 8): one row per backup set, from its start to its deletion by retention.
//!
//! The set itself (manifest and parts) lives in the backup directory and, when configured, in a
//! bucket; this row is what the admin page, the health check and the alerts read, so they work
//! on every instance. `manifest` repeats the set's manifest (JSON) once it is complete.

use super::{ts, ts_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Backups {
    Table,
    Id,
    Name,
    Trigger,
    Status,
    Stage,
    Progress,
    Host,
    CreatedBy,
    StartedAt,
    FinishedAt,
    SizeBytes,
    Manifest,
    Error,
    RemoteStatus,
    VerifyStatus,
    VerifiedAt,
    VerifyMs,
    VerifyError,
    DeletedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Backups::Table)
                    .col(ColumnDef::new(Backups::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Backups::Name).string_len(40).not_null().unique_key())
                    // schedule | manual | cli
                    .col(ColumnDef::new(Backups::Trigger).string_len(16).not_null())
                    // running | complete | failed | interrupted
                    .col(ColumnDef::new(Backups::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Backups::Stage).string_len(40).null())
                    .col(ColumnDef::new(Backups::Progress).integer().not_null().default(0))
                    .col(ColumnDef::new(Backups::Host).string_len(100).not_null())
                    .col(ColumnDef::new(Backups::CreatedBy).big_integer().null())
                    .col(ts(Backups::StartedAt))
                    .col(ts_null(Backups::FinishedAt))
                    .col(ColumnDef::new(Backups::SizeBytes).big_integer().null())
                    .col(ColumnDef::new(Backups::Manifest).text().null())
                    .col(ColumnDef::new(Backups::Error).text().null())
                    // none | uploaded | failed
                    .col(ColumnDef::new(Backups::RemoteStatus).string_len(16).not_null().default("none"))
                    // pending | passed | failed
                    .col(ColumnDef::new(Backups::VerifyStatus).string_len(16).not_null().default("pending"))
                    .col(ts_null(Backups::VerifiedAt))
                    .col(ColumnDef::new(Backups::VerifyMs).big_integer().null())
                    .col(ColumnDef::new(Backups::VerifyError).text().null())
                    .col(ts_null(Backups::DeletedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_backups_started_at").table(Backups::Table).col(Backups::StartedAt).to_owned(),
            )
            .await
    }
}
