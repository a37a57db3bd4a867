//! The `log` provider, used when no real provider is configured (the demo, a fresh install): it
//! accepts every message, writes it to the log, and the message shows as sent in the UI.

use super::{Outgoing, Provider, Receipt, SendFuture};
use aglis_core::notification::Channel;

#[derive(Debug, Clone)]
pub struct LogProvider {
    channels: Vec<Channel>,
}

impl Default for LogProvider {
    /// Every channel.
    fn default() -> Self {
        LogProvider { channels: Channel::ALL.to_vec() }
    }
}

impl LogProvider {
    /// Only `channels` (the ones no real provider serves).
    pub fn for_channels(channels: &[Channel]) -> Self {
        LogProvider { channels: channels.to_vec() }
    }
}

impl Provider for LogProvider {
    fn name(&self) -> &str {
        "log"
    }

    fn channels(&self) -> &[Channel] {
        &self.channels
    }

    fn send<'a>(&'a self, message: &'a Outgoing) -> SendFuture<'a> {
        Box::pin(async move {
            tracing::info!(
                message = message.message_id,
                channel = %message.channel,
                recipient = %message.recipient,
                chars = message.body.chars().count(),
                "log provider: message recorded as sent"
            );
            Ok(Receipt { provider: "log".into(), provider_message_id: Some(format!("log-{}", message.message_id)) })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn accepts_everything_with_a_stable_id() {
        let m = Outgoing {
            message_id: 7,
            channel: Channel::Whatsapp,
            recipient: "628123".into(),
            subject: None,
            body: "Halo".into(),
        };
        let r = LogProvider::default().send(&m).await.expect("accepted");
        assert_eq!(r, Receipt { provider: "log".into(), provider_message_id: Some("log-7".into()) });
        assert_eq!(LogProvider::default().channels(), Channel::ALL);
        assert_eq!(LogProvider::for_channels(&[Channel::Email]).channels(), &[Channel::Email]);
    }
}
