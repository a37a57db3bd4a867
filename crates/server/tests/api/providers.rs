//! The configured providers end to end, each against its local fake speaking the real wire
//! format: e-mail over SMTP, WhatsApp through the Cloud API with its signed delivery callbacks
//! arriving out of order and twice, Fonnte's callbacks, failover and the per-provider rates.

use crate::helpers::{TestApp, spawn_app_with};
use aglis_core::permission::Role;
use aglis_db::repo::messages;
use aglis_integrations::email::fake::{self as smtp_fake, FakeSmtp};
use aglis_integrations::fake_callbacks::{CallbackPlan, Order};
use aglis_integrations::whatsapp::fonnte::fake::{self as fonnte_fake, FakeFonnte};
use aglis_integrations::whatsapp::meta::fake::{self as meta_fake, FakeMeta};
use aglis_server::jobs::{Runner, builtin_registry};
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;

const META_TOKEN: &str = "EAAG-test-token";
const PHONE_ID: &str = "106540352242922";
const APP_SECRET: &str = "app-secret-test";
const FONNTE_TOKEN: &str = "device-token-bekasi";
const HOOK_TOKEN: &str = "callback-secret-0123456789";

async fn send(app: &TestApp, token: &str, body: Value) -> i64 {
    let res = app.post_json("/api/v1/notifications", Some(token), &body).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    res.json::<Value>().await.expect("json")["id"].as_i64().expect("id")
}

/// Runs due jobs until none is left, moving the clock past retry delays.
async fn drain(app: &TestApp) {
    let runner = Runner::new(app.state.clone(), Arc::new(builtin_registry()));
    for _ in 0..50 {
        if runner.run_once().await.expect("run").claimed == 0 {
            return;
        }
    }
    panic!("the queue did not drain");
}

async fn status(app: &TestApp, id: i64) -> String {
    messages::get(&app.state.db, id).await.expect("db").expect("message").status.as_str().to_owned()
}

#[tokio::test]
async fn an_email_goes_out_over_smtp_with_login_subject_and_indonesian_text() {
    let fake = FakeSmtp::start_with_auth("noreply@isp.co.id", "sandi-smtp").await.expect("fake smtp");
    let (host, port) = (fake.host.clone(), fake.port);
    let app = spawn_app_with(move |env| {
        env.insert("AGLIS_SMTP_HOST".into(), host);
        env.insert("AGLIS_SMTP_PORT".into(), port.to_string());
        env.insert("AGLIS_SMTP_TLS".into(), "none".into());
        env.insert("AGLIS_SMTP_USERNAME".into(), "noreply@isp.co.id".into());
        env.insert("AGLIS_SMTP_PASSWORD".into(), "sandi-smtp".into());
        env.insert("AGLIS_SMTP_FROM".into(), "AGLIS Karawang <noreply@isp.co.id>".into());
    })
    .await;
    let (_, token) = app.user_with_token("rizky", Role::Noc).await;
    let text = "Laporan gangguan area Bekasi Timur – 25/11/2026.\nTotal 3 tiket, semua selesai 🙏";
    let id = send(
        &app,
        &token,
        json!({"channel": "email", "to": "Hendra.Gunawan@Contoh.co.id", "subject": "Laporan harian", "body": text}),
    )
    .await;
    drain(&app).await;

    let mails = fake.received();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.auth_user.as_deref(), Some("noreply@isp.co.id"));
    assert_eq!(mail.mail_from, "noreply@isp.co.id");
    assert_eq!(mail.recipients, ["hendra.gunawan@contoh.co.id"]);
    assert_eq!(mail.header("Subject").as_deref(), Some("Laporan harian"));
    assert!(mail.header("From").is_some_and(|f| f.contains("AGLIS Karawang")));
    assert_eq!(mail.text().trim_end(), text);
    let m = messages::get(&app.state.db, id).await.expect("db").expect("message");
    assert_eq!((m.status.as_str(), m.provider.as_deref()), ("sent", Some("smtp")));
    assert_eq!(m.provider_message_id, mail.header("Message-ID"), "the Message-ID is kept");
}

