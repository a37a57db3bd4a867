//! Prepaid customers (issue 19): `customers.billing_mode` (`postpaid`, the default, or `prepaid`)
//! and `customers.paid_until`, the last day of service paid ahead (set when a prepaid term's
//! invoice is paid; kept when the customer goes back to postpaid, whose run then does not bill
//! those days again). The daily renewal job finds prepaid customers by the two columns.
//! `service_pauses.prepaid_days`: the days of a paid term a dated pause moved on (given back
//! when the pause is cancelled or ended early).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    BillingMode,
    PaidUntil,
}

#[derive(DeriveIden)]
enum ServicePauses {
    Table,
    PrepaidDays,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Customers::Table)
                    .add_column(ColumnDef::new(Customers::BillingMode).string_len(16).not_null().default("postpaid"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Customers::Table)
                    .add_column(ColumnDef::new(Customers::PaidUntil).date().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ServicePauses::Table)
                    .add_column(ColumnDef::new(ServicePauses::PrepaidDays).integer().not_null().default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_customers_billing_mode_paid_until")
                    .table(Customers::Table)
                    .col(Customers::BillingMode)
                    .col(Customers::PaidUntil)
                    .to_owned(),
            )
            .await
    }
}
