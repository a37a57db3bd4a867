//! Forward-only schema migrations, written once with SeaQuery and run on both engines.
//!
//! This module imports only the migration prelude (the entity prelude also exports `ColumnDef`).

use sea_orm_migration::prelude::*;

mod m0001_create_users;
mod m0002_create_jobs;
mod m0003_create_messages;
mod m0004_create_webhook_events;
mod m0005_create_rate_limits;
mod m0006_create_templates_groups_attempts;
mod m0007_create_customers;
mod m0008_create_registrations;
mod m0009_customer_counts_and_name_keys;
mod m0010_create_tickets;
mod m0011_ticket_counts;
mod m0012_ticket_status_number;
mod m0013_ticket_attachments;
mod m0014_ticket_words;
mod m0015_ticket_figures;
mod m0016_technician_profile;
mod m0017_customer_language;
mod m0018_audit_log;
mod m0019_two_factor;
mod m0020_backups;
mod m0021_monitoring;
mod m0022_create_settings;
mod m0023_message_and_audit_words;
mod m0024_code_counters;
mod m0025_billing;
mod m0026_online_payments;
mod m0027_billing_runs;
mod m0028_invoice_credits;
mod m0029_package_changes;
mod m0030_true_ups;
mod m0031_prepaid;
mod m0032_portal;
mod m0033_portal_notices;
mod m0034_network_enforcement;
mod m0035_live_events;
mod m0036_broadcasts;
mod m0037_master_data;
mod m0038_trend_indexes;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_create_users::Migration),
            Box::new(m0002_create_jobs::Migration),
            Box::new(m0003_create_messages::Migration),
            Box::new(m0004_create_webhook_events::Migration),
            Box::new(m0005_create_rate_limits::Migration),
            Box::new(m0006_create_templates_groups_attempts::Migration),
            Box::new(m0007_create_customers::Migration),
            Box::new(m0008_create_registrations::Migration),
            Box::new(m0009_customer_counts_and_name_keys::Migration),
            Box::new(m0010_create_tickets::Migration),
            Box::new(m0011_ticket_counts::Migration),
            Box::new(m0012_ticket_status_number::Migration),
            Box::new(m0013_ticket_attachments::Migration),
            Box::new(m0014_ticket_words::Migration),
            Box::new(m0015_ticket_figures::Migration),
            Box::new(m0016_technician_profile::Migration),
            Box::new(m0017_customer_language::Migration),
            Box::new(m0018_audit_log::Migration),
            Box::new(m0019_two_factor::Migration),
            Box::new(m0020_backups::Migration),
            Box::new(m0021_monitoring::Migration),
            Box::new(m0022_create_settings::Migration),
            Box::new(m0023_message_and_audit_words::Migration),
            Box::new(m0024_code_counters::Migration),
            Box::new(m0025_billing::Migration),
            Box::new(m0026_online_payments::Migration),
            Box::new(m0027_billing_runs::Migration),
            Box::new(m0028_invoice_credits::Migration),
            Box::new(m0029_package_changes::Migration),
            Box::new(m0030_true_ups::Migration),
            Box::new(m0031_prepaid::Migration),
            Box::new(m0032_portal::Migration),
            Box::new(m0033_portal_notices::Migration),
            Box::new(m0034_network_enforcement::Migration),
            Box::new(m0035_live_events::Migration),
            Box::new(m0036_broadcasts::Migration),
            Box::new(m0037_master_data::Migration),
            Box::new(m0038_trend_indexes::Migration),
        ]
    }
}

/// Applies every pending migration. Idempotent.
pub async fn run(db: &sea_orm::DatabaseConnection) -> Result<(), crate::DbError> {
    Migrator::up(db, None).await?;
    Ok(())
}

/// Names of the migrations applied so far, oldest first.
pub async fn applied(db: &sea_orm::DatabaseConnection) -> Result<Vec<String>, crate::DbError> {
    Ok(Migrator::get_applied_migrations(db).await?.into_iter().map(|m| m.name().to_owned()).collect())
}

/// Timestamp column stored as UTC (`timestamptz` on PostgreSQL, RFC 3339 text on SQLite).
pub(crate) fn ts(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).timestamp_with_time_zone().not_null().take()
}

pub(crate) fn ts_null(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).timestamp_with_time_zone().null().take()
}