#[tokio::test]
async fn an_unknown_mailbox_is_dead_at_once_and_a_busy_server_is_retried() {
    let fake = FakeSmtp::start().await.expect("fake smtp");
    let (host, port) = (fake.host.clone(), fake.port);
    let app = spawn_app_with(move |env| {
        env.insert("AGLIS_SMTP_HOST".into(), host);
        env.insert("AGLIS_SMTP_PORT".into(), port.to_string());
        env.insert("AGLIS_SMTP_TLS".into(), "none".into());
    })
    .await;
    let (_, token) = app.user_with_token("rizky", Role::Noc).await;
    fake.set_behavior(smtp_fake::Behavior::RejectRecipient);
    let id = send(&app, &token, json!({"channel": "email", "to": "tidak.ada@contoh.co.id", "body": "Tes"})).await;
    drain(&app).await;
    let m = messages::get(&app.state.db, id).await.expect("db").expect("message");
    assert_eq!((m.status.as_str(), m.attempts), ("dead", 1), "{m:?}");
    assert!(m.last_error.is_some_and(|e| e.contains("550")));

    fake.set_behavior(smtp_fake::Behavior::TempFail);
    let id = send(&app, &token, json!({"channel": "email", "to": "noc@contoh.co.id", "body": "Tes"})).await;
    drain(&app).await;
    assert_eq!(status(&app, id).await, "failed", "451 is worth another try");
    fake.set_behavior(smtp_fake::Behavior::Accept);
    app.clock.advance(Duration::minutes(10));
    drain(&app).await;
    assert_eq!(status(&app, id).await, "sent");
    assert_eq!(fake.received().len(), 1);
}

async fn app_with_meta(meta: &FakeMeta, fonnte: Option<&FakeFonnte>) -> TestApp {
    let meta_url = meta.url.clone();
    let fonnte_url = fonnte.map(|f| f.url.clone());
    spawn_app_with(move |env| {
        env.insert("AGLIS_META_TOKEN".into(), META_TOKEN.into());
        env.insert("AGLIS_META_PHONE_NUMBER_ID".into(), PHONE_ID.into());
        env.insert("AGLIS_META_URL".into(), meta_url);
        env.insert("AGLIS_META_APP_SECRET".into(), APP_SECRET.into());
        env.insert("AGLIS_WHATSAPP_RATE_PER_MIN".into(), "0".into());
        if let Some(url) = fonnte_url {
            env.insert("AGLIS_FONNTE_TOKEN".into(), FONNTE_TOKEN.into());
            env.insert("AGLIS_FONNTE_URL".into(), url);
            env.insert("AGLIS_FONNTE_WEBHOOK_TOKEN".into(), HOOK_TOKEN.into());
        }
    })
    .await
}

#[tokio::test]
async fn the_cloud_api_gets_the_exact_request_and_its_signed_callbacks_end_in_read_whatever_their_order() {
    let meta = FakeMeta::start(META_TOKEN, PHONE_ID).await.expect("fake meta");
    let app = app_with_meta(&meta, None).await;
    let (_, token) = app.user_with_token("rizky", Role::Noc).await;
    let hook = app.url("/api/webhooks/whatsapp/meta");
    let plan = |order| {
        CallbackPlan::new(&hook).app_secret(APP_SECRET).delay(std::time::Duration::from_millis(20)).order(order)
    };

    meta.set_callbacks(Some(plan(Order::Reversed)));
    let body = "Gangguan di ODP BKS-TMR-03 sudah pulih pukul 14.20 WIB.";
    let first = send(&app, &token, json!({"channel": "whatsapp", "to": "0812-3456-7890", "body": body})).await;
    drain(&app).await;
    let received = meta.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].authorization.as_deref(), Some(format!("Bearer {META_TOKEN}").as_str()));
    assert!(received[0].path.ends_with(&format!("/{PHONE_ID}/messages")), "{}", received[0].path);
    assert_eq!(received[0].body["to"], "6281234567890");
    assert_eq!(received[0].body["type"], "text");
    assert_eq!(received[0].body["text"]["body"], body);

    let calls = meta.wait_for_callbacks(3, std::time::Duration::from_secs(10)).await;
    assert!(calls.iter().all(|c| c.result == Ok(200)), "every signed callback is accepted: {calls:?}");
    assert_eq!(calls.iter().map(|c| c.status.as_str()).collect::<Vec<_>>(), ["read", "delivered", "sent"]);
    drain(&app).await;
    assert_eq!(status(&app, first).await, "read", "read arrived first and nothing moved it back");

    // Every callback twice: applied once, repeats change nothing.
    meta.set_callbacks(Some(plan(Order::Duplicated)));
    let second = send(&app, &token, json!({"channel": "whatsapp", "to": "0857-2233-4455", "body": "Tes"})).await;
    drain(&app).await;
    meta.wait_for_callbacks(3 + 6, std::time::Duration::from_secs(10)).await;
    drain(&app).await;
    assert_eq!(status(&app, second).await, "read");
    let steps: Vec<String> = messages::events(&app.state.db, second)
        .await
        .expect("db")
        .into_iter()
        .map(|e| e.status.as_str().to_owned())
        .collect();
    assert_eq!(steps, ["queued", "sent", "delivered", "read"]);
}

