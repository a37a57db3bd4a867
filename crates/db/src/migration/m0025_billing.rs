//! Billing (issue 19): invoices and their lines, the customer ledger every rupiah moves through,
//! payments with their gateway reference (the idempotency key of a callback), and the spans a
//! service was suspended or paused, which are never billed. Money is integer rupiah (BIGINT).

use super::ts;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Invoices {
    Table,
    Id,
    Number,
    CustomerId,
    Kind,
    Period,
    RecurringKey,
    Status,
    IssuedOn,
    DueOn,
    Subtotal,
    Discount,
    Dpp,
    DppNilaiLain,
    PpnRate,
    Ppn,
    Total,
    Paid,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum InvoiceLines {
    Table,
    Id,
    InvoiceId,
    Position,
    Kind,
    Description,
    FirstDay,
    LastDay,
    Days,
    Quantity,
    UnitPrice,
    Amount,
}

#[derive(DeriveIden)]
enum LedgerEntries {
    Table,
    Id,
    CustomerId,
    Kind,
    Amount,
    InvoiceId,
    PaymentId,
    Note,
    ActorId,
    At,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    CustomerId,
    InvoiceId,
    Method,
    Amount,
    Status,
    Gateway,
    GatewayRef,
    EnteredBy,
    VerifiedBy,
    ReceivedAt,
    VerifiedAt,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ServicePauses {
    Table,
    Id,
    CustomerId,
    Reason,
    FromDay,
    UntilDay,
    Note,
    CreatedAt,
}

fn id(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().auto_increment().primary_key().take()
}

fn text(col: impl IntoIden, len: u32) -> ColumnDef {
    ColumnDef::new(col).string_len(len).not_null().take()
}

fn money(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().take()
}

fn customer_fk(name: &str, table: impl IntoIden, col: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from(table, col).to(Customers::Table, Customers::Id).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Invoices::Table)
                    .col(id(Invoices::Id))
                    .col(text(Invoices::Number, 20))
                    .col(ColumnDef::new(Invoices::CustomerId).big_integer().not_null())
                    .col(text(Invoices::Kind, 20))
                    // `YYYY-MM` of a recurring invoice.
                    .col(ColumnDef::new(Invoices::Period).string_len(7).null())
                    // `<customer>:<period>` for recurring invoices: the unique key that keeps a
                    // month's run from billing anyone twice, whichever instance runs it.
                    .col(ColumnDef::new(Invoices::RecurringKey).string_len(40).null())
                    .col(text(Invoices::Status, 20))
                    .col(ColumnDef::new(Invoices::IssuedOn).date().not_null())
                    .col(ColumnDef::new(Invoices::DueOn).date().not_null())
                    .col(money(Invoices::Subtotal))
                    .col(money(Invoices::Discount))
                    .col(money(Invoices::Dpp))
                    .col(ColumnDef::new(Invoices::DppNilaiLain).big_integer().null())
                    .col(ColumnDef::new(Invoices::PpnRate).integer().not_null())
                    .col(money(Invoices::Ppn))
                    .col(money(Invoices::Total))
                    .col(money(Invoices::Paid))
                    .col(ColumnDef::new(Invoices::CreatedBy).big_integer().null())
                    .col(ts(Invoices::CreatedAt))
                    .col(ts(Invoices::UpdatedAt))
                    .foreign_key(&mut customer_fk("fk_invoices_customer", Invoices::Table, Invoices::CustomerId))
                    .to_owned(),
            )
            .await?;
        let invoice_indexes = [
            Index::create().name("ux_invoices_number").table(Invoices::Table).col(Invoices::Number).unique().to_owned(),
            Index::create()
                .name("ux_invoices_recurring_key")
                .table(Invoices::Table)
                .col(Invoices::RecurringKey)
                .unique()
                .to_owned(),
            Index::create()
                .name("ix_invoices_customer")
                .table(Invoices::Table)
                .col(Invoices::CustomerId)
                .col(Invoices::Id)
                .to_owned(),
            Index::create()
                .name("ix_invoices_status_due")
                .table(Invoices::Table)
                .col(Invoices::Status)
                .col(Invoices::DueOn)
                .to_owned(),
            Index::create().name("ix_invoices_period").table(Invoices::Table).col(Invoices::Period).to_owned(),
        ];
        for idx in invoice_indexes {
            manager.create_index(idx).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(InvoiceLines::Table)
                    .col(id(InvoiceLines::Id))
                    .col(ColumnDef::new(InvoiceLines::InvoiceId).big_integer().not_null())
                    .col(ColumnDef::new(InvoiceLines::Position).integer().not_null())
                    .col(text(InvoiceLines::Kind, 20))
                    .col(text(InvoiceLines::Description, 300))
                    .col(ColumnDef::new(InvoiceLines::FirstDay).date().null())
                    .col(ColumnDef::new(InvoiceLines::LastDay).date().null())
                    .col(ColumnDef::new(InvoiceLines::Days).integer().null())
                    .col(ColumnDef::new(InvoiceLines::Quantity).integer().not_null())
                    .col(money(InvoiceLines::UnitPrice))
                    .col(money(InvoiceLines::Amount))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_invoice_lines_invoice")
                            .from(InvoiceLines::Table, InvoiceLines::InvoiceId)
                            .to(Invoices::Table, Invoices::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_invoice_lines_invoice")
                    .table(InvoiceLines::Table)
                    .col(InvoiceLines::InvoiceId)
                    .col(InvoiceLines::Position)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Payments::Table)
                    .col(id(Payments::Id))
                    .col(ColumnDef::new(Payments::CustomerId).big_integer().not_null())
                    .col(ColumnDef::new(Payments::InvoiceId).big_integer().null())
                    .col(text(Payments::Method, 20))
                    .col(money(Payments::Amount))
                    .col(text(Payments::Status, 20))
                    .col(ColumnDef::new(Payments::Gateway).string_len(20).null())
                    // The gateway's transaction id: one payment per gateway transaction, however
                    // often its callback arrives.
                    .col(ColumnDef::new(Payments::GatewayRef).string_len(100).null())
                    .col(ColumnDef::new(Payments::EnteredBy).big_integer().null())
                    .col(ColumnDef::new(Payments::VerifiedBy).big_integer().null())
                    .col(ts(Payments::ReceivedAt))
                    .col(ColumnDef::new(Payments::VerifiedAt).timestamp_with_time_zone().null())
                    .col(text(Payments::Note, 300))
                    .col(ts(Payments::CreatedAt))
                    .foreign_key(&mut customer_fk("fk_payments_customer", Payments::Table, Payments::CustomerId))
                    .to_owned(),
            )
            .await?;
        let payment_indexes = [
            Index::create()
                .name("ux_payments_gateway_ref")
                .table(Payments::Table)
                .col(Payments::Gateway)
                .col(Payments::GatewayRef)
                .unique()
                .to_owned(),
            Index::create()
                .name("ix_payments_customer")
                .table(Payments::Table)
                .col(Payments::CustomerId)
                .col(Payments::Id)
                .to_owned(),
            Index::create()
                .name("ix_payments_status")
                .table(Payments::Table)
                .col(Payments::Status)
                .col(Payments::Id)
                .to_owned(),
        ];
        for idx in payment_indexes {
            manager.create_index(idx).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(LedgerEntries::Table)
                    .col(id(LedgerEntries::Id))
                    .col(ColumnDef::new(LedgerEntries::CustomerId).big_integer().not_null())
                    .col(text(LedgerEntries::Kind, 20))
                    .col(money(LedgerEntries::Amount))
                    .col(ColumnDef::new(LedgerEntries::InvoiceId).big_integer().null())
                    .col(ColumnDef::new(LedgerEntries::PaymentId).big_integer().null())
                    .col(text(LedgerEntries::Note, 300))
                    .col(ColumnDef::new(LedgerEntries::ActorId).big_integer().null())
                    .col(ts(LedgerEntries::At))
                    .foreign_key(&mut customer_fk(
                        "fk_ledger_entries_customer",
                        LedgerEntries::Table,
                        LedgerEntries::CustomerId,
                    ))
                    .to_owned(),
            )
            .await?;
        let ledger_indexes = [
            Index::create()
                .name("ix_ledger_entries_customer")
                .table(LedgerEntries::Table)
                .col(LedgerEntries::CustomerId)
                .col(LedgerEntries::Id)
                .to_owned(),
            Index::create()
                .name("ix_ledger_entries_invoice")
                .table(LedgerEntries::Table)
                .col(LedgerEntries::InvoiceId)
                .to_owned(),
        ];
        for idx in ledger_indexes {
            manager.create_index(idx).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ServicePauses::Table)
                    .col(id(ServicePauses::Id))
                    .col(ColumnDef::new(ServicePauses::CustomerId).big_integer().not_null())
                    .col(text(ServicePauses::Reason, 20))
                    .col(ColumnDef::new(ServicePauses::FromDay).date().not_null())
                    // The first day of service again; open while the pause lasts.
                    .col(ColumnDef::new(ServicePauses::UntilDay).date().null())
                    .col(text(ServicePauses::Note, 300))
                    .col(ts(ServicePauses::CreatedAt))
                    .foreign_key(&mut customer_fk(
                        "fk_service_pauses_customer",
                        ServicePauses::Table,
                        ServicePauses::CustomerId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_service_pauses_customer")
                    .table(ServicePauses::Table)
                    .col(ServicePauses::CustomerId)
                    .col(ServicePauses::FromDay)
                    .to_owned(),
            )
            .await
    }
}
