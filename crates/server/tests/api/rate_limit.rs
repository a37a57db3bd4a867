//! The WhatsApp send limit holds across two instances sharing one database (seed P2.2).

use crate::helpers::spawn_app_with;
use aglis_core::job::JobPriority;
use aglis_core::notification::{Channel, MessageStatus};
use aglis_db::repo::messages::{self, MessageQuery};
use aglis_server::jobs::{Runner, builtin_registry};
use aglis_server::notifications::service::{self, SendMessage};
use chrono::Duration;
use std::sync::Arc;

/// The production ratio (100 per 60 s) shrunk to 10 per 6 s.
const LIMIT: usize = 10;
const WINDOW_SECS: i64 = 6;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_window_exceeds_the_limit_and_the_limit_is_reached() {
    let app = spawn_app_with(|env| {
        env.insert("AGLIS_WHATSAPP_RATE_PER_MIN".into(), LIMIT.to_string());
        env.insert("AGLIS_WHATSAPP_RATE_WINDOW_SECS".into(), WINDOW_SECS.to_string());
    })
    .await;
    for i in 0..60 {
        let cmd =
            SendMessage::parse(Channel::Whatsapp, "0812-3456-7890", None, &format!("Pesan {i}"), JobPriority::Normal)
                .expect("valid");
        service::send(&app.state, None, cmd).await.expect("queued");
    }
    let mut runners = Vec::new();
    for _ in 0..2 {
        let db = aglis_db::connect(&app.db_url, 4).await.expect("own connection");
        let state = aglis_server::state::AppState { db, ..app.state.clone() };
        runners.push(Arc::new(Runner::new(state, Arc::new(builtin_registry()))));
    }
    let sent = || async {
        let q = MessageQuery { status: Some(MessageStatus::Sent), page: 1, per_page: 200, ..Default::default() };
        messages::list(&app.state.db, &q).await.expect("list")
    };
    let mut rounds = 0;
    while sent().await.total < 60 {
        rounds += 1;
        assert!(rounds < 200, "the queue drains");
        let (a, b) = (runners[0].clone(), runners[1].clone());
        let (ra, rb) = tokio::join!(
            tokio::spawn(async move { a.run_once().await }),
            tokio::spawn(async move { b.run_once().await })
        );
        ra.expect("task").expect("run");
        rb.expect("task").expect("run");
        app.clock.advance(Duration::seconds(1));
    }
    let items = sent().await.items;
    let times: Vec<_> = items.iter().map(|m| m.sent_at.expect("sent_at")).collect();
    let mut busiest = 0;
    for t in &times {
        let in_window = times.iter().filter(|u| **u > *t - Duration::seconds(WINDOW_SECS) && **u <= *t).count();
        assert!(in_window <= LIMIT, "{in_window} sends in the {WINDOW_SECS} s before {t}");
        busiest = busiest.max(in_window);
    }
    assert_eq!(busiest, LIMIT, "the limit is actually reached");
    assert!(items.iter().all(|m| m.attempts == 1), "waiting for the limit does not use up attempts");
    let span = *times.iter().max().expect("max") - *times.iter().min().expect("min");
    assert!(span >= Duration::seconds(WINDOW_SECS * 5), "60 sends at 10 per 6 s take at least 30 s: {span}");
}
