//! Sending a rendered notification through a provider. Providers are tried in order by the
//! dispatcher; each answers with the provider's message id or an error saying whether a retry can
//! help.

pub mod log;

use aglis_core::notification::Channel;
use std::future::Future;
use std::pin::Pin;

/// What a provider sends.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Our message id (providers that take a reference get it, so duplicates can be recognised).
    pub message_id: i64,
    pub channel: Channel,
    /// `628…` or an e-mail address.
    pub recipient: String,
    pub subject: Option<String>,
    pub body: String,
}

/// The provider accepted the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub provider: String,
    pub provider_message_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again or with another provider (timeouts, 5xx, rate limits).
    #[error("{provider}: {detail}")]
    Transient { provider: String, detail: String },
    /// This message will never be accepted as it is (bad number, rejected content).
    #[error("{provider} rejected the message: {detail}")]
    Rejected { provider: String, detail: String },
}

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<Receipt, SendError>> + Send + 'a>>;

/// A provider's own status check: `Err` says what is wrong (unreachable, device disconnected).
pub type ProbeFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// A way to deliver messages of some channels.
pub trait Provider: Send + Sync + std::fmt::Debug {
    /// Short stable name stored with each message (`log`, `fonnte`, `meta`, `smtp`).
    fn name(&self) -> &str;
    fn channels(&self) -> &[Channel];
    fn send<'a>(&'a self, message: &'a Outgoing) -> SendFuture<'a>;

    /// Checks the provider is reachable and able to send, without sending anything. `None`: the
    /// provider has no such check.
    fn probe(&self) -> Option<ProbeFuture<'_>> {
        None
    }
}
