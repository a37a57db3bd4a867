//! A local WhatsApp Cloud API for tests and the demo: `POST /{version}/{phone-number-id}/messages`
//! with Meta's request checks, answers and Graph errors, and (with a [`CallbackPlan`]) the signed
//! status webhooks Meta sends after a message is accepted. `GET /{version}/{phone-number-id}`
//! answers the phone number's fields (the providers' status check).

use crate::fake_callbacks::{CallbackPlan, CallbackSent, Dispatcher, Order, Outbound, meta_signature, unix_now};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// The WhatsApp Business Account id in the fake's webhooks.
pub const WABA_ID: &str = "102290129340398";
/// The business number the fake sends from (webhook `metadata.display_phone_number`).
pub const DISPLAY_PHONE_NUMBER: &str = "6281100000000";

/// How the fake answers the next valid sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behavior {
    Accept,
    /// A Graph error, e.g. 400/131047 (outside the 24-hour window) or 429/130429 (throughput).
    /// Reading the phone number gets it too when it is Graph's own trouble (HTTP 429 or 5xx);
    /// a 4xx error concerns the message only.
    GraphError {
        http_status: u16,
        code: i64,
        message: String,
    },
    /// An HTTP error status with an HTML body (a proxy in the way); for every request.
    HttpError(u16),
    /// Accept, but only after this long (to provoke client time-outs); for every request.
    Slow(Duration),
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Received {
    pub authorization: Option<String>,
    /// e.g. `/v21.0/1055/messages`
    pub path: String,
    /// The parsed JSON body (`Null` when it was not JSON).
    pub body: Value,
}

#[derive(Debug)]
struct Inner {
    token: String,
    phone_number_id: String,
    behavior: Behavior,
    received: Vec<Received>,
    /// The `Authorization` of each read of the phone number.
    number_checks: Vec<Option<String>>,
    next_id: u64,
    plan: Option<CallbackPlan>,
    /// wamid → recipient, for the webhooks.
    recipients: HashMap<String, String>,
}

#[derive(Debug)]
struct Shared {
    inner: Mutex<Inner>,
    callbacks: Dispatcher,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Debug, Clone)]
pub struct FakeMeta {
    /// The base URL, without the version (what `MetaCloud::new` takes as `base_url`).
    pub url: String,
    shared: Arc<Shared>,
}

impl FakeMeta {
    /// Starts on a free port of 127.0.0.1; accepts `Bearer {token}` for the number `phone_number_id`.
    pub async fn start(token: &str, phone_number_id: &str) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                token: token.to_owned(),
                phone_number_id: phone_number_id.to_owned(),
                behavior: Behavior::Accept,
                received: Vec::new(),
                number_checks: Vec::new(),
                next_id: 0,
                plan: None,
                recipients: HashMap::new(),
            }),
            callbacks: Dispatcher::new()?,
        });
        let app = Router::new()
            .route("/{version}/{phone_number_id}/messages", post(messages))
            .route("/{version}/{phone_number_id}", get(phone_number))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { url, shared })
    }

    pub fn set_behavior(&self, behavior: Behavior) {
        self.shared.lock().behavior = behavior;
    }

    /// The sends (`…/messages`); reads of the phone number are in [`FakeMeta::number_checks`].
    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().received.clone()
    }

    /// The `Authorization` header of each read of the phone number so far.
    pub fn number_checks(&self) -> Vec<Option<String>> {
        self.shared.lock().number_checks.clone()
    }

    /// Status webhooks for every message accepted from now on (`None` stops them). Sign them by
    /// giving the plan the app secret.
    pub fn set_callbacks(&self, plan: Option<CallbackPlan>) {
        self.shared.lock().plan = plan;
    }

    /// Every webhook sent so far, in the order the answers came.
    pub fn callbacks_sent(&self) -> Vec<CallbackSent> {
        self.shared.callbacks.sent()
    }

    /// Waits until at least `count` webhooks went out (or `within` passed); returns all so far.
    pub async fn wait_for_callbacks(&self, count: usize, within: Duration) -> Vec<CallbackSent> {
        self.shared.callbacks.wait_for(count, within).await
    }

    /// Sends one status webhook for `wamid` now, to the current plan's URL and signed with its
    /// secret; answers the receiver's HTTP status. `failed` carries a 131026 error, as Meta's do.
    pub async fn push_status(&self, wamid: &str, status: &str) -> Result<u16, String> {
        let (plan, phone_number_id, recipient) = {
            let g = self.shared.lock();
            let plan = g.plan.clone().ok_or("no callback plan set")?;
            (plan, g.phone_number_id.clone(), g.recipients.get(wamid).cloned().unwrap_or_default())
        };
        let body = status_event(&phone_number_id, wamid, status, &recipient, unix_now());
        self.shared.callbacks.post(&plan.url, outbound(&plan, wamid, status, body)).await
    }
}

