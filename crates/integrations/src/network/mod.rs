//! Network devices that enforce a customer's service state ("isolir"), spec/network-enforcement.md:
//! MikroTik RouterOS v7 over its REST API ([`routeros`]), RouterOS 6 over the binary API
//! ([`routeros_api`]) and RADIUS Disconnect-Request to a NAS (RFC 5176, [`radius`]). Every
//! operation converges the device to a wanted state and is safe to repeat: records are looked up
//! by their natural key each time, "already exists" / "not found" count as done, and after a
//! failed write the state is read back before anything is decided. With `dry_run` an operation
//! reads the device and says what it would change, writing nothing.

pub mod radius;
pub mod routeros;
pub mod routeros_api;

#[cfg(feature = "fakes")]
pub mod radius_fake;
#[cfg(feature = "fakes")]
pub mod routeros_api_fake;
#[cfg(feature = "fakes")]
pub mod routeros_fake;

/// Why a device operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    /// No answer: connection refused or reset, time-out, DNS. Worth retrying later.
    #[error("the device did not answer: {0}")]
    Unreachable(String),
    /// The device refused our credentials or the user's rights (HTTP 401/403, RADIUS silence is
    /// [`NetError::Unreachable`]).
    #[error("the device refused the credentials: {0}")]
    Auth(String),
    /// The device answered with an error we cannot treat as done (RouterOS `detail`, NAK cause).
    #[error("the device refused the change: {0}")]
    Refused(String),
    /// A 5xx or an answer we cannot read. Worth retrying after a re-read.
    #[error("the device answered unexpectedly: {0}")]
    Unexpected(String),
}

impl NetError {
    /// Whether trying again later may succeed without anyone changing the configuration.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unreachable(_) | Self::Unexpected(_))
    }
}

/// What one converge operation did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Whether the device had to change (or would have, in a dry run).
    pub changed: bool,
    /// Each write in order, for people: `ppp/secret budi-ktw profile 10M → ISOLIR`,
    /// `kick ppp/active *80000001 (budi-ktw)`. Never carries a password.
    pub steps: Vec<String>,
    /// The value replaced, where one was: a PPP secret's previous profile.
    pub previous: Option<String>,
}

/// A router's PPP secrets and isolation list, read at once (two requests), so that many services
/// can be checked for drift without a request each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Secret name → (profile, disabled).
    pub secrets: std::collections::HashMap<String, (String, bool)>,
    /// The enabled addresses of the isolation list.
    pub listed: std::collections::HashSet<String>,
}
