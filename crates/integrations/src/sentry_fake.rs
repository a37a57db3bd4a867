//! A local Sentry ingest server for tests (spec/protocols.md §6): `POST /api/{project_id}/envelope/`
//! with the `X-Sentry-Auth` header the Rust SDK sends and a newline-delimited envelope body. It
//! checks the key and protocol version (401 otherwise), parses and records each envelope, and
//! answers `{"id": "<event id>"}` as Sentry does; it can also answer 429 with `Retry-After`, or an
//! HTTP error.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How the fake answers the next envelopes that pass the auth check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behavior {
    Accept,
    /// `429 Too Many Requests` with `Retry-After: <secs>`; the envelope is not recorded.
    RateLimited {
        retry_after_secs: u64,
    },
    /// This HTTP status with a JSON `detail`; the envelope is not recorded.
    HttpError(u16),
}

/// One parsed envelope: its header line and each item's header with its raw payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    pub header: Value,
    pub items: Vec<(Value, Vec<u8>)>,
}

impl Envelope {
    /// The payloads of the items of type `ty` (`event`, `session`, `client_report`…), as JSON
    /// (`Null` when a payload is not JSON).
    pub fn items_of(&self, ty: &str) -> Vec<Value> {
        self.items
            .iter()
            .filter(|(h, _)| h["type"].as_str() == Some(ty))
            .map(|(_, p)| serde_json::from_slice(p).unwrap_or(Value::Null))
            .collect()
    }

    /// The first `event` item's payload.
    pub fn event(&self) -> Option<Value> {
        self.items_of("event").into_iter().next()
    }

    /// The event id of the envelope header, without dashes (the form Sentry answers with and
    /// events carry).
    pub fn event_id(&self) -> Option<String> {
        self.header["event_id"].as_str().map(|id| id.replace('-', ""))
    }
}

/// One request the fake received, accepted or not.
#[derive(Debug, Clone)]
pub struct Received {
    /// e.g. `/api/42/envelope/`
    pub path: String,
    pub auth: Option<String>,
    pub content_type: Option<String>,
    /// The HTTP status the fake answered.
    pub status: u16,
    /// The parsed body, when it was an envelope.
    pub envelope: Option<Envelope>,
}

/// Why a body is not an envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid envelope: {0}")]
pub struct EnvelopeError(pub String);

/// The line up to the next `\n` (without it, and without a trailing `\r`) and what follows it.
fn split_line(bytes: &[u8]) -> (&[u8], &[u8]) {
    let (line, rest) = match bytes.iter().position(|&b| b == b'\n') {
        Some(i) => (&bytes[..i], &bytes[i + 1..]),
        None => (bytes, &bytes[bytes.len()..]),
    };
    (line.strip_suffix(b"\r").unwrap_or(line), rest)
}

fn json_object(line: &[u8], what: &str) -> Result<Value, EnvelopeError> {
    let value: Value = serde_json::from_slice(line).map_err(|e| EnvelopeError(format!("{what} is not JSON ({e})")))?;
    if value.is_object() { Ok(value) } else { Err(EnvelopeError(format!("{what} is not a JSON object"))) }
}

/// Parses an envelope (https://develop.sentry.dev/sdk/data-model/envelopes/): a header line of
/// JSON, then for each item a header line with its `type` and the payload, `length` bytes when
/// the header gives a length (followed by a newline or the end), else up to the next newline.
pub fn parse_envelope(body: &[u8]) -> Result<Envelope, EnvelopeError> {
    if body.is_empty() {
        return Err(EnvelopeError("empty body".into()));
    }
    let (line, mut rest) = split_line(body);
    let header = json_object(line, "the envelope header")?;
    let mut items = Vec::new();
    // Trailing newlines after the last item are allowed.
    while rest.iter().any(|b| !b.is_ascii_whitespace()) {
        let n = items.len() + 1;
        let (line, after) = split_line(rest);
        let item_header = json_object(line, &format!("the header of item {n}"))?;
        if item_header["type"].as_str().is_none_or(str::is_empty) {
            return Err(EnvelopeError(format!("item {n} has no type")));
        }
        let payload = match item_header.get("length").filter(|l| !l.is_null()) {
            Some(length) => {
                let length = length
                    .as_u64()
                    .and_then(|l| usize::try_from(l).ok())
                    .ok_or_else(|| EnvelopeError(format!("item {n}: length {length} is not a byte count")))?;
                if after.len() < length {
                    return Err(EnvelopeError(format!(
                        "item {n}: the payload has {} bytes, its header says {length}",
                        after.len()
                    )));
                }
                let (payload, after) = after.split_at(length);
                rest = match after {
                    [] => after,
                    [b'\n', tail @ ..] => tail,
                    _ => return Err(EnvelopeError(format!("item {n}: no newline after its {length} bytes"))),
                };
                payload
            }
            None => {
                let (payload, after) = split_line(after);
                rest = after;
                payload
            }
        };
        items.push((item_header, payload.to_vec()));
    }
    Ok(Envelope { header, items })
}

