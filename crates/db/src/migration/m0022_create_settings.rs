//! Installation-wide settings as key → value text: what kind of installation this is (`demo`
//! marks a database `aglis demo` seeded, which it alone may run on), and later settings that
//! belong to the data rather than to one instance's configuration.

use super::ts;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Settings {
    Table,
    Key,
    Value,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Settings::Table)
                    .col(ColumnDef::new(Settings::Key).string_len(100).not_null().primary_key())
                    .col(ColumnDef::new(Settings::Value).text().not_null())
                    .col(ts(Settings::UpdatedAt))
                    .to_owned(),
            )
            .await
    }
}
