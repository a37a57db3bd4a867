//! Sending messages through the queue, on whichever engine this run uses.

use crate::helpers::{problem, spawn_app};
use aglis_core::job::JobStatus;
use aglis_core::notification::Channel;
use aglis_core::permission::Role;
use aglis_db::repo::messages;
use aglis_integrations::notify::{Outgoing, Provider, Receipt, SendError, SendFuture};
use aglis_server::jobs::{Runner, builtin_registry};
use aglis_server::notifications::Notifier;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[tokio::test]
async fn a_sent_message_goes_through_the_queue_and_the_log_provider() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token("dewi", Role::CustomerService).await;
    let res = app
        .post_json("/api/v1/notifications", Some(&token), &json!({"channel": "whatsapp", "to": "0812-3456-7890", "body": "Halo Pak Budi, teknisi kami menuju lokasi."}))
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let body: Value = res.json().await.expect("json");
    let id = body["id"].as_i64().expect("id");
    assert_eq!(body["status"], "queued");

    let runner = Runner::new(app.state.clone(), Arc::new(builtin_registry()));
    assert_eq!(runner.run_once().await.expect("run").done, 1);

    let detail: Value = app.get(&format!("/api/v1/notifications/{id}"), Some(&token)).await.json().await.expect("json");
    assert_eq!(detail["status"], "sent");
    assert_eq!(detail["to"], "6281234567890");
    assert_eq!(detail["provider"], "log");
    assert_eq!(detail["provider_message_id"], format!("log-{id}"));
    let steps: Vec<_> = detail["timeline"].as_array().expect("timeline").iter().map(|e| e["status"].clone()).collect();
    assert_eq!(steps, [json!("queued"), json!("sent")]);

    let list: Value =
        app.get("/api/v1/notifications?status=sent&q=budi", Some(&token)).await.json().await.expect("json");
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["body"], "Halo Pak Budi, teknisi kami menuju lokasi.");
}

#[tokio::test]
async fn bad_recipients_and_bodies_are_422_naming_the_field() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token("dewi", Role::CustomerService).await;
    let cases = [
        (json!({"channel": "whatsapp", "to": "12345", "body": "x"}), "to"),
        (json!({"channel": "email", "to": "bukan-email", "body": "x"}), "to"),
        (json!({"channel": "whatsapp", "to": "081234567890", "body": "   "}), "body"),
        (json!({"channel": "sms", "to": "081234567890", "body": "x"}), "channel"),
    ];
    for (body, field) in cases {
        let res = app.post_json("/api/v1/notifications", Some(&token), &body).await;
        let p = problem(res, 422).await;
        assert!(p["errors"][field].is_array(), "{field}: {p}");
    }
    let list: Value = app.get("/api/v1/notifications", Some(&token)).await.json().await.expect("json");
    assert_eq!(list["total"], 0, "nothing was recorded");
}

#[tokio::test]
async fn technicians_may_not_send_or_read_messages() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token("agus", Role::Technician).await;
    let res = app
        .post_json(
            "/api/v1/notifications",
            Some(&token),
            &json!({"channel": "whatsapp", "to": "081234567890", "body": "x"}),
        )
        .await;
    problem(res, 403).await;
    problem(app.get("/api/v1/notifications", Some(&token)).await, 403).await;
}

/// A provider at the network edge that fails a set number of times, then accepts.
#[derive(Debug)]
struct Flaky {
    name: &'static str,
    failures: usize,
    calls: AtomicUsize,
}

impl Provider for Flaky {
    fn name(&self) -> &str {
        self.name
    }
    fn channels(&self) -> &[Channel] {
        &[Channel::Whatsapp]
    }
    fn send<'a>(&'a self, m: &'a Outgoing) -> SendFuture<'a> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            if n < self.failures {
                Err(SendError::Transient { provider: self.name.into(), detail: format!("HTTP 503 (call {})", n + 1) })
            } else {
                Ok(Receipt {
                    provider: self.name.into(),
                    provider_message_id: Some(format!("{}-{}", self.name, m.message_id)),
                })
            }
        })
    }
}

