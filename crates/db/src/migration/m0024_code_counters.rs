//! Human codes without races or retries: one counter per series (`AGLS20261206`, `TKT20261206`,
//! later `INV-202612-`), incremented by one atomic upsert inside the transaction that creates the
//! record. Concurrent creators (on any instance) queue on the counter's row and get distinct
//! numbers; a creation that rolls back gives its number back, so series have no gaps.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CodeCounters {
    Table,
    Series,
    Last,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CodeCounters::Table)
                    .col(ColumnDef::new(CodeCounters::Series).string_len(40).not_null().primary_key())
                    .col(ColumnDef::new(CodeCounters::Last).big_integer().not_null())
                    .to_owned(),
            )
            .await
    }
}
