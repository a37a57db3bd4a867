//! Delivery callbacks sent by the fake WhatsApp providers on their own, as the real ones do: once a
//! message is accepted its status updates are POSTed to a configured URL after a delay, in order,
//! out of order or twice each. `FakeFonnte` and `FakeMeta` share the plan and the sending; each
//! builds its provider's own bodies.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// In which order the status updates of one message arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// As they happened: sent, delivered, read.
    #[default]
    InOrder,
    /// The last one first (read before delivered before sent).
    Reversed,
    /// In order, each one twice in a row.
    Duplicated,
}

/// Where and how a fake reports the statuses of the messages it accepts.
#[derive(Clone, PartialEq, Eq)]
pub struct CallbackPlan {
    /// The receiver, query included (e.g. `http://127.0.0.1:8080/api/webhooks/whatsapp/delivery?token=…`).
    pub url: String,
    /// Waited before the first callback and between two callbacks.
    pub delay: Duration,
    /// The statuses reported for each message, in the order they happen.
    pub statuses: Vec<String>,
    pub order: Order,
    /// Meta only: the app secret that signs each body (`X-Hub-Signature-256`). Without it Meta's
    /// callbacks go unsigned (which a correct receiver refuses).
    pub app_secret: Option<String>,
}

impl fmt::Debug for CallbackPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackPlan")
            .field("url", &self.url)
            .field("delay", &self.delay)
            .field("statuses", &self.statuses)
            .field("order", &self.order)
            .field("app_secret", &self.app_secret.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

impl CallbackPlan {
    /// sent, delivered, read, in order, 100 ms apart, unsigned.
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            delay: Duration::from_millis(100),
            statuses: ["sent", "delivered", "read"].map(str::to_owned).to_vec(),
            order: Order::InOrder,
            app_secret: None,
        }
    }

    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    pub fn statuses(mut self, statuses: &[&str]) -> Self {
        self.statuses = statuses.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    pub fn order(mut self, order: Order) -> Self {
        self.order = order;
        self
    }

    pub fn app_secret(mut self, secret: &str) -> Self {
        self.app_secret = Some(secret.to_owned());
        self
    }

    /// The statuses in the order they arrive, each once.
    pub fn arrival(&self) -> Vec<String> {
        let mut statuses = self.statuses.clone();
        if self.order == Order::Reversed {
            statuses.reverse();
        }
        statuses
    }

    /// The callbacks as they are sent: twice each (identical copies) under [`Order::Duplicated`].
    pub fn repeated<T: Clone>(&self, callbacks: Vec<T>) -> Vec<T> {
        if self.order == Order::Duplicated {
            callbacks.into_iter().flat_map(|c| [c.clone(), c]).collect()
        } else {
            callbacks
        }
    }
}

/// One callback a fake sent, and how the receiver answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackSent {
    pub provider_message_id: String,
    pub status: String,
    /// The receiver's HTTP status, or why there was no answer.
    pub result: Result<u16, String>,
}