fn with_providers(app: &crate::helpers::TestApp, providers: Vec<Arc<dyn Provider>>) -> aglis_server::state::AppState {
    aglis_server::state::AppState { notifier: Arc::new(Notifier::new(providers)), ..app.state.clone() }
}

async fn queue_one(state: &aglis_server::state::AppState) -> i64 {
    let cmd = aglis_server::notifications::service::SendMessage::parse(
        Channel::Whatsapp,
        "0857-1000-0011",
        None,
        "Tagihan Anda sudah terbit.",
        aglis_core::job::JobPriority::Normal,
    )
    .expect("valid");
    aglis_server::notifications::service::send(state, None, cmd).await.expect("queued").id
}

#[tokio::test]
async fn a_failing_first_provider_hands_over_to_the_second() {
    let app = spawn_app().await;
    let first = Arc::new(Flaky { name: "first", failures: usize::MAX, calls: AtomicUsize::new(0) });
    let second = Arc::new(Flaky { name: "second", failures: 0, calls: AtomicUsize::new(0) });
    let state = with_providers(&app, vec![first.clone(), second.clone()]);
    let id = queue_one(&state).await;
    Runner::new(state.clone(), Arc::new(builtin_registry())).run_once().await.expect("run");
    let m = messages::get(&state.db, id).await.expect("db").expect("message");
    assert_eq!((m.status.as_str(), m.provider.as_deref()), ("sent", Some("second")));
    assert_eq!((first.calls.load(Ordering::SeqCst), second.calls.load(Ordering::SeqCst)), (1, 1));
}