/// The fields of an `X-Sentry-Auth` header: `Sentry sentry_key=…, sentry_version=7, …`.
pub fn parse_auth(value: &str) -> Option<Vec<(String, String)>> {
    let rest = value.trim().strip_prefix("Sentry ")?;
    Some(
        rest.split(',')
            .filter_map(|part| part.trim().split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect(),
    )
}

#[derive(Debug)]
struct Inner {
    key: String,
    project: String,
    behavior: Behavior,
    received: Vec<Received>,
}

#[derive(Debug, Clone)]
pub struct FakeSentry {
    /// `http://127.0.0.1:<port>`
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

impl FakeSentry {
    /// Starts on a free port of 127.0.0.1 with a random public key, for project `42`.
    pub async fn start() -> std::io::Result<Self> {
        let key = format!("{:032x}", rand_u128());
        Self::start_with(&key, "42").await
    }

    /// Starts on a free port of 127.0.0.1, accepting the public key `key` for project `project`.
    pub async fn start_with(key: &str, project: &str) -> std::io::Result<Self> {
        let inner = Arc::new(Mutex::new(Inner {
            key: key.to_owned(),
            project: project.to_owned(),
            behavior: Behavior::Accept,
            received: Vec::new(),
        }));
        let app = Router::new().route("/api/{project_id}/envelope/", post(envelope)).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { url, inner })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The DSN that reaches this fake: `http://<key>@127.0.0.1:<port>/<project>`.
    pub fn dsn(&self) -> String {
        let g = self.lock();
        let host = self.url.trim_start_matches("http://");
        format!("http://{}@{host}/{}", g.key, g.project)
    }

    pub fn set_behavior(&self, behavior: Behavior) {
        self.lock().behavior = behavior;
    }

    /// Every request so far, accepted or not.
    pub fn received(&self) -> Vec<Received> {
        self.lock().received.clone()
    }

    /// The envelopes accepted so far, in order.
    pub fn envelopes(&self) -> Vec<Envelope> {
        self.lock().received.iter().filter(|r| r.status == 200).filter_map(|r| r.envelope.clone()).collect()
    }

    /// Waits until at least `count` envelopes were accepted (or `within` passed); returns all so far.
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<Envelope> {
        let deadline = Instant::now() + within;
        loop {
            let envelopes = self.envelopes();
            if envelopes.len() >= count || Instant::now() >= deadline {
                return envelopes;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// A random number for the default key (no RNG dependency: the std hasher's random seed).
fn rand_u128() -> u128 {
    use std::hash::{BuildHasher, RandomState};
    let s = RandomState::new();
    (u128::from(s.hash_one(1u8)) << 64) | u128::from(s.hash_one(2u8))
}

fn answer(status: StatusCode, body: Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

async fn envelope(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(project_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let auth = headers.get("x-sentry-auth").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut received = Received {
        path: format!("/api/{project_id}/envelope/"),
        auth: auth.clone(),
        content_type: text(header::CONTENT_TYPE),
        status: 0,
        envelope: None,
    };
    let mut g = inner.lock().unwrap_or_else(PoisonError::into_inner);
    let fields = auth.as_deref().and_then(parse_auth).unwrap_or_default();
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let (status, response) = if project_id != g.project {
        (StatusCode::NOT_FOUND, answer(StatusCode::NOT_FOUND, json!({"detail": "project not found"})))
    } else if field("sentry_key") != Some(g.key.as_str()) || field("sentry_version") != Some("7") {
        let detail = if auth.is_none() { "missing authorization information" } else { "invalid authorization" };
        (StatusCode::UNAUTHORIZED, answer(StatusCode::UNAUTHORIZED, json!({"detail": detail})))
    } else {
        match parse_envelope(&body) {
            Err(e) => (StatusCode::BAD_REQUEST, answer(StatusCode::BAD_REQUEST, json!({"detail": e.to_string()}))),
            Ok(envelope) => {
                let id = envelope.event_id();
                received.envelope = Some(envelope);
                match g.behavior.clone() {
                    Behavior::Accept => (StatusCode::OK, answer(StatusCode::OK, json!({ "id": id }))),
                    Behavior::RateLimited { retry_after_secs } => {
                        let mut r = answer(StatusCode::TOO_MANY_REQUESTS, json!({"detail": "rate limited"}));
                        if let Ok(v) = retry_after_secs.to_string().parse() {
                            r.headers_mut().insert(header::RETRY_AFTER, v);
                        }
                        (StatusCode::TOO_MANY_REQUESTS, r)
                    }
                    Behavior::HttpError(code) => {
                        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                        (status, answer(status, json!({"detail": "upstream error"})))
                    }
                }
            }
        }
    };
    received.status = status.as_u16();
    g.received.push(received);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_length_prefixed_and_newline_terminated_items() {
        let body = b"{\"event_id\":\"9ec79c33-ec99-42ab-8353-589fcb2e04dc\",\"dsn\":\"https://e12d836b15bb49d7bbf99e64295d995b:@sentry.io/42\"}\n\
{\"type\":\"attachment\",\"length\":10,\"content_type\":\"text/plain\",\"filename\":\"hello.txt\"}\n\
\xef\xbb\xbfHello\r\n\n\
{\"type\":\"event\",\"length\":41,\"content_type\":\"application/json\",\"filename\":\"application.log\"}\n\
{\"message\":\"hello world\",\"level\":\"error\"}\n";
        let e = parse_envelope(body).expect("the spec's example");
        assert_eq!(e.event_id().as_deref(), Some("9ec79c33ec9942ab8353589fcb2e04dc"));
        assert_eq!(e.items.len(), 2);
        assert_eq!(e.items[0].0["type"], "attachment");
        assert_eq!(e.items[0].1, b"\xef\xbb\xbfHello\r\n", "a length-delimited payload keeps its newlines");
        assert_eq!(e.event(), Some(json!({"message": "hello world", "level": "error"})));

        // no lengths, no trailing newline, an empty payload
        let body = b"{}\n{\"type\":\"session\"}\n{\"started\":\"2020-02-07T14:16:00Z\"}\n{\"type\":\"attachment\"}\n";
        let e = parse_envelope(body).expect("implicit lengths");
        assert_eq!(e.header, json!({}));
        assert_eq!(e.items_of("session"), [json!({"started": "2020-02-07T14:16:00Z"})]);
        assert_eq!(e.items[1].1, b"");
        let e =
            parse_envelope(b"{\"event_id\":\"abc\"}\n{\"type\":\"event\"}\n{\"level\":\"error\"}").expect("no newline");
        assert_eq!(e.items.len(), 1);
        assert_eq!(e.event(), Some(json!({"level": "error"})));

        // a header alone, with or without a newline
        assert_eq!(parse_envelope(b"{}").map(|e| e.items.len()), Ok(0));
        assert_eq!(parse_envelope(b"{}\n\n").map(|e| e.items.len()), Ok(0));
    }

    #[test]
    fn parses_what_the_sentry_sdk_writes() {
        // two items whose payloads contain no newline but are length-delimited, back to back
        let event = br#"{"event_id":"d43f9ec70a7a4aab8b5f1e7f9c0b0c7e","level":"error"}"#;
        let mut body = br#"{"event_id":"d43f9ec7-0a7a-4aab-8b5f-1e7f9c0b0c7e"}"#.to_vec();
        body.extend_from_slice(format!("\n{{\"type\":\"event\",\"length\":{}}}\n", event.len()).as_bytes());
        body.extend_from_slice(event);
        body.extend_from_slice(b"\n{\"type\":\"client_report\",\"length\":2}\n{}");
        let e = parse_envelope(&body).expect("valid");
        assert_eq!(e.event_id().as_deref(), Some("d43f9ec70a7a4aab8b5f1e7f9c0b0c7e"));
        assert_eq!(e.event().and_then(|ev| ev["event_id"].as_str().map(str::to_owned)), e.event_id());
        assert_eq!(e.items_of("client_report"), [json!({})]);
    }

    #[test]
    fn rejects_malformed_envelopes() {
        let cases: [(&[u8], &str); 7] = [
            (b"", "empty"),
            (b"not json\n", "envelope header is not JSON"),
            (b"[1]\n", "not a JSON object"),
            (b"{}\n{\"length\":2}\n{}", "no type"),
            (b"{}\n{\"type\":\"event\",\"length\":10}\n{}", "says 10"),
            (b"{}\n{\"type\":\"event\",\"length\":2}\n{}x", "no newline after"),
            (b"{}\n{\"type\":\"event\",\"length\":-1}\n{}", "not a byte count"),
        ];
        for (body, expected) in cases {
            let err = parse_envelope(body).expect_err(expected);
            assert!(err.0.contains(expected), "{}: {err}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn reads_the_auth_header() {
        let fields =
            parse_auth("Sentry sentry_key=abc123, sentry_version=7, sentry_client=sentry.rust/0.49.5").expect("auth");
        assert_eq!(
            fields,
            [("sentry_key", "abc123"), ("sentry_version", "7"), ("sentry_client", "sentry.rust/0.49.5")]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        assert_eq!(parse_auth("Bearer abc"), None);
    }

    async fn post(fake: &FakeSentry, path: &str, auth: Option<&str>, body: &'static [u8]) -> (u16, Value) {
        crate::http::install_crypto_provider();
        let mut req = reqwest::Client::new().post(format!("{}{path}", fake.url)).body(body);
        if let Some(a) = auth {
            req = req.header("X-Sentry-Auth", a);
        }
        let res = req.send().await.expect("answer");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    #[tokio::test]
    async fn checks_the_key_and_answers_the_event_id() {
        let fake = FakeSentry::start_with("abc123", "42").await.expect("fake");
        assert_eq!(fake.dsn(), format!("http://abc123@{}/42", fake.url.trim_start_matches("http://")));
        let body: &[u8] = b"{\"event_id\":\"9ec79c33-ec99-42ab-8353-589fcb2e04dc\"}\n{\"type\":\"event\"}\n{}\n";
        let good = "Sentry sentry_key=abc123, sentry_version=7, sentry_client=sentry.rust/0.49.5";
        assert_eq!(post(&fake, "/api/42/envelope/", None, body).await.0, 401);
        assert_eq!(
            post(&fake, "/api/42/envelope/", Some("Sentry sentry_key=other, sentry_version=7"), body).await.0,
            401
        );
        assert_eq!(
            post(&fake, "/api/42/envelope/", Some("Sentry sentry_key=abc123, sentry_version=6"), body).await.0,
            401
        );
        assert_eq!(post(&fake, "/api/7/envelope/", Some(good), body).await.0, 404);
        assert_eq!(post(&fake, "/api/42/envelope/", Some(good), b"nonsense").await.0, 400);
        assert!(fake.envelopes().is_empty());
        assert_eq!(
            post(&fake, "/api/42/envelope/", Some(good), body).await,
            (200, json!({"id": "9ec79c33ec9942ab8353589fcb2e04dc"}))
        );
        let got = fake.wait_for(1, Duration::from_secs(1)).await;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].items_of("event"), [json!({})]);
        assert_eq!(fake.received().len(), 6);
        assert_eq!(fake.received()[5].auth.as_deref(), Some(good));

        fake.set_behavior(Behavior::RateLimited { retry_after_secs: 60 });
        let res = reqwest::Client::new()
            .post(format!("{}/api/42/envelope/", fake.url))
            .header("X-Sentry-Auth", good)
            .body(body)
            .send()
            .await
            .expect("answer");
        assert_eq!(res.status().as_u16(), 429);
        assert_eq!(res.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("60"));
        fake.set_behavior(Behavior::HttpError(503));
        assert_eq!(post(&fake, "/api/42/envelope/", Some(good), body).await.0, 503);
        assert_eq!(fake.envelopes().len(), 1, "refused envelopes are not counted as accepted");
    }
}
