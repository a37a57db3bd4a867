//! Master data admins edit (issue 22) instead of lists in the code:
//! - `ticket_categories`: the kinds of job within each ticket type (spec §2.6 `service_categories`),
//!   with the minutes such a job usually takes; unique per (type, code).
//! - `skills`: the skill catalogue (spec §2.7 `specializations`): each skill in a field of work and
//!   serving some ticket types (`ticket_types`, comma-separated), which the assignment suggestions
//!   read to know what a ticket calls for.
//! - `service_areas`: where technicians work; `name_key` (the name in lower case) keeps names
//!   unique whatever their case.
//!
//! Each starts with the catalogue the code used to hold, so existing installations and the demo
//! keep working unchanged. Rows are switched off rather than deleted: tickets and profiles keep
//! their codes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TicketCategories {
    Table,
    Id,
    TicketType,
    Code,
    NameId,
    NameEn,
    Minutes,
    IsActive,
}

#[derive(DeriveIden)]
enum Skills {
    Table,
    Id,
    Code,
    NameId,
    NameEn,
    Specialization,
    TicketTypes,
    IsActive,
}

#[derive(DeriveIden)]
enum ServiceAreas {
    Table,
    Id,
    Name,
    NameKey,
    City,
    IsActive,
}

/// (type, code, Indonesian, English, minutes)
const CATEGORIES: &[(&str, &str, &str, &str, i32)] = &[
    ("installation", "ftth_installation", "Instalasi FTTH", "FTTH installation", 180),
    ("installation", "new_registration", "Instalasi pelanggan baru", "New customer installation", 120),
    ("installation", "wireless_installation", "Instalasi wireless", "Wireless installation", 180),
    ("installation", "relocation", "Relokasi", "Relocation", 150),
    ("repair", "no_connection", "Internet mati", "No connection", 120),
    ("repair", "los_red", "Lampu LOS merah", "Red LOS light", 120),
    ("repair", "slow", "Internet lambat", "Slow connection", 90),
    ("repair", "intermittent_connection", "Koneksi putus-sambung", "Intermittent connection", 90),
    ("repair", "cable_damage", "Kabel rusak", "Damaged cable", 120),
    ("repair", "equipment_failure", "Perangkat rusak", "Equipment failure", 90),
    ("repair", "wifi_weak_signal", "Sinyal WiFi lemah", "Weak WiFi signal", 60),
    ("maintenance", "preventive_maintenance", "Perawatan rutin", "Preventive maintenance", 120),
    ("maintenance", "fiber_cleaning", "Pembersihan konektor fiber", "Fibre connector cleaning", 60),
    ("maintenance", "firmware_update", "Pembaruan firmware", "Firmware update", 45),
    ("upgrade", "upgrade", "Naik paket", "Plan upgrade", 60),
    ("upgrade", "equipment_upgrade", "Ganti perangkat", "Equipment upgrade", 60),
    ("downgrade", "downgrade", "Turun paket", "Plan downgrade", 45),
    ("wifi_setup", "new_wifi_config", "Pengaturan WiFi baru", "New WiFi set-up", 60),
    ("wifi_setup", "mesh_network", "Jaringan mesh", "Mesh network", 90),
    ("wifi_setup", "change_password", "Ganti kata sandi WiFi", "WiFi password change", 30),
    ("dismantle", "dismantle", "Cabut layanan", "Full dismantle", 90),
    ("dismantle", "equipment_return", "Pengembalian perangkat", "Equipment return", 45),
    ("dismantle", "non_payment", "Cabut karena tunggakan", "Dismantle for non-payment", 90),
    ("survey", "site_survey", "Survei lokasi", "Site survey", 60),
];

/// (code, Indonesian, English, field of work, ticket types) — the codes the forms offered and
/// the assignment used before (`ticket_assign::skills_for`), so suggestions rank as they did.
const SKILLS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "ftth_basic_install",
        "Instalasi FTTH dasar",
        "Basic FTTH installation",
        "ftth_installation",
        "installation,repair,upgrade,downgrade,dismantle,survey",
    ),
    ("ont_configuration", "Konfigurasi ONT", "ONT configuration", "ftth_installation", "installation"),
    ("odp_installation", "Pemasangan ODP", "ODP installation", "ftth_installation", "maintenance"),
    ("fiber_splicing", "Penyambungan fiber", "Fibre splicing", "ftth_maintenance", "installation,repair,maintenance"),
    ("otdr_testing", "Pengukuran OTDR", "OTDR testing", "ftth_maintenance", "maintenance"),
    ("speed_testing", "Uji kecepatan", "Speed testing", "ftth_maintenance", "repair,upgrade,downgrade"),
    ("backbone_fiber", "Fiber backbone", "Backbone fibre", "network_infrastructure", "maintenance"),
    ("olt_management", "Pengelolaan OLT", "OLT management", "network_infrastructure", "maintenance"),
    ("tower_climbing", "Panjat tower", "Tower climbing", "network_infrastructure", "maintenance"),
    ("network_monitoring", "Pemantauan jaringan", "Network monitoring", "noc_operations", "maintenance"),
    ("router_configuration", "Konfigurasi router", "Router configuration", "noc_operations", "upgrade,wifi_setup"),
    ("customer_education", "Edukasi pelanggan", "Customer education", "customer_support", "installation,wifi_setup"),
    ("wifi_setup", "Pengaturan WiFi", "WiFi set-up", "wireless_services", "wifi_setup"),
    ("radio_link", "Radio link", "Radio link", "wireless_services", "installation,repair"),
];