#[tokio::test]
async fn three_retries_then_dead_and_a_sent_message_is_never_sent_again() {
    let app = spawn_app().await;
    let down = Arc::new(Flaky { name: "down", failures: usize::MAX, calls: AtomicUsize::new(0) });
    let state = with_providers(&app, vec![down.clone()]);
    let id = queue_one(&state).await;
    let runner = Runner::new(state.clone(), Arc::new(builtin_registry()));
    for attempt in 1..=4 {
        let r = runner.run_once().await.expect("run");
        assert_eq!(r.claimed, 1, "attempt {attempt}");
        app.clock.advance(Duration::hours(2));
    }
    assert_eq!(down.calls.load(Ordering::SeqCst), 4, "the first try and 3 retries");
    let m = messages::get(&state.db, id).await.expect("db").expect("message");
    assert_eq!(m.status.as_str(), "dead");
    assert!(m.last_error.is_some_and(|e| e.contains("503")));
    assert_eq!(aglis_db::jobs::count(&state.db, JobStatus::Dead).await.expect("count"), 1);

    // a stray run of the job does not resurrect a dead message
    let up = Arc::new(Flaky { name: "up", failures: 0, calls: AtomicUsize::new(0) });
    let state = with_providers(&app, vec![up.clone()]);
    aglis_server::notifications::dispatch::send_job(
        state.clone(),
        aglis_server::notifications::service::SendPayload { message_id: id },
    )
    .await
    .expect("no-op");
    assert_eq!(up.calls.load(Ordering::SeqCst), 0);

    // re-queued through the API, it is sent exactly once
    let (_, token) = app.user_with_token("siti", Role::Supervisor).await;
    let res = app.post_json(&format!("/api/v1/notifications/{id}/requeue"), Some(&token), &json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    problem(app.post_json(&format!("/api/v1/notifications/{id}/requeue"), Some(&token), &json!({})).await, 409).await;
    let runner = Runner::new(state.clone(), Arc::new(builtin_registry()));
    assert_eq!(runner.run_once().await.expect("run").done, 1);
    assert_eq!(runner.run_once().await.expect("run").claimed, 0);
    assert_eq!(up.calls.load(Ordering::SeqCst), 1);
    let m = messages::get(&state.db, id).await.expect("db").expect("message");
    assert_eq!((m.status.as_str(), m.provider.as_deref()), ("sent", Some("up")));
}

#[tokio::test]
async fn the_message_and_its_job_commit_together() {
    let app = spawn_app().await;
    let id = queue_one(&app.state).await;
    let (jobs, total) = aglis_db::jobs::list(&app.state.db, JobStatus::Queued, 1, 10).await.expect("list");
    assert_eq!(total, 1);
    assert_eq!(jobs[0].payload_json().expect("JSON")["message_id"], id);
    assert_eq!(
        jobs[0].max_attempts,
        aglis_server::notifications::service::SEND_JOB_ATTEMPTS,
        "a backstop above the retries"
    );
}

#[tokio::test]
async fn staff_compose_on_the_page_and_see_the_timeline() {
    let app = spawn_app().await;
    app.insert_user("dewi", Role::CustomerService).await;
    let browser = app.browser_login("dewi").await;
    let token = app.page_csrf(&browser, "/notifications/new").await;
    let res = browser
        .post(app.url("/notifications"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("channel", "whatsapp"),
            ("to", "0812"),
            ("body", "Halo"),
            ("priority", "normal"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains("field-error"));
    let res = browser
        .post(app.url("/notifications"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("channel", "whatsapp"),
            ("to", "0812-8765-4321"),
            ("body", "Teknisi menuju lokasi."),
            ("priority", "high"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().expect("location").to_owned();
    Runner::new(app.state.clone(), Arc::new(builtin_registry())).run_once().await.expect("run");
    let html =
        browser.get(app.url(&format!("{location}?lang=en"))).send().await.expect("page").text().await.expect("html");
    assert!(
        html.contains("Teknisi menuju lokasi.") && html.contains("0812-8765-4321") && html.contains("msg-sent"),
        "{html}"
    );
    let list = browser.get(app.url("/notifications?q=teknisi")).send().await.expect("page").text().await.expect("html");
    assert!(list.contains("Teknisi menuju lokasi."));
}

#[tokio::test]
async fn the_demo_has_a_message_history_in_every_delivery_state() {
    let app = spawn_app().await;
    let mut config = (*app.state.config).clone();
    config.demo = true;
    let state = aglis_server::state::AppState { config: Arc::new(config), ..app.state.clone() };
    aglis_server::demo::seed(&state).await.expect("seed");
    for status in ["sent", "delivered", "read", "dead", "queued"] {
        let q = aglis_db::repo::messages::MessageQuery {
            status: Some(status.parse().expect("status")),
            page: 1,
            per_page: 1,
            ..Default::default()
        };
        let n = messages::list(&state.db, &q).await.expect("list").total;
        assert!(n > 0, "no {status} message in the demo");
    }
}

/// Records the order in which messages reach the provider.
#[derive(Debug, Default)]
struct Recorder {
    bodies: std::sync::Mutex<Vec<String>>,
}

impl Provider for Recorder {
    fn name(&self) -> &str {
        "recorder"
    }
    fn channels(&self) -> &[Channel] {
        &[Channel::Whatsapp, Channel::Email]
    }
    fn send<'a>(&'a self, m: &'a Outgoing) -> SendFuture<'a> {
        self.bodies.lock().expect("lock").push(m.body.clone());
        Box::pin(async move { Ok(Receipt { provider: "recorder".into(), provider_message_id: None }) })
    }
}

#[tokio::test]
async fn priorities_order_the_sends() {
    let app = spawn_app().await;
    let recorder = Arc::new(Recorder::default());
    let state = with_providers(&app, vec![recorder.clone()]);
    for (body, priority) in [
        ("promo", aglis_core::job::JobPriority::Low),
        ("tagihan", aglis_core::job::JobPriority::Normal),
        ("gangguan", aglis_core::job::JobPriority::Critical),
        ("otp", aglis_core::job::JobPriority::High),
    ] {
        let cmd = aglis_server::notifications::service::SendMessage::parse(
            Channel::Whatsapp,
            "081234567890",
            None,
            body,
            priority,
        )
        .expect("valid");
        aglis_server::notifications::service::send(&state, None, cmd).await.expect("queued");
    }
    Runner::new(state.clone(), Arc::new(builtin_registry())).run_once().await.expect("run");
    assert_eq!(*recorder.bodies.lock().expect("lock"), ["gangguan", "otp", "tagihan", "promo"]);
}

#[tokio::test]
async fn the_history_page_counts_the_last_day_per_status() {
    let app = spawn_app().await;
    app.insert_user("dewi", Role::CustomerService).await;
    let recorder = Arc::new(Recorder::default());
    let state = with_providers(&app, vec![recorder]);
    for _ in 0..3 {
        queue_one(&state).await;
    }
    Runner::new(state.clone(), Arc::new(builtin_registry())).run_once().await.expect("run");
    queue_one(&state).await;
    let counts = messages::status_counts(&state.db, state.now() - Duration::hours(24)).await.expect("counts");
    let get = |s: &str| counts.iter().find(|(st, _)| st.as_str() == s).map(|(_, n)| *n);
    assert_eq!((get("sent"), get("queued"), get("dead")), (Some(3), Some(1), Some(0)));
    let browser = app.browser_login("dewi").await;
    let html = browser.get(app.url("/notifications?lang=en")).send().await.expect("page").text().await.expect("html");
    assert!(html.contains("100% sent successfully"), "{html}");
}

#[tokio::test]
async fn the_history_is_searched_by_word_and_number_through_its_word_index_with_a_capped_count() {
    use aglis_core::job::JobPriority;
    use aglis_db::repo::messages::{MessageQuery, NewMessage};
    use sea_orm::TransactionTrait;
    let app = spawn_app().await;
    let now = app.state.now();
    let new = |recipient: &str, body: &str| NewMessage {
        channel: Channel::Whatsapp,
        recipient: recipient.into(),
        subject: None,
        body: body.into(),
        template_code: None,
        variables: None,
        priority: JobPriority::Normal,
        created_by: None,
    };
    let txn = app.state.db.begin().await.expect("begin");
    messages::create(&txn, new("6281234567890", "Yth. Bapak Hendra, tagihan Rp 185.000 jatuh tempo."), now)
        .await
        .expect("one");
    messages::create(&txn, new("6285700001111", "Perbaikan redaman di Telukjambe Timur selesai."), now)
        .await
        .expect("two");
    // A broadcast: more matches than a search counts.
    for i in 0..1_005 {
        messages::create(&txn, new(&format!("62813{i:08}"), "Gangguan massal area Cikarang, sedang ditangani."), now)
            .await
            .expect("broadcast");
    }
    txn.commit().await.expect("commit");
    let find = |q: &str| {
        let query = MessageQuery { q: Some(q.into()), page: 1, per_page: 25, ..MessageQuery::default() };
        let db = app.state.reads.clone();
        async move { messages::list(&db, &query).await.expect("list") }
    };
    // By the number as people type it, and by the start of a word, in any case.
    for q in ["0812-3456-7890", "+62 812 3456 7890", "HENDRA", "tagih"] {
        let found = find(q).await;
        assert_eq!((found.total, found.items.len()), (1, 1), "{q}");
        assert_eq!(found.items[0].recipient, "6281234567890", "{q}");
    }
    let both = find("redaman teluk").await;
    assert_eq!((both.total, both.items[0].recipient.as_str()), (1, "6285700001111"), "every word must match");
    assert_eq!(find("x").await.total, 0, "one letter finds nothing rather than everything");
    let many = find("gangguan").await;
    assert_eq!((many.total, many.exact, many.items.len()), (1_000, false, 25), "counted up to 1000");
    assert!(many.items.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    // The filters alone read an index range, never the whole table.
    let unfiltered =
        messages::list(&app.state.reads, &MessageQuery { page: 1, per_page: 25, ..MessageQuery::default() })
            .await
            .expect("list");
    assert_eq!((unfiltered.total, unfiltered.exact), (1_007, true));
    if !crate::helpers::on_postgres() {
        use sea_orm::ConnectionTrait;
        let plan = app
            .state
            .reads
            .query_all_raw(sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Sqlite,
                "EXPLAIN QUERY PLAN SELECT id FROM messages WHERE status = 'queued' ORDER BY created_at DESC, id DESC LIMIT 25",
            ))
            .await
            .expect("plan");
        let text: Vec<String> = plan.iter().filter_map(|r| r.try_get_by_index::<String>(3).ok()).collect();
        assert!(text.iter().any(|l| l.contains("ix_messages_status_created")), "{text:?}");
    }
}
