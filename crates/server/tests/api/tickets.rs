//! Tickets through the API: creation and its validation, every kind of refused step (403 role,
//! 409 transition, 422 missing), the technician's and the customer's narrow view, assignment
//! limits, the SLA pause, and an installation that activates its customer.

use crate::helpers::{TestApp, problem, spawn_app};
use aglis_core::permission::Role;
use aglis_core::ticket::TicketStatus;
use reqwest::StatusCode;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

pub(crate) async fn package_and_customer(app: &TestApp, admin: &str, name: &str, phone: &str) -> i64 {
    let pkg = app
        .post_json(
            "/api/v1/packages",
            Some(admin),
            &json!({"name": format!("Paket {name}"), "speed_mbps": 50, "monthly_price": 250_000, "installation_fee": 0}),
        )
        .await;
    let pkg: Value = pkg.json().await.expect("json");
    let res = app
        .post_json(
            "/api/v1/customers",
            Some(admin),
            &json!({"name": name, "phone": phone, "address": "Perum Bumi Telukjambe Blok D 12", "package_id": pkg["id"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.expect("json")["id"].as_i64().expect("id")
}

pub(crate) async fn technician(app: &TestApp, admin: &str, user_id: Option<i64>, name: &str, phone: &str) -> i64 {
    let res = app
        .post_json(
            "/api/v1/technicians",
            Some(admin),
            &json!({"full_name": name, "phone": phone, "user_id": user_id, "work_zone": "Karawang Barat",
                "max_daily_tickets": 2, "skills": {"ftth_basic_install": 4, "fiber_splicing": 3}}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let t: Value = res.json().await.expect("json");
    assert!(t["employee_id"].as_str().is_some_and(|e| e.starts_with("TEC")));
    t["id"].as_i64().expect("id")
}

pub(crate) async fn ticket(app: &TestApp, token: &str, customer_id: i64, ticket_type: &str) -> Value {
    let res = app
        .post_json(
            "/api/v1/tickets",
            Some(token),
            &json!({"customer_id": customer_id, "type": ticket_type, "priority": "high",
                "description": "Internet mati sejak pagi, lampu LOS merah"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.expect("json")
}

async fn step(app: &TestApp, token: &str, id: i64, body: Value) -> reqwest::Response {
    app.post_json(&format!("/api/v1/tickets/{id}/transitions"), Some(token), &body).await
}

#[tokio::test]
async fn a_ticket_is_created_numbered_and_bad_input_is_named() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let (_, cs) = app.user_with_token("rina.cs", Role::CustomerService).await;
    let cid = package_and_customer(&app, &admin, "Dewi Lestari", "0812-1000-2000").await;
    let t = ticket(&app, &cs, cid, "repair").await;
    assert_eq!(t["status"], "open");
    let prefix = aglis_core::ticket::number_prefix(crate::helpers::ClockExt::now_utc(&app.clock));
    assert_eq!(t["number"], format!("{prefix}001"));
    assert_eq!(ticket(&app, &cs, cid, "repair").await["number"], format!("{prefix}002"));
    assert!(t["sla_due_at"].is_string(), "a deadline from the SLA table");
    assert_eq!(t["location"], "Perum Bumi Telukjambe Blok D 12, Karawang", "the customer's address by default");

    let bad = async |body: Value| app.post_json("/api/v1/tickets", Some(&cs), &body).await;
    let p = problem(bad(json!({"type": "repair", "priority": "high", "description": "Mati total"})).await, 422).await;
    assert!(p["errors"]["customer_id"].is_array(), "{p}");
    let p = problem(
        bad(json!({"customer_id": 999, "type": "repair", "priority": "high", "description": "Mati total"})).await,
        404,
    )
    .await;
    assert!(p["errors"]["customer_id"].is_array(), "{p}");
    problem(
        bad(json!({"customer_id": cid, "type": "speed_test", "priority": "high", "description": "Lambat"})).await,
        422,
    )
    .await;
    let p =
        problem(bad(json!({"customer_id": cid, "type": "repair", "priority": "high", "description": "x"})).await, 422)
            .await;
    assert!(p["errors"]["description"].is_array(), "{p}");
    let (_, tech) = app.user_with_token("agus", Role::Technician).await;
    let res = app
        .post_json(
            "/api/v1/tickets",
            Some(&tech),
            &json!({"customer_id": cid, "type": "repair", "priority": "low", "description": "Lambat sekali"}),
        )
        .await;
    problem(res, 403).await;
}

#[tokio::test]
async fn steps_are_checked_by_status_role_and_what_they_need() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let (_, supervisor) = app.user_with_token("sari.spv", Role::Supervisor).await;
    let (_, cs) = app.user_with_token("rina.cs", Role::CustomerService).await;
    let (agus_user, agus) = app.user_with_token("agus", Role::Technician).await;
    let (budi_user, budi) = app.user_with_token("budi", Role::Technician).await;
    let agus_id = technician(&app, &admin, Some(agus_user.id), "Agus Setiawan", "0812-7777-1001").await;
    technician(&app, &admin, Some(budi_user.id), "Budi Hartono", "0812-7777-1002").await;
    let cid = package_and_customer(&app, &admin, "Siti Rahayu", "0857-2233-4455").await;
    let t = ticket(&app, &cs, cid, "repair").await;
    let id = t["id"].as_i64().expect("id");

    problem(step(&app, &supervisor, id, json!({"to": "in_progress"})).await, 409).await;
    let p = problem(step(&app, &supervisor, id, json!({"to": "assigned"})).await, 422).await;
    assert!(p["errors"]["technician_id"].is_array(), "assigning needs a technician: {p}");
    let assign = async |token: &str, body: Value| {
        app.post_json(&format!("/api/v1/tickets/{id}/assign"), Some(token), &body).await
    };
    problem(assign(&agus, json!({"technician_id": agus_id})).await, 403).await;
    problem(assign(&supervisor, json!({"technician_id": 999})).await, 404).await;
    let assigned: Value = assign(&supervisor, json!({"technician_id": agus_id})).await.json().await.expect("json");
    assert_eq!(
        (assigned["status"].as_str(), assigned["lead_technician_id"].as_i64()),
        (Some("assigned"), Some(agus_id))
    );

    // Budi is not on the team: for him the ticket does not exist; CS may not do field steps.
    problem(step(&app, &budi, id, json!({"to": "on_the_way"})).await, 404).await;
    problem(step(&app, &cs, id, json!({"to": "on_the_way"})).await, 403).await;
    assert_eq!(step(&app, &agus, id, json!({"to": "on_the_way"})).await.status(), StatusCode::OK);
    assert_eq!(step(&app, &agus, id, json!({"to": "in_progress"})).await.status(), StatusCode::OK);
    let p = problem(step(&app, &agus, id, json!({"to": "waiting_customer"})).await, 422).await;
    assert!(p["errors"]["note"].is_array(), "{p}");
    let waiting = step(&app, &agus, id, json!({"to": "waiting_customer", "note": "Pelanggan tidak di rumah"})).await;
    assert_eq!(waiting.status(), StatusCode::OK);
    let detail: Value = app.get(&format!("/api/v1/tickets/{id}"), Some(&agus)).await.json().await.expect("json");
    assert_eq!((detail["sla"]["paused"].as_bool(), detail["sla_due_at"].as_str()), (Some(true), None), "{detail}");
    assert_eq!(step(&app, &agus, id, json!({"to": "in_progress"})).await.status(), StatusCode::OK);
    let p = problem(step(&app, &agus, id, json!({"to": "resolved"})).await, 422).await;
    assert!(p["errors"]["completion.odp_id"].is_array(), "a repair needs its readings: {p}");
    let resolved = step(
        &app,
        &agus,
        id,
        json!({"to": "resolved", "completion": {"odp_id": 4, "final_attenuation": -19.8}, "note": "Konektor diganti"}),
    )
    .await;
    assert_eq!(resolved.status(), StatusCode::OK);
    problem(step(&app, &agus, id, json!({"to": "closed"})).await, 403).await;
    assert_eq!(step(&app, &cs, id, json!({"to": "closed"})).await.status(), StatusCode::OK);
    problem(step(&app, &cs, id, json!({"to": "in_progress"})).await, 409).await;

    let detail: Value = app.get(&format!("/api/v1/tickets/{id}"), Some(&admin)).await.json().await.expect("json");
    let kinds: Vec<&str> =
        detail["history"].as_array().expect("history").iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds.last(), Some(&"created"));
    assert_eq!(kinds.iter().filter(|k| **k == "status").count(), 6, "{kinds:?}");
    assert!(kinds.contains(&"assigned"));
    assert_eq!(detail["completion"]["final_attenuation"], -19.8);
    assert!(detail["history"][0]["actor_id"].as_i64().is_some());
    // Newest first, team lead first, and the finished pause no longer holds the clock.
    assert_eq!(
        (detail["history"][0]["kind"].as_str(), detail["history"][0]["to_status"].as_str()),
        (Some("status"), Some("closed")),
        "{detail}"
    );
    assert_eq!(detail["team"], json!([{"technician_id": agus_id, "role": "lead"}]));
    assert_eq!(detail["sla"]["paused"].as_bool(), Some(false), "{detail}");
    // The customer heard of "on the way" and "resolved" (plus the ticket's creation).
    let phone_messages = aglis_db::repo::messages::list(
        &app.state.db,
        &aglis_db::repo::messages::MessageQuery {
            q: Some("6285722334455".into()),
            page: 1,
            per_page: 20,
            ..Default::default()
        },
    )
    .await
    .expect("db")
    .items;
    assert_eq!(phone_messages.len(), 3, "created, on the way, resolved");
}

#[tokio::test]
async fn technicians_and_customers_see_only_their_tickets_and_capacity_is_kept() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let (agus_user, agus) = app.user_with_token("agus", Role::Technician).await;
    let (_, budi) = app.user_with_token("budi", Role::Technician).await;
    let agus_id = technician(&app, &admin, Some(agus_user.id), "Agus Setiawan", "0812-7777-1001").await;
    let siti = package_and_customer(&app, &admin, "Siti Rahayu", "0857-2233-4455").await;
    let joko = package_and_customer(&app, &admin, "Joko Susilo", "0813-4444-5555").await;
    let mut ids = Vec::new();
    for c in [siti, siti, joko] {
        ids.push(ticket(&app, &admin, c, "repair").await["id"].as_i64().expect("id"));
    }
    for id in &ids[..2] {
        let res = app
            .post_json(&format!("/api/v1/tickets/{id}/assign"), Some(&admin), &json!({"technician_id": agus_id}))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let full = app
        .post_json(&format!("/api/v1/tickets/{}/assign", ids[2]), Some(&admin), &json!({"technician_id": agus_id}))
        .await;
    let p = problem(full, 422).await;
    assert!(p["errors"]["technician_id"].is_array(), "two tickets a day at most: {p}");

    let ranked: Value =
        app.get(&format!("/api/v1/tickets/{}/suggestions", ids[2]), Some(&admin)).await.json().await.expect("json");
    let best = &ranked["items"][0];
    assert_eq!(best["technician_id"], agus_id);
    assert_eq!(best["assignable"], false, "Agus is full: {ranked}");
    assert_eq!(best["skill"], 7, "a repair counts fiber splicing (3) and basic install (4)");
    problem(app.get(&format!("/api/v1/tickets/{}/suggestions", ids[2]), Some(&agus)).await, 403).await;
    let mine: Value = app.get("/api/v1/tickets", Some(&agus)).await.json().await.expect("json");
    assert_eq!(mine["total"], 2);
    let none: Value = app.get("/api/v1/tickets", Some(&budi)).await.json().await.expect("json");
    assert_eq!(none["total"], 0, "Budi has no technician profile and no tickets");
    problem(app.get(&format!("/api/v1/tickets/{}", ids[0]), Some(&budi)).await, 404).await;
    problem(app.get(&format!("/api/v1/tickets/{}", ids[2]), Some(&agus)).await, 404).await;

    let (siti_user, siti_token) = app.user_with_token("siti.portal", Role::Customer).await;
    aglis_db::repo::customers::set_user(&app.state.db, siti, Some(siti_user.id)).await.expect("link");
    let own: Value = app.get("/api/v1/portal/tickets", Some(&siti_token)).await.json().await.expect("json");
    assert_eq!(own["total"], 2, "{own}");
    let path = format!("/api/v1/portal/tickets/{}", ids[0]);
    assert_eq!(app.get(&path, Some(&siti_token)).await.status(), StatusCode::OK);
    problem(app.get(&format!("/api/v1/portal/tickets/{}", ids[2]), Some(&siti_token)).await, 404).await;
    // The staff list is not the customer's, whatever its filter.
    problem(app.get(&format!("/api/v1/tickets?customer_id={joko}"), Some(&siti_token)).await, 403).await;
    problem(app.get(&format!("/api/v1/tickets/{}", ids[0]), Some(&siti_token)).await, 403).await;
}

#[tokio::test]
async fn resolving_an_installation_activates_its_customer() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let (tech_user, tech) = app.user_with_token("agus", Role::Technician).await;
    let tid = technician(&app, &admin, Some(tech_user.id), "Agus Setiawan", "0812-7777-1001").await;
    let cid = package_and_customer(&app, &admin, "Rina Marlina", "0813-2222-3333").await;
    let t = ticket(&app, &admin, cid, "installation").await;
    let id = t["id"].as_i64().expect("id");
    app.post_json(&format!("/api/v1/tickets/{id}/assign"), Some(&admin), &json!({"technician_id": tid})).await;
    assert_eq!(step(&app, &tech, id, json!({"to": "in_progress"})).await.status(), StatusCode::OK);
    let p = problem(step(&app, &tech, id, json!({"to": "resolved", "completion": {"odp_id": 2}})).await, 422).await;
    assert!(p["errors"]["completion.odp_port"].is_array(), "{p}");
    let completion = json!({"odp_id": 2, "odp_port": 5, "final_attenuation": "-21,4", "modem_serial": "ZTEGC8F1A2B3",
        "wifi_name": "Rina_Home", "wifi_password": "marlina2026"});
    crate::helpers::upload_completion_photos(&app, &tech, id).await;
    assert_eq!(
        step(&app, &tech, id, json!({"to": "resolved", "completion": completion})).await.status(),
        StatusCode::OK
    );
    let customer: Value = app.get(&format!("/api/v1/customers/{cid}"), Some(&admin)).await.json().await.expect("json");
    assert_eq!(customer["status"], "active");
}

#[tokio::test]
async fn tickets_escalate_at_80_and_90_percent_once_and_the_breach_is_recorded() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let spv = app.insert_user("sari.spv", Role::Supervisor).await;
    let phone = aglis_db::repo::users::UserChanges { phone: Some(Some("6281311112222".into())), ..Default::default() };
    aglis_db::repo::users::update(&app.state.db, spv.id, phone, crate::helpers::ClockExt::now_utc(&app.clock))
        .await
        .expect("phone");
    let (tech_user, _) = app.user_with_token("agus", Role::Technician).await;
    let tid = technician(&app, &admin, Some(tech_user.id), "Agus Setiawan", "0812-7777-1001").await;
    let cid = package_and_customer(&app, &admin, "Siti Rahayu", "0857-2233-4455").await;
    // A normal repair: 24 h on business hours. Make it 24/7 so the arithmetic is plain.
    let row = aglis_core::ticket_sla::TargetRow {
        ticket_type: None,
        priority: aglis_core::ticket::Priority::Normal,
        targets: aglis_core::ticket_sla::Targets {
            first_response: chrono::Duration::minutes(60),
            resolution: chrono::Duration::hours(10),
            calendar: aglis_core::ticket_sla::CalendarKind::Always,
        },
    };
    aglis_db::repo::sla::set_target(&app.state.db, &row).await.expect("sla row");
    let res = app
        .post_json(
            "/api/v1/tickets",
            Some(&admin),
            &json!({"customer_id": cid, "type": "repair", "priority": "normal", "description": "Sering putus tiap sore"}),
        )
        .await;
    let id = res.json::<Value>().await.expect("json")["id"].as_i64().expect("id");
    app.post_json(&format!("/api/v1/tickets/{id}/assign"), Some(&admin), &json!({"technician_id": tid})).await;
    let check = async || aglis_server::tickets::escalation::check(&app.state).await.expect("check");
    let priority = async || {
        let t: Value = app.get(&format!("/api/v1/tickets/{id}"), Some(&admin)).await.json().await.expect("json");
        (t["priority"].as_str().map(str::to_owned), t["history"].clone())
    };

    app.clock.advance(chrono::Duration::minutes(7 * 60 + 59)); // 79.8 %
    assert_eq!(check().await.escalations, 0);
    assert_eq!(priority().await.0.as_deref(), Some("normal"));
    app.clock.advance(chrono::Duration::minutes(1)); // 80 %
    assert_eq!(check().await.escalations, 1);
    assert_eq!(check().await.escalations, 0, "never twice for the same step");
    assert_eq!(priority().await.0.as_deref(), Some("high"));
    app.clock.advance(chrono::Duration::minutes(59)); // 89.8 %
    assert_eq!(check().await.escalations, 0);
    app.clock.advance(chrono::Duration::minutes(1)); // 90 %
    assert_eq!(check().await.escalations, 1);
    let (p, history) = priority().await;
    assert_eq!(p.as_deref(), Some("critical"));
    let escalations: Vec<&str> = history
        .as_array()
        .expect("history")
        .iter()
        .filter(|e| e["kind"] == "escalated")
        .filter_map(|e| e["detail"].as_str())
        .collect();
    assert_eq!(escalations.len(), 2, "{escalations:?}");
    assert!(escalations[1].starts_with("normal → high"), "{escalations:?}");

    app.clock.advance(chrono::Duration::hours(3)); // past 10 h
    let done = check().await;
    assert_eq!((done.escalations, done.breaches), (0, 1));
    assert_eq!(check().await.breaches, 0);
    let t: Value = app.get(&format!("/api/v1/tickets/{id}"), Some(&admin)).await.json().await.expect("json");
    let created: chrono::DateTime<chrono::Utc> = t["created_at"].as_str().expect("created").parse().expect("time");
    let breached: chrono::DateTime<chrono::Utc> = t["breached_at"].as_str().expect("breached").parse().expect("time");
    assert_eq!(breached - created, chrono::Duration::hours(10), "the breach is recorded at the instant it happened");

    // The supervisor and the technician were told twice each (one per step).
    for phone in ["6281311112222", "6281277771001"] {
        let q = aglis_db::repo::messages::MessageQuery {
            q: Some(phone.into()),
            page: 1,
            per_page: 20,
            ..Default::default()
        };
        let sent = aglis_db::repo::messages::list(&app.state.db, &q).await.expect("db").items;
        let warnings = sent.iter().filter(|m| m.body.contains("SLA")).count();
        assert_eq!(warnings, 2, "{phone}: {:?}", sent.iter().map(|m| &m.body).collect::<Vec<_>>());
    }
}

#[tokio::test]
async fn the_demo_has_technicians_and_tickets_in_every_state_some_escalated_or_breached() {
    let app = spawn_app().await;
    aglis_server::demo::seed(&app.state).await.expect("seed");
    let (_, admin) = app.user_with_token("andi.demo", Role::Admin).await;
    let techs: Value = app.get("/api/v1/technicians", Some(&admin)).await.json().await.expect("json");
    assert_eq!((techs["total"].as_u64(), techs["items"].as_array().map(Vec::len)), (Some(5), Some(5)));
    let mut seen = std::collections::BTreeSet::new();
    let all: Value = app.get("/api/v1/tickets?per_page=200&scope=all", Some(&admin)).await.json().await.expect("json");
    for t in all["items"].as_array().expect("items") {
        seen.insert(t["status"].as_str().expect("status").to_owned());
    }
    for s in aglis_core::ticket::TicketStatus::ALL {
        assert!(seen.contains(s.as_str()), "a demo ticket that is {s}: {seen:?}");
    }
    let db = &app.state.db;
    let rows = aglis_db::entity::tickets::Entity::find().all(db).await.expect("db");
    assert!(rows.iter().any(|t| t.breached_at.is_some()), "one past its SLA");
    assert!(rows.iter().any(|t| t.escalated_high_at.is_some()), "one escalated");
    // The demo technician account sees its own queue.
    let login = json!({"username": "technician", "password": "demo12345"});
    let res = app.post_json("/api/v1/auth/login", None, &login).await;
    let tech = res.json::<Value>().await.expect("json")["token"].as_str().expect("token").to_owned();
    let queue: Value = app.get("/api/v1/tickets", Some(&tech)).await.json().await.expect("json");
    assert!(queue["total"].as_u64().is_some_and(|n| n >= 3), "{queue}");
    let dash: Value = app.get("/api/v1/dashboard", Some(&admin)).await.json().await.expect("json");
    let t = &dash["tickets"];
    assert_eq!(t["by_status"]["open"], 2, "{dash}");
    for s in aglis_core::ticket::TicketStatus::ALL {
        let real = rows.iter().filter(|r| r.status == *s).count();
        assert_eq!(
            t["by_status"][s.as_str()].as_u64(),
            u64::try_from(real).ok(),
            "{s}: the kept count is the real one"
        );
    }
    assert!(t["breached"].as_i64().is_some_and(|n| n >= 1), "{dash}");
    assert_eq!(t["escalations_per_day"].as_array().map(Vec::len), Some(7));
    assert_eq!(dash["technicians_total"], 5);
    assert!(dash["customers"]["active"].as_i64().is_some_and(|n| n > 100));
    problem(app.get("/api/v1/dashboard", Some(&queue_token_of(&app).await)).await, 403).await;
}

/// A customer account's token (customers have no dashboard).
async fn queue_token_of(app: &TestApp) -> String {
    app.user_with_token("pelanggan.demo", Role::Customer).await.1
}

#[tokio::test]
async fn the_load_seed_adds_tickets_over_two_years_beside_the_demo() {
    let app = spawn_app().await;
    aglis_server::demo::seed(&app.state).await.expect("demo");
    let db = &app.state.db;
    let before = aglis_db::entity::tickets::Entity::find().all(db).await.expect("db").len();
    let now = crate::helpers::ClockExt::now_utc(&app.clock);
    // Two a day reach the last days, where the demo's tickets already took the first numbers.
    aglis_server::seed::tickets::seed(db, 1_460, now).await.expect("seed");
    let all = aglis_db::entity::tickets::Entity::find().all(db).await.expect("db");
    assert_eq!(all.len(), before + 1_460);
    let active = all.iter().filter(|t| t.resolved_at.is_none() && t.status != TicketStatus::Cancelled).count();
    assert!(active > 0 && active < all.len() / 5, "mostly done, some still worked: {active}");
    assert!(all.iter().any(|t| t.breached_at.is_some()) && all.iter().any(|t| t.status == TicketStatus::Closed));
    let events = aglis_db::entity::ticket_events::Entity::find().all(db).await.expect("db");
    assert!(events.len() >= 1_460 + before, "each has its history");
    let (_, admin) = app.user_with_token("andi.seed", Role::Admin).await;
    let page: Value =
        app.get("/api/v1/tickets?status=closed&per_page=5", Some(&admin)).await.json().await.expect("json");
    assert!(page["total"].as_u64().is_some_and(|n| n > 1_000), "{page}");
}
