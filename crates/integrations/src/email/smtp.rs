//! The SMTP sender (lettre, `AsyncSmtpTransport<Tokio1Executor>`): one plain-text UTF-8 message per
//! notification, with a `Message-ID` we make (it carries our message id, so a bounce or a duplicate
//! can be traced back) and the SMTP reply classified into [`SendError`].
//!
//! lettre's async transport applies its timeout to the TCP connect only, so [`Smtp`] bounds the whole
//! conversation itself. Connections are not reused: a send cut off mid-conversation must never go
//! back to the pool half-spoken, where the next message would read the previous one's replies.

use crate::notify::{Outgoing, Provider, Receipt, SendError, SendFuture};
use aglis_core::notification::Channel;
use lettre::message::{Mailbox, header};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::{AsyncSmtpTransportBuilder, PoolConfig};
use lettre::{AsyncSmtpTransport, AsyncTransport, Executor, Message, Tokio1Executor};
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::str::FromStr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const PROVIDER: &str = "smtp";
/// Subject used when a message has none.
pub const DEFAULT_SUBJECT: &str = "AGLIS";

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text; only for a relay on the same host or network, and for tests.
    None,
    /// Plain connection upgraded with STARTTLS, which is required: no fallback to plain text.
    StartTls,
    /// TLS from the first byte (SMTPS).
    Implicit,
}

impl SmtpTls {
    /// The usual port of the mode: 25, 587 (submission) or 465 (submissions).
    pub fn default_port(self) -> u16 {
        match self {
            Self::None => 25,
            Self::StartTls => 587,
            Self::Implicit => 465,
        }
    }
}

impl fmt::Display for SmtpTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::None => "none",
            Self::StartTls => "starttls",
            Self::Implicit => "tls",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown SMTP TLS mode {0:?}: use none, starttls (port 587) or tls (implicit TLS, port 465)")]
pub struct ParseSmtpTlsError(String);

impl FromStr for SmtpTls {
    type Err = ParseSmtpTlsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(Self::None),
            "starttls" => Ok(Self::StartTls),
            "tls" => Ok(Self::Implicit),
            _ => Err(ParseSmtpTlsError(s.to_owned())),
        }
    }
}

/// Where and as whom to send.
#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<String>,
    /// `AGLIS <noreply@isp.co.id>` or a bare address.
    pub from: String,
    /// Bounds connecting and, separately, the whole conversation for one message.
    pub timeout: Duration,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("from", &self.from)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Settings that cannot work, with what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmtpSetupError {
    #[error("the SMTP host is empty; set it to the mail server's name, e.g. smtp.isp.co.id")]
    MissingHost,
    #[error("the SMTP port is 0; use 587 for starttls, 465 for tls or 25 for a plain local relay")]
    MissingPort,
    #[error("the SMTP timeout is zero; every send would time out")]
    ZeroTimeout,
    #[error(
        "the SMTP sender {from:?} is not a valid address ({detail}); use `noreply@isp.co.id` or `AGLIS <noreply@isp.co.id>`"
    )]
    InvalidFrom { from: String, detail: String },
    #[error("an SMTP {present} is set without a {missing}; set both or neither")]
    IncompleteCredentials { present: &'static str, missing: &'static str },
    #[error(
        "cannot prepare TLS for SMTP host {host:?} ({detail}); check the host name or use tls = none for a local relay"
    )]
    Tls { host: String, detail: String },
}

/// Sends e-mail through an SMTP server.
pub struct Smtp {
    settings: SmtpSettings,
    from: Mailbox,
    builder: AsyncSmtpTransportBuilder,
    /// Built on first use: lettre's transport spawns a task, so it needs a running Tokio runtime.
    transport: OnceLock<AsyncSmtpTransport<Tokio1Executor>>,
}

