//! AGLIS domain rules: plain functions on plain types. No I/O, no async.
//!
//! Every rule the rest of the system relies on (who may do what, how long a failed job waits, when a
//! cron schedule fires next, what a valid username is) lives here and is unit-tested without a database.

pub mod alerting;
pub mod attachment;
pub mod audit;
pub mod backoff;
pub mod backup;
pub mod backup_retention;
pub mod billing;
pub mod billing_reminders;
pub mod billing_run;
pub mod broadcast;
pub mod bulk;
pub mod circuit;
pub mod clock;
pub mod codes;
pub mod customer;
pub mod enforcement;
pub mod invoice;
pub mod job;
pub mod ledger;
pub mod live;
pub mod lockout;
pub mod manual_invoice;
pub mod master;
pub mod money;
pub mod network;
pub mod notification;
pub mod notification_catalog;
pub mod payment;
pub mod payment_gateway;
pub mod permission;
pub mod phone;
pub mod portal;
pub mod ppn;
pub mod prepaid;
pub mod proration;
pub mod registration;
pub mod schedule;
pub mod search;
pub mod service_pause;
#[macro_use]
pub mod str_enum;
pub mod sla;
pub mod sla_input;
pub mod technician;
pub mod ticket;
pub mod ticket_assign;
pub mod ticket_completion;
pub mod ticket_draft;
pub mod ticket_response;
pub mod ticket_sla;
pub mod totp;
pub mod trends;
pub mod user;
