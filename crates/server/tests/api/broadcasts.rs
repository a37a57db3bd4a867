//! Broadcasts to customers (issue 22): the count matches the customers of each target, messages
//! are queued at low priority in each customer's language, a dry run sends nothing, bad input is
//! a 422 naming its field, a role without the permission gets 403, and the pages show the figures.

use crate::helpers::{TestApp, csrf_token, problem, spawn_app};
use aglis_core::customer::CustomerStatus;
use aglis_core::job::JobPriority;
use aglis_core::network::OdpStatus;
use aglis_core::notification_catalog::Language;
use aglis_core::permission::Role;
use aglis_db::repo::customers::{self, Profile};
use aglis_db::repo::messages::{self, MessageQuery};
use aglis_db::repo::odps::{self, OdpFields};
use aglis_db::repo::packages::{self, PackageFields};
use aglis_server::jobs::{Runner, builtin_registry};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;

/// Ids of the fixture: two ODPs in "Karawang Barat", one in "Bekasi"; two packages.
struct Plant {
    odp_a: i64,
    odp_b: i64,
    odp_c: i64,
    silver: i64,
    gold: i64,
}

async fn plant(app: &TestApp) -> Plant {
    let db = &app.state.db;
    let now = app.state.now();
    let odp = |code: &str, area: &str| OdpFields {
        code: code.into(),
        area: area.into(),
        location: "Tiang depan".into(),
        latitude: None,
        longitude: None,
        total_ports: 16,
        status: OdpStatus::Active,
    };
    let pkg = |name: &str| PackageFields {
        name: name.into(),
        speed_mbps: 50,
        monthly_price: 199_900,
        installation_fee: 0,
        description: String::new(),
        is_active: true,
    };
    Plant {
        odp_a: odps::create(db, odp("ODP-KRW-001", "Karawang Barat"), now).await.expect("odp").id,
        odp_b: odps::create(db, odp("ODP-KRW-002", "Karawang Barat"), now).await.expect("odp").id,
        odp_c: odps::create(db, odp("ODP-BKS-001", "Bekasi"), now).await.expect("odp").id,
        silver: packages::create(db, pkg("Home Silver"), now).await.expect("pkg").id,
        gold: packages::create(db, pkg("Home Gold"), now).await.expect("pkg").id,
    }
}

/// A customer on `odp` (port = its number), `package`, `status`, `language`, `muted`.
async fn customer(
    app: &TestApp,
    n: i32,
    odp: i64,
    package: i64,
    status: CustomerStatus,
    language: Language,
    muted: &str,
) -> i64 {
    let db = &app.state.db;
    let now = app.state.now();
    let profile = Profile {
        name: format!("Pelanggan {n}"),
        phone: format!("62812555{n:05}"),
        email: None,
        ktp: None,
        address: "Perum Galuh Mas Blok C2".into(),
        city: "Karawang".into(),
        latitude: None,
        longitude: None,
        package_id: package,
        notes: String::new(),
        language,
    };
    let c = customers::create(db, &format!("AGLS2026120700{n:02}"), profile, CustomerStatus::Prospect, None, now)
        .await
        .expect("customer");
    customers::set_port(db, c.id, Some((odp, n)), "test", None, now).await.expect("port");
    if status != CustomerStatus::Prospect {
        customers::set_status(db, c.id, status, "test", None, now).await.expect("status");
    }
    if !muted.is_empty() {
        customers::set_muted(db, c.id, muted, now).await.expect("muted");
    }
    c.id
}

