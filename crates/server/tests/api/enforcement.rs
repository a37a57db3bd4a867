//! Network enforcement (issue 21) against a fake MikroTik and a fake RADIUS NAS on 127.0.0.1: the
//! overdue policy suspends on the device exactly once, a payment restores within the same minute,
//! a device that is down is retried with backoff and converges, drift is corrected and reported,
//! the circuit breaker holds a suspicious run back, and a device in dry run changes nothing.

use crate::billing::{customer, month, silver, wib};
use crate::helpers::{TestApp, problem, spawn_app};
use aglis_core::customer::CustomerStatus;
use aglis_core::permission::Role;
use aglis_db::repo::customer_services;
use aglis_db::repo::payments::{self, NewPayment};
use aglis_db::repo::{invoices, radius_groups};
use aglis_integrations::network::radius_fake::FakeNas;
use aglis_integrations::network::routeros_fake::{Behavior, FakeRouterOs};
use aglis_server::enforcement::{policy, reconcile};
use aglis_server::jobs::{Runner, builtin_registry};
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::net::Ipv4Addr;
use std::sync::Arc;

const USER: &str = "aglis-billing";
const PASSWORD: &str = "router-rahasia";

async fn drain(app: &TestApp) {
    let runner = Runner::new(app.state.clone(), Arc::new(builtin_registry()));
    while runner.run_once().await.expect("run").claimed > 0 {}
}

struct Net {
    router: FakeRouterOs,
    admin: String,
    device_id: i64,
}

/// A live router (dry run off) with the isolation profile and the plans.
async fn router(app: &TestApp, dry_run: Option<bool>) -> Net {
    let router = FakeRouterOs::start(USER, PASSWORD).await.expect("fake router");
    router.seed_isolation();
    let (_, admin) = app.user_with_token("rizky", Role::Admin).await;
    let mut body = json!({"name": "CCR Karawang", "kind": "routeros", "address": router.url(),
        "username": USER, "secret": PASSWORD});
    if let Some(d) = dry_run {
        body["dry_run"] = json!(d);
    }
    let res = app.post_json("/api/v1/network/devices", Some(&admin), &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let device: Value = res.json().await.expect("json");
    Net { router, admin, device_id: device["id"].as_i64().expect("id") }
}

/// A PPPoE customer on the router: the secret with its plan, a session up, bound by the API.
async fn pppoe(app: &TestApp, net: &Net, customer_id: i64, name: &str) {
    net.router.add("ppp/secret", &[("name", name), ("password", "x"), ("service", "pppoe"), ("profile", "50M")]);
    net.router.add("ppp/active", &[("name", name), ("service", "pppoe"), ("address", "10.30.0.9")]);
    let body = json!({"device_id": net.device_id, "method": "pppoe_profile", "identity": name});
    let res = app
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/customers/{customer_id}/service/binding"),
            Some(&net.admin),
            &body,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap_or_default());
}

fn secret(net: &Net, name: &str) -> std::collections::BTreeMap<String, String> {
    net.router
        .records("ppp/secret")
        .into_iter()
        .find(|r| r.get("name").map(String::as_str) == Some(name))
        .expect("secret")
}

fn sessions(net: &Net, name: &str) -> usize {
    net.router.records("ppp/active").iter().filter(|r| r.get("name").map(String::as_str) == Some(name)).count()
}

async fn service(app: &TestApp, net: &Net, id: i64) -> Value {
    service_as(app, &net.admin, id).await
}

