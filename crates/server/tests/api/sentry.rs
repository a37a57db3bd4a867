//! Sentry (issue 9): a panicking handler, run through the real layers, reaches a fake Sentry as a
//! well-formed envelope (event id, tags, the user's id only, the panic message) and the error
//! inbox, grouped; without a DSN nothing is sent.

use crate::helpers::{TestApp, spawn_app_with, spawn_app_with_routes};
use aglis_core::permission::Role;
use aglis_db::repo::error_groups;
use aglis_integrations::sentry_fake::{Envelope, FakeSentry};
use reqwest::StatusCode;
use serde_json::Value;
use std::time::{Duration, Instant};

const ROUTE: &str = "/api/test/panic";

async fn kaboom() -> &'static str {
    panic!("kaboom 42")
}

fn panicking_routes() -> axum::Router<aglis_server::state::AppState> {
    axum::Router::new().route(ROUTE, axum::routing::get(kaboom))
}

/// Flushes the app's Sentry client off the async threads: the fake answers on this runtime.
async fn flush(app: &TestApp) -> bool {
    let state = app.state.clone();
    tokio::task::spawn_blocking(move || {
        state.monitor.sentry.as_ref().expect("a Sentry client").flush(Duration::from_secs(5))
    })
    .await
    .expect("flush")
}