impl fmt::Debug for Smtp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Smtp").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl Smtp {
    pub fn new(mut settings: SmtpSettings) -> Result<Self, SmtpSetupError> {
        settings.host = settings.host.trim().to_owned();
        let host = settings.host.clone();
        if host.is_empty() {
            return Err(SmtpSetupError::MissingHost);
        }
        if settings.port == 0 {
            return Err(SmtpSetupError::MissingPort);
        }
        if settings.timeout.is_zero() {
            return Err(SmtpSetupError::ZeroTimeout);
        }
        let from: Mailbox = settings
            .from
            .trim()
            .parse()
            .map_err(|e| SmtpSetupError::InvalidFrom { from: settings.from.clone(), detail: format!("{e}") })?;
        let credentials = match (&settings.username, &settings.password) {
            (Some(user), Some(pass)) => Some(Credentials::new(user.clone(), pass.clone())),
            (None, None) => None,
            (Some(_), None) => {
                return Err(SmtpSetupError::IncompleteCredentials { present: "username", missing: "password" });
            }
            (None, Some(_)) => {
                return Err(SmtpSetupError::IncompleteCredentials { present: "password", missing: "username" });
            }
        };
        let tls_error =
            |e: lettre::transport::smtp::Error| SmtpSetupError::Tls { host: host.clone(), detail: e.to_string() };
        if settings.tls != SmtpTls::None {
            // The name the server's certificate must carry.
            rustls::pki_types::ServerName::try_from(host.as_str()).map_err(|e| SmtpSetupError::Tls {
                host: host.clone(),
                detail: format!("not a host name or IP address: {e}"),
            })?;
        }
        let builder = match settings.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.as_str()),
            SmtpTls::StartTls => {
                crate::http::install_crypto_provider();
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&host).map_err(tls_error)?
            }
            SmtpTls::Implicit => {
                crate::http::install_crypto_provider();
                AsyncSmtpTransport::<Tokio1Executor>::relay(&host).map_err(tls_error)?
            }
        };
        let builder =
            builder.port(settings.port).timeout(Some(settings.timeout)).pool_config(PoolConfig::new().max_size(0));
        let builder = match credentials {
            Some(c) => builder.credentials(c),
            None => builder,
        };
        Ok(Self { settings, from, builder, transport: OnceLock::new() })
    }

    fn transport(&self) -> &AsyncSmtpTransport<Tokio1Executor> {
        self.transport.get_or_init(|| self.builder.clone().build())
    }

    /// `<aglis.{message_id}.{unique}@{sender's domain}>`.
    fn make_message_id(&self, message_id: i64) -> String {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        format!("<aglis.{message_id}.{nanos:x}{n:x}@{}>", self.from.email.domain())
    }

    fn build(&self, message: &Outgoing, message_id: &str) -> Result<Message, SendError> {
        let to: Mailbox = message.recipient.trim().parse().map_err(|e| SendError::Rejected {
            provider: PROVIDER.into(),
            detail: format!("invalid recipient address {:?}: {e}", message.recipient),
        })?;
        let subject = message
            .subject
            .as_deref()
            .map(|s| s.replace(|c: char| c.is_control(), " ").trim().to_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| DEFAULT_SUBJECT.to_owned());
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(message_id.to_owned()))
            // A plain body rather than `singlepart`, which would append an empty last line.
            .header(header::MIME_VERSION_1_0)
            .header(header::ContentType::TEXT_PLAIN)
            .body(message.body.clone())
            .map_err(|e| SendError::Rejected {
                provider: PROVIDER.into(),
                detail: format!("cannot build the e-mail: {e}"),
            })
    }
}

/// SMTP replies about our credentials: the message is fine, the configuration is not.
const AUTH_CODES: &[u16] = &[530, 534, 535, 538];