async fn service_as(app: &TestApp, token: &str, id: i64) -> Value {
    let res = app.get(&format!("/api/v1/customers/{id}/service"), Some(token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.expect("json")
}

/// `n` customers active since October, billed for November (due 8 November); all but the
/// first `unpaid` have paid.
async fn billed(app: &TestApp, n: u32, unpaid: u32) -> Vec<i64> {
    let pkg = silver(app).await;
    let mut ids = Vec::new();
    for i in 1..=n {
        ids.push(customer(app, i, pkg, CustomerStatus::Active, wib(2026, 10, 1, 9)).await);
    }
    month(app, "2026-11", false).await;
    for id in ids.iter().skip(unpaid as usize) {
        pay_in_full(app, *id).await;
    }
    ids
}

async fn pay_in_full(app: &TestApp, customer_id: i64) {
    let now = app.state.now();
    for inv in invoices::unpaid_of_customer(&app.state.db, customer_id).await.expect("unpaid") {
        let p = NewPayment {
            customer_id,
            invoice_id: Some(inv.id),
            method: aglis_core::payment::PaymentMethod::Cash,
            amount: inv.total - inv.paid,
            gateway: None,
            entered_by: None,
            received_at: now,
            note: String::new(),
        };
        let p = payments::insert(&app.state.db, p, now).await.expect("payment");
        payments::complete(&app.state.db, p.id, None, now.date_naive(), now).await.expect("complete");
    }
}

async fn queued_events(app: &TestApp) -> Vec<String> {
    use aglis_db::entity::messages;
    use sea_orm::EntityTrait;
    messages::Entity::find()
        .all(&app.state.db)
        .await
        .expect("messages")
        .into_iter()
        .filter_map(|m| m.template_code)
        .collect()
}

#[tokio::test]
async fn overdue_past_grace_is_suspended_on_the_router_exactly_once_and_a_payment_restores_it_at_once() {
    let app = spawn_app().await;
    let net = router(&app, Some(false)).await;
    let ids = billed(&app, 6, 1).await;
    let andi = ids[0];
    pppoe(&app, &net, andi, "andi.ktw").await;
    drain(&app).await;
    assert_eq!(service(&app, &net, andi).await["applied"], "active", "the first look reads the device");
    net.router.clear_log();

    let report = policy::run(&app.state).await.expect("policy");
    assert_eq!((report.candidates, report.suspended, report.tripped.len()), (1, 1, 0), "{report:?}");
    drain(&app).await;
    assert_eq!(secret(&net, "andi.ktw")["profile"], "ISOLIR");
    assert_eq!(sessions(&net, "andi.ktw"), 0, "the session is kicked so the modem re-dials into isolation");
    let writes = net.router.writes();
    assert_eq!(writes, 2, "one profile change, one kick: {:?}", net.router.requests());
    let s = service(&app, &net, andi).await;
    assert_eq!(
        (s["desired"].as_str(), s["applied"].as_str(), s["reason"].as_str()),
        (Some("suspended"), Some("suspended"), Some("overdue"))
    );
    assert_eq!(s["paid_profile"], "50M", "the plan to restore is remembered");

    // Again: the policy, the sweep and the drift check find nothing to do.
    policy::run(&app.state).await.expect("policy");
    reconcile::sweep(&app.state).await.expect("sweep");
    app.clock.advance(Duration::minutes(16));
    reconcile::sweep(&app.state).await.expect("drift check");
    drain(&app).await;
    assert_eq!(net.router.writes(), writes, "suspended exactly once");

    // The customer pays at the counter; finance verifies: restored in the same minute.
    app.insert_user("dewi", Role::CustomerService).await;
    app.insert_user("bambang", Role::Manager).await;
    let owed = invoices::unpaid_of_customer(&app.state.db, andi).await.expect("unpaid")[0].clone();
    let res = app
        .post_json(
            "/api/v1/payments",
            Some(&app.token("dewi").await),
            &json!({"customer_id": andi, "invoice_id": owed.id, "method": "cash", "amount": owed.total - owed.paid}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let payment: Value = res.json().await.expect("json");
    let verify = format!("/api/v1/payments/{}/verify", payment["id"]);
    assert_eq!(app.post_json(&verify, Some(&app.token("bambang").await), &json!({})).await.status(), StatusCode::OK);
    let before = app.state.now();
    drain(&app).await;
    assert_eq!(app.state.now(), before, "no time had to pass");
    assert_eq!(secret(&net, "andi.ktw")["profile"], "50M");
    let s = service(&app, &net, andi).await;
    assert_eq!(
        (s["desired"].as_str(), s["applied"].as_str(), s["in_sync"].as_bool()),
        (Some("active"), Some("active"), Some(true))
    );
    let events = queued_events(&app).await;
    assert!(
        events.iter().any(|e| e == "service_suspended") && events.iter().any(|e| e == "service_restored"),
        "{events:?}"
    );

    let res = app.get(&format!("/api/v1/network/actions?customer_id={andi}"), Some(&net.admin)).await;
    let log: Value = res.json().await.expect("json");
    let actions: Vec<&str> =
        log["items"].as_array().expect("items").iter().map(|a| a["action"].as_str().unwrap_or("")).collect();
    assert_eq!(actions, ["restore", "suspend"], "newest first");
}

#[tokio::test]
async fn a_device_that_is_down_is_retried_with_backoff_and_converges_when_it_returns() {
    let app = spawn_app().await;
    let net = router(&app, Some(false)).await;
    let ids = billed(&app, 3, 0).await;
    pppoe(&app, &net, ids[0], "budi.tjb").await;
    drain(&app).await;
    net.router.go_down().await;
    let res = app
        .post_json(
            &format!("/api/v1/customers/{}/service", ids[0]),
            Some(&net.admin),
            &json!({"state": "suspended", "reason": "modem dipinjamkan ke tetangga", "kind": "fraud"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    drain(&app).await;
    let s = service(&app, &net, ids[0]).await;
    assert_eq!((s["applied"].as_str(), s["failures"].as_i64()), (Some("active"), Some(1)));
    assert!(s["last_error"].as_str().is_some_and(|e| e.contains("did not answer")), "{s}");
    let first_retry = s["next_attempt_at"].as_str().expect("a retry is planned").to_owned();
    // 5 s, then 15 s: each retry is its own job.
    app.clock.advance(Duration::seconds(5));
    drain(&app).await;
    let s = service(&app, &net, ids[0]).await;
    assert_eq!(s["failures"], 2);
    assert_ne!(s["next_attempt_at"].as_str(), Some(first_retry.as_str()));
    net.router.resume().await.expect("resume");
    app.clock.advance(Duration::seconds(15));
    drain(&app).await;
    let s = service(&app, &net, ids[0]).await;
    assert_eq!((s["applied"].as_str(), s["failures"].as_i64()), (Some("suspended"), Some(0)), "{s}");
    assert_eq!(secret(&net, "budi.tjb")["profile"], "ISOLIR");
    // One failure logged for the streak, then the suspension.
    let (log, _) = customer_services::actions(&app.state.db, Some(ids[0]), None, 0, 10).await.expect("log");
    let summary: Vec<(String, bool)> = log.iter().map(|a| (a.action.clone(), a.ok)).collect();
    assert_eq!(summary, [("suspend".to_owned(), true), ("suspend".to_owned(), false)]);
}

#[tokio::test]
async fn drift_found_on_the_router_is_corrected_and_reported() {
    let app = spawn_app().await;
    let net = router(&app, Some(false)).await;
    let ids = billed(&app, 6, 1).await;
    pppoe(&app, &net, ids[0], "citra.krw").await;
    policy::run(&app.state).await.expect("policy");
    drain(&app).await;
    assert_eq!(secret(&net, "citra.krw")["profile"], "ISOLIR");
    // Someone puts the customer back on their plan by hand on the router.
    let id = secret(&net, "citra.krw")[".id"].clone();
    net.router.set_field("ppp/secret", &id, "profile", "50M");
    app.clock.advance(Duration::minutes(16));
    reconcile::sweep(&app.state).await.expect("sweep");
    assert_eq!(secret(&net, "citra.krw")["profile"], "ISOLIR", "corrected");
    let (log, _) = customer_services::actions(&app.state.db, Some(ids[0]), None, 0, 10).await.expect("log");
    assert!(
        log.iter().any(|a| a.action == "drift" && a.steps.contains("shows active where suspended was applied")),
        "{log:?}"
    );
}

#[tokio::test]
async fn the_circuit_breaker_holds_back_a_run_that_would_suspend_too_many_and_alerts() {
    let app = spawn_app().await;
    let net = router(&app, Some(false)).await;
    let ids = billed(&app, 8, 6).await;
    for (n, id) in ids.iter().enumerate() {
        pppoe(&app, &net, *id, &format!("pelanggan{n}")).await;
    }
    drain(&app).await;
    net.router.clear_log();
    let report = policy::run(&app.state).await.expect("policy");
    assert_eq!((report.candidates, report.suspended, report.tripped.len()), (6, 0, 1), "{report:?}");
    drain(&app).await;
    assert_eq!(net.router.writes(), 0, "nobody suspended");
    for id in &ids {
        assert_eq!(service(&app, &net, *id).await["status"], "active");
    }
    aglis_server::monitoring::alerting::evaluate(&app.state).await.expect("evaluate");
    let firing = aglis_db::repo::alerts::active(&app.state.db).await.expect("alerts");
    assert!(firing.iter().any(|a| a.rule == "suspension_breaker"), "{firing:?}");
}

#[tokio::test]
async fn a_new_device_is_in_dry_run_and_changes_nothing() {
    let app = spawn_app().await;
    let net = router(&app, None).await;
    let res = app.get(&format!("/api/v1/network/devices/{}", net.device_id), Some(&net.admin)).await;
    assert_eq!(res.json::<Value>().await.expect("json")["dry_run"], true, "dry run by default");
    let ids = billed(&app, 6, 1).await;
    pppoe(&app, &net, ids[0], "dodi.ckp").await;
    drain(&app).await;
    net.router.clear_log();
    policy::run(&app.state).await.expect("policy");
    drain(&app).await;
    assert_eq!(net.router.writes(), 0, "{:?}", net.router.requests());
    assert_eq!(secret(&net, "dodi.ckp")["profile"], "50M");
    assert_eq!(sessions(&net, "dodi.ckp"), 1);
    let s = service(&app, &net, ids[0]).await;
    assert_eq!(
        (s["desired"].as_str(), s["applied"].as_str(), s["in_sync"].as_bool()),
        (Some("suspended"), Some("active"), Some(false))
    );
    let (log, _) = customer_services::actions(&app.state.db, Some(ids[0]), None, 0, 10).await.expect("log");
    assert!(log[0].dry_run && log[0].steps.contains("ISOLIR"), "says what it would do: {log:?}");
    // Looking again does not repeat the same plan in the log.
    app.clock.advance(Duration::minutes(16));
    reconcile::sweep(&app.state).await.expect("sweep");
    let (again, _) = customer_services::actions(&app.state.db, Some(ids[0]), None, 0, 10).await.expect("log");
    assert_eq!(again.len(), log.len());
}

#[tokio::test]
async fn static_customers_go_in_the_address_list_and_radius_users_change_group_and_are_disconnected() {
    let app = spawn_app().await;
    let net = router(&app, Some(false)).await;
    let nas = FakeNas::start("nas-rahasia").await.expect("fake nas");
    let body = json!({"name": "NAS Bekasi", "kind": "radius", "address": nas.addr().to_string(), "secret": "nas-rahasia", "dry_run": false});
    let res = app.post_json("/api/v1/network/devices", Some(&net.admin), &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let nas_id = res.json::<Value>().await.expect("json")["id"].as_i64().expect("id");
    let ids = billed(&app, 4, 0).await;
    let (fixed, radius) = (ids[0], ids[1]);
    let bind = |id: i64, body: Value| {
        let app = &app;
        let admin = net.admin.clone();
        async move {
            app.send_json(reqwest::Method::PUT, &format!("/api/v1/customers/{id}/service/binding"), Some(&admin), &body)
                .await
        }
    };
    let res =
        bind(fixed, json!({"device_id": net.device_id, "method": "address_list", "identity": "10.20.0.15"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    radius_groups::set_group(&app.state.db, "eka.bks", "plan_50M").await.expect("group");
    nas.add_session("eka.bks", "81000001", Ipv4Addr::new(10, 40, 0, 7));
    let res = bind(radius, json!({"device_id": nas_id, "method": "radius", "identity": "eka.bks"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    // A RADIUS method on a router, and a name where an address belongs, are refused clearly.
    let wrong = bind(ids[2], json!({"device_id": net.device_id, "method": "radius", "identity": "x"})).await;
    assert!(problem(wrong, 422).await["errors"]["method"].is_array());
    let wrong =
        bind(ids[2], json!({"device_id": net.device_id, "method": "address_list", "identity": "rumah-dodi"})).await;
    assert!(problem(wrong, 422).await["errors"]["identity"].is_array());
    drain(&app).await;

    for id in [fixed, radius] {
        let res = app
            .post_json(
                &format!("/api/v1/customers/{id}/service"),
                Some(&net.admin),
                &json!({"state": "suspended", "reason": "permintaan pelanggan"}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::ACCEPTED);
    }
    drain(&app).await;
    let listed: Vec<_> = net.router.records("ip/firewall/address-list");
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0]["list"].as_str(), listed[0]["address"].as_str()), ("ISOLIR", "10.20.0.15"));
    assert_eq!(radius_groups::group_of(&app.state.db, "eka.bks").await.expect("group").as_deref(), Some("isolir"));
    assert!(nas.sessions().is_empty(), "the session was cut so the modem re-authenticates into isolation");

    for id in [fixed, radius] {
        let res = app
            .post_json(
                &format!("/api/v1/customers/{id}/service"),
                Some(&net.admin),
                &json!({"state": "active", "reason": "janji bayar"}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        assert_eq!(service(&app, &net, id).await["desired"], "active");
    }
    drain(&app).await;
    assert!(net.router.records("ip/firewall/address-list").is_empty());
    assert_eq!(radius_groups::group_of(&app.state.db, "eka.bks").await.expect("group").as_deref(), Some("plan_50M"));
    for id in [fixed, radius] {
        assert_eq!(service(&app, &net, id).await["applied"], "active");
    }
}

#[tokio::test]
async fn a_paid_customer_still_isolated_after_five_minutes_alerts_staff() {
    let app = spawn_app().await;
    let net = router(&app, Some(false)).await;
    let ids = billed(&app, 3, 0).await;
    pppoe(&app, &net, ids[0], "fajar.ktw").await;
    let suspend = json!({"state": "suspended", "reason": "tunggakan", "kind": "overdue"});
    app.post_json(&format!("/api/v1/customers/{}/service", ids[0]), Some(&net.admin), &suspend).await;
    drain(&app).await;
    assert_eq!(secret(&net, "fajar.ktw")["profile"], "ISOLIR");
    net.router.set_behavior(Behavior::ServerError);
    let restore = json!({"state": "active", "reason": "sudah bayar"});
    app.post_json(&format!("/api/v1/customers/{}/service", ids[0]), Some(&net.admin), &restore).await;
    drain(&app).await;
    aglis_server::monitoring::alerting::evaluate(&app.state).await.expect("evaluate");
    let firing = aglis_db::repo::alerts::active(&app.state.db).await.expect("alerts");
    assert!(!firing.iter().any(|a| a.rule == "paid_suspended"), "not yet: {firing:?}");
    app.clock.advance(Duration::minutes(6));
    aglis_server::monitoring::alerting::evaluate(&app.state).await.expect("evaluate");
    let firing = aglis_db::repo::alerts::active(&app.state.db).await.expect("alerts");
    let alert = firing.iter().find(|a| a.rule == "paid_suspended").expect("alert fires");
    assert!(alert.detail.contains("fajar.ktw"), "{}", alert.detail);
    // The router answers again: the retry restores, and the alert resolves.
    net.router.set_behavior(Behavior::Normal);
    app.clock.advance(Duration::minutes(5));
    reconcile::sweep(&app.state).await.expect("sweep");
    assert_eq!(secret(&net, "fajar.ktw")["profile"], "50M");
    aglis_server::monitoring::alerting::evaluate(&app.state).await.expect("evaluate");
    let firing = aglis_db::repo::alerts::active(&app.state.db).await.expect("alerts");
    assert!(!firing.iter().any(|a| a.rule == "paid_suspended"), "{firing:?}");
}

#[tokio::test]
async fn devices_refuse_bad_input_clearly_and_never_show_their_secret() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("rizky", Role::Admin).await;
    let bad = json!({"name": "x", "kind": "routeros", "address": "192.168.88.1", "username": ""});
    let p = problem(app.post_json("/api/v1/network/devices", Some(&admin), &bad).await, 422).await;
    for field in ["name", "address", "username", "secret"] {
        assert!(p["errors"][field].is_array(), "{field}: {p}");
    }
    let good = json!({"name": "CCR", "kind": "radius", "address": "127.0.0.1:3799", "secret": "rahasia-sekali"});
    let res = app.post_json("/api/v1/network/devices", Some(&admin), &good).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let text = res.text().await.expect("text");
    assert!(!text.contains("rahasia-sekali"), "{text}");
    let list = app.get("/api/v1/network/devices", Some(&admin)).await.text().await.expect("list");
    assert!(!list.contains("rahasia-sekali") && list.contains("\"total\":1"), "{list}");
    let (_, tech) = app.user_with_token("agus", Role::Technician).await;
    assert_eq!(app.get("/api/v1/network/devices", Some(&tech)).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_device_elsewhere_than_this_machine_is_refused_before_a_packet_is_sent() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("rizky", Role::Admin).await;
    let body = json!({"name": "Router kantor", "kind": "routeros", "address": "https://192.168.88.1",
        "username": "admin", "secret": "rahasia", "dry_run": false});
    let res = app.post_json("/api/v1/network/devices", Some(&admin), &body).await;
    assert_eq!(res.status(), StatusCode::CREATED, "it may be stored");
    let id = res.json::<Value>().await.expect("json")["id"].as_i64().expect("id");
    let res = app.post_json(&format!("/api/v1/network/devices/{id}/test"), Some(&admin), &json!({})).await;
    let test: Value = res.json().await.expect("json");
    assert_eq!(test["ok"], false);
    assert!(test["detail"].as_str().is_some_and(|d| d.contains("AGLIS_DEVICES_LOOPBACK_ONLY")), "{test}");
}

#[tokio::test]
async fn staff_isolate_from_the_customer_page_and_the_customer_finds_the_bill_on_the_isolation_page() {
    let app = spawn_app().await;
    let net = router(&app, Some(false)).await;
    let ids = billed(&app, 2, 1).await;
    pppoe(&app, &net, ids[0], "gita.ktw").await;
    drain(&app).await;
    app.insert_user("rizky.noc", Role::Noc).await;
    let noc = app.browser_login("rizky.noc").await;
    let path = format!("/customers/{}", ids[0]);
    let page = noc.get(app.url(&path)).send().await.expect("page").text().await.expect("html");
    assert!(page.contains("id=\"network-service\"") && page.contains("gita.ktw") && page.contains("CCR Karawang"));
    assert!(page.contains("data-confirm="), "isolating asks first");
    // No reason: refused in the page's language, nothing changes.
    let token = crate::helpers::csrf_token(&page);
    let service = format!("/customers/{}/service", ids[0]);
    let res = noc
        .post(app.url(&service))
        .form(&[("csrf_token", token.as_str()), ("state", "suspended")])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains(&app.t("val.status.reason")));
    let form = [
        ("csrf_token", token.as_str()),
        ("state", "suspended"),
        ("kind", "fraud"),
        ("reason", "modem dipindah tanpa izin"),
    ];
    let res = noc.post(app.url(&service)).form(&form).send().await.expect("post");
    assert!(res.status().is_success() || res.status().is_redirection(), "{}", res.status());
    drain(&app).await;
    assert_eq!(secret(&net, "gita.ktw")["profile"], "ISOLIR");
    let overview = noc.get(app.url("/network")).send().await.expect("page").text().await.expect("html");
    assert!(
        overview.contains("CCR Karawang") && overview.contains("gita.ktw: profile 50M → ISOLIR"),
        "the log shows the step"
    );

    // The customer, redirected without a login, finds the bill by code and phone.
    let anyone = app.browser();
    let page = anyone.get(app.url("/isolir")).send().await.expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains(&app.t("isolir.title")) && html.contains("isolir-find"));
    let token = crate::helpers::csrf_token(&html);
    let code = format!("AGLS{:08}", 1);
    let wrong = anyone
        .post(app.url("/isolir"))
        .form(&[("csrf_token", token.as_str()), ("code", code.as_str()), ("phone_end", "0000")])
        .send()
        .await
        .expect("post");
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text().await.expect("html").contains(&app.t("val.isolir.not_found")));
    let found = anyone
        .post(app.url("/isolir"))
        .form(&[("csrf_token", token.as_str()), ("code", code.as_str()), ("phone_end", "0001")])
        .send()
        .await
        .expect("post");
    assert_eq!(found.status(), StatusCode::OK);
    let html = found.text().await.expect("html");
    let invoice = invoices::unpaid_of_customer(&app.state.db, ids[0]).await.expect("unpaid")[0].number.clone();
    assert!(html.contains(&invoice) && html.contains("/pay/"), "the invoice with its pay button");
}

#[tokio::test]
async fn a_switched_off_device_is_left_alone_until_it_is_switched_on_again() {
    let app = spawn_app().await;
    let net = router(&app, Some(false)).await;
    let ids = billed(&app, 2, 0).await;
    pppoe(&app, &net, ids[0], "hana.ktw").await;
    drain(&app).await;
    let path = format!("/api/v1/network/devices/{}", net.device_id);
    let off = json!({"name": "CCR Karawang", "kind": "routeros", "address": net.router.url(), "username": USER,
        "dry_run": false, "enabled": false});
    assert_eq!(app.send_json(reqwest::Method::PUT, &path, Some(&net.admin), &off).await.status(), StatusCode::OK);
    net.router.clear_log();
    let suspend = json!({"state": "suspended", "reason": "permintaan pelanggan"});
    app.post_json(&format!("/api/v1/customers/{}/service", ids[0]), Some(&net.admin), &suspend).await;
    drain(&app).await;
    reconcile::sweep(&app.state).await.expect("sweep");
    assert!(net.router.requests().is_empty(), "{:?}", net.router.requests());
    assert_eq!(reconcile::sweep(&app.state).await.expect("sweep"), 0, "not looked at every minute");
    let on = json!({"name": "CCR Karawang", "kind": "routeros", "address": net.router.url(), "username": USER,
        "dry_run": false, "enabled": true});
    assert_eq!(app.send_json(reqwest::Method::PUT, &path, Some(&net.admin), &on).await.status(), StatusCode::OK);
    reconcile::sweep(&app.state).await.expect("sweep");
    assert_eq!(secret(&net, "hana.ktw")["profile"], "ISOLIR", "the stored password was kept");
}

#[tokio::test]
async fn a_burst_of_changes_is_one_look_and_a_failing_service_waits_for_its_retry() {
    let app = spawn_app().await;
    let net = router(&app, Some(false)).await;
    let ids = billed(&app, 2, 0).await;
    // Bound to a secret the router does not have: every look fails.
    let body = json!({"device_id": net.device_id, "method": "pppoe_profile", "identity": "tidak.ada"});
    for _ in 0..10 {
        let res = app
            .send_json(
                reqwest::Method::PUT,
                &format!("/api/v1/customers/{}/service/binding", ids[0]),
                Some(&net.admin),
                &body,
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    net.router.clear_log();
    drain(&app).await;
    let s = service(&app, &net, ids[0]).await;
    assert_eq!(s["failures"], 1, "ten queued jobs, one look: {s}");
    assert!(s["last_error"].as_str().is_some_and(|e| e.contains("tidak.ada")), "{s}");
    assert_eq!(net.router.requests().len(), 1, "{:?}", net.router.requests());
}

#[tokio::test]
async fn a_routeros_6_router_is_isolated_over_the_binary_api() {
    use aglis_integrations::network::routeros_api_fake::FakeRouterOsApi;
    let app = spawn_app().await;
    let fake = FakeRouterOsApi::start(USER, PASSWORD).await.expect("fake api");
    for (name, rate) in [("ISOLIR", "256k/256k"), ("50M", "50M/50M")] {
        fake.add("ppp/profile", &[("name", name), ("rate-limit", rate)]);
    }
    fake.add("ppp/secret", &[("name", "joko.ckr"), ("password", "x"), ("service", "pppoe"), ("profile", "50M")]);
    fake.add("ppp/active", &[("name", "joko.ckr"), ("service", "pppoe"), ("address", "10.30.0.44")]);
    let (_, admin) = app.user_with_token("rizky", Role::Admin).await;
    let body = json!({"name": "RB1100 Cikarang", "kind": "routeros_api", "address": fake.address(), "username": USER,
        "secret": PASSWORD, "dry_run": false});
    let res = app.post_json("/api/v1/network/devices", Some(&admin), &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let device = res.json::<Value>().await.expect("json")["id"].as_i64().expect("id");
    let test: Value = app
        .post_json(&format!("/api/v1/network/devices/{device}/test"), Some(&admin), &json!({}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(test["ok"], true, "{test}");
    let ids = billed(&app, 2, 0).await;
    let bind = json!({"device_id": device, "method": "pppoe_profile", "identity": "joko.ckr"});
    let res = app
        .send_json(reqwest::Method::PUT, &format!("/api/v1/customers/{}/service/binding", ids[0]), Some(&admin), &bind)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    drain(&app).await;
    let suspend = json!({"state": "suspended", "reason": "permintaan pelanggan"});
    app.post_json(&format!("/api/v1/customers/{}/service", ids[0]), Some(&admin), &suspend).await;
    drain(&app).await;
    let profile = |fake: &FakeRouterOsApi| {
        fake.records("ppp/secret")
            .into_iter()
            .find(|r| r.get("name").map(String::as_str) == Some("joko.ckr"))
            .expect("secret")["profile"]
            .clone()
    };
    assert_eq!(profile(&fake), "ISOLIR");
    assert!(fake.records("ppp/active").is_empty(), "kicked");
    app.post_json(&format!("/api/v1/customers/{}/service", ids[0]), Some(&admin), &json!({"state": "active"})).await;
    drain(&app).await;
    assert_eq!(profile(&fake), "50M");
    assert_eq!(service_as(&app, &admin, ids[0]).await["applied"], "active");
}

#[tokio::test]
async fn a_static_ip_pppoe_customer_is_isolated_and_restored_like_any_other() {
    let app = spawn_app().await;
    let net = router(&app, Some(false)).await;
    let ids = billed(&app, 2, 0).await;
    net.router.add(
        "ppp/secret",
        &[
            ("name", "kantor.ktw"),
            ("password", "x"),
            ("service", "pppoe"),
            ("profile", "50M"),
            ("remote-address", "10.50.0.9"),
        ],
    );
    net.router.add("ppp/active", &[("name", "kantor.ktw"), ("service", "pppoe"), ("address", "10.50.0.9")]);
    let body = json!({"device_id": net.device_id, "method": "pppoe_profile", "identity": "kantor.ktw"});
    let res = app
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/customers/{}/service/binding", ids[0]),
            Some(&net.admin),
            &body,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    drain(&app).await;
    let suspend = json!({"state": "suspended", "reason": "tunggakan", "kind": "overdue"});
    app.post_json(&format!("/api/v1/customers/{}/service", ids[0]), Some(&net.admin), &suspend).await;
    drain(&app).await;
    let s = secret(&net, "kantor.ktw");
    assert_eq!(
        (s["profile"].as_str(), s["remote-address"].as_str()),
        ("ISOLIR", "10.50.0.9"),
        "the profile's address list catches the fixed address too"
    );
    assert_eq!(sessions(&net, "kantor.ktw"), 0);
    app.post_json(&format!("/api/v1/customers/{}/service", ids[0]), Some(&net.admin), &json!({"state": "active"}))
        .await;
    drain(&app).await;
    let s = secret(&net, "kantor.ktw");
    assert_eq!((s["profile"].as_str(), s["remote-address"].as_str()), ("50M", "10.50.0.9"));
    assert_eq!(service(&app, &net, ids[0]).await["in_sync"], true);
}

#[tokio::test]
async fn the_drift_check_reads_a_router_once_for_all_its_customers() {
    let app = spawn_app().await;
    let net = router(&app, Some(false)).await;
    let ids = billed(&app, 6, 0).await;
    for (n, id) in ids.iter().enumerate() {
        pppoe(&app, &net, *id, &format!("warga{n}")).await;
    }
    drain(&app).await;
    app.clock.advance(Duration::minutes(16));
    net.router.clear_log();
    assert_eq!(reconcile::sweep(&app.state).await.expect("sweep"), 6);
    assert_eq!(net.router.requests().len(), 2, "all secrets and the list: {:?}", net.router.requests());
    // Nothing is due again until the next drift check.
    assert_eq!(reconcile::sweep(&app.state).await.expect("sweep"), 0);
    // One changed by hand is looked at closely and put right; the others stay one read.
    let id = secret(&net, "warga3")[".id"].clone();
    net.router.set_field("ppp/secret", &id, "profile", "ISOLIR");
    app.clock.advance(Duration::minutes(16));
    reconcile::sweep(&app.state).await.expect("sweep");
    assert_eq!(secret(&net, "warga3")["profile"], "50M", "drift corrected");
}
