//! A local Fonnte for tests and the demo: `POST /send` with Fonnte's real request and answer shapes
//! (JSON or form bodies, raw token in `Authorization`), and the failures Fonnte really produces.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// How the fake answers the next sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behavior {
    Accept,
    /// HTTP 200 with `{"status": false, "reason": …}`, as Fonnte does.
    Refuse(String),
    /// An HTTP error status with an HTML body.
    HttpError(u16),
    /// Accept, but only after this long (to provoke client time-outs).
    Slow(Duration),
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
    next_id: u64,
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
            next_id: 80_367_170,
        }));
        let app = Router::new().route("/send", post(send)).with_state(inner.clone());
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

    pub fn received(&self) -> Vec<Received> {
        self.lock().received.clone()
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
        Behavior::HttpError(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (status, "<html><body>upstream error</body></html>").into_response();
        }
        Behavior::Slow(d) => tokio::time::sleep(d).await,
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
