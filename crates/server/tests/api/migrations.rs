use crate::helpers::fresh_database_url;

#[tokio::test]
async fn migrations_apply_on_an_empty_database_and_are_idempotent() {
    let url = fresh_database_url().await;
    let db = aglis_db::connect(&url, 2).await.expect("connect");
    aglis_db::migration::run(&db).await.expect("first run");
    aglis_db::migration::run(&db).await.expect("second run is a no-op");
    let applied = aglis_db::migration::applied(&db).await.expect("applied");
    assert_eq!(
        applied,
        [
            "m0001_create_users",
            "m0002_create_jobs",
            "m0003_create_messages",
            "m0004_create_webhook_events",
            "m0005_create_rate_limits",
            "m0006_create_templates_groups_attempts",
            "m0007_create_customers",
            "m0008_create_registrations",
            "m0009_customer_counts_and_name_keys",
            "m0010_create_tickets",
            "m0011_ticket_counts",
            "m0012_ticket_status_number",
            "m0013_ticket_attachments",
            "m0014_ticket_words",
            "m0015_ticket_figures",
            "m0016_technician_profile",
            "m0017_customer_language",
            "m0018_audit_log",
            "m0019_two_factor",
            "m0020_backups",
            "m0021_monitoring",
            "m0022_create_settings",
            "m0023_message_and_audit_words",
            "m0024_code_counters",
            "m0025_billing",
            "m0026_online_payments",
            "m0027_billing_runs",
            "m0028_invoice_credits",
            "m0029_package_changes",
            "m0030_true_ups",
            "m0031_prepaid",
            "m0032_portal",
            "m0033_portal_notices",
            "m0034_network_enforcement",
            "m0035_live_events",
            "m0036_broadcasts",
            "m0037_master_data",
            "m0038_trend_indexes"
        ]
    );
    let expected = if crate::helpers::on_postgres() { aglis_db::Engine::Postgres } else { aglis_db::Engine::Sqlite };
    assert_eq!(aglis_db::engine(&db), expected, "this run uses the engine the test command asked for");
}