/// Waits for the inbox's group of `source` to reach `count` (the inbox write is spawned).
async fn group_with_count(app: &TestApp, source: &str, count: i64) -> aglis_db::entity::error_groups::Model {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (groups, _) = error_groups::list(&app.state.db, None, None, 1, 10).await.expect("list");
        let found = groups.into_iter().find(|g| g.source.as_str() == source);
        match found {
            Some(g) if g.count >= count => return g,
            other if Instant::now() >= deadline => panic!("no {source} group with count {count}: {other:?}"),
            _ => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// The one `event` item of an envelope, after checking the envelope's shape.
fn event_of(envelope: &Envelope) -> Value {
    let events: Vec<_> = envelope.items.iter().filter(|(h, _)| h["type"] == "event").collect();
    assert_eq!(events.len(), 1, "one event item: {envelope:?}");
    let (header, payload) = events[0];
    assert_eq!(header["length"].as_u64(), Some(payload.len() as u64), "the item header gives the payload's length");
    let event: Value = serde_json::from_slice(payload).expect("the event is JSON");
    assert_eq!(event["event_id"].as_str().map(str::to_owned), envelope.event_id(), "header and event agree");
    event
}

async fn panic_once(app: &TestApp, token: &str) -> String {
    let res = app.get(ROUTE, Some(token)).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let header_id = res.headers()["x-request-id"].to_str().expect("ascii").to_owned();
    let body: Value = res.json().await.expect("problem+json");
    assert_eq!(body["status"], 500);
    assert_eq!(body["request_id"].as_str(), Some(header_id.as_str()), "{body}");
    assert!(!body.to_string().contains("kaboom"), "the cause stays out of the answer: {body}");
    header_id
}

#[tokio::test]
async fn a_panic_reaches_sentry_and_the_inbox() {
    let fake = FakeSentry::start().await.expect("fake Sentry");
    let dsn = fake.dsn();
    let app = spawn_app_with_routes(
        |env| {
            env.insert("AGLIS_SENTRY_DSN".into(), dsn);
            env.insert("AGLIS_SENTRY_ENVIRONMENT".into(), "staging".into());
        },
        panicking_routes(),
    )
    .await;
    let (user, token) = app.user_with_token("sentry-admin", Role::Admin).await;

    let request_id = panic_once(&app, &token).await;
    let first = group_with_count(&app, "panic", 1).await;
    assert_eq!(first.count, 1);
    assert_eq!(first.route, ROUTE);
    assert_eq!(first.last_request_id.as_deref(), Some(request_id.as_str()));
    assert!(flush(&app).await, "the event was sent in time");

    let envelopes = fake.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(envelopes.len(), 1, "{envelopes:?}");
    let received = fake.received();
    assert_eq!(received[0].path, "/api/42/envelope/");
    let auth = received[0].auth.as_deref().expect("X-Sentry-Auth");
    assert!(auth.starts_with("Sentry sentry_key=") && auth.contains("sentry_version=7"), "{auth}");
    assert!(auth.contains("sentry_client=sentry.rust/"), "{auth}");
    assert_eq!(received[0].content_type, None, "the SDK sends no Content-Type");

    let event = event_of(&envelopes[0]);
    // the SDK leaves out `level` when it is `error`, Sentry's default
    assert_eq!(event.get("level").and_then(Value::as_str).unwrap_or("error"), "error", "{event}");
    assert_eq!(event["environment"], "staging");
    assert_eq!(event["release"], concat!("aglis@", env!("CARGO_PKG_VERSION")));
    assert_eq!(event["tags"]["route"], ROUTE);
    assert_eq!(event["tags"]["method"], "GET");
    assert_eq!(event["tags"]["source"], "panic");
    assert_eq!(event["tags"]["request_id"].as_str(), Some(request_id.as_str()));
    assert_eq!(event["user"], serde_json::json!({"id": user.id.to_string()}), "the user's id and nothing else");
    assert_eq!(event["fingerprint"], serde_json::json!([first.fingerprint]), "grouped as the inbox groups");
    let exception = &event["exception"]["values"][0];
    assert_eq!(exception["type"], "panic");
    assert!(exception["value"].as_str().is_some_and(|v| v.contains("kaboom 42")), "{exception}");
    let frames = exception["stacktrace"]["frames"].as_array().expect("a stack trace from the panic's backtrace");
    let innermost = frames.last().and_then(|f| f["function"].as_str()).unwrap_or_default();
    assert!(innermost.contains("kaboom"), "the trace ends in the handler, not the panic machinery: {frames:#?}");
    assert_eq!(frames.last().and_then(|f| f["in_app"].as_bool()), Some(true), "the handler is our code");
    assert!(frames.iter().all(|f| f["function"].as_str().is_some_and(|name| !name.starts_with("at "))), "{frames:#?}");
    let text = event.to_string();
    for personal in ["sentry-admin", "@example.id", "Pengguna"] {
        assert!(!text.contains(personal), "no personal data in the event ({personal})");
    }
    assert!(!text.contains(&fake.dsn()), "the DSN is not in the event");

    // the same panic again: the same group, counted twice, and a second event
    let second_id = panic_once(&app, &token).await;
    let again = group_with_count(&app, "panic", 2).await;
    assert_eq!((again.id, again.count), (first.id, 2));
    assert_eq!(again.last_request_id.as_deref(), Some(second_id.as_str()));
    assert!(flush(&app).await);
    let envelopes = fake.wait_for(2, Duration::from_secs(5)).await;
    assert_eq!(envelopes.len(), 2);
    let second = event_of(&envelopes[1]);
    assert_eq!(second["tags"]["request_id"].as_str(), Some(second_id.as_str()));
    assert_eq!(second["fingerprint"], event["fingerprint"]);
    assert_ne!(second["event_id"], event["event_id"]);
}

#[tokio::test]
async fn without_a_dsn_nothing_is_sent() {
    let fake = FakeSentry::start().await.expect("fake Sentry");
    let app = spawn_app_with_routes(|_| {}, panicking_routes()).await;
    assert!(app.state.monitor.sentry.is_none(), "no DSN, no client");
    let (_, token) = app.user_with_token("sentry-admin", Role::Admin).await;
    panic_once(&app, &token).await;
    // still in the inbox
    group_with_count(&app, "panic", 1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(fake.received().is_empty());

    // and a plain app has none either
    let plain = spawn_app_with(|_| {}).await;
    assert!(plain.state.monitor.sentry.is_none());
}
