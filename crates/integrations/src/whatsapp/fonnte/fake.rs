//! A local Fonnte for tests and the demo: `POST /send` with Fonnte's real request and answer shapes
//! (JSON or form bodies, raw token in `Authorization`), and the failures Fonnte really produces;
//! `POST /device`, the device status of spec/protocols.md §1.2, follows the same behaviour.
//! With a [`CallbackPlan`] it also posts the message-status webhooks of spec/protocols.md §1.3:
//! `id` + `status` for message statuses, `stateid` + `state` for delivery states, the first
//! callback of a message carrying both `id` and `stateid` to bind them.

use crate::fake_callbacks::{CallbackPlan, CallbackSent, Dispatcher, Outbound};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The device (sender number) named in the fake's webhooks.
pub const DEVICE: &str = "6281100000001";

/// Fonnte's message-status words, reported as `id` + `status`; any other word is a delivery state,
/// reported as `stateid` + `state`.
const MESSAGE_STATUSES: &[&str] =
    &["sent", "processing", "pending", "waiting", "invalid", "failed", "expired", "url unreachable"];

/// How the fake answers the next sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behavior {
    Accept,
    /// HTTP 200 with `{"status": false, "reason": …}`, as Fonnte does.
    Refuse(String),
    /// An HTTP error status with an HTML body.
    HttpError(u16),
    /// Accept, but only after this long (to provoke client time-outs); `/device` is as slow.
    Slow(Duration),
    /// The device is logged out: `/device` says `"device_status": "disconnect"` and `/send`
    /// answers HTTP 200 with `{"status": false, "reason": "device disconnected"}`.
    Disconnected,
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Received {
    pub authorization: Option<String>,
    pub content_type: String,
    pub fields: BTreeMap<String, String>,
}

#[derive(Debug)]
struct Inner {
    token: String,
    behavior: Behavior,
    received: Vec<Received>,
    /// The `Authorization` of each `/device` request.
    device_checks: Vec<Option<String>>,
    next_id: u64,
    plan: Option<CallbackPlan>,
    callbacks: Dispatcher,
    /// Fonnte id → (stateid, whether a callback has bound them yet).
    state_ids: HashMap<String, (String, bool)>,
}

