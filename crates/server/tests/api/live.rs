//! Live updates (`GET /api/v1/events`, issue 22): a ticket created through the API reaches an
//! admin's stream within 2 s, through another instance on the same database too; a technician
//! hears only tickets they are on; a stream that reconnects with `Last-Event-ID` catches up.

use crate::helpers::{TestApp, problem, spawn_app, spawn_app_with};
use crate::tickets::{package_and_customer, technician, ticket};
use aglis_core::permission::Role;
use serde_json::{Value, json};
use std::time::Duration;

/// An open event stream and what it has said so far.
struct Listener {
    res: reqwest::Response,
    buf: String,
}

impl Listener {
    async fn open(app: &TestApp, token: &str, last_event_id: Option<&str>) -> Listener {
        let mut req = app.api.get(app.url("/api/v1/events")).bearer_auth(token);
        if let Some(id) = last_event_id {
            req = req.header("Last-Event-ID", id);
        }
        let res = req.send().await.expect("stream");
        assert_eq!(res.status(), 200);
        let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        assert!(ct.starts_with("text/event-stream"), "{ct}");
        Listener { res, buf: String::new() }
    }

    /// The events (id, data) received until one's data contains `needle` or `within` passes.
    async fn until(&mut self, needle: &str, within: Duration) -> Vec<(Option<String>, Value)> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let events = parse(&self.buf);
            if events.iter().any(|(_, d)| d.to_string().contains(needle)) {
                return events;
            }
            match tokio::time::timeout_at(deadline, self.res.chunk()).await {
                Ok(Ok(Some(chunk))) => self.buf.push_str(&String::from_utf8_lossy(&chunk)),
                _ => return events,
            }
        }
    }
}

/// The SSE text's events: (`id`, parsed `data`).
fn parse(text: &str) -> Vec<(Option<String>, Value)> {
    text.split("\n\n")
        .filter_map(|block| {
            let mut id = None;
            let mut data = None;
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = Some(v.trim().to_owned());
                }
                if let Some(v) = line.strip_prefix("data:") {
                    data = serde_json::from_str(v.trim()).ok();
                }
            }
            data.map(|d| (id, d))
        })
        .collect()
}

fn numbers(events: &[(Option<String>, Value)]) -> Vec<String> {
    events.iter().filter_map(|(_, d)| d["number"].as_str().map(str::to_owned)).collect()
}

#[tokio::test]
async fn a_new_ticket_reaches_admins_on_every_instance_within_two_seconds() {
    let app = spawn_app().await;
    let other = spawn_app_with(|env| {
        env.insert("AGLIS_DATABASE_URL".into(), app.db_url.clone());
    })
    .await;
    let (_, admin) = app.user_with_token("andi.live", Role::Admin).await;
    let mut here = Listener::open(&app, &admin, None).await;
    let mut there = Listener::open(&other, &admin, None).await;
    let customer = package_and_customer(&app, &admin, "Siti Rahayu", "0857-2233-4455").await;
    let t = ticket(&app, &admin, customer, "repair").await;
    let number = t["number"].as_str().expect("number").to_owned();
    for (name, stream) in [("this instance", &mut here), ("the other instance", &mut there)] {
        let events = stream.until(&number, Duration::from_secs(2)).await;
        let created = events.iter().find(|(_, d)| d["number"] == number.as_str()).unwrap_or_else(|| {
            panic!("{name}: the ticket's event within 2 s: {events:?}");
        });
        assert_eq!(created.1["kind"], "ticket.created", "{name}");
        assert_eq!(created.1["ticket_id"], t["id"]);
        assert!(created.0.is_some(), "{name}: a kept event has an id");
    }
    // A customer has no staff stream.
    let (_, customer_token) = app.user_with_token("siti.live", Role::Customer).await;
    problem(app.get("/api/v1/events", Some(&customer_token)).await, 403).await;
    problem(app.get("/api/v1/events?max_seconds=0", Some(&admin)).await, 422).await;
}

#[tokio::test]
async fn a_technician_hears_only_their_own_tickets() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi.live", Role::Admin).await;
    let (agus_user, agus) = app.user_with_token("agus.live", Role::Technician).await;
    let (budi_user, _) = app.user_with_token("budi.live", Role::Technician).await;
    let agus_id = technician(&app, &admin, Some(agus_user.id), "Agus Setiawan", "0812-7777-1001").await;
    let budi_id = technician(&app, &admin, Some(budi_user.id), "Budi Hartono", "0812-7777-1002").await;
    let customer = package_and_customer(&app, &admin, "Rina Marlina", "0813-2222-3333").await;
    let mut stream = Listener::open(&app, &agus, None).await;
    let theirs = ticket(&app, &admin, customer, "repair").await;
    let assign = async |id: &Value, tech: i64| {
        let path = format!("/api/v1/tickets/{id}/assign");
        assert_eq!(app.post_json(&path, Some(&admin), &json!({"technician_id": tech})).await.status(), 200);
    };
    assign(&theirs["id"], budi_id).await;
    let mine = ticket(&app, &admin, customer, "repair").await;
    assign(&mine["id"], agus_id).await;
    let mine_number = mine["number"].as_str().expect("number");
    let events = stream.until(mine_number, Duration::from_secs(3)).await;
    let heard = numbers(&events);
    assert!(heard.iter().any(|n| n == mine_number), "Agus hears his assignment: {events:?}");
    assert!(!heard.iter().any(|n| theirs["number"] == n.as_str()), "never Budi's ticket: {events:?}");
    assert!(events.iter().all(|(_, d)| d["kind"].as_str().is_some_and(|k| k.starts_with("ticket."))), "{events:?}");
    let assigned = events.iter().find(|(_, d)| d["kind"] == "ticket.assigned").expect("the assignment");
    assert_eq!(assigned.1["for_me"], true, "addressed to Agus's bell");
}

#[tokio::test]
async fn a_stream_that_reconnects_catches_up_from_its_last_event() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi.live", Role::Admin).await;
    let customer = package_and_customer(&app, &admin, "Dewi Lestari", "0813-9999-1234").await;
    let mut stream = Listener::open(&app, &admin, None).await;
    let first = ticket(&app, &admin, customer, "repair").await;
    let first_number = first["number"].as_str().expect("number");
    let events = stream.until(first_number, Duration::from_secs(3)).await;
    let last_id = events.iter().rev().find_map(|(id, _)| id.clone()).expect("an id");
    drop(stream);
    // Missed while away.
    let second = ticket(&app, &admin, customer, "maintenance").await;
    let second_number = second["number"].as_str().expect("number");
    let mut back = Listener::open(&app, &admin, Some(&last_id)).await;
    let events = back.until(second_number, Duration::from_secs(3)).await;
    let heard = numbers(&events);
    assert_eq!(heard.first().map(String::as_str), Some(second_number), "the missed one first: {events:?}");
    assert!(!heard.iter().any(|n| n == first_number), "nothing sent twice: {events:?}");
}
