//! The language a customer (and an applicant) is written to in: `id` (Indonesian, the default)
//! or `en`. Ticket and registration messages pick their template by it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    Language,
}

#[derive(DeriveIden)]
enum Registrations {
    Table,
    Language,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Customers::Table)
                    .add_column(ColumnDef::new(Customers::Language).string_len(2).not_null().default("id"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Registrations::Table)
                    .add_column(ColumnDef::new(Registrations::Language).string_len(2).not_null().default("id"))
                    .to_owned(),
            )
            .await
    }
}
