//! The ticket list's default is what a dispatcher needs (issue 22): still-worked tickets only,
//! past the SLA first, then by the SLA time left, then by priority; closed work when asked; and
//! the page keeps its order and filters in the URL.

use crate::helpers::{problem, spawn_app};
use aglis_core::permission::Role;
use serde_json::Value;

fn urgency(p: &str) -> u8 {
    p.parse::<aglis_core::ticket::Priority>().expect("priority").urgency()
}

#[tokio::test]
async fn an_admin_sees_the_breached_ticket_first_and_closed_work_only_when_asked() {
    let app = spawn_app().await;
    aglis_server::demo::seed(&app.state).await.expect("seed");
    let (_, admin) = app.user_with_token("andi.order", Role::Admin).await;
    let list: Value = app.get("/api/v1/tickets?per_page=200", Some(&admin)).await.json().await.expect("json");
    let items = list["items"].as_array().expect("items");
    assert!(items.len() >= 5, "{list}");
    let now = app.state.now();
    // Every one still worked; the first is past its SLA.
    for t in items {
        let status: aglis_core::ticket::TicketStatus = t["status"].as_str().expect("status").parse().expect("status");
        assert!(status.is_active(), "{t}");
    }
    let due = |t: &Value| t["sla_due_at"].as_str().map(|d| d.parse::<chrono::DateTime<chrono::Utc>>().expect("time"));
    let first = due(&items[0]).expect("the first has a running clock");
    assert!(first < now, "the first ticket is past its SLA: {}", items[0]);
    // Deadlines ascend (a paused clock last); equal deadlines by priority.
    for pair in items.windows(2) {
        match (due(&pair[0]), due(&pair[1])) {
            (Some(a), Some(b)) => {
                assert!(a <= b, "{} before {}", pair[0]["number"], pair[1]["number"]);
                if a == b {
                    assert!(
                        urgency(pair[0]["priority"].as_str().unwrap_or(""))
                            <= urgency(pair[1]["priority"].as_str().unwrap_or(""))
                    );
                }
            }
            (None, Some(_)) => panic!("a paused ticket before a running one: {}", pair[0]["number"]),
            _ => {}
        }
    }
    // Finished work when asked, and everything with `all`.
    let done: Value =
        app.get("/api/v1/tickets?scope=done&per_page=200", Some(&admin)).await.json().await.expect("json");
    let done = done["items"].as_array().expect("items");
    assert!(!done.is_empty());
    assert!(done.iter().all(|t| matches!(t["status"].as_str(), Some("resolved" | "closed" | "cancelled"))));
    let all: Value =
        app.get("/api/v1/tickets?scope=all&sort=newest&per_page=200", Some(&admin)).await.json().await.expect("json");
    let all_items = all["items"].as_array().expect("items");
    assert_eq!(all_items.len(), items.len() + done.len());
    let ids: Vec<i64> = all_items.iter().map(|t| t["id"].as_i64().expect("id")).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    // A status asked for wins over the scope.
    let closed: Value = app.get("/api/v1/tickets?status=closed", Some(&admin)).await.json().await.expect("json");
    assert!(closed["items"].as_array().is_some_and(|i| !i.is_empty() && i.iter().all(|t| t["status"] == "closed")));
    // Bad values and pages past the depth are named.
    let bad = problem(app.get("/api/v1/tickets?sort=sideways", Some(&admin)).await, 422).await;
    assert!(bad.to_string().contains("sort"), "{bad}");
    let deep = problem(app.get("/api/v1/tickets?page=401&per_page=25", Some(&admin)).await, 422).await;
    assert!(deep["errors"]["page"].to_string().contains("10000"), "{deep}");
    assert_eq!(app.get("/api/v1/tickets?page=400&per_page=25", Some(&admin)).await.status(), 200);
}

#[tokio::test]
async fn the_ticket_page_lists_urgent_work_first_and_keeps_its_order_in_the_url() {
    let app = spawn_app().await;
    aglis_server::demo::seed(&app.state).await.expect("seed");
    app.insert_user("sari.order", Role::Supervisor).await;
    let browser = app.browser_login("sari.order").await;
    let html = browser.get(app.url("/tickets")).send().await.expect("page").text().await.expect("html");
    let (_, admin) = app.user_with_token("andi.order2", Role::Admin).await;
    let list: Value = app.get("/api/v1/tickets", Some(&admin)).await.json().await.expect("json");
    let first = list["items"][0]["number"].as_str().expect("number");
    let body = html.split("<tbody>").nth(1).expect("a table");
    assert!(body.find(first).is_some_and(|at| at < 600), "{first} is the first row");
    assert!(!body.contains("tkt-closed"), "no closed ticket by default");
    // The page shows the order and scope it was asked for (the pager's links carry them).
    let page =
        browser.get(app.url("/tickets?scope=done&sort=oldest")).send().await.expect("page").text().await.expect("html");
    assert!(page.contains(r#"<option value="oldest" selected>"#) && page.contains(r#"<option value="done" selected>"#));
    assert!(!page.split("<tbody>").nth(1).unwrap_or("").contains("tkt-open"), "finished work only");
}