/// The fixture: who is on which ODP and package, and which of them receive broadcasts.
async fn fixture(app: &TestApp) -> Plant {
    use CustomerStatus::*;
    use Language::*;
    let p = plant(app).await;
    // ODP A (Karawang Barat): 3 receive (one English, one suspended); a prospect and a muted one do not.
    customer(app, 1, p.odp_a, p.silver, Active, Id, "").await;
    customer(app, 2, p.odp_a, p.gold, Active, En, "tickets").await;
    customer(app, 3, p.odp_a, p.silver, Suspended, Id, "").await;
    customer(app, 4, p.odp_a, p.silver, Prospect, Id, "").await;
    customer(app, 5, p.odp_a, p.gold, Active, Id, "news").await;
    // ODP B (Karawang Barat): 1 receives, 1 terminated does not.
    customer(app, 6, p.odp_b, p.silver, Active, En, "").await;
    customer(app, 7, p.odp_b, p.silver, Terminated, Id, "").await;
    // ODP C (Bekasi): 2 receive.
    customer(app, 8, p.odp_c, p.gold, Active, Id, "").await;
    customer(app, 9, p.odp_c, p.silver, Active, Id, "").await;
    p
}

async fn post(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.post_json("/api/v1/broadcasts", Some(token), &body).await
}

async fn message_count(app: &TestApp) -> u64 {
    let q = MessageQuery { page: 1, per_page: 1, ..MessageQuery::default() };
    messages::list(&app.state.db, &q).await.expect("messages").total
}

#[tokio::test]
async fn the_count_is_the_customers_of_each_target_and_a_dry_run_sends_nothing() {
    let app = spawn_app().await;
    let (_, noc) = app.user_with_token("nina", Role::Noc).await;
    let p = fixture(&app).await;
    let cases = [
        (json!({"odp_id": p.odp_a}), 3),
        (json!({"odp_id": p.odp_b}), 1),
        (json!({"area": "Karawang Barat"}), 4),
        (json!({"area": "Bekasi"}), 2),
        (json!({"package_id": p.silver}), 4),
        (json!({"package_id": p.gold}), 2),
    ];
    for (target, expected) in &cases {
        let mut body = target.clone();
        body["body"] = json!("Gangguan jaringan");
        body["dry_run"] = json!(true);
        let res = post(&app, &noc, body).await;
        assert_eq!(res.status(), StatusCode::OK, "{target}");
        let out: Value = res.json().await.expect("json");
        assert_eq!(out["recipients"], *expected, "{target}");
        assert_eq!((out["dry_run"].as_bool(), out["id"].is_null()), (Some(true), true));
    }
    assert_eq!(message_count(&app).await, 0, "a dry run sends nothing");
    let list: Value = app.get("/api/v1/broadcasts", Some(&noc)).await.json().await.expect("json");
    assert_eq!(list["total"], 0, "and records nothing: {list}");

    for (target, expected) in cases {
        let mut body = target.clone();
        body["body"] = json!("Gangguan jaringan");
        let res = post(&app, &noc, body).await;
        assert_eq!(res.status(), StatusCode::ACCEPTED, "{target}");
        let out: Value = res.json().await.expect("json");
        assert_eq!(out["recipients"], expected, "{target}");
        assert!(out["id"].as_i64().is_some());
    }
    assert_eq!(message_count(&app).await, 3 + 1 + 4 + 2 + 4 + 2);
}