/// Meta's webhook for one status of one message.
pub fn status_event(phone_number_id: &str, wamid: &str, status: &str, recipient: &str, timestamp: u64) -> String {
    let mut item = json!({
        "id": wamid,
        "status": status,
        "timestamp": timestamp.to_string(),
        "recipient_id": recipient,
    });
    if status == "failed" {
        item["errors"] = json!([{
            "code": 131026,
            "title": "Message undeliverable",
            "message": "Message undeliverable",
            "error_data": {"details": "Message Undeliverable."},
        }]);
    }
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": WABA_ID,
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": DISPLAY_PHONE_NUMBER, "phone_number_id": phone_number_id},
                    "statuses": [item],
                },
            }],
        }],
    })
    .to_string()
}

fn outbound(plan: &CallbackPlan, wamid: &str, status: &str, body: String) -> Outbound {
    let signature = plan.app_secret.as_deref().map(|secret| meta_signature(secret, body.as_bytes()));
    Outbound { provider_message_id: wamid.to_owned(), status: status.to_owned(), body, signature }
}

/// The webhooks for a newly accepted message. Timestamps follow the order things happened (a
/// second apart), whatever order they arrive in.
fn planned(plan: &CallbackPlan, phone_number_id: &str, wamid: &str, recipient: &str) -> Vec<Outbound> {
    let start = unix_now();
    let mut callbacks: Vec<Outbound> = (0u64..)
        .zip(&plan.statuses)
        .map(|(i, status)| {
            let body = status_event(phone_number_id, wamid, status, recipient, start + i);
            outbound(plan, wamid, status, body)
        })
        .collect();
    if plan.order == Order::Reversed {
        callbacks.reverse();
    }
    plan.repeated(callbacks)
}

fn fbtrace_id(n: u64) -> String {
    format!("A{}", STANDARD.encode(format!("trace-{n:08}")).trim_end_matches('='))
}

