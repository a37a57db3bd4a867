//! The AGLIS server: web UI, JSON API, background runner and CLI. Features live in their own
//! folders (`auth`, `users`, `jobs`, …); `app.rs` assembles them.

pub mod app;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod billing;
pub mod cli;
pub mod config;
pub mod customers;
pub mod dashboard;
pub mod deadline;
#[cfg(feature = "demo")]
pub mod demo;
pub mod error;
pub mod extract;
pub mod i18n;
pub mod jobs;
pub mod listing;
pub mod monitoring;
pub mod network;
pub mod notifications;
pub mod openapi;
pub mod pages;
pub mod registrations;
pub mod schemas;
pub mod security_headers;
pub mod seed;
pub mod sla;
pub mod state;
pub mod storage;
pub mod technicians;
pub mod telemetry;
pub mod tickets;
pub mod users;
pub mod validation;