#[tokio::test]
async fn messages_go_at_low_priority_in_each_customers_language_and_the_figures_follow() {
    let app = spawn_app().await;
    let (user, cs) = app.user_with_token("dewi", Role::CustomerService).await;
    let p = fixture(&app).await;
    let res = post(
        &app,
        &cs,
        json!({"odp_id": p.odp_a, "body": "  Gangguan di ODP Anda, pulih 16.00 WIB.  ",
            "body_en": "Outage on your ODP, back by 16:00 WIB."}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let id = res.json::<Value>().await.expect("json")["id"].as_i64().expect("id");

    let q = MessageQuery { page: 1, per_page: 50, ..MessageQuery::default() };
    let mut sent = messages::list(&app.state.db, &q).await.expect("messages").items;
    sent.sort_by_key(|m| m.recipient.clone());
    let got: Vec<(&str, &str, JobPriority)> =
        sent.iter().map(|m| (m.recipient.as_str(), m.body.as_str(), m.priority)).collect();
    assert_eq!(
        got,
        [
            ("6281255500001", "Gangguan di ODP Anda, pulih 16.00 WIB.", JobPriority::Low),
            ("6281255500002", "Outage on your ODP, back by 16:00 WIB.", JobPriority::Low),
            ("6281255500003", "Gangguan di ODP Anda, pulih 16.00 WIB.", JobPriority::Low),
        ]
    );
    assert!(sent.iter().all(|m| m.created_by == Some(user.id)));
    let jobs = aglis_db::jobs::list(&app.state.db, aglis_core::job::JobStatus::Queued, 1, 50).await.expect("jobs").0;
    assert!(
        jobs.iter().filter(|j| j.kind == "notifications.send").all(|j| j.priority == JobPriority::Low),
        "delivery jobs are low priority too"
    );

    let b: Value = app.get(&format!("/api/v1/broadcasts/{id}"), Some(&cs)).await.json().await.expect("json");
    assert_eq!((b["recipients"].as_i64(), b["target"].as_str()), (Some(3), Some("odp")));
    assert_eq!(b["figures"], json!({"queued": 3, "sent": 0, "delivered": 0, "failed": 0}));
    assert_eq!(b["target_label"], "ODP-KRW-001 (Karawang Barat)");

    let runner = Runner::new(app.state.clone(), Arc::new(builtin_registry()));
    while runner.run_once().await.expect("run").done > 0 {}
    let b: Value = app.get(&format!("/api/v1/broadcasts/{id}"), Some(&cs)).await.json().await.expect("json");
    let f = &b["figures"];
    assert_eq!(
        f["queued"].as_i64().unwrap_or(-1) + f["sent"].as_i64().unwrap_or(-1) + f["failed"].as_i64().unwrap_or(-1),
        3
    );
    assert_eq!(f["queued"], 0, "the runner took every message: {b}");

    // The audit log has the broadcast.
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let log: Value = app.get("/api/v1/audit-logs?event=broadcast.sent", Some(&admin)).await.json().await.expect("json");
    assert_eq!(log["total"], 1, "{log}");
    assert_eq!(log["items"][0]["resource"], format!("broadcast:{id}"));
}

#[tokio::test]
async fn bad_requests_name_their_field_and_roles_without_the_permission_are_refused() {
    let app = spawn_app().await;
    let (_, noc) = app.user_with_token("nina", Role::Noc).await;
    let p = fixture(&app).await;
    let long = "a".repeat(1001);
    let cases = [
        (json!({"body": "x"}), "target"),
        (json!({"odp_id": p.odp_a, "area": "Bekasi", "body": "x"}), "target"),
        (json!({"odp_id": 999_999, "body": "x"}), "odp_id"),
        (json!({"package_id": 999_999, "body": "x"}), "package_id"),
        (json!({"area": "Atlantis", "body": "x"}), "area"),
        (json!({"odp_id": p.odp_a, "body": "   "}), "body"),
        (json!({"odp_id": p.odp_a, "body": long}), "body"),
        (json!({"odp_id": p.odp_a, "body": "x", "body_en": long}), "body_en"),
    ];
    for (body, field) in cases {
        let pr = problem(post(&app, &noc, body.clone()).await, 422).await;
        assert!(pr["errors"][field][0].as_str().is_some_and(|m| !m.is_empty()), "{body}: {pr}");
    }
    // A target nobody receives.
    let empty = odps::create(
        &app.state.db,
        OdpFields {
            code: "ODP-KRW-099".into(),
            area: "Karawang Barat".into(),
            location: "-".into(),
            latitude: None,
            longitude: None,
            total_ports: 8,
            status: OdpStatus::Active,
        },
        app.state.now(),
    )
    .await
    .expect("odp");
    let pr = problem(post(&app, &noc, json!({"odp_id": empty.id, "body": "x"})).await, 422).await;
    assert!(pr["errors"]["target"][0].as_str().is_some_and(|m| m.contains("ODP-KRW-099")), "{pr}");
    assert_eq!(message_count(&app).await, 0);

    for role in [Role::Technician, Role::Manager] {
        let (_, token) = app.user_with_token(&format!("u-{role}"), role).await;
        let res = post(&app, &token, json!({"odp_id": p.odp_a, "body": "x", "dry_run": true})).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{role}");
    }
    assert_eq!(message_count(&app).await, 0);
}

#[tokio::test]
async fn the_page_previews_confirms_and_sends_and_the_queue_shows_the_figures() {
    let app = spawn_app().await;
    app.insert_user("nina", Role::Noc).await;
    let p = fixture(&app).await;
    let browser = app.browser_login("nina").await;
    let page = browser.get(app.url("/notifications/broadcasts")).send().await.expect("get");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains("ODP-KRW-001") && html.contains("Home Gold") && html.contains("Bekasi"));
    let csrf = csrf_token(&html);

    let count = browser
        .get(app.url(&format!("/notifications/broadcasts/count?target=area&area=Karawang+Barat&odp_id={}", p.odp_c)))
        .send()
        .await
        .expect("count");
    let fragment = count.text().await.expect("text");
    assert!(fragment.contains(">4 "), "{fragment}");

    let form = |action: &str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("target", "package".to_owned()),
            ("package_id", p.gold.to_string()),
            ("body", "Pemeliharaan jaringan malam ini".to_owned()),
            ("body_en", String::new()),
            ("action", action.to_owned()),
        ]
    };
    let confirm = browser.post(app.url("/notifications/broadcasts")).form(&form("preview")).send().await.expect("post");
    assert_eq!(confirm.status(), StatusCode::OK);
    let html = confirm.text().await.expect("html");
    assert!(html.contains("id=\"confirm-count\">2<"), "{html}");
    assert_eq!(message_count(&app).await, 0, "the confirmation page sends nothing");

    let sent = browser.post(app.url("/notifications/broadcasts")).form(&form("send")).send().await.expect("post");
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let to = sent.headers().get("location").and_then(|l| l.to_str().ok()).expect("location").to_owned();
    assert!(to.starts_with("/notifications/broadcasts?sent="), "{to}");
    assert_eq!(message_count(&app).await, 2);
    let html = browser.get(app.url(&to)).send().await.expect("get").text().await.expect("html");
    assert!(html.contains("Pemeliharaan jaringan malam ini") && html.contains("2 "), "{html}");

    // Mistakes come back on the form, in the reader's language (Indonesian by default).
    let bad = vec![("csrf_token", csrf.clone()), ("target", "odp".to_owned()), ("body", " ".to_owned())];
    let res = browser.post(app.url("/notifications/broadcasts")).form(&bad).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains("tulis teks pemberitahuannya") && html.contains("pilih tepat satu sasaran"), "{html}");
    assert_eq!(message_count(&app).await, 2);

    let queue = browser.get(app.url("/notifications/queue")).send().await.expect("get").text().await.expect("html");
    let section = queue.split("id=\"queue-broadcasts\"").nth(1).expect("the queue lists broadcasts");
    assert!(section.contains("Home Gold") && section.contains("2 "), "{section}");
}

#[tokio::test]
async fn the_demo_shows_a_past_broadcast_with_its_figures() {
    let app = crate::helpers::spawn_demo_app(|_| {}).await;
    let (_, token) = app.user_with_token("nina", Role::Noc).await;
    let list: Value = app.get("/api/v1/broadcasts", Some(&token)).await.json().await.expect("json");
    assert_eq!(list["total"], 1, "{list}");
    let b = &list["items"][0];
    let recipients = b["recipients"].as_i64().expect("recipients");
    let f = &b["figures"];
    let (sent, delivered, failed) =
        (f["sent"].as_i64().unwrap_or(0), f["delivered"].as_i64().unwrap_or(0), f["failed"].as_i64().unwrap_or(0));
    assert!(recipients >= 5 && sent > 0 && delivered > 0 && failed > 0, "{b}");
    assert_eq!(sent + failed + f["queued"].as_i64().unwrap_or(0), recipients);
    let browser = app.browser_login("nina").await;
    let queue = browser.get(app.url("/notifications/queue")).send().await.expect("get").text().await.expect("html");
    assert!(queue.contains(&format!("id=\"broadcast-{}\"", b["id"])), "the queue dashboard shows it");
}
