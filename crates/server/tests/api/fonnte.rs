//! WhatsApp through Fonnte over real HTTP, against the local fake that speaks Fonnte's wire format.

use crate::helpers::spawn_app_with;
use aglis_core::job::JobStatus;
use aglis_core::permission::Role;
use aglis_db::repo::messages;
use aglis_integrations::whatsapp::fonnte::Fonnte;
use aglis_integrations::whatsapp::fonnte::fake::{Behavior, FakeFonnte};
use aglis_server::jobs::{Runner, builtin_registry};
use aglis_server::notifications::Notifier;
use chrono::Duration;
use serde_json::{Value, json};
use std::sync::Arc;

const TOKEN: &str = "device-token-karawang";

async fn app_with_fonnte(fake: &FakeFonnte) -> crate::helpers::TestApp {
    let url = fake.url.clone();
    spawn_app_with(move |env| {
        env.insert("AGLIS_FONNTE_TOKEN".into(), TOKEN.into());
        env.insert("AGLIS_FONNTE_URL".into(), url);
    })
    .await
}

#[tokio::test]
async fn fonnte_receives_the_exact_request_and_its_id_is_kept() {
    let fake = FakeFonnte::start(TOKEN).await.expect("fake");
    let app = app_with_fonnte(&fake).await;
    let (_, token) = app.user_with_token("noc", Role::Noc).await;
    let body = "Gangguan di ODP KRW-TJB-07 sedang ditangani. Estimasi pulih 16.00 WIB.";
    let res = app
        .post_json(
            "/api/v1/notifications",
            Some(&token),
            &json!({"channel": "whatsapp", "to": "+62 812-3456-7890", "body": body}),
        )
        .await;
    let id = res.json::<Value>().await.expect("json")["id"].as_i64().expect("id");
    Runner::new(app.state.clone(), Arc::new(builtin_registry())).run_once().await.expect("run");

    let received = fake.received();
    assert_eq!(received.len(), 1);
    let r = &received[0];
    assert_eq!(r.authorization.as_deref(), Some(TOKEN), "raw token, no Bearer");
    assert!(r.content_type.starts_with("application/x-www-form-urlencoded"));
    assert_eq!(r.fields.get("target").map(String::as_str), Some("6281234567890"));
    assert_eq!(r.fields.get("message").map(String::as_str), Some(body));
    assert_eq!(r.fields.get("countryCode").map(String::as_str), Some("62"));

    let m = messages::get(&app.state.db, id).await.expect("db").expect("message");
    assert_eq!(m.status.as_str(), "sent");
    assert_eq!(m.provider.as_deref(), Some("fonnte"));
    assert!(m.provider_message_id.as_deref().is_some_and(|pid| pid.parse::<u64>().is_ok()), "{m:?}");
}

#[tokio::test]
async fn a_5xx_fonnte_is_retried_with_backoff_then_dead() {
    let fake = FakeFonnte::start(TOKEN).await.expect("fake");
    fake.set_behavior(Behavior::HttpError(502));
    let app = app_with_fonnte(&fake).await;
    let (_, token) = app.user_with_token("noc", Role::Noc).await;
    let res = app
        .post_json(
            "/api/v1/notifications",
            Some(&token),
            &json!({"channel": "whatsapp", "to": "081234567890", "body": "Tes"}),
        )
        .await;
    let id = res.json::<Value>().await.expect("json")["id"].as_i64().expect("id");
    let runner = Runner::new(app.state.clone(), Arc::new(builtin_registry()));
    runner.run_once().await.expect("run");
    let m = messages::get(&app.state.db, id).await.expect("db").expect("message");
    assert_eq!(m.status.as_str(), "failed", "will retry");
    for _ in 0..3 {
        app.clock.advance(Duration::hours(2));
        runner.run_once().await.expect("run");
    }
    assert_eq!(fake.received().len(), 4, "the first try and 3 retries");
    let m = messages::get(&app.state.db, id).await.expect("db").expect("message");
    assert_eq!(m.status.as_str(), "dead");
    assert!(m.last_error.is_some_and(|e| e.contains("502")));

    // Fonnte recovers; the dead message is re-queued by hand and goes out once
    fake.set_behavior(Behavior::Accept);
    let res = app.post_json(&format!("/api/v1/notifications/{id}/requeue"), Some(&token), &json!({})).await;
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    runner.run_once().await.expect("run");
    assert_eq!(fake.received().len(), 5);
    assert_eq!(messages::get(&app.state.db, id).await.expect("db").expect("message").status.as_str(), "sent");
}