/// (name, city): the areas of the Karawang and Bekasi service region.
const AREAS: &[(&str, &str)] = &[
    ("Karawang", "Kabupaten Karawang"),
    ("Karawang Barat", "Kabupaten Karawang"),
    ("Karawang Timur", "Kabupaten Karawang"),
    ("Telukjambe", "Kabupaten Karawang"),
    ("Telukjambe Timur", "Kabupaten Karawang"),
    ("Telukjambe Barat", "Kabupaten Karawang"),
    ("Klari", "Kabupaten Karawang"),
    ("Cikampek", "Kabupaten Karawang"),
    ("Rengasdengklok", "Kabupaten Karawang"),
    ("Purwasari", "Kabupaten Karawang"),
    ("Bekasi", "Kota Bekasi"),
    ("Bekasi Barat", "Kota Bekasi"),
    ("Bekasi Timur", "Kota Bekasi"),
    ("Bekasi Utara", "Kota Bekasi"),
    ("Bekasi Selatan", "Kota Bekasi"),
    ("Cikarang", "Kabupaten Bekasi"),
    ("Cikarang Utara", "Kabupaten Bekasi"),
    ("Cikarang Barat", "Kabupaten Bekasi"),
    ("Cikarang Selatan", "Kabupaten Bekasi"),
    ("Tambun", "Kabupaten Bekasi"),
    ("Tambun Selatan", "Kabupaten Bekasi"),
    ("Tambun Utara", "Kabupaten Bekasi"),
    ("Cibitung", "Kabupaten Bekasi"),
    ("Setu", "Kabupaten Bekasi"),
];

fn insert_error(e: impl std::fmt::Display) -> DbErr {
    DbErr::Custom(format!("master data row: {e}"))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TicketCategories::Table)
                    .col(ColumnDef::new(TicketCategories::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(TicketCategories::TicketType).string_len(32).not_null())
                    .col(ColumnDef::new(TicketCategories::Code).string_len(50).not_null())
                    .col(ColumnDef::new(TicketCategories::NameId).string_len(100).not_null())
                    .col(ColumnDef::new(TicketCategories::NameEn).string_len(100).not_null())
                    .col(ColumnDef::new(TicketCategories::Minutes).integer().not_null())
                    .col(ColumnDef::new(TicketCategories::IsActive).boolean().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_ticket_categories_type_code")
                    .table(TicketCategories::Table)
                    .col(TicketCategories::TicketType)
                    .col(TicketCategories::Code)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Skills::Table)
                    .col(ColumnDef::new(Skills::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Skills::Code).string_len(50).not_null().unique_key())
                    .col(ColumnDef::new(Skills::NameId).string_len(100).not_null())
                    .col(ColumnDef::new(Skills::NameEn).string_len(100).not_null())
                    .col(ColumnDef::new(Skills::Specialization).string_len(32).not_null())
                    .col(ColumnDef::new(Skills::TicketTypes).string_len(200).not_null())
                    .col(ColumnDef::new(Skills::IsActive).boolean().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ServiceAreas::Table)
                    .col(ColumnDef::new(ServiceAreas::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(ServiceAreas::Name).string_len(100).not_null())
                    .col(ColumnDef::new(ServiceAreas::NameKey).string_len(100).not_null().unique_key())
                    .col(ColumnDef::new(ServiceAreas::City).string_len(100).not_null())
                    .col(ColumnDef::new(ServiceAreas::IsActive).boolean().not_null())
                    .to_owned(),
            )
            .await?;

        let mut q = Query::insert()
            .into_table(TicketCategories::Table)
            .columns([
                TicketCategories::TicketType,
                TicketCategories::Code,
                TicketCategories::NameId,
                TicketCategories::NameEn,
                TicketCategories::Minutes,
                TicketCategories::IsActive,
            ])
            .to_owned();
        for (t, code, id, en, minutes) in CATEGORIES {
            q.values([(*t).into(), (*code).into(), (*id).into(), (*en).into(), (*minutes).into(), true.into()])
                .map_err(insert_error)?;
        }
        manager.exec_stmt(q).await?;

        let mut q = Query::insert()
            .into_table(Skills::Table)
            .columns([
                Skills::Code,
                Skills::NameId,
                Skills::NameEn,
                Skills::Specialization,
                Skills::TicketTypes,
                Skills::IsActive,
            ])
            .to_owned();
        for (code, id, en, spec, types) in SKILLS {
            q.values([(*code).into(), (*id).into(), (*en).into(), (*spec).into(), (*types).into(), true.into()])
                .map_err(insert_error)?;
        }
        manager.exec_stmt(q).await?;

        let mut q = Query::insert()
            .into_table(ServiceAreas::Table)
            .columns([ServiceAreas::Name, ServiceAreas::NameKey, ServiceAreas::City, ServiceAreas::IsActive])
            .to_owned();
        for (name, city) in AREAS {
            q.values([(*name).into(), name.to_lowercase().into(), (*city).into(), true.into()])
                .map_err(insert_error)?;
        }
        manager.exec_stmt(q).await
    }
}
