//! The manager's twelve-month trends (issue 22) read through indexes only, at 1 M tickets and
//! 100 k customers:
//! - `ix_tickets_created_type` (`created_at`, `ticket_type`): tickets opened per type in a month,
//!   without reading a ticket row (a month is about 40 k entries; before, a scan of the table:
//!   0.2 s on SQLite);
//! - `ix_tickets_resolved_figures` (`resolved_at`, `breached_at`, `lead_technician_id`,
//!   `created_at`): the month's resolved tickets, their SLA and their resolution time from one
//!   range. It replaces `ix_tickets_resolved_breached` (m0015), its prefix, so the 30-day figures
//!   and the compliance per lead read it as before;
//! - `ix_customers_terminated_at`: customers who left in a month (new ones are read through
//!   `ix_customers_registered_at`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tickets {
    Table,
    CreatedAt,
    TicketType,
    ResolvedAt,
    BreachedAt,
    LeadTechnicianId,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    TerminatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_tickets_created_type")
                    .table(Tickets::Table)
                    .col(Tickets::CreatedAt)
                    .col(Tickets::TicketType)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_tickets_resolved_figures")
                    .table(Tickets::Table)
                    .col(Tickets::ResolvedAt)
                    .col(Tickets::BreachedAt)
                    .col(Tickets::LeadTechnicianId)
                    .col(Tickets::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager.drop_index(Index::drop().name("ix_tickets_resolved_breached").table(Tickets::Table).to_owned()).await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_customers_terminated_at")
                    .table(Customers::Table)
                    .col(Customers::TerminatedAt)
                    .to_owned(),
            )
            .await
    }
}