#[tokio::test]
async fn a_refusing_fonnte_fails_over_to_the_cloud_api_and_the_rates_show_it() {
    let meta = FakeMeta::start(META_TOKEN, PHONE_ID).await.expect("fake meta");
    let fonnte = FakeFonnte::start(FONNTE_TOKEN).await.expect("fake fonnte");
    fonnte.set_behavior(fonnte_fake::Behavior::Refuse("insufficient quota".into()));
    let app = app_with_meta(&meta, Some(&fonnte)).await;
    let (_, token) = app.user_with_token("rizky", Role::Noc).await;
    let id = send(&app, &token, json!({"channel": "whatsapp", "to": "0812-3456-7890", "body": "Tes failover"})).await;
    drain(&app).await;
    assert_eq!(fonnte.received().len(), 1, "Fonnte was tried first");
    assert_eq!(meta.received().len(), 1, "then the Cloud API");
    let m = messages::get(&app.state.db, id).await.expect("db").expect("message");
    assert_eq!((m.status.as_str(), m.provider.as_deref()), ("sent", Some("meta")));

    // Meta refuses a free-form text outside the 24 h window: final, no retry, no other provider.
    meta.set_behavior(meta_fake::Behavior::GraphError {
        http_status: 400,
        code: 131047,
        message: "Re-engagement message".into(),
    });
    fonnte.set_behavior(fonnte_fake::Behavior::HttpError(503));
    let dead = send(&app, &token, json!({"channel": "whatsapp", "to": "0857-2233-4455", "body": "Halo"})).await;
    drain(&app).await;
    let m = messages::get(&app.state.db, dead).await.expect("db").expect("message");
    assert_eq!(m.status.as_str(), "dead");
    assert!(m.last_error.is_some_and(|e| e.contains("131047")));

    let stats: Value = app.get("/api/v1/notifications/stats", Some(&token)).await.json().await.expect("json");
    let hour = &stats["windows"][0];
    assert_eq!(hour["window"], "1h");
    let rate = |p: &str| hour["providers"].as_array().expect("rates").iter().find(|r| r["provider"] == p).cloned();
    let f = rate("fonnte").expect("fonnte row");
    assert_eq!((f["calls"].as_i64(), f["accepted"].as_i64()), (Some(2), Some(0)));
    let m = rate("meta").expect("meta row");
    assert_eq!((m["calls"].as_i64(), m["accepted"].as_i64(), m["success_pct"].as_i64()), (Some(2), Some(1), Some(50)));
    assert_eq!(stats["sent_per_minute"].as_array().map(Vec::len), Some(60));
    assert_eq!(stats["sent_per_minute"][59], 1, "one accepted send this minute");
    assert_eq!(stats["dead"], 1);
    assert!(
        stats["failures"]
            .as_array()
            .is_some_and(|f| f.iter().any(|r| r["reason"].as_str().is_some_and(|s| s.contains("insufficient quota"))))
    );
}