/// A Graph error answer. Cloud API codes (13xxxx) carry `error_data.details`, as Meta's do.
fn graph_error(status: u16, code: i64, subcode: Option<i64>, kind: &str, message: &str, n: u64) -> Response {
    let mut error = json!({"message": message, "type": kind, "code": code, "fbtrace_id": fbtrace_id(n)});
    if let Some(sub) = subcode {
        error["error_subcode"] = json!(sub);
    }
    if code >= 130_000 {
        error["error_data"] = json!({"messaging_product": "whatsapp", "details": message});
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (status, [(header::CONTENT_TYPE, "application/json")], json!({ "error": error }).to_string()).into_response()
}

fn invalid(message: &str, n: u64) -> Response {
    graph_error(400, 100, None, "OAuthException", message, n)
}

/// Meta's checks of a message body; the `(#100)` message of the first problem.
fn validate(body: &Value) -> Result<(), String> {
    match body.get("messaging_product").and_then(Value::as_str) {
        None => return Err("(#100) The parameter messaging_product is required.".into()),
        Some("whatsapp") => {}
        Some(other) => {
            return Err(format!("(#100) Param messaging_product must be one of {{WHATSAPP}} - got \"{other}\"."));
        }
    }
    if body.get("to").and_then(Value::as_str).is_none_or(|to| to.trim().is_empty()) {
        return Err("(#100) The parameter to is required.".into());
    }
    let problem = match body.get("type").and_then(Value::as_str).unwrap_or("text") {
        "text" if body["text"]["body"].as_str().is_none_or(str::is_empty) => "text['body']",
        "template" if body["template"]["name"].as_str().is_none() => "template['name']",
        "template" if body["template"]["language"]["code"].as_str().is_none() => "template['language']['code']",
        _ => return Ok(()),
    };
    Err(format!("(#100) The parameter {problem} is required."))
}

/// A wamid-looking id: `wamid.` and base64, unique per fake.
fn wamid(to: &str, n: u64) -> String {
    format!("wamid.{}", STANDARD.encode(format!("HBgN{to}FQIAERgS{n:016X}")))
}

/// Graph's answer to an unknown or inaccessible object id.
fn unknown_object(method: &str, id: &str, n: u64) -> Response {
    let message = format!(
        "Unsupported {method} request. Object with ID '{id}' does not exist, cannot be loaded due to missing \
         permissions, or does not support this operation. Please read the Graph API documentation at \
         https://developers.facebook.com/docs/graph-api"
    );
    graph_error(400, 100, Some(33), "GraphMethodException", &message, n)
}

fn invalid_token(n: u64) -> Response {
    graph_error(401, 190, None, "OAuthException", "Invalid OAuth access token - Cannot parse access token", n)
}

/// `GET /{version}/{phone-number-id}`: the number's fields, as Graph answers them.
async fn phone_number(
    State(shared): State<Arc<Shared>>,
    Path((_version, phone_number_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (behavior, token_ok, number_ok, n) = {
        let mut g = shared.lock();
        g.number_checks.push(authorization.clone());
        g.next_id += 1;
        let expected = format!("Bearer {}", g.token);
        (
            g.behavior.clone(),
            authorization.as_deref() == Some(expected.as_str()),
            phone_number_id == g.phone_number_id,
            g.next_id,
        )
    };
    if !token_ok {
        return invalid_token(n);
    }
    if !number_ok {
        return unknown_object("get", &phone_number_id, n);
    }
    match behavior {
        Behavior::Accept => {}
        Behavior::GraphError { http_status, code, message } if http_status == 429 || http_status >= 500 => {
            return graph_error(http_status, code, None, "OAuthException", &message, n);
        }
        Behavior::GraphError { .. } => {}
        Behavior::HttpError(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (status, [(header::CONTENT_TYPE, "text/html")], "<html><body>upstream error</body></html>")
                .into_response();
        }
        Behavior::Slow(d) => tokio::time::sleep(d).await,
    }
    let answer = json!({
        "verified_name": "AGLIS Net",
        "code_verification_status": "VERIFIED",
        "display_phone_number": DISPLAY_PHONE_NUMBER,
        "quality_rating": "GREEN",
        "platform_type": "CLOUD_API",
        "throughput": {"level": "STANDARD"},
        "id": phone_number_id,
    });
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], answer.to_string()).into_response()
}

async fn messages(
    State(shared): State<Arc<Shared>>,
    Path((version, phone_number_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let (behavior, token_ok, number_ok, n) = {
        let mut g = shared.lock();
        g.received.push(Received {
            authorization: authorization.clone(),
            path: format!("/{version}/{phone_number_id}/messages"),
            body: json.clone(),
        });
        g.next_id += 1;
        let expected = format!("Bearer {}", g.token);
        (
            g.behavior.clone(),
            authorization.as_deref() == Some(expected.as_str()),
            phone_number_id == g.phone_number_id,
            g.next_id,
        )
    };
    if !token_ok {
        return invalid_token(n);
    }
    if !number_ok {
        return unknown_object("post", &phone_number_id, n);
    }
    if let Err(message) = validate(&json) {
        return invalid(&message, n);
    }
    match behavior {
        Behavior::Accept => {}
        Behavior::GraphError { http_status, code, message } => {
            return graph_error(http_status, code, None, "OAuthException", &message, n);
        }
        Behavior::HttpError(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (status, [(header::CONTENT_TYPE, "text/html")], "<html><body>upstream error</body></html>")
                .into_response();
        }
        Behavior::Slow(d) => tokio::time::sleep(d).await,
    }
    let to = json["to"].as_str().unwrap_or_default().to_owned();
    let wa_id = to.trim_start_matches('+').to_owned();
    let id = wamid(&wa_id, n);
    let plan = {
        let mut g = shared.lock();
        g.recipients.insert(id.clone(), wa_id.clone());
        g.plan.clone()
    };
    if let Some(plan) = plan {
        let callbacks = planned(&plan, &phone_number_id, &id, &wa_id);
        shared.callbacks.spawn(plan.url.clone(), plan.delay, callbacks);
    }
    let answer = json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": to, "wa_id": wa_id}],
        "messages": [{"id": id}],
    });
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], answer.to_string()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake_callbacks::receiver::Receiver;
    use crate::notify::{Outgoing, Provider, SendError};
    use crate::whatsapp::meta::{DEFAULT_VERSION, MetaCloud};
    use aglis_core::notification::Channel;
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::Sha256;

    const TOKEN: &str = "EAAG-test-token";
    const NUMBER: &str = "106540352242922";
    const SECRET: &str = "app-secret-test";

    fn message(recipient: &str, body: &str) -> Outgoing {
        Outgoing {
            message_id: 41,
            channel: Channel::Whatsapp,
            recipient: recipient.into(),
            subject: None,
            body: body.into(),
        }
    }

    fn client(fake: &FakeMeta, token: &str, number: &str) -> MetaCloud {
        MetaCloud::new(&fake.url, DEFAULT_VERSION, number, token, Duration::from_millis(500)).expect("client")
    }

    /// Checks the signature the way Meta's receivers must: HMAC over the raw bytes.
    fn signed_by(secret: &str, body: &str, header: Option<&str>) -> bool {
        let Some(hex_sig) = header.and_then(|h| h.strip_prefix("sha256=")) else { return false };
        let Ok(sig) = hex::decode(hex_sig) else { return false };
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("any key length");
        mac.update(body.as_bytes());
        mac.verify_slice(&sig).is_ok()
    }

    #[tokio::test]
    async fn sends_the_documented_request_and_reads_the_wamid() {
        let fake = FakeMeta::start(TOKEN, NUMBER).await.expect("fake");
        let meta = client(&fake, TOKEN, NUMBER);
        let receipt = meta.send(&message("6281234567890", "Tagihan November: Rp 150.000")).await.expect("accepted");
        assert_eq!(receipt.provider, "meta");
        let id = receipt.provider_message_id.expect("a wamid");
        assert!(id.starts_with("wamid."), "{id}");

        let received = fake.received();
        assert_eq!(received.len(), 1);
        let r = &received[0];
        assert_eq!(r.authorization.as_deref(), Some("Bearer EAAG-test-token"));
        assert_eq!(r.path, format!("/v21.0/{NUMBER}/messages"));
        assert_eq!(
            r.body,
            json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "6281234567890",
                "type": "text", "text": {"preview_url": false, "body": "Tagihan November: Rp 150.000"}})
        );
        // a second message gets another id
        let second = meta.send(&message("6281234567890", "lagi")).await.expect("accepted");
        assert_ne!(second.provider_message_id, Some(id));
    }

    #[tokio::test]
    async fn wrong_token_and_unknown_number_are_graph_errors() {
        let fake = FakeMeta::start(TOKEN, NUMBER).await.expect("fake");
        let r = client(&fake, "EAAG-expired", NUMBER).send(&message("6281234567890", "Halo")).await;
        let Err(SendError::Transient { detail, .. }) = r else { panic!("a bad token is the operator's: {r:?}") };
        assert!(detail.starts_with("190: Invalid OAuth access token"), "{detail}");

        let r = client(&fake, TOKEN, "999").send(&message("6281234567890", "Halo")).await;
        let Err(SendError::Rejected { detail, .. }) = r else { panic!("unknown number: {r:?}") };
        assert!(detail.starts_with("100: Unsupported post request. Object with ID '999'"), "{detail}");
        assert!(detail.contains("subcode 33"), "{detail}");
        assert_eq!(fake.received().len(), 2, "both requests arrived");
    }

    #[tokio::test]
    async fn the_fake_validates_bodies_like_meta() {
        let fake = FakeMeta::start(TOKEN, NUMBER).await.expect("fake");
        let http = reqwest::Client::new();
        let url = format!("{}/v21.0/{NUMBER}/messages", fake.url);
        let cases = [
            (json!({"to": "628", "type": "text", "text": {"body": "x"}}), "messaging_product is required"),
            (json!({"messaging_product": "sms", "to": "628", "text": {"body": "x"}}), "must be one of"),
            (json!({"messaging_product": "whatsapp", "type": "text", "text": {"body": "x"}}), "parameter to"),
            (json!({"messaging_product": "whatsapp", "to": "628", "type": "text", "text": {}}), "text['body']"),
            (json!({"messaging_product": "whatsapp", "to": "628", "type": "template", "template": {}}), "template"),
        ];
        for (body, expected) in cases {
            let res = http.post(&url).bearer_auth(TOKEN).json(&body).send().await.expect("answer");
            assert_eq!(res.status().as_u16(), 400, "{body}");
            let answer: Value = res.json().await.expect("json");
            assert_eq!(answer["error"]["code"], 100, "{body}");
            let text = answer["error"]["message"].as_str().expect("message");
            assert!(text.contains(expected), "{body}: {text}");
        }
        let res = http.post(&url).bearer_auth(TOKEN).body("not json").send().await.expect("answer");
        assert_eq!(res.status().as_u16(), 400);
        // a template with name and language passes
        let template = json!({"messaging_product": "whatsapp", "to": "628", "type": "template",
            "template": {"name": "invoice_due", "language": {"code": "id"}}});
        let res = http.post(&url).bearer_auth(TOKEN).json(&template).send().await.expect("answer");
        assert_eq!(res.status().as_u16(), 200);
    }

    #[tokio::test]
    async fn each_failure_is_classified() {
        let fake = FakeMeta::start(TOKEN, NUMBER).await.expect("fake");
        let meta = client(&fake, TOKEN, NUMBER);
        let m = message("6281234567890", "Halo");

        fake.set_behavior(Behavior::GraphError {
            http_status: 400,
            code: 131047,
            message: "(#131047) Re-engagement message".into(),
        });
        let r = meta.send(&m).await;
        let Err(SendError::Rejected { detail, .. }) = r else { panic!("outside the window: {r:?}") };
        assert!(detail.starts_with("131047: Re-engagement message"), "{detail}");

        fake.set_behavior(Behavior::GraphError { http_status: 429, code: 130429, message: "Rate limit hit".into() });
        let r = meta.send(&m).await;
        assert!(matches!(&r, Err(SendError::Transient { detail, .. }) if detail.starts_with("130429: Rate limit hit")));

        fake.set_behavior(Behavior::GraphError {
            http_status: 400,
            code: 131026,
            message: "Message undeliverable".into(),
        });
        assert!(matches!(meta.send(&m).await, Err(SendError::Rejected { .. })));

        fake.set_behavior(Behavior::GraphError {
            http_status: 503,
            code: 131016,
            message: "Service unavailable".into(),
        });
        assert!(matches!(meta.send(&m).await, Err(SendError::Transient { .. })));

        fake.set_behavior(Behavior::HttpError(502));
        let r = meta.send(&m).await;
        assert!(matches!(&r, Err(SendError::Transient { detail, .. }) if detail.contains("502")), "{r:?}");

        fake.set_behavior(Behavior::Slow(Duration::from_secs(3)));
        let r = meta.send(&m).await;
        assert_eq!(r, Err(SendError::Transient { provider: "meta".into(), detail: "timed out".into() }));

        fake.set_behavior(Behavior::Accept);
        assert!(meta.send(&m).await.is_ok());
    }

    #[tokio::test]
    async fn the_probe_reads_the_phone_number_and_sends_nothing() {
        let fake = FakeMeta::start(TOKEN, NUMBER).await.expect("fake");
        let meta = client(&fake, TOKEN, NUMBER);
        let probe = async |m: &MetaCloud| m.probe().expect("meta has a status check").await;
        assert_eq!(probe(&meta).await, Ok(()));
        assert_eq!(fake.number_checks(), [Some(format!("Bearer {TOKEN}"))]);

        let r = probe(&client(&fake, "EAAG-expired", NUMBER)).await;
        let err = r.expect_err("a bad token");
        assert!(err.starts_with("190: Invalid OAuth access token") && !err.contains("EAAG-expired"), "{err}");
        let err = probe(&client(&fake, TOKEN, "999")).await.expect_err("unknown number");
        assert!(
            err.starts_with("100: Unsupported get request. Object with ID '999'") && err.contains("subcode 33"),
            "{err}"
        );

        fake.set_behavior(Behavior::GraphError {
            http_status: 503,
            code: 131016,
            message: "Service unavailable".into(),
        });
        let err = probe(&meta).await.expect_err("Graph is down");
        assert!(err.starts_with("131016: Service unavailable"), "{err}");
        fake.set_behavior(Behavior::GraphError { http_status: 400, code: 131047, message: "Re-engagement".into() });
        assert_eq!(probe(&meta).await, Ok(()), "a message's error says nothing about the number");
        fake.set_behavior(Behavior::HttpError(502));
        assert_eq!(probe(&meta).await, Err("HTTP 502".into()));
        fake.set_behavior(Behavior::Slow(Duration::from_secs(3)));
        assert_eq!(probe(&meta).await, Err("timed out".into()));

        let nowhere = MetaCloud::new("http://127.0.0.1:9", DEFAULT_VERSION, NUMBER, TOKEN, Duration::from_secs(1))
            .expect("client");
        let err = probe(&nowhere).await.expect_err("nothing listens there");
        assert!(err.starts_with("unreachable") && !err.contains(TOKEN), "{err}");
        assert!(fake.received().is_empty(), "no message was sent");
        assert_eq!(fake.number_checks().len(), 7);
    }

    #[tokio::test]
    async fn an_unreachable_server_is_transient() {
        let meta = MetaCloud::new("http://127.0.0.1:9", DEFAULT_VERSION, NUMBER, TOKEN, Duration::from_secs(1))
            .expect("client");
        let r = meta.send(&message("6281234567890", "Halo")).await;
        assert!(matches!(&r, Err(SendError::Transient { detail, .. }) if detail.starts_with("unreachable")), "{r:?}");
    }

    /// Sends one message and returns its wamid.
    async fn send_one(fake: &FakeMeta) -> String {
        let receipt = client(fake, TOKEN, NUMBER).send(&message("6281234567890", "Halo")).await.expect("accepted");
        receipt.provider_message_id.expect("wamid")
    }

    fn statuses_of(hits: &[crate::fake_callbacks::receiver::Hit]) -> Vec<String> {
        hits.iter()
            .map(|h| {
                h.json()["entry"][0]["changes"][0]["value"]["statuses"][0]["status"].as_str().unwrap_or("?").to_owned()
            })
            .collect()
    }

    #[tokio::test]
    async fn accepted_messages_get_signed_status_webhooks_in_meta_shape() {
        let receiver = Receiver::start(200).await;
        let fake = FakeMeta::start(TOKEN, NUMBER).await.expect("fake");
        fake.set_callbacks(Some(CallbackPlan::new(&receiver.url).delay(Duration::from_millis(20)).app_secret(SECRET)));
        let wamid = send_one(&fake).await;

        let hits = receiver.wait_for(3).await;
        assert_eq!(statuses_of(&hits), ["sent", "delivered", "read"]);
        let mut last_ts = 0;
        for hit in &hits {
            assert!(signed_by(SECRET, &hit.body, hit.signature.as_deref()), "signature of {}", hit.body);
            assert!(!signed_by("another-secret", &hit.body, hit.signature.as_deref()));
            assert_eq!(hit.content_type.as_deref(), Some("application/json"));
            let event = hit.json();
            assert_eq!(event["object"], "whatsapp_business_account");
            let entry = &event["entry"][0];
            assert_eq!(entry["id"], WABA_ID);
            assert_eq!(entry["changes"][0]["field"], "messages");
            let value = &entry["changes"][0]["value"];
            assert_eq!(value["messaging_product"], "whatsapp");
            assert_eq!(value["metadata"]["phone_number_id"], NUMBER);
            assert_eq!(value["metadata"]["display_phone_number"], DISPLAY_PHONE_NUMBER);
            let status = &value["statuses"][0];
            assert_eq!(status["id"], wamid.as_str());
            assert_eq!(status["recipient_id"], "6281234567890");
            let ts: u64 = status["timestamp"].as_str().expect("timestamp as a string").parse().expect("unix secs");
            assert!(ts > last_ts, "timestamps follow the order of events");
            last_ts = ts;
        }
        let sent = fake.wait_for_callbacks(3, Duration::from_secs(2)).await;
        let outcomes: Vec<_> = sent.iter().map(|c| (c.status.as_str(), c.result.clone())).collect();
        assert_eq!(outcomes, [("sent", Ok(200)), ("delivered", Ok(200)), ("read", Ok(200))]);
        assert!(sent.iter().all(|c| c.provider_message_id == wamid));
    }

    #[tokio::test]
    async fn webhooks_can_arrive_reversed_or_twice() {
        let receiver = Receiver::start(200).await;
        let fake = FakeMeta::start(TOKEN, NUMBER).await.expect("fake");
        let plan = CallbackPlan::new(&receiver.url).delay(Duration::from_millis(10)).app_secret(SECRET);
        fake.set_callbacks(Some(plan.clone().order(Order::Reversed)));
        send_one(&fake).await;
        let hits = receiver.wait_for(3).await;
        assert_eq!(statuses_of(&hits), ["read", "delivered", "sent"]);
        let ts: Vec<u64> = hits
            .iter()
            .map(|h| {
                let t = &h.json()["entry"][0]["changes"][0]["value"]["statuses"][0]["timestamp"];
                t.as_str().and_then(|s| s.parse().ok()).expect("timestamp")
            })
            .collect();
        assert!(ts[0] > ts[1] && ts[1] > ts[2], "read happened last even though it arrived first: {ts:?}");

        let receiver = Receiver::start(200).await;
        let plan = CallbackPlan { url: receiver.url.clone(), ..plan };
        fake.set_callbacks(Some(plan.order(Order::Duplicated).statuses(&["sent", "failed"])));
        send_one(&fake).await;
        let hits = receiver.wait_for(4).await;
        assert_eq!(statuses_of(&hits), ["sent", "sent", "failed", "failed"]);
        assert_eq!(hits[0].body, hits[1].body, "a duplicate is an identical copy");
        assert!(hits.iter().all(|h| signed_by(SECRET, &h.body, h.signature.as_deref())));
        let failed = &hits[2].json()["entry"][0]["changes"][0]["value"]["statuses"][0];
        assert_eq!(failed["errors"][0]["code"], 131026);
    }

    #[tokio::test]
    async fn outcomes_and_hand_pushed_statuses_are_recorded() {
        let refusing = Receiver::start(401).await;
        let fake = FakeMeta::start(TOKEN, NUMBER).await.expect("fake");
        assert_eq!(fake.push_status("wamid.X", "read").await, Err("no callback plan set".into()));

        // unsigned webhooks to a receiver that refuses them
        fake.set_callbacks(Some(CallbackPlan::new(&refusing.url).delay(Duration::ZERO).statuses(&["sent"])));
        let wamid = send_one(&fake).await;
        let sent = fake.wait_for_callbacks(1, Duration::from_secs(2)).await;
        assert_eq!(sent, [CallbackSent { provider_message_id: wamid.clone(), status: "sent".into(), result: Ok(401) }]);
        assert_eq!(refusing.hits()[0].signature, None);

        let receiver = Receiver::start(200).await;
        fake.set_callbacks(Some(CallbackPlan::new(&receiver.url).app_secret(SECRET).statuses(&[])));
        assert_eq!(fake.push_status(&wamid, "delivered").await, Ok(200));
        let hits = receiver.hits();
        assert_eq!(hits.len(), 1);
        assert!(signed_by(SECRET, &hits[0].body, hits[0].signature.as_deref()));
        let status = &hits[0].json()["entry"][0]["changes"][0]["value"]["statuses"][0];
        assert_eq!((status["id"].as_str(), status["status"].as_str()), (Some(wamid.as_str()), Some("delivered")));
        assert_eq!(status["recipient_id"], "6281234567890", "the fake remembers whom the message went to");
        assert_eq!(fake.callbacks_sent().len(), 2);
    }
}