#[tokio::test]
async fn an_invalid_target_is_dead_at_once_without_retries() {
    let fake = FakeFonnte::start(TOKEN).await.expect("fake");
    fake.set_behavior(Behavior::Refuse("target invalid".into()));
    let app = app_with_fonnte(&fake).await;
    let state = app.state.clone();
    let cmd = aglis_server::notifications::service::SendMessage::parse(
        aglis_core::notification::Channel::Whatsapp,
        "0812-0000-0000",
        None,
        "Tes",
        aglis_core::job::JobPriority::Normal,
    )
    .expect("valid");
    let id = aglis_server::notifications::service::send(&state, None, cmd).await.expect("queued").id;
    let runner = Runner::new(state.clone(), Arc::new(builtin_registry()));
    runner.run_once().await.expect("run");
    app.clock.advance(Duration::hours(2));
    assert_eq!(runner.run_once().await.expect("run").claimed, 0, "no retry");
    let m = messages::get(&state.db, id).await.expect("db").expect("message");
    assert_eq!(m.status.as_str(), "dead");
    assert_eq!(aglis_db::jobs::count(&state.db, JobStatus::Done).await.expect("count"), 1);
}

#[tokio::test]
async fn a_refusing_or_slow_first_gateway_fails_over_to_the_second() {
    let first = FakeFonnte::start(TOKEN).await.expect("fake");
    let second = FakeFonnte::start(TOKEN).await.expect("fake");
    let app = app_with_fonnte(&first).await;
    let providers: Vec<Arc<dyn aglis_integrations::notify::Provider>> = vec![
        Arc::new(Fonnte::new(&first.url, TOKEN, std::time::Duration::from_millis(300)).expect("client")),
        Arc::new(Fonnte::new(&second.url, TOKEN, std::time::Duration::from_secs(5)).expect("client")),
    ];
    let state = aglis_server::state::AppState { notifier: Arc::new(Notifier::new(providers)), ..app.state.clone() };
    let runner = Runner::new(state.clone(), Arc::new(builtin_registry()));
    for behavior in [Behavior::Refuse("insufficient quota".into()), Behavior::Slow(std::time::Duration::from_secs(2))] {
        first.set_behavior(behavior);
        let cmd = aglis_server::notifications::service::SendMessage::parse(
            aglis_core::notification::Channel::Whatsapp,
            "0857-1000-0011",
            None,
            "Tes failover",
            aglis_core::job::JobPriority::Normal,
        )
        .expect("valid");
        let id = aglis_server::notifications::service::send(&state, None, cmd).await.expect("queued").id;
        runner.run_once().await.expect("run");
        let m = messages::get(&state.db, id).await.expect("db").expect("message");
        assert_eq!(m.status.as_str(), "sent");
    }
    assert_eq!(first.received().len(), 2);
    assert_eq!(second.received().len(), 2, "both messages went out through the second gateway");
}

#[tokio::test]
async fn a_wrong_token_is_reported_not_hidden() {
    let fake = FakeFonnte::start("the-real-token").await.expect("fake");
    let app = app_with_fonnte(&fake).await;
    let cmd = aglis_server::notifications::service::SendMessage::parse(
        aglis_core::notification::Channel::Whatsapp,
        "0812-1111-2222",
        None,
        "Tes",
        aglis_core::job::JobPriority::Normal,
    )
    .expect("valid");
    let id = aglis_server::notifications::service::send(&app.state, None, cmd).await.expect("queued").id;
    Runner::new(app.state.clone(), Arc::new(builtin_registry())).run_once().await.expect("run");
    let m = messages::get(&app.state.db, id).await.expect("db").expect("message");
    assert_eq!(m.status.as_str(), "failed");
    assert!(m.last_error.is_some_and(|e| e.contains("token invalid")));
}

const HOOK_TOKEN: &str = "callback-secret-0123456789";

async fn app_with_callbacks(fake: &FakeFonnte) -> crate::helpers::TestApp {
    let url = fake.url.clone();
    spawn_app_with(move |env| {
        env.insert("AGLIS_FONNTE_TOKEN".into(), TOKEN.into());
        env.insert("AGLIS_FONNTE_URL".into(), url);
        env.insert("AGLIS_FONNTE_WEBHOOK_TOKEN".into(), HOOK_TOKEN.into());
    })
    .await
}

async fn callback(app: &crate::helpers::TestApp, body: &Value) -> reqwest::StatusCode {
    app.api
        .post(app.url(&format!("/api/webhooks/whatsapp/delivery?token={HOOK_TOKEN}")))
        .json(body)
        .send()
        .await
        .expect("callback")
        .status()
}

