//! Credit notes (issue 19): the part of an invoice's settled sum (`paid`) that credit notes rather
//! than payments settled, so that the invoice, its PDF and the collections figures tell the two
//! apart.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Invoices {
    Table,
    Credited,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Invoices::Table)
                    .add_column(ColumnDef::new(Invoices::Credited).big_integer().not_null().default(0))
                    .to_owned(),
            )
            .await
    }
}
