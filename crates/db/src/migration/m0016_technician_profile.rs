//! The rest of a technician's profile: further service areas besides the home zone, the fields of
//! work they specialise in, and the days they work. Each is a small set per technician (a table
//! keyed by technician and value), so the list filters are index look-ups. Also the indexes the
//! technician list's filters and order use.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Technicians {
    Table,
    Id,
    FullName,
    Availability,
}

#[derive(DeriveIden)]
enum TechnicianSkills {
    Table,
    TechnicianId,
    Skill,
    Level,
}

#[derive(DeriveIden, Clone, Copy)]
enum TechnicianAreas {
    Table,
    TechnicianId,
    Area,
}

#[derive(DeriveIden, Clone, Copy)]
enum TechnicianSpecializations {
    Table,
    TechnicianId,
    Specialization,
}

#[derive(DeriveIden, Clone, Copy)]
enum TechnicianWorkDays {
    Table,
    TechnicianId,
    Day,
}

/// A `(technician_id, value)` set table whose rows go with their technician.
fn set_table(
    table: impl IntoIden + Copy,
    tech: impl IntoIden + Copy,
    value: impl IntoIden + Copy,
    len: u32,
    fk: &str,
) -> TableCreateStatement {
    Table::create()
        .table(table)
        .col(ColumnDef::new(tech).big_integer().not_null())
        .col(ColumnDef::new(value).string_len(len).not_null())
        .primary_key(Index::create().col(tech).col(value))
        .foreign_key(
            ForeignKey::create()
                .name(fk)
                .from(table, tech)
                .to(Technicians::Table, Technicians::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(set_table(
                TechnicianAreas::Table,
                TechnicianAreas::TechnicianId,
                TechnicianAreas::Area,
                100,
                "fk_technician_areas_technician",
            ))
            .await?;
        manager
            .create_table(set_table(
                TechnicianSpecializations::Table,
                TechnicianSpecializations::TechnicianId,
                TechnicianSpecializations::Specialization,
                30,
                "fk_technician_specializations_technician",
            ))
            .await?;
        manager
            .create_table(set_table(
                TechnicianWorkDays::Table,
                TechnicianWorkDays::TechnicianId,
                TechnicianWorkDays::Day,
                3,
                "fk_technician_work_days_technician",
            ))
            .await?;
        // The list: by name; filtered by availability, by area, by skill (and level), by specialisation.
        let indexes = [
            Index::create()
                .name("ix_technicians_name")
                .table(Technicians::Table)
                .col(Technicians::FullName)
                .col(Technicians::Id)
                .to_owned(),
            Index::create()
                .name("ix_technicians_availability")
                .table(Technicians::Table)
                .col(Technicians::Availability)
                .col(Technicians::Id)
                .to_owned(),
            Index::create()
                .name("ix_technician_areas_area")
                .table(TechnicianAreas::Table)
                .col(TechnicianAreas::Area)
                .col(TechnicianAreas::TechnicianId)
                .to_owned(),
            Index::create()
                .name("ix_technician_skills_skill")
                .table(TechnicianSkills::Table)
                .col(TechnicianSkills::Skill)
                .col(TechnicianSkills::Level)
                .col(TechnicianSkills::TechnicianId)
                .to_owned(),
            Index::create()
                .name("ix_technician_specializations_spec")
                .table(TechnicianSpecializations::Table)
                .col(TechnicianSpecializations::Specialization)
                .col(TechnicianSpecializations::TechnicianId)
                .to_owned(),
        ];
        for idx in indexes {
            manager.create_index(idx).await?;
        }
        Ok(())
    }
}