/// Sends one message through the fake and returns (our id, Fonnte's id).
async fn sent_message(app: &crate::helpers::TestApp, runner: &Runner) -> (i64, String) {
    let cmd = aglis_server::notifications::service::SendMessage::parse(
        aglis_core::notification::Channel::Whatsapp,
        "0812-3456-7890",
        None,
        "Tagihan November sudah terbit.",
        aglis_core::job::JobPriority::Normal,
    )
    .expect("valid");
    let id = aglis_server::notifications::service::send(&app.state, None, cmd).await.expect("queued").id;
    runner.run_once().await.expect("run");
    let m = messages::get(&app.state.db, id).await.expect("db").expect("message");
    (id, m.provider_message_id.expect("fonnte id"))
}

#[tokio::test]
async fn callbacks_move_statuses_forward_only_whatever_their_order() {
    let fake = FakeFonnte::start(TOKEN).await.expect("fake");
    let app = app_with_callbacks(&fake).await;
    let runner = Runner::new(app.state.clone(), Arc::new(builtin_registry()));
    let (id, fonnte_id) = sent_message(&app, &runner).await;
    let status =
        || async { messages::get(&app.state.db, id).await.expect("db").expect("message").status.as_str().to_owned() };

    // first callback binds the state id; then read overtakes delivered; a repeat changes nothing
    for body in [
        json!({"device": "6281210000001", "id": fonnte_id, "stateid": "st-77", "status": "sent", "state": "sent"}),
        json!({"device": "6281210000001", "stateid": "st-77", "state": "read"}),
        json!({"device": "6281210000001", "stateid": "st-77", "state": "delivered"}),
        json!({"device": "6281210000001", "stateid": "st-77", "state": "read"}),
        json!({"device": "6281210000001", "id": fonnte_id, "status": "sent"}),
    ] {
        assert_eq!(callback(&app, &body).await, reqwest::StatusCode::OK);
        while runner.run_once().await.expect("run").claimed > 0 {}
    }
    assert_eq!(status().await, "read");
    let applied = aglis_db::repo::webhook_events::with_outcome(&app.state.db, "applied").await.expect("db");
    let ignored = aglis_db::repo::webhook_events::with_outcome(&app.state.db, "ignored").await.expect("db");
    assert_eq!((applied.len(), ignored.len()), (1, 4), "only `read` changed anything");
    let timeline = messages::events(&app.state.db, id).await.expect("db");
    let steps: Vec<_> = timeline.iter().map(|e| e.status.as_str()).collect();
    assert_eq!(steps, ["queued", "sent", "read"]);
}

#[tokio::test]
async fn unknown_ids_are_kept_and_bad_tokens_change_nothing() {
    let fake = FakeFonnte::start(TOKEN).await.expect("fake");
    let app = app_with_callbacks(&fake).await;
    let runner = Runner::new(app.state.clone(), Arc::new(builtin_registry()));
    assert_eq!(callback(&app, &json!({"id": "999999", "status": "read"})).await, reqwest::StatusCode::OK);
    runner.run_once().await.expect("run");
    let unmatched = aglis_db::repo::webhook_events::with_outcome(&app.state.db, "unmatched").await.expect("db");
    assert_eq!(unmatched.len(), 1);
    assert!(unmatched[0].payload.contains("999999"), "the raw event is kept for inspection");

    let (id, fonnte_id) = sent_message(&app, &runner).await;
    let res = app
        .api
        .post(app.url("/api/webhooks/whatsapp/delivery?token=wrong-token-0000000"))
        .json(&json!({"id": fonnte_id, "status": "read"}))
        .send()
        .await
        .expect("callback");
    crate::helpers::problem(res, 401).await;
    let res = app
        .api
        .post(app.url("/api/webhooks/whatsapp/delivery"))
        .json(&json!({"id": fonnte_id}))
        .send()
        .await
        .expect("cb");
    crate::helpers::problem(res, 401).await;
    runner.run_once().await.expect("run");
    assert_eq!(messages::get(&app.state.db, id).await.expect("db").expect("message").status.as_str(), "sent");

    // an undeliverable report after acceptance makes the message dead (re-queueable)
    assert_eq!(callback(&app, &json!({"id": fonnte_id, "status": "expired"})).await, reqwest::StatusCode::OK);
    runner.run_once().await.expect("run");
    assert_eq!(messages::get(&app.state.db, id).await.expect("db").expect("message").status.as_str(), "dead");
}

#[tokio::test]
async fn the_callback_is_404_until_configured() {
    let app = crate::helpers::spawn_app().await;
    let res =
        app.post_json("/api/webhooks/whatsapp/delivery?token=anything-at-all-123", None, &json!({"id": "1"})).await;
    crate::helpers::problem(res, 404).await;
}
