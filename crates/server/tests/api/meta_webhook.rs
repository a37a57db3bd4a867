//! The WhatsApp Cloud API webhook: challenge, signature, idempotent out-of-order statuses.

use crate::helpers::{problem, spawn_app, spawn_app_with};
use aglis_db::repo::{messages, webhook_events};
use aglis_server::jobs::{Runner, builtin_registry};
use hmac::{Hmac, KeyInit, Mac};
use reqwest::StatusCode;
use serde_json::json;
use std::sync::Arc;

const SECRET: &str = "meta-app-secret-test";
const VERIFY: &str = "verify-me-please";

fn sign(body: &str) -> String {
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn statuses(wamid: &str, status: &str) -> String {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "1029384756", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "6281210000001", "phone_number_id": "1122334455"},
        "statuses": [{"id": wamid, "status": status, "timestamp": "1764070000", "recipient_id": "6281234567890"}]
    }}]}]})
    .to_string()
}

async fn configured() -> crate::helpers::TestApp {
    spawn_app_with(|env| {
        env.insert("AGLIS_META_APP_SECRET".into(), SECRET.into());
        env.insert("AGLIS_META_VERIFY_TOKEN".into(), VERIFY.into());
    })
    .await
}

#[tokio::test]
async fn the_subscription_challenge_is_echoed_only_with_our_token() {
    let app = configured().await;
    let ok = app
        .get(
            &format!(
                "/api/webhooks/whatsapp/meta?hub.mode=subscribe&hub.verify_token={VERIFY}&hub.challenge=1158201444"
            ),
            None,
        )
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.text().await.expect("body"), "1158201444");
    let bad =
        app.get("/api/webhooks/whatsapp/meta?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1", None).await;
    problem(bad, 403).await;

    let off = spawn_app().await;
    problem(
        off.get("/api/webhooks/whatsapp/meta?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1", None).await,
        404,
    )
    .await;
}

#[tokio::test]
async fn bad_signatures_are_401_and_store_nothing_good_ones_apply_in_order() {
    let app = configured().await;
    // a message the Cloud API accepted earlier as wamid.HBgM
    let cmd = aglis_server::notifications::service::SendMessage::parse(
        aglis_core::notification::Channel::Whatsapp,
        "0812-3456-7890",
        None,
        "Jadwal pemasangan besok pukul 09.00 WIB.",
        aglis_core::job::JobPriority::Normal,
    )
    .expect("valid");
    let id = aglis_server::notifications::service::send(&app.state, None, cmd).await.expect("queued").id;
    messages::start_attempt(&app.state.db, id, app.state.now()).await.expect("attempt");
    messages::mark_sent(&app.state.db, id, "meta", Some("wamid.HBgM"), app.state.now()).await.expect("sent");

    let post = |body: String, sig: Option<String>| {
        let mut req =
            app.api.post(app.url("/api/webhooks/whatsapp/meta")).header("content-type", "application/json").body(body);
        if let Some(s) = sig {
            req = req.header("X-Hub-Signature-256", s);
        }
        req.send()
    };
    let body = statuses("wamid.HBgM", "read");
    problem(post(body.clone(), None).await.expect("post"), 401).await;
    problem(post(body.clone(), Some(sign("something else"))).await.expect("post"), 401).await;
    problem(post(body.clone(), Some(sign(&body).replace("sha256=", ""))).await.expect("post"), 401).await;
    assert!(webhook_events::with_outcome(&app.state.db, "applied").await.expect("db").is_empty());

    let runner = Runner::new(app.state.clone(), Arc::new(builtin_registry()));
    for status in ["read", "delivered", "sent", "read"] {
        let body = statuses("wamid.HBgM", status);
        let res = post(body.clone(), Some(sign(&body))).await.expect("post");
        assert_eq!(res.status(), StatusCode::OK, "{status}");
        while runner.run_once().await.expect("run").claimed > 0 {}
    }
    let m = messages::get(&app.state.db, id).await.expect("db").expect("message");
    assert_eq!(m.status.as_str(), "read");
    assert_eq!(webhook_events::with_outcome(&app.state.db, "applied").await.expect("db").len(), 1);
    assert_eq!(webhook_events::with_outcome(&app.state.db, "ignored").await.expect("db").len(), 3);

    let unknown = statuses("wamid.NOT-OURS", "delivered");
    assert_eq!(post(unknown.clone(), Some(sign(&unknown))).await.expect("post").status(), StatusCode::OK);
    runner.run_once().await.expect("run");
    assert_eq!(webhook_events::with_outcome(&app.state.db, "unmatched").await.expect("db").len(), 1);
}
