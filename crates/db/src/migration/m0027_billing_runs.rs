//! Billing runs (issue 19): one row per run started from the billing page or by the daily
//! schedule, with its progress (customers written of those to write) and its outcome, so that
//! staff see a run move and the history of runs.

use super::{ts, ts_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum BillingRuns {
    Table,
    Id,
    Period,
    Trigger,
    Status,
    Done,
    OfTotal,
    Customers,
    Created,
    AlreadyBilled,
    NothingToBill,
    Total,
    Error,
    StartedBy,
    CreatedAt,
    StartedAt,
    FinishedAt,
}

fn count(col: BillingRuns) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().default(0).take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BillingRuns::Table)
                    .col(ColumnDef::new(BillingRuns::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(BillingRuns::Period).string_len(7).not_null())
                    .col(ColumnDef::new(BillingRuns::Trigger).string_len(20).not_null())
                    .col(ColumnDef::new(BillingRuns::Status).string_len(20).not_null())
                    .col(count(BillingRuns::Done))
                    .col(count(BillingRuns::OfTotal))
                    .col(count(BillingRuns::Customers))
                    .col(count(BillingRuns::Created))
                    .col(count(BillingRuns::AlreadyBilled))
                    .col(count(BillingRuns::NothingToBill))
                    .col(count(BillingRuns::Total))
                    .col(ColumnDef::new(BillingRuns::Error).string_len(500).null())
                    .col(ColumnDef::new(BillingRuns::StartedBy).big_integer().null())
                    .col(ts(BillingRuns::CreatedAt))
                    .col(ts_null(BillingRuns::StartedAt))
                    .col(ts_null(BillingRuns::FinishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_billing_runs_created_at")
                    .table(BillingRuns::Table)
                    .col(BillingRuns::CreatedAt)
                    .to_owned(),
            )
            .await
    }
}
