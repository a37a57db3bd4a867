//! Online payments and reminders (issue 19): one row per gateway checkout (a Snap transaction or a
//! Xendit invoice) with the state its callbacks and status polls moved it to; how each payment was
//! spread over invoices; the link from a
//! stored callback to its checkout (the gateway log); one row per reminder sent, unique per
//! invoice and day; and the PPN exemption of a customer or a package.

use super::{ts, ts_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PaymentCheckouts {
    Table,
    Id,
    InvoiceId,
    CustomerId,
    Gateway,
    OrderId,
    Amount,
    State,
    GatewayRef,
    PayUrl,
    TransactionId,
    Method,
    PaymentId,
    CreatedAt,
    UpdatedAt,
    CheckedAt,
    Checks,
}

#[derive(DeriveIden)]
enum InvoiceReminders {
    Table,
    Id,
    InvoiceId,
    Kind,
    SentOn,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PaymentAllocations {
    Table,
    Id,
    PaymentId,
    InvoiceId,
    Amount,
    At,
}

#[derive(DeriveIden)]
enum WebhookEvents {
    Table,
    CheckoutId,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    TaxExempt,
}

#[derive(DeriveIden)]
enum Packages {
    Table,
    TaxExempt,
}

#[derive(DeriveIden)]
enum Invoices {
    Table,
    Id,
}

fn text(col: impl IntoIden, len: u32) -> ColumnDef {
    ColumnDef::new(col).string_len(len).not_null().take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PaymentCheckouts::Table)
                    .col(ColumnDef::new(PaymentCheckouts::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(PaymentCheckouts::InvoiceId).big_integer().not_null())
                    .col(ColumnDef::new(PaymentCheckouts::CustomerId).big_integer().not_null())
                    .col(text(PaymentCheckouts::Gateway, 20))
                    // The invoice number plus an attempt suffix: Midtrans' order_id, Xendit's external_id.
                    .col(text(PaymentCheckouts::OrderId, 50))
                    .col(ColumnDef::new(PaymentCheckouts::Amount).big_integer().not_null())
                    .col(text(PaymentCheckouts::State, 20))
                    // The Snap token or the Xendit invoice id.
                    .col(text(PaymentCheckouts::GatewayRef, 100))
                    .col(text(PaymentCheckouts::PayUrl, 500))
                    // The gateway's transaction id once money moved (the payment's gateway_ref).
                    .col(ColumnDef::new(PaymentCheckouts::TransactionId).string_len(100).null())
                    .col(ColumnDef::new(PaymentCheckouts::Method).string_len(60).null())
                    .col(ColumnDef::new(PaymentCheckouts::PaymentId).big_integer().null())
                    .col(ts(PaymentCheckouts::CreatedAt))
                    .col(ts(PaymentCheckouts::UpdatedAt))
                    .col(ts_null(PaymentCheckouts::CheckedAt))
                    .col(ColumnDef::new(PaymentCheckouts::Checks).integer().not_null().default(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_payment_checkouts_invoice")
                            .from(PaymentCheckouts::Table, PaymentCheckouts::InvoiceId)
                            .to(Invoices::Table, Invoices::Id),
                    )
                    .to_owned(),
            )
            .await?;
        let indexes = [
            Index::create()
                .name("ux_payment_checkouts_order")
                .table(PaymentCheckouts::Table)
                .col(PaymentCheckouts::Gateway)
                .col(PaymentCheckouts::OrderId)
                .unique()
                .to_owned(),
            Index::create()
                .name("ix_payment_checkouts_invoice")
                .table(PaymentCheckouts::Table)
                .col(PaymentCheckouts::InvoiceId)
                .to_owned(),
            Index::create()
                .name("ix_payment_checkouts_state")
                .table(PaymentCheckouts::Table)
                .col(PaymentCheckouts::State)
                .col(PaymentCheckouts::CheckedAt)
                .to_owned(),
        ];
        for idx in indexes {
            manager.create_index(idx).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(InvoiceReminders::Table)
                    .col(ColumnDef::new(InvoiceReminders::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(InvoiceReminders::InvoiceId).big_integer().not_null())
                    // `d7`, `d3`, `d1`, `overdue`.
                    .col(text(InvoiceReminders::Kind, 10))
                    // The Jakarta day it was sent: at most one reminder per invoice and day.
                    .col(ColumnDef::new(InvoiceReminders::SentOn).date().not_null())
                    .col(ts(InvoiceReminders::CreatedAt))
                    .to_owned(),
            )
            .await?;
        for idx in [
            Index::create()
                .name("ux_invoice_reminders_kind")
                .table(InvoiceReminders::Table)
                .col(InvoiceReminders::InvoiceId)
                .col(InvoiceReminders::Kind)
                .unique()
                .to_owned(),
            Index::create()
                .name("ux_invoice_reminders_day")
                .table(InvoiceReminders::Table)
                .col(InvoiceReminders::InvoiceId)
                .col(InvoiceReminders::SentOn)
                .unique()
                .to_owned(),
        ] {
            manager.create_index(idx).await?;
        }

        // How each payment was spread over invoices (a refund writes the negative amounts): an
        // invoice's payment history.
        manager
            .create_table(
                Table::create()
                    .table(PaymentAllocations::Table)
                    .col(ColumnDef::new(PaymentAllocations::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(PaymentAllocations::PaymentId).big_integer().not_null())
                    .col(ColumnDef::new(PaymentAllocations::InvoiceId).big_integer().not_null())
                    .col(ColumnDef::new(PaymentAllocations::Amount).big_integer().not_null())
                    .col(ts(PaymentAllocations::At))
                    .to_owned(),
            )
            .await?;
        for idx in [
            Index::create()
                .name("ix_payment_allocations_invoice")
                .table(PaymentAllocations::Table)
                .col(PaymentAllocations::InvoiceId)
                .to_owned(),
            Index::create()
                .name("ix_payment_allocations_payment")
                .table(PaymentAllocations::Table)
                .col(PaymentAllocations::PaymentId)
                .to_owned(),
        ] {
            manager.create_index(idx).await?;
        }

        manager
            .alter_table(
                Table::alter()
                    .table(WebhookEvents::Table)
                    .add_column(ColumnDef::new(WebhookEvents::CheckoutId).big_integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Customers::Table)
                    .add_column(ColumnDef::new(Customers::TaxExempt).boolean().not_null().default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Packages::Table)
                    .add_column(ColumnDef::new(Packages::TaxExempt).boolean().not_null().default(false))
                    .to_owned(),
            )
            .await
    }
}
