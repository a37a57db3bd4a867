//! Trued-up months (issue 19): an invoice's month is billed on its first day, so a change made
//! later in the month (another package, a pause, a suspension, the end of service) is put right on
//! the next invoice as an adjustment line. `invoices.trued_up` says a recurring invoice's month has
//! been put right (the invoices written before this are taken as right); `invoice_lines.monthly`
//! is the monthly price a package line was prorated from, the basis of the adjustment.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Invoices {
    Table,
    TruedUp,
}

#[derive(DeriveIden)]
enum InvoiceLines {
    Table,
    Monthly,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Invoices::Table)
                    .add_column(ColumnDef::new(Invoices::TruedUp).boolean().not_null().default(false))
                    .to_owned(),
            )
            .await?;
        manager.exec_stmt(Query::update().table(Invoices::Table).value(Invoices::TruedUp, true).to_owned()).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(InvoiceLines::Table)
                    .add_column(ColumnDef::new(InvoiceLines::Monthly).big_integer().null())
                    .to_owned(),
            )
            .await
    }
}
