//! Integration tests: the real application on a random port against a fresh database (a temp
//! SQLite file, or a new PostgreSQL database when `AGLIS_TEST_DATABASE_URL` names a server).
//! One test binary for the crate; logs are silent unless `TEST_LOG` is set.

mod audit;
mod auth;
mod backup;
mod backup_drill;
mod backup_pages;
mod browser;
mod cli;
mod crash;
mod csrf;
mod customer_list;
mod customer_pages;
mod customers;
mod escalation_board;
mod fonnte;
mod fuzz;
mod groups;
mod health;
mod helpers;
mod jobs;
mod lockout;
mod meta_webhook;
mod migrations;
mod monitoring;
mod monitoring_alerts;
mod monitoring_pages;
mod notifications;
mod openapi;
mod pages;
mod providers;
mod rate_limit;
mod registrations;
mod scheduler;
mod security;
mod sentry;
mod sla_admin;
mod storage_s3;
mod technicians;
mod templates;
mod ticket_attachments;
mod ticket_pages;
mod ticket_search;
mod tickets;
mod two_factor;
mod users;