impl Inner {
    /// The next webhook body for message `id` reporting `word`.
    fn status_callback(&mut self, id: &str, word: &str) -> Outbound {
        let fresh = format!("3EB0{:016X}", (self.state_ids.len() as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let (state_id, bound) = self.state_ids.entry(id.to_owned()).or_insert((fresh, false));
        let key = if MESSAGE_STATUSES.contains(&word.to_ascii_lowercase().as_str()) { "status" } else { "state" };
        let mut body = serde_json::json!({ "device": DEVICE, key: word });
        if !*bound || key == "status" {
            body["id"] = id.into();
        }
        if !*bound || key == "state" {
            body["stateid"] = state_id.as_str().into();
        }
        *bound = true;
        Outbound {
            provider_message_id: id.to_owned(),
            status: word.to_owned(),
            body: body.to_string(),
            signature: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct FakeFonnte {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

impl FakeFonnte {
    /// Starts on a free port of 127.0.0.1; accepts the device token `token`.
    pub async fn start(token: &str) -> std::io::Result<Self> {
        let inner = Arc::new(Mutex::new(Inner {
            token: token.to_owned(),
            behavior: Behavior::Accept,
            received: Vec::new(),
            device_checks: Vec::new(),
            next_id: 80_367_170,
            plan: None,
            callbacks: Dispatcher::new()?,
            state_ids: HashMap::new(),
        }));
        let app = Router::new().route("/send", post(send)).route("/device", post(device)).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { url, inner })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn set_behavior(&self, behavior: Behavior) {
        self.lock().behavior = behavior;
    }

    /// The requests to `/send` (device status checks are in [`FakeFonnte::device_checks`]).
    pub fn received(&self) -> Vec<Received> {
        self.lock().received.clone()
    }

    /// The `Authorization` header of each `/device` request so far.
    pub fn device_checks(&self) -> Vec<Option<String>> {
        self.lock().device_checks.clone()
    }

    /// Status webhooks for every message accepted from now on (`None` stops them). The plan's URL
    /// carries any query the receiver needs (AGLIS: `…/api/webhooks/whatsapp/delivery?token=…`).
    pub fn set_callbacks(&self, plan: Option<CallbackPlan>) {
        self.lock().plan = plan;
    }

    /// Every webhook sent so far, in the order the answers came.
    pub fn callbacks_sent(&self) -> Vec<CallbackSent> {
        let callbacks = self.lock().callbacks.clone();
        callbacks.sent()
    }

    /// Waits until at least `count` webhooks went out (or `within` passed); returns all so far.
    pub async fn wait_for_callbacks(&self, count: usize, within: Duration) -> Vec<CallbackSent> {
        let callbacks = self.lock().callbacks.clone();
        callbacks.wait_for(count, within).await
    }

    /// The `stateid` the fake gave message `id`, once known.
    pub fn state_id(&self, id: &str) -> Option<String> {
        self.lock().state_ids.get(id).map(|(state_id, _)| state_id.clone())
    }

    /// Sends one status webhook for message `id` now, to the current plan's URL; answers the
    /// receiver's HTTP status. The first webhook of a message binds its `id` and `stateid`.
    pub async fn push_status(&self, id: &str, status: &str) -> Result<u16, String> {
        let (plan, callbacks, out) = {
            let mut g = self.lock();
            let plan = g.plan.clone().ok_or("no callback plan set")?;
            let out = g.status_callback(id, status);
            (plan, g.callbacks.clone(), out)
        };
        callbacks.post(&plan.url, out).await
    }
}

fn parse_fields(content_type: &str, body: &[u8]) -> Option<BTreeMap<String, String>> {
    if content_type.starts_with("application/json") {
        let json: serde_json::Value = serde_json::from_slice(body).ok()?;
        Some(
            json.as_object()?
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
                .collect(),
        )
    } else {
        Some(form_urlencoded::parse(body).into_owned().collect())
    }
}

fn json(body: serde_json::Value) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

async fn send(State(inner): State<Arc<Mutex<Inner>>>, headers: HeaderMap, body: Bytes) -> Response {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let Some(fields) = parse_fields(&content_type, &body) else {
        return json(serde_json::json!({"status": false, "reason": "input invalid"}));
    };
    let (behavior, token_ok, id) = {
        let mut g = inner.lock().unwrap_or_else(PoisonError::into_inner);
        g.received.push(Received { authorization: authorization.clone(), content_type, fields: fields.clone() });
        g.next_id += 1;
        (g.behavior.clone(), authorization.as_deref() == Some(g.token.as_str()), g.next_id)
    };
    if !token_ok {
        return json(serde_json::json!({"status": false, "reason": "token invalid", "requestid": id}));
    }
    let target = fields.get("target").cloned().unwrap_or_default();
    if target.is_empty() || !target.chars().all(|c| c.is_ascii_digit() || c == ',') {
        return json(serde_json::json!({"status": false, "reason": "target invalid", "requestid": id}));
    }
    match behavior {
        Behavior::Accept => {}
        Behavior::Refuse(reason) => {
            return json(serde_json::json!({"status": false, "reason": reason, "requestid": id}));
        }
        Behavior::Disconnected => {
            return json(serde_json::json!({"status": false, "reason": "device disconnected", "requestid": id}));
        }
        Behavior::HttpError(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (status, "<html><body>upstream error</body></html>").into_response();
        }
        Behavior::Slow(d) => tokio::time::sleep(d).await,
    }
    {
        let mut g = inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(plan) = g.plan.clone() {
            let callbacks: Vec<_> =
                plan.arrival().iter().map(|word| g.status_callback(&id.to_string(), word)).collect();
            g.callbacks.spawn(plan.url.clone(), plan.delay, plan.repeated(callbacks));
        }
    }
    json(serde_json::json!({
        "detail": "success! message in queue",
        "id": [id.to_string()],
        "process": "pending",
        "requestid": id,
        "status": true,
        "target": [target],
    }))
}

/// `POST /device`: the device's profile and connection state, or `token invalid`.
async fn device(State(inner): State<Arc<Mutex<Inner>>>, headers: HeaderMap) -> Response {
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (behavior, token_ok, messages) = {
        let mut g = inner.lock().unwrap_or_else(PoisonError::into_inner);
        g.device_checks.push(authorization.clone());
        (g.behavior.clone(), authorization.as_deref() == Some(g.token.as_str()), g.received.len())
    };
    if !token_ok {
        return json(serde_json::json!({"reason": "token invalid", "status": false}));
    }
    let device_status = match behavior {
        Behavior::Accept | Behavior::Refuse(_) => "connect",
        Behavior::Slow(d) => {
            tokio::time::sleep(d).await;
            "connect"
        }
        Behavior::Disconnected => "disconnect",
        Behavior::HttpError(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (status, "<html><body>upstream error</body></html>").into_response();
        }
    };
    json(serde_json::json!({
        "device": DEVICE,
        "device_status": device_status,
        "expired": "18 November 2029",
        "messages": messages,
        "name": "AGLIS fake",
        "package": "Reguler",
        "quota": "78",
        "status": true,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake_callbacks::Order;
    use crate::fake_callbacks::receiver::{Hit, Receiver};
    use crate::notify::{Outgoing, Provider};
    use crate::whatsapp::fonnte::Fonnte;
    use aglis_core::notification::Channel;
    use serde_json::{Value, json};

    const TOKEN: &str = "fonnte-device-token";

    /// Starts a fake with `plan` and sends one message through the real client; returns the fake
    /// and Fonnte's id.
    async fn send_one(plan: CallbackPlan) -> (FakeFonnte, String) {
        let fake = FakeFonnte::start(TOKEN).await.expect("fake");
        fake.set_callbacks(Some(plan));
        let client = Fonnte::new(&fake.url, TOKEN, Duration::from_secs(2)).expect("client");
        let message = Outgoing {
            message_id: 9,
            channel: Channel::Whatsapp,
            recipient: "6281234567890".into(),
            subject: None,
            body: "Halo".into(),
        };
        let receipt = client.send(&message).await.expect("accepted");
        (fake, receipt.provider_message_id.expect("fonnte id"))
    }

    fn bodies(hits: &[Hit]) -> Vec<Value> {
        hits.iter().map(Hit::json).collect()
    }

    /// Applies callbacks the way AGLIS's webhook job does (by `id`, else by a bound `stateid`)
    /// and returns the words that reached message `id`.
    fn as_applied(hits: &[Value], id: &str) -> Vec<String> {
        let mut bound: Option<String> = None;
        let mut words = Vec::new();
        for body in hits {
            let matched = match (body["id"].as_str(), body["stateid"].as_str()) {
                (Some(i), _) => i == id,
                (None, Some(sid)) => bound.as_deref() == Some(sid),
                (None, None) => false,
            };
            if !matched {
                continue;
            }
            if let (Some(_), Some(sid)) = (body["id"].as_str(), body["stateid"].as_str()) {
                bound = Some(sid.to_owned());
            }
            words.extend([&body["status"], &body["state"]].into_iter().filter_map(Value::as_str).map(str::to_owned));
        }
        words
    }

    #[tokio::test]
    async fn status_webhooks_bind_the_state_id_first_then_report_states() {
        let receiver = Receiver::start(200).await;
        let url = format!("{}?token=hook-secret", receiver.url);
        let (fake, id) = send_one(CallbackPlan::new(&url).delay(Duration::from_millis(20))).await;
        let hits = receiver.wait_for(3).await;
        let state_id = fake.state_id(&id).expect("a state id");
        assert_eq!(
            bodies(&hits),
            [
                json!({"device": DEVICE, "id": id, "stateid": state_id, "status": "sent"}),
                json!({"device": DEVICE, "stateid": state_id, "state": "delivered"}),
                json!({"device": DEVICE, "stateid": state_id, "state": "read"}),
            ]
        );
        assert!(hits.iter().all(|h| h.query.as_deref() == Some("token=hook-secret")));
        assert!(hits.iter().all(|h| h.content_type.as_deref() == Some("application/json")));
        assert_eq!(as_applied(&bodies(&hits), &id), ["sent", "delivered", "read"]);
        let sent = fake.wait_for_callbacks(3, Duration::from_secs(2)).await;
        let outcomes: Vec<_> =
            sent.iter().map(|c| (c.provider_message_id.as_str(), c.status.as_str(), c.result.clone())).collect();
        assert_eq!(
            outcomes,
            [(id.as_str(), "sent", Ok(200)), (id.as_str(), "delivered", Ok(200)), (id.as_str(), "read", Ok(200))]
        );
    }

    #[tokio::test]
    async fn reversed_webhooks_still_bind_on_the_first_arrival() {
        let receiver = Receiver::start(200).await;
        let plan = CallbackPlan::new(&receiver.url).delay(Duration::from_millis(10)).order(Order::Reversed);
        let (fake, id) = send_one(plan).await;
        let hits = bodies(&receiver.wait_for(3).await);
        let state_id = fake.state_id(&id).expect("a state id");
        assert_eq!(
            hits,
            [
                json!({"device": DEVICE, "id": id, "stateid": state_id, "state": "read"}),
                json!({"device": DEVICE, "stateid": state_id, "state": "delivered"}),
                json!({"device": DEVICE, "id": id, "status": "sent"}),
            ]
        );
        assert_eq!(as_applied(&hits, &id), ["read", "delivered", "sent"], "every one of them finds the message");
    }

    #[tokio::test]
    async fn duplicated_webhooks_are_identical_copies() {
        let receiver = Receiver::start(200).await;
        let plan = CallbackPlan::new(&receiver.url).delay(Duration::from_millis(10)).order(Order::Duplicated);
        let (fake, id) = send_one(plan).await;
        let hits = bodies(&receiver.wait_for(6).await);
        assert_eq!(hits.len(), 6, "{hits:?}");
        for pair in hits.chunks(2) {
            assert_eq!(pair[0], pair[1]);
        }
        assert_eq!(hits[0]["id"], id.as_str());
        assert_eq!(hits[0]["stateid"].as_str(), fake.state_id(&id).as_deref());
        assert_eq!(as_applied(&hits, &id), ["sent", "sent", "delivered", "delivered", "read", "read"]);
        assert_eq!(fake.wait_for_callbacks(6, Duration::from_secs(2)).await.len(), 6);
    }

    #[tokio::test]
    async fn failures_are_message_statuses_and_refusals_are_recorded() {
        let receiver = Receiver::start(401).await;
        let plan = CallbackPlan::new(&receiver.url).delay(Duration::ZERO).statuses(&["failed"]);
        let (fake, id) = send_one(plan).await;
        let sent = fake.wait_for_callbacks(1, Duration::from_secs(2)).await;
        assert_eq!(sent, [CallbackSent { provider_message_id: id.clone(), status: "failed".into(), result: Ok(401) }]);
        let body = receiver.hits()[0].json();
        assert_eq!((body["id"].as_str(), body["status"].as_str()), (Some(id.as_str()), Some("failed")));
    }

    #[tokio::test]
    async fn statuses_can_be_pushed_by_hand() {
        let fake = FakeFonnte::start(TOKEN).await.expect("fake");
        assert_eq!(fake.push_status("80367171", "sent").await, Err("no callback plan set".into()));
        let receiver = Receiver::start(200).await;
        fake.set_callbacks(Some(CallbackPlan::new(&receiver.url)));
        // an id the fake never issued still gets a state id, bound by its first webhook
        assert_eq!(fake.push_status("555", "delivered").await, Ok(200));
        assert_eq!(fake.push_status("555", "read").await, Ok(200));
        let hits = bodies(&receiver.hits());
        let state_id = fake.state_id("555").expect("state id");
        assert_eq!(hits[0], json!({"device": DEVICE, "id": "555", "stateid": state_id, "state": "delivered"}));
        assert_eq!(hits[1], json!({"device": DEVICE, "stateid": state_id, "state": "read"}));
        let outcomes: Vec<_> = fake.callbacks_sent().into_iter().map(|c| (c.status, c.result)).collect();
        assert_eq!(outcomes, [("delivered".to_owned(), Ok(200)), ("read".to_owned(), Ok(200))]);
        assert!(receiver.hits().len() == 2 && fake.received().is_empty(), "nothing was sent through /send");
    }

    #[tokio::test]
    async fn the_device_check_follows_the_behaviour_and_sends_nothing() {
        let fake = FakeFonnte::start(TOKEN).await.expect("fake");
        let client = Fonnte::new(&fake.url, TOKEN, Duration::from_millis(500)).expect("client");
        let probe = async || client.probe().expect("fonnte has a status check").await;
        assert_eq!(probe().await, Ok(()));
        assert_eq!(fake.device_checks(), [Some(TOKEN.to_owned())], "the raw token, no `Bearer`");

        fake.set_behavior(Behavior::Disconnected);
        assert_eq!(probe().await, Err("device disconnected".into()));
        fake.set_behavior(Behavior::Refuse("insufficient quota".into()));
        assert_eq!(probe().await, Ok(()), "a refusing device is still connected");
        fake.set_behavior(Behavior::HttpError(503));
        assert_eq!(probe().await, Err("HTTP 503".into()));
        fake.set_behavior(Behavior::Slow(Duration::from_secs(2)));
        assert_eq!(probe().await, Err("timed out".into()));
        fake.set_behavior(Behavior::Slow(Duration::from_millis(10)));
        assert_eq!(probe().await, Ok(()));

        let wrong = Fonnte::new(&fake.url, "not-the-token", Duration::from_millis(500)).expect("client");
        let r = wrong.probe().expect("probe").await;
        assert_eq!(r, Err("token invalid".into()));

        let nowhere = Fonnte::new("http://127.0.0.1:9", TOKEN, Duration::from_millis(500)).expect("client");
        let r = nowhere.probe().expect("probe").await;
        let err = r.expect_err("nothing listens there");
        assert!(err.starts_with("unreachable") && !err.contains(TOKEN), "{err}");
        assert!(fake.received().is_empty(), "no message was sent");
        assert_eq!(fake.device_checks().len(), 7);
    }

    #[tokio::test]
    async fn a_disconnected_device_refuses_sends_for_now() {
        let fake = FakeFonnte::start(TOKEN).await.expect("fake");
        fake.set_behavior(Behavior::Disconnected);
        let client = Fonnte::new(&fake.url, TOKEN, Duration::from_secs(2)).expect("client");
        let message = Outgoing {
            message_id: 11,
            channel: Channel::Whatsapp,
            recipient: "6281234567890".into(),
            subject: None,
            body: "Halo".into(),
        };
        let r = client.send(&message).await;
        assert_eq!(
            r,
            Err(crate::notify::SendError::Transient {
                provider: "fonnte".into(),
                detail: "device disconnected".into()
            })
        );
        fake.set_behavior(Behavior::Accept);
        assert!(client.send(&message).await.is_ok(), "after reconnecting the same message goes through");
        assert_eq!(fake.received().len(), 2);
    }

    #[tokio::test]
    async fn no_plan_no_webhooks() {
        let receiver = Receiver::start(200).await;
        let (fake, _) = send_one(CallbackPlan::new(&receiver.url).delay(Duration::ZERO)).await;
        fake.set_callbacks(None);
        let client = Fonnte::new(&fake.url, TOKEN, Duration::from_secs(2)).expect("client");
        let message = Outgoing {
            message_id: 10,
            channel: Channel::Whatsapp,
            recipient: "628111".into(),
            subject: None,
            body: "x".into(),
        };
        client.send(&message).await.expect("accepted");
        assert_eq!(receiver.wait_for(3).await.len(), 3, "only the first message's three webhooks");
    }
}
