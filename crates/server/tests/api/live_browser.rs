//! Issue 22's acceptance in a browser: the supervisor sees a breached ticket on the start page,
//! opens it from there and assigns it; a second browser, on a phone, sees the change on its own
//! start page without reloading (live updates over `GET /api/v1/events`).

use crate::browser::{Browser, Driver, PHONE, sign_in};
use crate::helpers::spawn_app;
use aglis_core::permission::Role;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_supervisor_assigns_a_breached_ticket_from_the_start_page_and_another_screen_sees_it_live() {
    let app = spawn_app().await;
    aglis_server::demo::seed(&app.state).await.expect("seed");
    app.insert_user("sari.live", Role::Supervisor).await;
    app.insert_user("dina.live", Role::Supervisor).await;
    let (_, admin) = app.user_with_token("andi.live", Role::Admin).await;
    let urgent: Value = app.get("/api/v1/tickets?per_page=1", Some(&admin)).await.json().await.expect("json");
    let t = &urgent["items"][0];
    let id = t["id"].as_i64().expect("id");
    assert!(t["breached_at"].is_string(), "the most urgent demo ticket is past its SLA: {t}");
    let ranked: Value =
        app.get(&format!("/api/v1/tickets/{id}/suggestions"), Some(&admin)).await.json().await.expect("json");
    let next = ranked["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|s| s["assignable"] == true && s["technician_id"] != t["lead_technician_id"])
        .unwrap_or_else(|| panic!("another technician can take it: {ranked}"));
    let (tech_id, tech_name) = (next["technician_id"].as_i64().expect("id"), next["full_name"].as_str().expect("name"));

    let driver = Driver::start().await;
    let desk = Browser::open_sized(&driver, "id", (1366, 768)).await;
    let phone = Browser::open_sized(&driver, "id", PHONE).await;
    sign_in(&desk, &app, "sari.live").await;
    sign_in(&phone, &app, "dina.live").await;
    phone.go(&app.url("/")).await;
    let before = phone.text("[data-live]").await;
    assert!(!before.contains(tech_name) || before.matches(tech_name).count() > 0, "the phone shows the start page");
    // A mark that a reload would wipe.
    phone
        .call(
            reqwest::Method::POST,
            "/execute/sync",
            json!({"script": "window.notReloaded = true; return 1", "args": []}),
        )
        .await;
    // Wait until the phone's live stream is open.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let v = phone
            .call(
                reqwest::Method::POST,
                "/execute/sync",
                json!({"script": "return document.body.getAttribute('data-live-stream')", "args": []}),
            )
            .await;
        if v == "open" {
            break;
        }
        assert!(Instant::now() < deadline, "the live stream opened: {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The desk: the breached ticket is on the start page, marked late; open it from there.
    desk.go(&app.url("/")).await;
    desk.find(&format!("tr.late a[href='/tickets/{id}']")).await;
    desk.click(&format!("tr.late a[href='/tickets/{id}']")).await;
    desk.wait_url(&format!("/tickets/{id}")).await;
    desk.click(&format!("select[name=technician_id] option[value='{tech_id}']")).await;
    desk.click(&format!("form[action='/tickets/{id}/assign'] button[type=submit]")).await;
    desk.wait_text("body", tech_name).await;
    let lead: Value = app.get(&format!("/api/v1/tickets/{id}"), Some(&admin)).await.json().await.expect("json");
    assert_eq!(lead["ticket"]["lead_technician_id"].as_i64().or(lead["lead_technician_id"].as_i64()), Some(tech_id));

    // The phone's start page shows the new technician on that ticket, not reloaded.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let row = phone
            .call(
                reqwest::Method::POST,
                "/execute/sync",
                json!({"script": "const a = document.querySelector(\"[data-live] a[href='/tickets/\" + arguments[0] + \"']\"); return a ? a.closest('tr').innerText : '';", "args": [id]}),
            )
            .await;
        if row.as_str().is_some_and(|r| r.contains(tech_name)) {
            break;
        }
        assert!(Instant::now() < deadline, "the phone never showed {tech_name} on the ticket: {row}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let kept = phone
        .call(
            reqwest::Method::POST,
            "/execute/sync",
            json!({"script": "return window.notReloaded === true", "args": []}),
        )
        .await;
    assert_eq!(kept, true, "updated in place, not reloaded");
    phone.fits().await;
    desk.close().await;
    phone.close().await;
}
