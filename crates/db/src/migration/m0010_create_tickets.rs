//! Field work: technicians with their skills, tickets with their team, history and SLA pauses,
//! the editable SLA table and the public holidays business-hours SLAs skip.

use super::{ts, ts_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Technicians {
    Table,
    Id,
    UserId,
    EmployeeId,
    FullName,
    Phone,
    SkillLevel,
    WorkZone,
    MaxDailyTickets,
    WorkStart,
    WorkEnd,
    Availability,
    IsActive,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TechnicianSkills {
    Table,
    TechnicianId,
    Skill,
    Level,
}

#[derive(DeriveIden)]
enum Tickets {
    Table,
    Id,
    Number,
    CustomerId,
    RegistrationId,
    TicketType,
    Category,
    Priority,
    Status,
    Title,
    Description,
    Location,
    Latitude,
    Longitude,
    LeadTechnicianId,
    CreatedBy,
    SlaCalendar,
    ResponseMinutes,
    ResolutionMinutes,
    SlaDueAt,
    FirstResponseAt,
    StartedAt,
    ResolvedAt,
    ClosedAt,
    BreachedAt,
    EscalatedHighAt,
    EscalatedCriticalAt,
    Completion,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TicketTeam {
    Table,
    TicketId,
    TechnicianId,
    Role,
    AssignedAt,
}

#[derive(DeriveIden)]
enum TicketEvents {
    Table,
    Id,
    TicketId,
    Kind,
    FromStatus,
    ToStatus,
    Detail,
    ActorId,
    At,
}

#[derive(DeriveIden)]
enum TicketPauses {
    Table,
    Id,
    TicketId,
    FromAt,
    UntilAt,
}

#[derive(DeriveIden)]
enum SlaTargets {
    Table,
    TicketType,
    Priority,
    ResponseMinutes,
    ResolutionMinutes,
    Calendar,
}

#[derive(DeriveIden)]
enum Holidays {
    Table,
    Day,
    Name,
}

fn id(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().auto_increment().primary_key().take()
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
                    .table(Technicians::Table)
                    .col(id(Technicians::Id))
                    .col(ColumnDef::new(Technicians::UserId).big_integer().null())
                    .col(text(Technicians::EmployeeId, 20))
                    .col(text(Technicians::FullName, 100))
                    .col(text(Technicians::Phone, 20))
                    .col(text(Technicians::SkillLevel, 20))
                    .col(text(Technicians::WorkZone, 100))
                    .col(ColumnDef::new(Technicians::MaxDailyTickets).integer().not_null())
                    .col(text(Technicians::WorkStart, 5))
                    .col(text(Technicians::WorkEnd, 5))
                    .col(text(Technicians::Availability, 20))
                    .col(ColumnDef::new(Technicians::IsActive).boolean().not_null())
                    .col(ts(Technicians::CreatedAt))
                    .col(ts(Technicians::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        let tech_indexes = [
            Index::create()
                .name("ux_technicians_employee_id")
                .table(Technicians::Table)
                .col(Technicians::EmployeeId)
                .unique()
                .to_owned(),
            Index::create()
                .name("ux_technicians_user_id")
                .table(Technicians::Table)
                .col(Technicians::UserId)
                .unique()
                .to_owned(),
            Index::create()
                .name("ix_technicians_zone")
                .table(Technicians::Table)
                .col(Technicians::WorkZone)
                .col(Technicians::Id)
                .to_owned(),
        ];
        for idx in tech_indexes {
            manager.create_index(idx).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(TechnicianSkills::Table)
                    .col(ColumnDef::new(TechnicianSkills::TechnicianId).big_integer().not_null())
                    .col(text(TechnicianSkills::Skill, 50))
                    .col(ColumnDef::new(TechnicianSkills::Level).integer().not_null())
                    .primary_key(Index::create().col(TechnicianSkills::TechnicianId).col(TechnicianSkills::Skill))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tickets::Table)
                    .col(id(Tickets::Id))
                    .col(text(Tickets::Number, 20))
                    .col(ColumnDef::new(Tickets::CustomerId).big_integer().null())
                    .col(ColumnDef::new(Tickets::RegistrationId).big_integer().null())
                    .col(text(Tickets::TicketType, 20))
                    .col(text(Tickets::Category, 50))
                    .col(text(Tickets::Priority, 10))
                    .col(text(Tickets::Status, 20))
                    .col(text(Tickets::Title, 200))
                    .col(ColumnDef::new(Tickets::Description).text().not_null())
                    .col(text(Tickets::Location, 300))
                    .col(ColumnDef::new(Tickets::Latitude).double().null())
                    .col(ColumnDef::new(Tickets::Longitude).double().null())
                    .col(ColumnDef::new(Tickets::LeadTechnicianId).big_integer().null())
                    .col(ColumnDef::new(Tickets::CreatedBy).big_integer().null())
                    .col(text(Tickets::SlaCalendar, 10))
                    .col(ColumnDef::new(Tickets::ResponseMinutes).integer().not_null())
                    .col(ColumnDef::new(Tickets::ResolutionMinutes).integer().not_null())
                    .col(ts_null(Tickets::SlaDueAt))
                    .col(ts_null(Tickets::FirstResponseAt))
                    .col(ts_null(Tickets::StartedAt))
                    .col(ts_null(Tickets::ResolvedAt))
                    .col(ts_null(Tickets::ClosedAt))
                    .col(ts_null(Tickets::BreachedAt))
                    .col(ts_null(Tickets::EscalatedHighAt))
                    .col(ts_null(Tickets::EscalatedCriticalAt))
                    .col(ColumnDef::new(Tickets::Completion).text().null())
                    .col(ts(Tickets::CreatedAt))
                    .col(ts(Tickets::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tickets_lead")
                            .from(Tickets::Table, Tickets::LeadTechnicianId)
                            .to(Technicians::Table, Technicians::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // Every list's filter and order has its index (ticket list: newest first; by status;
        // a technician's queue; a customer's tickets; the SLA checks: active tickets by due time).
        let t = || Tickets::Table;
        let ticket_indexes = [
            Index::create().name("ux_tickets_number").table(t()).col(Tickets::Number).unique().to_owned(),
            Index::create().name("ix_tickets_status_id").table(t()).col(Tickets::Status).col(Tickets::Id).to_owned(),
            Index::create()
                .name("ix_tickets_lead_status")
                .table(t())
                .col(Tickets::LeadTechnicianId)
                .col(Tickets::Status)
                .col(Tickets::Id)
                .to_owned(),
            Index::create().name("ix_tickets_customer").table(t()).col(Tickets::CustomerId).col(Tickets::Id).to_owned(),
            Index::create().name("ix_tickets_sla_due").table(t()).col(Tickets::SlaDueAt).to_owned(),
            Index::create().name("ix_tickets_registration").table(t()).col(Tickets::RegistrationId).to_owned(),
        ];
        for idx in ticket_indexes {
            manager.create_index(idx).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(TicketTeam::Table)
                    .col(ColumnDef::new(TicketTeam::TicketId).big_integer().not_null())
                    .col(ColumnDef::new(TicketTeam::TechnicianId).big_integer().not_null())
                    .col(text(TicketTeam::Role, 10))
                    .col(ts(TicketTeam::AssignedAt))
                    .primary_key(Index::create().col(TicketTeam::TicketId).col(TicketTeam::TechnicianId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_ticket_team_technician")
                    .table(TicketTeam::Table)
                    .col(TicketTeam::TechnicianId)
                    .col(TicketTeam::TicketId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TicketEvents::Table)
                    .col(id(TicketEvents::Id))
                    .col(ColumnDef::new(TicketEvents::TicketId).big_integer().not_null())
                    .col(text(TicketEvents::Kind, 20))
                    .col(ColumnDef::new(TicketEvents::FromStatus).string_len(20).null())
                    .col(ColumnDef::new(TicketEvents::ToStatus).string_len(20).null())
                    .col(ColumnDef::new(TicketEvents::Detail).text().not_null())
                    .col(ColumnDef::new(TicketEvents::ActorId).big_integer().null())
                    .col(ts(TicketEvents::At))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_ticket_events_ticket")
                    .table(TicketEvents::Table)
                    .col(TicketEvents::TicketId)
                    .col(TicketEvents::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TicketPauses::Table)
                    .col(id(TicketPauses::Id))
                    .col(ColumnDef::new(TicketPauses::TicketId).big_integer().not_null())
                    .col(ts(TicketPauses::FromAt))
                    .col(ts_null(TicketPauses::UntilAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_ticket_pauses_ticket")
                    .table(TicketPauses::Table)
                    .col(TicketPauses::TicketId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SlaTargets::Table)
                    .col(text(SlaTargets::TicketType, 20))
                    .col(text(SlaTargets::Priority, 10))
                    .col(ColumnDef::new(SlaTargets::ResponseMinutes).integer().not_null())
                    .col(ColumnDef::new(SlaTargets::ResolutionMinutes).integer().not_null())
                    .col(text(SlaTargets::Calendar, 10))
                    .primary_key(Index::create().col(SlaTargets::TicketType).col(SlaTargets::Priority))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Holidays::Table)
                    .col(ColumnDef::new(Holidays::Day).date().not_null().primary_key())
                    .col(text(Holidays::Name, 100))
                    .to_owned(),
            )
            .await
    }
}
