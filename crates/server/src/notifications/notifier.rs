//! The ordered list of providers: a provider that fails with a transient error hands the message
//! to the next one that serves the channel.

use aglis_integrations::notify::{Outgoing, Provider, Receipt, SendError};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct Notifier {
    providers: Vec<Arc<dyn Provider>>,
}

impl Notifier {
    pub fn new(providers: Vec<Arc<dyn Provider>>) -> Self {
        Self { providers }
    }

    /// The providers the configuration names, in failover order; the `log` provider when none is.
    pub fn from_config(config: &crate::config::Config) -> anyhow::Result<Self> {
        use secrecy::ExposeSecret;
        let mut providers: Vec<Arc<dyn Provider>> = Vec::new();
        if let Some(token) = &config.fonnte_token {
            let fonnte = aglis_integrations::whatsapp::fonnte::Fonnte::new(
                &config.fonnte_url,
                token.expose_secret(),
                std::time::Duration::from_secs(15),
            )?;
            providers.push(Arc::new(fonnte));
        }
        if providers.is_empty() {
            return Ok(Self::log_only());
        }
        Ok(Self::new(providers))
    }

    /// Only the `log` provider: messages are recorded as sent (demo, fresh installs).
    pub fn log_only() -> Self {
        Self::new(vec![Arc::new(aglis_integrations::notify::log::LogProvider)])
    }

    pub fn provider_names(&self) -> Vec<&str> {
        self.providers.iter().map(|p| p.name()).collect()
    }

    /// Tries each provider of the message's channel in order. A rejection is final; a transient
    /// failure moves on to the next provider; the last error is returned when all fail.
    pub async fn send(&self, message: &Outgoing) -> Result<Receipt, SendError> {
        let mut last = None;
        for provider in self.providers.iter().filter(|p| p.channels().contains(&message.channel)) {
            match provider.send(message).await {
                Ok(receipt) => return Ok(receipt),
                Err(e @ SendError::Rejected { .. }) => return Err(e),
                Err(e) => {
                    tracing::warn!(provider = provider.name(), message = message.message_id, error = %e, "provider failed; trying the next");
                    last = Some(e);
                }
            }
        }
        Err(last.unwrap_or_else(|| SendError::Transient {
            provider: "none".into(),
            detail: format!("no provider is configured for {}", message.channel),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aglis_core::notification::Channel;
    use aglis_integrations::notify::SendFuture;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Debug)]
    struct Scripted {
        name: &'static str,
        result: Result<(), bool>,
        calls: AtomicUsize,
    }

    impl Provider for Scripted {
        fn name(&self) -> &str {
            self.name
        }
        fn channels(&self) -> &[Channel] {
            &[Channel::Whatsapp]
        }
        fn send<'a>(&'a self, _m: &'a Outgoing) -> SendFuture<'a> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let name = self.name.to_owned();
            let result = self.result;
            Box::pin(async move {
                match result {
                    Ok(()) => Ok(Receipt { provider: name, provider_message_id: Some("x".into()) }),
                    Err(true) => Err(SendError::Rejected { provider: name, detail: "invalid number".into() }),
                    Err(false) => Err(SendError::Transient { provider: name, detail: "timeout".into() }),
                }
            })
        }
    }

    fn provider(name: &'static str, result: Result<(), bool>) -> Arc<Scripted> {
        Arc::new(Scripted { name, result, calls: AtomicUsize::new(0) })
    }

    fn msg(channel: Channel) -> Outgoing {
        Outgoing { message_id: 1, channel, recipient: "6281234567890".into(), subject: None, body: "Halo".into() }
    }

    #[tokio::test]
    async fn fails_over_on_transient_errors_only() {
        let (a, b) = (provider("a", Err(false)), provider("b", Ok(())));
        let n = Notifier::new(vec![a.clone(), b.clone()]);
        assert_eq!(n.send(&msg(Channel::Whatsapp)).await.map(|r| r.provider), Ok("b".into()));

        let (c, d) = (provider("c", Err(true)), provider("d", Ok(())));
        let n = Notifier::new(vec![c.clone(), d.clone()]);
        assert!(matches!(n.send(&msg(Channel::Whatsapp)).await, Err(SendError::Rejected { .. })));
        assert_eq!(d.calls.load(Ordering::SeqCst), 0, "a rejection is final");
    }

    #[tokio::test]
    async fn no_provider_for_the_channel_is_a_transient_error() {
        let n = Notifier::new(vec![provider("wa", Ok(()))]);
        assert!(matches!(n.send(&msg(Channel::Email)).await, Err(SendError::Transient { .. })));
    }
}
