//! Each role's start page (issue 22) answers "what needs me now?" with figures that link to the
//! list behind them; the permission codes live on the account page; the top bar's search finds a
//! customer or a ticket from anywhere.

use crate::helpers::{TestApp, csrf_token, spawn_app};
use aglis_core::permission::Role;
use reqwest::StatusCode;
use serde_json::Value;

/// A browser signed in as a demo account (password `demo12345`).
async fn demo_browser(app: &TestApp, username: &str) -> reqwest::Client {
    let browser = app.browser();
    let page = browser.get(app.url("/login")).send().await.expect("login page").text().await.expect("html");
    let res = browser
        .post(app.url("/login"))
        .form(&[("username", username), ("password", "demo12345"), ("csrf_token", &csrf_token(&page)), ("next", "/")])
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{username}");
    browser
}

async fn home(app: &TestApp, browser: &reqwest::Client) -> String {
    let res = browser.get(app.url("/")).send().await.expect("home");
    assert_eq!(res.status(), 200);
    res.text().await.expect("html")
}

#[tokio::test]
async fn every_role_starts_on_what_needs_them_with_figures_not_permission_codes() {
    let app = spawn_app().await;
    aglis_server::demo::seed(&app.state).await.expect("seed");
    let (_, admin) = app.user_with_token("andi.home", Role::Admin).await;
    let urgent: Value = app.get("/api/v1/tickets?per_page=3", Some(&admin)).await.json().await.expect("json");
    let first = &urgent["items"][0];
    assert!(first["breached_at"].is_string() || first["sla_due_at"].as_str().is_some(), "{first}");
    let dash: Value = app.get("/api/v1/dashboard", Some(&admin)).await.json().await.expect("json");
    let breached = dash["tickets"]["breached"].as_i64().expect("breached");
    assert!(breached > 0);

    // The supervisor: the breached ticket itself, linked, and the figures that lead to lists.
    let supervisor = home(&app, &demo_browser(&app, "supervisor").await).await;
    assert!(supervisor.contains(first["number"].as_str().expect("number")), "the most urgent ticket is there");
    assert!(supervisor.contains(&format!("href=\"/tickets/{}\"", first["id"])), "and opens from there");
    assert!(supervisor.contains(&format!(
        "<span class=\"tile-value\">{breached}</span><span class=\"tile-label\">{}",
        app.t("home.breached")
    )));
    assert!(supervisor.contains("href=\"/tickets?status=open\""), "unassigned leads to the open tickets");
    assert!(supervisor.contains(&app.t("home.team")) && supervisor.contains(&app.t("home.escalations")));
    assert!(supervisor.contains("href=\"/registrations?status="), "sign-ups per step, each to its list");
    for code in ["tickets.assign", "dashboard.view", "customers.view"] {
        assert!(!supervisor.contains(code), "no permission code {code} on the start page");
    }

    // Customer service: sign-ups to verify, tickets waiting for the customer, failed messages.
    let cs = home(&app, &demo_browser(&app, "cs").await).await;
    assert!(cs.contains("href=\"/registrations?status=submitted\"") && cs.contains(&app.t("home.to_verify")));
    assert!(cs.contains("href=\"/tickets?status=waiting_customer\"") && cs.contains(&app.t("home.failed_messages")));
    assert!(!cs.contains(&app.t("home.team")), "the team's load is the supervisor's");

    // NOC: open tickets per area and ODP, and the WhatsApp delivery rate.
    let noc = home(&app, &demo_browser(&app, "noc").await).await;
    assert!(noc.contains(&app.t("home.areas")), "open tickets per area");
    assert!(noc.contains(&app.t("home.delivery_rate")), "delivery now");

    // The manager: how the technicians did, and the customers per status.
    let manager = home(&app, &demo_browser(&app, "manager").await).await;
    assert!(manager.contains(&app.t("home.performance")) && manager.contains(&app.t("home.customers")));

    // The technician: their own tickets with a phone to tap and a map.
    let tech_browser = demo_browser(&app, "technician").await;
    let tech = home(&app, &tech_browser).await;
    let login = serde_json::json!({"username": "technician", "password": "demo12345"});
    let token = app.post_json("/api/v1/auth/login", None, &login).await.json::<Value>().await.expect("json")["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let mine: Value = app.get("/api/v1/tickets", Some(&token)).await.json().await.expect("json");
    let mine = mine["items"].as_array().expect("items");
    assert!(!mine.is_empty());
    for t in mine {
        assert!(tech.contains(t["number"].as_str().expect("number")), "{} on the day's list", t["number"]);
    }
    assert!(tech.contains("href=\"tel:+62"), "tap to call");
    assert!(tech.contains("https://www.google.com/maps/search/?api=1"), "a map link");
    let others = urgent["items"].as_array().expect("items").iter().filter(|t| !mine.iter().any(|m| m["id"] == t["id"]));
    for t in others {
        assert!(!tech.contains(t["number"].as_str().expect("number")), "not someone else's ticket");
    }

    // The permission codes are on the account page.
    let account = demo_browser(&app, "supervisor").await.get(app.url("/account/security")).send().await.expect("page");
    let account = account.text().await.expect("html");
    assert!(account.contains("tickets.assign") && account.contains(&app.t("account.permissions")));
}

#[tokio::test]
async fn the_top_bar_search_finds_customers_and_tickets_from_anywhere() {
    let app = spawn_app().await;
    aglis_server::demo::seed(&app.state).await.expect("seed");
    let (_, admin) = app.user_with_token("andi.find", Role::Admin).await;
    let customers: Value = app.get("/api/v1/customers?per_page=1", Some(&admin)).await.json().await.expect("json");
    let c = &customers["items"][0];
    let local = format!("0{}", &c["phone"].as_str().expect("phone")[2..]);
    let cs = demo_browser(&app, "cs").await;
    let page = |q: String| {
        let cs = cs.clone();
        let url = app.url(&format!("/search?q={}", form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()));
        async move { cs.get(url).send().await.expect("search").text().await.expect("html") }
    };
    let by_phone = page(local).await;
    assert!(by_phone.contains(&format!("href=\"/customers/{}\"", c["id"])), "found by phone");
    let by_code = page(c["code"].as_str().expect("code").to_owned()).await;
    assert!(by_code.contains(&format!("href=\"/customers/{}\"", c["id"])), "found by code");
    let tickets: Value =
        app.get("/api/v1/tickets?scope=done&per_page=1", Some(&admin)).await.json().await.expect("json");
    let t = &tickets["items"][0];
    let by_number = page(t["number"].as_str().expect("number").to_owned()).await;
    assert!(by_number.contains(&format!("href=\"/tickets/{}\"", t["id"])), "a closed ticket found by its number");
    let none = page("zzqxw".to_owned()).await;
    assert!(none.contains(&app.t("home.search_none")));
    let short = page("a".to_owned()).await;
    assert!(short.contains(&app.t("home.search_short")));
    // Every staff page carries the box.
    assert!(
        cs.get(app.url("/tickets"))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html")
            .contains("action=\"/search\"")
    );
}