#[tokio::test]
async fn fonnte_callbacks_from_the_gateway_out_of_order_end_in_read() {
    let fonnte = FakeFonnte::start(FONNTE_TOKEN).await.expect("fake fonnte");
    let url = fonnte.url.clone();
    let app = spawn_app_with(move |env| {
        env.insert("AGLIS_FONNTE_TOKEN".into(), FONNTE_TOKEN.into());
        env.insert("AGLIS_FONNTE_URL".into(), url);
        env.insert("AGLIS_FONNTE_WEBHOOK_TOKEN".into(), HOOK_TOKEN.into());
    })
    .await;
    let (_, token) = app.user_with_token("rizky", Role::Noc).await;
    let hook = app.url(&format!("/api/webhooks/whatsapp/delivery?token={HOOK_TOKEN}"));
    fonnte.set_callbacks(Some(
        CallbackPlan::new(&hook).order(Order::Reversed).delay(std::time::Duration::from_millis(20)),
    ));
    let id = send(&app, &token, json!({"channel": "whatsapp", "to": "0812-3456-7890", "body": "Tes"})).await;
    drain(&app).await;
    let calls = fonnte.wait_for_callbacks(3, std::time::Duration::from_secs(10)).await;
    assert!(calls.iter().all(|c| c.result == Ok(200)), "{calls:?}");
    drain(&app).await;
    assert_eq!(status(&app, id).await, "read");
    let steps: Vec<String> = messages::events(&app.state.db, id)
        .await
        .expect("db")
        .into_iter()
        .map(|e| e.status.as_str().to_owned())
        .collect();
    assert_eq!(steps, ["queued", "sent", "read"], "the late `delivered` and `sent` changed nothing");
}

#[tokio::test]
async fn retries_and_their_backoff_follow_the_configuration() {
    let fonnte = FakeFonnte::start(FONNTE_TOKEN).await.expect("fake fonnte");
    fonnte.set_behavior(fonnte_fake::Behavior::HttpError(502));
    let url = fonnte.url.clone();
    let app = spawn_app_with(move |env| {
        env.insert("AGLIS_FONNTE_TOKEN".into(), FONNTE_TOKEN.into());
        env.insert("AGLIS_FONNTE_URL".into(), url);
        env.insert("AGLIS_NOTIFY_RETRIES".into(), "2".into());
        env.insert("AGLIS_NOTIFY_RETRY_BASE_SECS".into(), "10".into());
    })
    .await;
    let (_, token) = app.user_with_token("rizky", Role::Noc).await;
    let id = send(&app, &token, json!({"channel": "whatsapp", "to": "0812-3456-7890", "body": "Tes"})).await;
    let runner = Runner::new(app.state.clone(), Arc::new(builtin_registry()));
    let run = || async { runner.run_once().await.expect("run").claimed };
    assert_eq!(run().await, 1);
    // 10 s, then 20 s: nothing is due a second before each.
    for wait in [10, 20] {
        app.clock.advance(Duration::seconds(wait - 1));
        assert_eq!(run().await, 0, "not due yet after {}s", wait - 1);
        app.clock.advance(Duration::seconds(1));
        assert_eq!(run().await, 1, "due after {wait}s");
    }
    assert_eq!(fonnte.received().len(), 3, "the first try and 2 retries");
    assert_eq!(status(&app, id).await, "dead");
    assert_eq!(aglis_db::jobs::count(&app.state.db, aglis_core::job::JobStatus::Dead).await.expect("count"), 1);
    app.clock.advance(Duration::hours(2));
    assert_eq!(run().await, 0, "nothing more is tried");
}