/// `sha256=<hex HMAC-SHA256 of body under app_secret>`: Meta's `X-Hub-Signature-256` value.
pub fn meta_signature(app_secret: &str, body: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(app_secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Seconds since the epoch (the providers' callback timestamps).
pub(crate) fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// A callback ready to go.
#[derive(Debug, Clone)]
pub(crate) struct Outbound {
    pub provider_message_id: String,
    pub status: String,
    pub body: String,
    /// The `X-Hub-Signature-256` value, for Meta.
    pub signature: Option<String>,
}

/// Sends callbacks and remembers how each went.
#[derive(Debug, Clone)]
pub(crate) struct Dispatcher {
    client: reqwest::Client,
    log: Arc<Mutex<Vec<CallbackSent>>>,
}

impl Dispatcher {
    pub fn new() -> std::io::Result<Self> {
        let client = crate::http::client(Duration::from_secs(10)).map_err(std::io::Error::other)?;
        Ok(Self { client, log: Arc::default() })
    }

    fn log(&self) -> std::sync::MutexGuard<'_, Vec<CallbackSent>> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// POSTs one callback now and records the outcome.
    pub async fn post(&self, url: &str, out: Outbound) -> Result<u16, String> {
        let mut request =
            self.client.post(url).header(reqwest::header::CONTENT_TYPE, "application/json").body(out.body.clone());
        if let Some(sig) = &out.signature {
            request = request.header("X-Hub-Signature-256", sig);
        }
        let result = match request.send().await {
            Ok(response) => Ok(response.status().as_u16()),
            Err(e) => Err(if e.is_timeout() { "timed out".to_owned() } else { format!("unreachable: {e}") }),
        };
        if let Err(e) = &result {
            tracing::debug!(url, status = %out.status, error = %e, "fake provider callback failed");
        }
        self.log().push(CallbackSent {
            provider_message_id: out.provider_message_id,
            status: out.status,
            result: result.clone(),
        });
        result
    }

    /// Sends `callbacks` one after the other from a task of their own, `delay` before each.
    pub fn spawn(&self, url: String, delay: Duration, callbacks: Vec<Outbound>) {
        let this = self.clone();
        tokio::spawn(async move {
            for out in callbacks {
                tokio::time::sleep(delay).await;
                let _ = this.post(&url, out).await;
            }
        });
    }

    pub fn sent(&self) -> Vec<CallbackSent> {
        self.log().clone()
    }

    /// Waits until at least `count` callbacks went out (or `within` passed); returns all so far.
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<CallbackSent> {
        let deadline = Instant::now() + within;
        loop {
            let sent = self.sent();
            if sent.len() >= count || Instant::now() >= deadline {
                return sent;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// A tiny callback receiver for tests: records every POST and answers with a fixed status.
#[cfg(test)]
pub(crate) mod receiver {
    use axum::Router;
    use axum::body::Bytes;
    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::post;
    use std::sync::{Arc, Mutex, PoisonError};
    use std::time::{Duration, Instant};

    #[derive(Debug, Clone)]
    pub struct Hit {
        pub query: Option<String>,
        pub content_type: Option<String>,
        pub signature: Option<String>,
        /// Every header, names in lower case.
        pub headers: Vec<(String, String)>,
        pub body: String,
    }

    impl Hit {
        pub fn json(&self) -> serde_json::Value {
            serde_json::from_str(&self.body).expect("callback bodies are JSON")
        }

        /// A header's value (name case-insensitive).
        pub fn header(&self, name: &str) -> Option<&str> {
            self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
        }
    }

    #[derive(Debug, Clone)]
    pub struct Receiver {
        /// `http://127.0.0.1:port/hook`
        pub url: String,
        hits: Arc<Mutex<Vec<Hit>>>,
    }

    type Shared = (Arc<Mutex<Vec<Hit>>>, StatusCode);

    async fn hook(
        State((hits, answer)): State<Shared>,
        uri: axum::http::Uri,
        headers: HeaderMap,
        body: Bytes,
    ) -> StatusCode {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        hits.lock().unwrap_or_else(PoisonError::into_inner).push(Hit {
            query: uri.query().map(str::to_owned),
            content_type: header("content-type"),
            signature: header("x-hub-signature-256"),
            headers: headers
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                .collect(),
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        answer
    }

    impl Receiver {
        pub async fn start(answer: u16) -> Self {
            let hits = Arc::new(Mutex::new(Vec::new()));
            let status = StatusCode::from_u16(answer).expect("a valid status");
            let app = Router::new().route("/hook", post(hook)).with_state((hits.clone(), status));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
            tokio::spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
            Self { url, hits }
        }

        pub fn hits(&self) -> Vec<Hit> {
            self.hits.lock().unwrap_or_else(PoisonError::into_inner).clone()
        }

        /// Waits until `count` callbacks arrived, then a little longer to catch any extra one.
        pub async fn wait_for(&self, count: usize) -> Vec<Hit> {
            let deadline = Instant::now() + Duration::from_secs(5);
            while self.hits().len() < count && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
            self.hits()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector of spec/protocols.md §10.
    #[test]
    fn meta_signature_matches_the_spec_vector() {
        let body = br#"{"object":"whatsapp_business_account","entry":[]}"#;
        assert_eq!(
            meta_signature("app-secret-test", body),
            "sha256=5d4a1124b075cf092476e6677b89ce220ec42f3593e0c842f738827622e0c143"
        );
        assert_ne!(meta_signature("other-secret", body), meta_signature("app-secret-test", body));
    }

    #[test]
    fn orders() {
        let plan = CallbackPlan::new("http://x");
        assert_eq!(plan.arrival(), ["sent", "delivered", "read"]);
        assert_eq!(plan.repeated(vec![1, 2]), [1, 2]);
        let reversed = plan.clone().order(Order::Reversed);
        assert_eq!(reversed.arrival(), ["read", "delivered", "sent"]);
        assert_eq!(reversed.repeated(vec![1, 2]), [1, 2]);
        let twice = plan.order(Order::Duplicated).statuses(&["sent", "failed"]);
        assert_eq!(twice.arrival(), ["sent", "failed"]);
        assert_eq!(twice.repeated(vec![1, 2]), [1, 1, 2, 2]);
    }

    #[test]
    fn debug_hides_the_app_secret() {
        let plan = CallbackPlan::new("http://x").app_secret("very-secret-app-key");
        assert!(!format!("{plan:?}").contains("very-secret-app-key"));
    }

    #[tokio::test]
    async fn an_unreachable_receiver_is_recorded() {
        let dispatcher = Dispatcher::new().expect("client");
        let out =
            Outbound { provider_message_id: "m1".into(), status: "sent".into(), body: "{}".into(), signature: None };
        // port 9 (discard) on localhost is closed on any sane test machine
        let result = dispatcher.post("http://127.0.0.1:9/hook", out).await;
        assert!(result.as_ref().is_err_and(|e| e.starts_with("unreachable")), "{result:?}");
        assert_eq!(dispatcher.sent().len(), 1);
        assert_eq!(dispatcher.sent()[0].result, result);
    }
}