/// Sorts a lettre error; `server` (`host:port`) names where failures without a reply happened.
fn classify(e: &lettre::transport::smtp::Error, server: &str) -> SendError {
    let transient = |detail: String| SendError::Transient { provider: PROVIDER.into(), detail };
    let reply = || {
        let text = std::error::Error::source(e).map(ToString::to_string).unwrap_or_default();
        match e.status() {
            Some(code) => format!("{code} {text}").trim_end().to_owned(),
            None => text,
        }
    };
    let code = e.status().map(u16::from);
    if code.is_some_and(|c| AUTH_CODES.contains(&c)) {
        transient(format!("the server refused our login (check the SMTP username and password): {}", reply()))
    } else if e.is_permanent() {
        SendError::Rejected { provider: PROVIDER.into(), detail: reply() }
    } else if e.is_transient() {
        transient(reply())
    } else if e.is_timeout() {
        transient(format!("{server} timed out: {e}"))
    } else if e.is_tls() {
        transient(format!("TLS with {server} failed: {e}"))
    } else {
        transient(format!("{server}: {e}"))
    }
}

/// Runs `future` for at most `limit`; `None` when the time ran out.
async fn within<F: Future>(limit: Duration, future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    // lettre's own timer (tokio's `sleep`): tokio itself is only an optional dependency here.
    let mut sleep = pin!(<Tokio1Executor as Executor>::sleep(limit));
    poll_fn(|cx| {
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        sleep.as_mut().poll(cx).map(|()| None)
    })
    .await
}

impl Provider for Smtp {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn channels(&self) -> &[Channel] {
        &[Channel::Email]
    }

