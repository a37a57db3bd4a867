//! The ordered list of providers: a provider that fails with a transient error hands the message
//! to the next one that serves the channel. Each provider has a circuit breaker (in this instance):
//! after repeated failures it is skipped for a while instead of costing every message a time-out.

use aglis_core::circuit::Breaker;
use aglis_integrations::notify::{Outgoing, Provider, Receipt, SendError};
use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex, PoisonError};

/// Transient failures in a row that open a provider's circuit, and for how long.
pub const BREAKER_THRESHOLD: u32 = 5;
pub const BREAKER_COOLDOWN: chrono::Duration = chrono::Duration::seconds(60);

/// A provider and its circuit breaker.
#[derive(Debug, Clone)]
struct Guarded {
    provider: Arc<dyn Provider>,
    breaker: Arc<Mutex<Breaker>>,
}

#[derive(Debug, Clone)]
pub struct Notifier {
    providers: Vec<Guarded>,
}

impl Notifier {
    pub fn new(providers: Vec<Arc<dyn Provider>>) -> Self {
        let breaker = || Arc::new(Mutex::new(Breaker::new(BREAKER_THRESHOLD, BREAKER_COOLDOWN)));
        Self { providers: providers.into_iter().map(|provider| Guarded { provider, breaker: breaker() }).collect() }
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
        self.providers.iter().map(|g| g.provider.name()).collect()
    }

    /// Tries each provider of the message's channel in order, skipping those whose circuit is
    /// open. A rejection is final; a transient failure moves on to the next provider; the last
    /// error is returned when all fail.
    pub async fn send(&self, message: &Outgoing, now: DateTime<Utc>) -> Result<Receipt, SendError> {
        let lock = |b: &Mutex<Breaker>| b.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let mut last = None;
        for Guarded { provider, breaker } in
            self.providers.iter().filter(|g| g.provider.channels().contains(&message.channel))
        {
            if let Some(until) = lock(breaker).open_until(now) {
                last = Some(SendError::Transient {
                    provider: provider.name().to_owned(),
                    detail: format!("circuit open after repeated failures, until {until}"),
                });
                continue;
            }
            let result = provider.send(message).await;
            let mut b = breaker.lock().unwrap_or_else(PoisonError::into_inner);
            match result {
                Ok(receipt) => {
                    b.record_success();
                    return Ok(receipt);
                }
                Err(e @ SendError::Rejected { .. }) => {
                    b.record_success(); // the provider answered: it is up
                    return Err(e);
                }
                Err(e) => {
                    b.record_failure(now);
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
        assert_eq!(n.send(&msg(Channel::Whatsapp), now()).await.map(|r| r.provider), Ok("b".into()));

        let (c, d) = (provider("c", Err(true)), provider("d", Ok(())));
        let n = Notifier::new(vec![c.clone(), d.clone()]);
        assert!(matches!(n.send(&msg(Channel::Whatsapp), now()).await, Err(SendError::Rejected { .. })));
        assert_eq!(d.calls.load(Ordering::SeqCst), 0, "a rejection is final");
    }

    #[tokio::test]
    async fn no_provider_for_the_channel_is_a_transient_error() {
        let n = Notifier::new(vec![provider("wa", Ok(()))]);
        assert!(matches!(n.send(&msg(Channel::Email), now()).await, Err(SendError::Transient { .. })));
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).expect("time")
    }

    #[tokio::test]
    async fn a_failing_provider_is_skipped_while_its_circuit_is_open() {
        let (a, b) = (provider("a", Err(false)), provider("b", Ok(())));
        let n = Notifier::new(vec![a.clone(), b.clone()]);
        for _ in 0..BREAKER_THRESHOLD + 3 {
            assert_eq!(n.send(&msg(Channel::Whatsapp), now()).await.map(|r| r.provider), Ok("b".into()));
        }
        assert_eq!(a.calls.load(Ordering::SeqCst), BREAKER_THRESHOLD as usize, "skipped once open");
        let later = now() + BREAKER_COOLDOWN;
        n.send(&msg(Channel::Whatsapp), later).await.expect("sent by b");
        assert_eq!(a.calls.load(Ordering::SeqCst), BREAKER_THRESHOLD as usize + 1, "tried again after the cooldown");
    }
}