#[tokio::test]
async fn without_a_provider_messages_are_held_visibly_and_go_out_once_one_is_configured() {
    // A production start with no WhatsApp settings (and no explicit log provider).
    let app = spawn_app_with(|env| {
        env.remove("AGLIS_NOTIFY_LOG_PROVIDER");
    })
    .await;
    let (_, token) = app.user_with_token("rizky", Role::Noc).await;
    let id = send(&app, &token, json!({"channel": "whatsapp", "to": "0812-3456-7890", "body": "Tagihan Anda"})).await;
    let runner = Runner::new(app.state.clone(), Arc::new(builtin_registry()));
    runner.run_once().await.expect("run");
    let m = messages::get(&app.state.db, id).await.expect("db").expect("message");
    assert_eq!((m.status.as_str(), m.attempts), ("held", 0), "never marked sent, no attempt spent");
    assert!(m.last_error.as_deref().is_some_and(|e| e.contains("AGLIS_FONNTE_TOKEN")), "{:?}", m.last_error);
    // Looked at again later, still held (once in its history), nothing lost.
    app.clock.advance(Duration::minutes(6));
    runner.run_once().await.expect("run");
    let steps: Vec<String> = messages::events(&app.state.db, id)
        .await
        .expect("db")
        .into_iter()
        .map(|e| e.status.as_str().to_owned())
        .collect();
    assert_eq!(steps, ["queued", "held"]);

    // The health check names the channel …
    let health: Value = app.get("/api/health", Some(&token)).await.json().await.expect("json");
    assert_eq!(health["checks"]["whatsapp"]["status"], "degraded", "{health}");
    assert_eq!(health["checks"]["whatsapp"]["figures"]["held"], 1, "{health}");
    assert!(health["checks"]["whatsapp"]["message"].as_str().is_some_and(|m| m.contains("no WhatsApp provider")));
    assert_eq!(health["checks"]["email"]["status"], "degraded", "{health}");
    // … and so does the queue page, in the reader's language.
    let browser = app.browser_login("rizky").await;
    let html = browser.get(app.url("/notifications/queue")).send().await.expect("page").text().await.expect("html");
    assert!(html.contains(&app.t("queue.held_whatsapp")), "the queue page says why");
    assert!(html.contains("status=held"), "and links to the held messages");

    // Restarted with Fonnte configured (a second instance on the same database): it goes out.
    let fonnte = FakeFonnte::start(FONNTE_TOKEN).await.expect("fake fonnte");
    let (url, db_url) = (fonnte.url.clone(), app.db_url.clone());
    let configured = spawn_app_with(move |env| {
        env.remove("AGLIS_NOTIFY_LOG_PROVIDER");
        env.insert("AGLIS_DATABASE_URL".into(), db_url);
        env.insert("AGLIS_FONNTE_TOKEN".into(), FONNTE_TOKEN.into());
        env.insert("AGLIS_FONNTE_URL".into(), url);
    })
    .await;
    configured.clock.advance(Duration::minutes(20));
    drain(&configured).await;
    assert_eq!(status(&configured, id).await, "sent");
    assert_eq!(fonnte.received().len(), 1);
}

#[tokio::test]
async fn only_the_demo_or_an_explicit_setting_uses_the_log_provider() {
    let load = |pairs: &[(&str, &str)]| {
        let mut env: std::collections::BTreeMap<String, String> =
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        env.insert("AGLIS_DATA_DIR".into(), crate::helpers::temp_dir("log-provider").display().to_string());
        env.insert("AGLIS_SECRET_KEY".into(), "a-secret-key-that-is-long-enough-0123456789".into());
        aglis_server::config::load(&env).expect("config")
    };
    let serve = load(&[]);
    assert!(!serve.uses_log_provider(), "aglis serve: never unless asked");
    let notifier = aglis_server::notifications::Notifier::from_config(&serve).expect("notifier");
    assert_eq!(notifier.unserved().len(), 2, "WhatsApp and e-mail are unserved, not logged");
    let mut demo = load(&[]);
    demo.demo = true;
    assert!(demo.uses_log_provider(), "the demo");
    let mut demo_off = load(&[("AGLIS_NOTIFY_LOG_PROVIDER", "false")]);
    demo_off.demo = true;
    assert!(!demo_off.uses_log_provider(), "the demo, told not to");
    assert!(load(&[("AGLIS_NOTIFY_LOG_PROVIDER", "true")]).uses_log_provider(), "asked for");
}