    fn send<'a>(&'a self, message: &'a Outgoing) -> SendFuture<'a> {
        Box::pin(async move {
            let message_id = self.make_message_id(message.message_id);
            let email = self.build(message, &message_id)?;
            let limit = self.settings.timeout;
            match within(limit, self.transport().send(email)).await {
                Some(Ok(response)) => {
                    tracing::debug!(
                        message_id = message.message_id,
                        smtp_reply = %response.message().collect::<Vec<_>>().join(" "),
                        "e-mail accepted"
                    );
                    Ok(Receipt { provider: PROVIDER.into(), provider_message_id: Some(message_id) })
                }
                Some(Err(e)) => Err(classify(&e, &format!("{}:{}", self.settings.host, self.settings.port))),
                None => Err(SendError::Transient {
                    provider: PROVIDER.into(),
                    detail: format!(
                        "timed out after {limit:?} talking to {}:{}",
                        self.settings.host, self.settings.port
                    ),
                }),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> SmtpSettings {
        SmtpSettings {
            host: "127.0.0.1".into(),
            port: 2525,
            tls: SmtpTls::None,
            username: Some("aglis".into()),
            password: Some("rahasia-sekali".into()),
            from: "AGLIS <noreply@isp.co.id>".into(),
            timeout: Duration::from_secs(5),
        }
    }

    #[test]
    fn tls_modes_parse_and_print() {
        for (text, mode) in [("none", SmtpTls::None), ("starttls", SmtpTls::StartTls), ("tls", SmtpTls::Implicit)] {
            assert_eq!(text.parse::<SmtpTls>(), Ok(mode));
            assert_eq!(mode.to_string(), text);
        }
        assert_eq!(" StartTLS ".parse::<SmtpTls>(), Ok(SmtpTls::StartTls));
        let err = "ssl".parse::<SmtpTls>().expect_err("ssl is not a mode");
        assert!(err.to_string().contains("\"ssl\"") && err.to_string().contains("starttls"), "{err}");
        assert!("".parse::<SmtpTls>().is_err());
        assert_eq!(SmtpTls::StartTls.default_port(), 587);
        assert_eq!(SmtpTls::Implicit.default_port(), 465);
    }

    #[test]
    fn debug_never_shows_the_password() {
        let s = settings();
        let shown = format!("{s:?}");
        assert!(!shown.contains("rahasia-sekali"), "{shown}");
        assert!(shown.contains("[redacted]") && shown.contains("aglis"), "{shown}");
        let smtp = Smtp::new(s).expect("valid settings");
        assert!(!format!("{smtp:?}").contains("rahasia-sekali"));
        assert!(!format!("{:?}", SmtpSettings { password: None, ..settings() }).contains("[redacted]"));
    }

    #[test]
    fn unusable_settings_are_explained() {
        let err = Smtp::new(SmtpSettings { from: "AGLIS noreply at isp".into(), ..settings() }).expect_err("bad from");
        assert!(matches!(err, SmtpSetupError::InvalidFrom { .. }), "{err:?}");
        assert!(err.to_string().contains("noreply@isp.co.id"), "{err}");
        assert_eq!(
            Smtp::new(SmtpSettings { password: None, ..settings() }).expect_err("no password"),
            SmtpSetupError::IncompleteCredentials { present: "username", missing: "password" }
        );
        assert_eq!(Smtp::new(SmtpSettings { host: " ".into(), ..settings() }).err(), Some(SmtpSetupError::MissingHost));
        assert_eq!(Smtp::new(SmtpSettings { port: 0, ..settings() }).err(), Some(SmtpSetupError::MissingPort));
        assert_eq!(
            Smtp::new(SmtpSettings { timeout: Duration::ZERO, ..settings() }).err(),
            Some(SmtpSetupError::ZeroTimeout)
        );
        let err = Smtp::new(SmtpSettings { host: "bad host name".into(), tls: SmtpTls::Implicit, ..settings() })
            .expect_err("not a TLS server name");
        assert!(matches!(err, SmtpSetupError::Tls { .. }), "{err:?}");
        // Bare addresses and TLS modes with real names are fine, and nothing connects yet.
        Smtp::new(SmtpSettings { from: "noreply@isp.co.id".into(), ..settings() }).expect("bare address");
        Smtp::new(SmtpSettings { host: "smtp.isp.co.id".into(), tls: SmtpTls::StartTls, ..settings() })
            .expect("starttls");
    }
}

#[cfg(all(test, feature = "fakes"))]
mod against_fake {
    use super::*;
    use crate::email::fake::{Behavior, FakeSmtp};
    use std::time::Instant;

    const BODY: &str = "Halo Pak Budi,\n\nTagihan internet Juni: Rp 150.000 – terima kasih 🙏\n.\n.baris yang diawali titik\nBaris panjang: Mohon lakukan pembayaran sebelum tanggal 20 agar layanan tidak terputus — salam hangat dari tim AGLIS.\nSelesai.";

    fn settings(fake: &FakeSmtp) -> SmtpSettings {
        SmtpSettings {
            host: fake.host.clone(),
            port: fake.port,
            tls: SmtpTls::None,
            username: None,
            password: None,
            from: "AGLIS <noreply@isp.co.id>".into(),
            timeout: Duration::from_secs(5),
        }
    }

    fn outgoing(message_id: i64, recipient: &str, subject: Option<&str>) -> Outgoing {
        Outgoing {
            message_id,
            channel: Channel::Email,
            recipient: recipient.into(),
            subject: subject.map(str::to_owned),
            body: BODY.into(),
        }
    }

    fn transient(result: Result<Receipt, SendError>) -> String {
        match result {
            Err(SendError::Transient { provider, detail }) if provider == "smtp" => detail,
            other => panic!("expected a transient error, got {other:?}"),
        }
    }

    fn rejected(result: Result<Receipt, SendError>) -> String {
        match result {
            Err(SendError::Rejected { provider, detail }) if provider == "smtp" => detail,
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn delivers_the_exact_envelope_headers_and_body() {
        let fake = FakeSmtp::start().await.expect("fake");
        let smtp = Smtp::new(settings(&fake)).expect("smtp");
        assert_eq!(smtp.name(), "smtp");
        assert_eq!(smtp.channels(), [Channel::Email]);
        let subject = "Tagihan Juni – Rp 150.000 🙏";
        let receipt = smtp.send(&outgoing(42, "pelanggan@example.co.id", Some(subject))).await.expect("accepted");
        assert_eq!(receipt.provider, "smtp");
        let id = receipt.provider_message_id.expect("a Message-ID");
        assert!(id.starts_with("<aglis.42.") && id.ends_with("@isp.co.id>"), "{id}");

        let received = fake.received();
        assert_eq!(received.len(), 1);
        let mail = &received[0];
        assert_eq!(mail.mail_from, "noreply@isp.co.id");
        assert_eq!(mail.recipients, ["pelanggan@example.co.id"]);
        assert_eq!(mail.auth_user, None);
        assert_eq!(mail.header("From").as_deref(), Some("AGLIS <noreply@isp.co.id>"));
        assert_eq!(mail.header("To").as_deref(), Some("pelanggan@example.co.id"));
        assert_eq!(mail.header("Subject").as_deref(), Some(subject));
        assert_eq!(mail.header("Message-ID").as_deref(), Some(id.as_str()));
        let content_type = mail.header("Content-Type").expect("Content-Type").to_ascii_lowercase();
        assert!(content_type.starts_with("text/plain") && content_type.contains("charset=utf-8"), "{content_type}");
        assert_eq!(mail.header("MIME-Version").as_deref(), Some("1.0"));
        assert!(mail.header("Date").is_some());
        assert_eq!(mail.text(), BODY);

        // A second message gets its own Message-ID.
        let again = smtp.send(&outgoing(42, "pelanggan@example.co.id", Some(subject))).await.expect("accepted");
        assert_ne!(again.provider_message_id.as_deref(), Some(id.as_str()));
    }

    #[tokio::test]
    async fn subject_defaults_and_stays_on_one_line() {
        let fake = FakeSmtp::start().await.expect("fake");
        let smtp = Smtp::new(SmtpSettings { from: "noreply@isp.co.id".into(), ..settings(&fake) }).expect("smtp");
        smtp.send(&outgoing(1, "a@example.co.id", None)).await.expect("no subject");
        smtp.send(&outgoing(2, "a@example.co.id", Some("  "))).await.expect("blank subject");
        smtp.send(&outgoing(3, "a@example.co.id", Some("Tagihan\r\nBcc: penyusup@example.com"))).await.expect("sent");
        let received = fake.received();
        let subjects: Vec<_> = received.iter().map(|m| m.header("Subject")).collect();
        assert_eq!(
            subjects,
            [Some("AGLIS".into()), Some("AGLIS".into()), Some("Tagihan  Bcc: penyusup@example.com".into())]
        );
        assert!(received.iter().all(|m| m.header("Bcc").is_none() && m.recipients == ["a@example.co.id"]));
        assert_eq!(received[0].header("From").as_deref(), Some("noreply@isp.co.id"));
    }

    #[tokio::test]
    async fn logs_in_when_credentials_are_set() {
        let fake = FakeSmtp::start_with_auth("aglis", "benar").await.expect("fake");
        let with = |user: Option<&str>, password: Option<&str>| {
            Smtp::new(SmtpSettings {
                username: user.map(str::to_owned),
                password: password.map(str::to_owned),
                ..settings(&fake)
            })
            .expect("smtp")
        };
        with(Some("aglis"), Some("benar")).send(&outgoing(7, "a@example.co.id", None)).await.expect("accepted");
        let received = fake.received();
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].auth_user.as_deref(), Some("aglis"));

        // Wrong credentials or none: our configuration is at fault, not the message.
        let detail = transient(with(Some("aglis"), Some("salah")).send(&outgoing(8, "a@example.co.id", None)).await);
        assert!(detail.contains("535") && detail.contains("password"), "{detail}");
        let detail = transient(with(None, None).send(&outgoing(9, "a@example.co.id", None)).await);
        assert!(detail.contains("530"), "{detail}");
        assert_eq!(fake.received().len(), 1);
    }

    #[tokio::test]
    async fn classifies_server_refusals() {
        let fake = FakeSmtp::start().await.expect("fake");
        let smtp = Smtp::new(settings(&fake)).expect("smtp");

        fake.set_behavior(Behavior::RejectRecipient);
        let detail = rejected(smtp.send(&outgoing(1, "tidak-ada@example.co.id", None)).await);
        assert!(detail.starts_with("550 ") && detail.contains("User unknown"), "{detail}");

        fake.set_behavior(Behavior::TempFail);
        let detail = transient(smtp.send(&outgoing(2, "a@example.co.id", None)).await);
        assert!(detail.starts_with("451 ") && detail.contains("try again later"), "{detail}");

        fake.set_behavior(Behavior::Unavailable);
        let detail = transient(smtp.send(&outgoing(3, "a@example.co.id", None)).await);
        assert!(detail.starts_with("421 "), "{detail}");
        assert!(fake.received().is_empty());

        // The same sender works again once the server does.
        fake.set_behavior(Behavior::Accept);
        smtp.send(&outgoing(4, "a@example.co.id", None)).await.expect("accepted");
    }

    #[tokio::test]
    async fn an_invalid_recipient_is_rejected_before_connecting() {
        let fake = FakeSmtp::start().await.expect("fake");
        let smtp = Smtp::new(settings(&fake)).expect("smtp");
        for bad in ["bukan-alamat", "", "a@b@c", "budi @example.co.id"] {
            let detail = rejected(smtp.send(&outgoing(1, bad, None)).await);
            assert!(detail.contains("recipient"), "{detail}");
        }
        assert!(fake.received().is_empty());
    }

    #[tokio::test]
    async fn a_slow_server_times_out() {
        let fake = FakeSmtp::start().await.expect("fake");
        fake.set_behavior(Behavior::Slow(Duration::from_secs(3)));
        let smtp = Smtp::new(SmtpSettings { timeout: Duration::from_millis(300), ..settings(&fake) }).expect("smtp");
        let started = Instant::now();
        let detail = transient(smtp.send(&outgoing(1, "a@example.co.id", None)).await);
        assert!(detail.contains("timed out"), "{detail}");
        assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());

        // Slow but within the limit is fine.
        fake.set_behavior(Behavior::Slow(Duration::from_millis(20)));
        let smtp = Smtp::new(settings(&fake)).expect("smtp");
        smtp.send(&outgoing(2, "a@example.co.id", None)).await.expect("accepted");
        assert_eq!(fake.received().len(), 1);
    }

    #[tokio::test]
    async fn nothing_listening_is_transient() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            listener.local_addr().expect("addr").port()
        };
        let smtp = Smtp::new(SmtpSettings {
            host: "127.0.0.1".into(),
            port,
            tls: SmtpTls::None,
            username: None,
            password: None,
            from: "noreply@isp.co.id".into(),
            timeout: Duration::from_secs(2),
        })
        .expect("smtp");
        let detail = transient(smtp.send(&outgoing(1, "a@example.co.id", None)).await);
        assert!(detail.starts_with(&format!("127.0.0.1:{port}: ")) && detail.contains("refused"), "{detail}");
    }

    #[tokio::test]
    async fn tls_modes_never_fall_back_to_plain_text() {
        let fake = FakeSmtp::start().await.expect("fake");
        for tls in [SmtpTls::StartTls, SmtpTls::Implicit] {
            let smtp = Smtp::new(SmtpSettings {
                tls,
                username: Some("aglis".into()),
                password: Some("rahasia".into()),
                ..settings(&fake)
            })
            .expect("smtp");
            let detail = transient(smtp.send(&outgoing(1, "a@example.co.id", None)).await);
            let expected = if tls == SmtpTls::StartTls { "STARTTLS is not supported" } else { "corrupt message" };
            assert!(detail.contains(expected), "{tls}: {detail}");
        }
        assert!(fake.received().is_empty());
    }
}
