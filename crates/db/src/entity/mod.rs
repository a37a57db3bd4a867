//! SeaORM entities, one file per table.

pub mod customer_counts;
pub mod customer_events;
pub mod customer_words;
pub mod customers;
pub mod delivery_attempts;
pub mod jobs;
pub mod leases;
pub mod message_events;
pub mod messages;
pub mod notification_templates;
pub mod odps;
pub mod packages;
pub mod recipient_groups;
pub mod registration_events;
pub mod registrations;
pub mod schedules;
pub mod sessions;
pub mod signup_requests;
pub mod users;
pub mod webhook_events;
