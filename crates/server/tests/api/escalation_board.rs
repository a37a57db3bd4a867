//! The escalation dashboard on a controlled data set: tickets made through the API, time moved by
//! hand and the SLA check run, then the at-risk and breached lists, escalations per day and the
//! compliance per team (the lead technician's work zone) compared with figures worked out here.

use crate::helpers::{ClockExt, TestApp, problem, spawn_app};
use aglis_core::permission::Role;
use aglis_core::schedule::JAKARTA;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// A package and one customer per name (phones 0812-5550-00NN).
async fn customers(app: &TestApp, admin: &str, names: &[&str]) -> Vec<i64> {
    let pkg = app
        .post_json(
            "/api/v1/packages",
            Some(admin),
            &json!({"name": "Home Silver 50M", "speed_mbps": 50, "monthly_price": 250_000, "installation_fee": 0}),
        )
        .await;
    let pkg: Value = pkg.json().await.expect("json");
    let mut ids = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let res = app
            .post_json(
                "/api/v1/customers",
                Some(admin),
                &json!({"name": name, "phone": format!("0812-5550-00{i:02}"), "address": "Perum Galuh Mas Blok B 7",
                    "package_id": pkg["id"]}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        ids.push(res.json::<Value>().await.expect("json")["id"].as_i64().expect("id"));
    }
    ids
}

async fn technician(app: &TestApp, admin: &str, name: &str, phone: &str, zone: &str) -> i64 {
    let res = app
        .post_json(
            "/api/v1/technicians",
            Some(admin),
            &json!({"full_name": name, "phone": phone, "work_zone": zone, "max_daily_tickets": 10,
                "skills": {"ftth_basic_install": 4}}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
    res.json::<Value>().await.expect("json")["id"].as_i64().expect("id")
}

/// A repair ticket; with a lead, assigned and in progress.
async fn ticket(app: &TestApp, admin: &str, customer: i64, priority: &str, lead: Option<i64>) -> (i64, String) {
    let res = app
        .post_json(
            "/api/v1/tickets",
            Some(admin),
            &json!({"customer_id": customer, "type": "repair", "priority": priority,
                "description": "Internet putus-putus sejak kemarin"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let t: Value = res.json().await.expect("json");
    let id = t["id"].as_i64().expect("id");
    if let Some(lead) = lead {
        let res =
            app.post_json(&format!("/api/v1/tickets/{id}/assign"), Some(admin), &json!({"technician_id": lead})).await;
        assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
        let res = app
            .post_json(&format!("/api/v1/tickets/{id}/transitions"), Some(admin), &json!({"to": "in_progress"}))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    (id, t["number"].as_str().expect("number").to_owned())
}

async fn resolve(app: &TestApp, admin: &str, id: i64) {
    let body =
        json!({"to": "resolved", "completion": {"odp_id": 3, "final_attenuation": -20.5}, "note": "Konektor diganti"});
    let res = app.post_json(&format!("/api/v1/tickets/{id}/transitions"), Some(admin), &body).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
}

async fn check(app: &TestApp) -> aglis_server::tickets::escalation::Checked {
    aglis_server::tickets::escalation::check(&app.state).await.expect("SLA check")
}

fn numbers(list: &Value) -> Vec<&str> {
    list["items"].as_array().expect("items").iter().filter_map(|t| t["number"].as_str()).collect()
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().expect("a time").parse().expect("RFC 3339")
}

fn local_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&JAKARTA).date_naive()
}

#[tokio::test]
async fn the_board_shows_tickets_at_risk_and_breached_escalations_per_day_and_compliance_per_team() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let (_, supervisor) = app.user_with_token("sari.spv", Role::Supervisor).await;
    // Every priority: 10 hours on the 24/7 calendar, so the percentages are plain arithmetic.
    let rows: Vec<Value> = ["low", "normal", "high", "critical"]
        .iter()
        .map(|p| json!({"ticket_type": "*", "priority": p, "response_minutes": 60, "resolution_minutes": 600, "calendar": "24x7"}))
        .collect();
    let res = app.send_json(reqwest::Method::PUT, "/api/v1/sla/targets", Some(&admin), &json!({"rows": rows})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let agus = technician(&app, &admin, "Agus Setiawan", "0812-7777-1001", "Karawang Barat").await;
    let hendra = technician(&app, &admin, "Hendra Gunawan", "0812-7777-1002", "Bekasi Timur").await;
    let people = customers(&app, &admin, &["Siti Rahayu", "Dewi Lestari", "Joko Susilo", "Rina Marlina"]).await;
    let t0 = app.clock.now_utc();
    let mut escalated_at: Vec<DateTime<Utc>> = Vec::new();

    let (a, _) = ticket(&app, &admin, people[0], "normal", Some(agus)).await;
    let (b, _) = ticket(&app, &admin, people[1], "normal", Some(agus)).await;
    let (c, _) = ticket(&app, &admin, people[2], "normal", Some(hendra)).await;
    let (_d, d_number) = ticket(&app, &admin, people[3], "low", Some(hendra)).await;
    let (_e, e_number) = ticket(&app, &admin, people[0], "normal", None).await;
    app.clock.set(t0 + Duration::hours(2));
    resolve(&app, &admin, b).await; // 20 %: within
    app.clock.set(t0 + Duration::hours(8));
    assert_eq!(check(&app).await.escalations, 3, "a, c and e reach 80 %; d is low and is not escalated");
    escalated_at.extend([app.clock.now_utc(); 3]);
    app.clock.set(t0 + Duration::minutes(8 * 60 + 30));
    resolve(&app, &admin, c).await; // 85 %: within
    app.clock.set(t0 + Duration::hours(11));
    let done = check(&app).await;
    assert_eq!((done.escalations, done.breaches), (2, 3), "a and e reach 90 %; a, d and e pass 100 %");
    escalated_at.extend([app.clock.now_utc(); 2]);
    app.clock.set(t0 + Duration::hours(12));
    resolve(&app, &admin, a).await; // late

    let t1 = t0 + Duration::days(2);
    app.clock.set(t1);
    let (f, _) = ticket(&app, &admin, people[1], "normal", Some(agus)).await;
    let (_h, h_number) = ticket(&app, &admin, people[2], "normal", Some(hendra)).await;
    app.clock.set(t1 + Duration::hours(8));
    assert_eq!(check(&app).await.escalations, 2);
    escalated_at.extend([app.clock.now_utc(); 2]);
    app.clock.set(t1 + Duration::minutes(8 * 60 + 30));
    resolve(&app, &admin, f).await; // 85 %: within

    let board: Value = app.get("/api/v1/escalations", Some(&supervisor)).await.json().await.expect("json");
    assert_eq!(board["at_risk_threshold_percent"], 80);
    let at_risk = &board["at_risk"];
    assert_eq!((at_risk["total"].as_u64(), numbers(at_risk)), (Some(1), vec![h_number.as_str()]), "{board}");
    let h = &at_risk["items"][0];
    assert_eq!(h["percent_elapsed"], 85);
    assert_eq!(
        (h["lead_technician_name"].as_str(), h["team"].as_str()),
        (Some("Hendra Gunawan"), Some("Bekasi Timur"))
    );
    assert_eq!(h["customer_name"], "Joko Susilo");
    assert_eq!(h["priority"], "high", "escalated at 80 %");
    assert_eq!(time(&h["due_at"]), t1 + Duration::hours(10));
    let breached = &board["breached"];
    assert_eq!(numbers(breached), vec![d_number.as_str(), e_number.as_str()], "most overdue first, then by age");
    let d = &breached["items"][0];
    assert_eq!(d["percent_elapsed"], (2 * 24 * 60 + 8 * 60 + 30) * 100 / 600);
    assert_eq!(time(&d["due_at"]), t0 + Duration::hours(10), "when it was breached");
    assert_eq!(time(&d["breached_at"]), t0 + Duration::hours(10));
    assert_eq!(d["priority"], "low", "low tickets are not escalated");
    let e = &breached["items"][1];
    assert!(e["lead_technician_id"].is_null() && e["team"].is_null(), "{e}");
    assert_eq!(e["priority"], "critical");

    // Escalations per local day: 30 days up to today, oldest first, each step counted once.
    let today = local_day(app.clock.now_utc());
    let mut expected: BTreeMap<String, u64> = (0..30).map(|n| ((today - Duration::days(n)).to_string(), 0)).collect();
    for at in &escalated_at {
        *expected.entry(local_day(*at).to_string()).or_default() += 1;
    }
    let per_day: Vec<(String, u64)> = board["escalations_per_day"]
        .as_array()
        .expect("days")
        .iter()
        .map(|d| (d["day"].as_str().expect("day").to_owned(), d["count"].as_u64().expect("count")))
        .collect();
    assert_eq!(per_day, expected.into_iter().collect::<Vec<_>>());
    assert_eq!(per_day.iter().map(|(_, n)| n).sum::<u64>(), 7);

    // Compliance: Agus (Karawang Barat) resolved b and f in time and a late; Hendra (Bekasi Timur) c in time.
    let teams: Vec<(Option<&str>, i64, i64, Option<f64>)> = board["compliance_by_team"]
        .as_array()
        .expect("teams")
        .iter()
        .map(|t| {
            (
                t["team"].as_str(),
                t["resolved"].as_i64().expect("n"),
                t["within_sla"].as_i64().expect("n"),
                t["percent"].as_f64(),
            )
        })
        .collect();
    assert_eq!(teams, vec![(Some("Bekasi Timur"), 1, 1, Some(100.0)), (Some("Karawang Barat"), 3, 2, Some(66.7))]);
    let overall = &board["compliance_overall"];
    assert_eq!(
        (overall["resolved"].as_i64(), overall["within_sla"].as_i64(), overall["percent"].as_f64()),
        (Some(4), Some(3), Some(75.0))
    );

    // Each list pages on its own.
    let page: Value =
        app.get("/api/v1/escalations?breached_page=2&per_page=1", Some(&supervisor)).await.json().await.expect("json");
    assert_eq!((numbers(&page["breached"]), page["breached"]["total"].as_u64()), (vec![e_number.as_str()], Some(2)));
    assert_eq!(numbers(&page["at_risk"]), vec![h_number.as_str()]);
    for bad in ["?per_page=0", "?at_risk_page=0", "?breached_page=x", "?per_page=201"] {
        problem(app.get(&format!("/api/v1/escalations{bad}"), Some(&supervisor)).await, 422).await;
    }

    // The page shows the same figures.
    let browser = app.browser_login("sari.spv").await;
    let res = browser.get(app.url("/escalations")).send().await.expect("page");
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("html");
    for text in
        [h_number.as_str(), d_number.as_str(), e_number.as_str(), "Bekasi Timur", "66.7%", "75.0%", "85%", "<svg"]
    {
        assert!(html.contains(text), "the page shows {text}");
    }
    assert!(html.contains(&app.t("esc.team_note")), "the page says what a team is");
    let res = browser.get(app.url("/escalations?breached_page=2")).send().await.expect("page");
    let html = res.text().await.expect("html");
    assert!(!html.contains(&d_number), "25 a page: page 2 of the breached list is empty");
}

#[tokio::test]
async fn only_those_who_assign_tickets_see_the_board_and_an_empty_one_says_so() {
    let app = spawn_app().await;
    let (_, manager) = app.user_with_token("bambang", Role::Manager).await;
    let empty: Value = app.get("/api/v1/escalations", Some(&manager)).await.json().await.expect("json");
    assert_eq!((empty["at_risk"]["total"].as_u64(), empty["breached"]["total"].as_u64()), (Some(0), Some(0)));
    assert_eq!(empty["escalations_per_day"].as_array().map(Vec::len), Some(30));
    assert_eq!(empty["compliance_by_team"], json!([]));
    assert!(empty["compliance_overall"]["percent"].is_null(), "nothing resolved: no percentage");
    for (user, role) in [("agus", Role::Technician), ("rina.cs", Role::CustomerService), ("siti", Role::Customer)] {
        let (_, token) = app.user_with_token(user, role).await;
        problem(app.get("/api/v1/escalations", Some(&token)).await, 403).await;
        let browser = app.browser_login(user).await;
        let res = browser.get(app.url("/escalations")).send().await.expect("page");
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{user}");
    }
    problem(app.get("/api/v1/escalations", None).await, 401).await;
    let browser = app.browser_login("bambang").await;
    let html = browser.get(app.url("/escalations")).send().await.expect("page").text().await.expect("html");
    for key in ["esc.no_escalations", "esc.no_resolved", "esc.no_breached", "esc.no_at_risk"] {
        assert!(html.contains(&app.t(key)), "empty state {key}");
    }
}

#[tokio::test]
async fn the_demo_shows_escalations_on_past_days_and_compliance_in_every_zone() {
    let app = spawn_app().await;
    aglis_server::demo::seed(&app.state).await.expect("seed");
    let (_, admin) = app.user_with_token("andi.demo", Role::Admin).await;
    let board: Value = app.get("/api/v1/escalations", Some(&admin)).await.json().await.expect("json");
    let today = local_day(app.clock.now_utc()).to_string();
    let past_days = board["escalations_per_day"]
        .as_array()
        .expect("days")
        .iter()
        .filter(|d| d["count"].as_u64().is_some_and(|n| n > 0) && d["day"] != today.as_str())
        .count();
    assert!(past_days >= 5, "escalations on several past days: {board}");
    let teams = board["compliance_by_team"].as_array().expect("teams");
    let zones: Vec<&str> = teams.iter().filter_map(|t| t["team"].as_str()).collect();
    assert_eq!(zones, ["Bekasi Timur", "Cikarang", "Karawang Barat", "Telukjambe"], "{board}");
    assert!(teams.iter().any(|t| t["within_sla"] == t["resolved"]), "a team within its SLA: {board}");
    assert!(teams.iter().any(|t| t["percent"].as_f64().is_some_and(|p| p < 70.0)), "a team often late: {board}");
    assert!(board["breached"]["total"].as_u64().is_some_and(|n| n >= 1), "{board}");
    assert!(board["at_risk"]["total"].as_u64().is_some_and(|n| n >= 1), "{board}");
}
