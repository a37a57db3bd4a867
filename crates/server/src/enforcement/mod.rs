//! Network enforcement ("isolir", issue 21): suspending and restoring customers' service on their
//! MikroTik router or RADIUS NAS. The desired state is the customer's status; the [`reconcile`]r
//! carries it to the device ([`driver`]) and reads it back; the [`policy`] suspends overdue
//! customers and a payment that clears the debt restores them ([`service`]). Staff manage devices
//! and services on `/network/devices` and the customer page ([`pages`], [`api`]); a redirected
//! customer lands on `/isolir` ([`isolir`]).

pub mod api;
#[cfg(feature = "demo")]
pub mod demo;
pub mod devices;
pub mod driver;
pub mod isolir;
pub mod pages;
pub mod policy;
pub mod reconcile;
pub mod router;
pub mod service;
