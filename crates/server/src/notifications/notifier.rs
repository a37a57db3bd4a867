//! The ordered list of providers: a provider that fails with a transient error hands the message
//! to the next one that serves the channel. Each provider has a circuit breaker (in this instance):
//! after repeated failures it is skipped for a while instead of costing every message a time-out.

use aglis_core::circuit::Breaker;
use aglis_core::notification::Channel;
use aglis_integrations::notify::log::LogProvider;
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

/// One provider call: which provider, and its error if it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub provider: String,
    pub error: Option<String>,
    pub elapsed: std::time::Duration,
}

/// The outcome of a send and the calls it took.
#[derive(Debug)]
pub struct Delivery {
    pub result: Result<Receipt, SendError>,
    pub calls: Vec<Call>,
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

    /// The providers the configuration names, WhatsApp ones in failover order, then SMTP. A
    /// channel no real provider serves gets the `log` provider only when the configuration asks
    /// for it ([`crate::config::Config::uses_log_provider`]: the demo, or an explicit setting);
    /// otherwise its messages are held ([`Notifier::serves`]) until one is configured.
    pub fn from_config(config: &crate::config::Config) -> anyhow::Result<Self> {
        use crate::config::providers::WhatsappProvider;
        use aglis_integrations::email::smtp::{Smtp, SmtpSettings};
        use aglis_integrations::whatsapp::{fonnte::Fonnte, meta::MetaCloud};
        use secrecy::ExposeSecret;
        let p = &config.providers;
        let timeout = std::time::Duration::from_secs(p.timeout_secs);
        let mut providers: Vec<Arc<dyn Provider>> = Vec::new();
        for which in &p.whatsapp_order {
            match which {
                WhatsappProvider::Fonnte => {
                    if let Some(token) = &config.fonnte_token {
                        providers.push(Arc::new(Fonnte::new(&config.fonnte_url, token.expose_secret(), timeout)?));
                    }
                }
                WhatsappProvider::Meta => {
                    if let Some(m) = &p.meta {
                        let token = m.token.expose_secret();
                        providers.push(Arc::new(MetaCloud::new(
                            &m.url,
                            &m.version,
                            &m.phone_number_id,
                            token,
                            timeout,
                        )?));
                    }
                }
            }
        }
        if let Some(s) = &p.smtp {
            providers.push(Arc::new(Smtp::new(SmtpSettings {
                host: s.host.clone(),
                port: s.port,
                tls: s.tls,
                username: s.username.clone(),
                password: s.password.as_ref().map(|p| p.expose_secret().to_owned()),
                from: s.from.clone(),
                timeout,
            })?));
        }
        let unserved: Vec<Channel> =
            Channel::ALL.iter().copied().filter(|c| !providers.iter().any(|p| p.channels().contains(c))).collect();
        if !unserved.is_empty() && config.uses_log_provider() {
            providers.push(Arc::new(LogProvider::for_channels(&unserved)));
        }
        Ok(Self::new(providers))
    }

    /// Whether any provider (the `log` one included, where it is configured) takes messages of
    /// `channel`. Messages of a channel nobody serves are held, never marked sent.
    pub fn serves(&self, channel: Channel) -> bool {
        self.providers.iter().any(|g| g.provider.channels().contains(&channel))
    }

    /// The channels no provider serves.
    pub fn unserved(&self) -> Vec<Channel> {
        Channel::ALL.iter().copied().filter(|c| !self.serves(*c)).collect()
    }

    /// Only the `log` provider: messages are recorded as sent (demo, fresh installs).
    pub fn log_only() -> Self {
        Self::new(vec![Arc::new(LogProvider::default())])
    }

    /// Whether a real provider (not the `log` one) serves WhatsApp.
    pub fn serves_whatsapp(&self) -> bool {
        self.providers.iter().any(|g| g.provider.name() != "log" && g.provider.channels().contains(&Channel::Whatsapp))
    }

    /// Each WhatsApp provider's own status check, in failover order (providers without one are
    /// left out).
    pub async fn probe_whatsapp(&self) -> Vec<(String, Result<(), String>)> {
        let mut out = Vec::new();
        for g in self.providers.iter().filter(|g| g.provider.channels().contains(&Channel::Whatsapp)) {
            if let Some(probe) = g.provider.probe() {
                out.push((g.provider.name().to_owned(), probe.await));
            }
        }
        out
    }

    pub fn provider_names(&self) -> Vec<&str> {
        self.providers.iter().map(|g| g.provider.name()).collect()
    }

    /// Tries each provider of the message's channel in order, skipping those whose circuit is
    /// open. A rejection is final; a transient failure moves on to the next provider; the last
    /// error is returned when all fail.
    pub async fn send(&self, message: &Outgoing, now: DateTime<Utc>) -> Result<Receipt, SendError> {
        self.send_recorded(message, now).await.result
    }

    /// [`Notifier::send`], also saying what each provider call did (for the success rates).
    pub async fn send_recorded(&self, message: &Outgoing, now: DateTime<Utc>) -> Delivery {
        let mut calls = Vec::new();
        let result = self.try_providers(message, now, &mut calls).await;
        Delivery { result, calls }
    }

    async fn try_providers(
        &self,
        message: &Outgoing,
        now: DateTime<Utc>,
        calls: &mut Vec<Call>,
    ) -> Result<Receipt, SendError> {
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
            let started = std::time::Instant::now();
            let result = provider.send(message).await;
            calls.push(Call {
                provider: provider.name().to_owned(),
                error: result.as_ref().err().map(ToString::to_string),
                elapsed: started.elapsed(),
            });
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
