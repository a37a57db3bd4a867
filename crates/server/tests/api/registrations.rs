//! Public sign-up with a WhatsApp code, the staff workflow to an active customer, tracking, and
//! the limits that keep bots and guessers out.

use crate::helpers::{ClockExt, TestApp, csrf_token, problem, spawn_app, spawn_app_with};
use aglis_core::permission::Role;
use aglis_db::repo::messages::{self, MessageQuery};
use aglis_integrations::whatsapp::fonnte::fake::FakeFonnte;
use aglis_server::jobs::{Runner, builtin_registry};
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;

async fn package(app: &TestApp) -> i64 {
    if let Some(p) = aglis_db::repo::packages::list(&app.state.db, true).await.expect("db").first() {
        return p.id;
    }
    let (_, admin) = app.user_with_token("admin.paket", Role::Admin).await;
    let res = app
        .post_json("/api/v1/packages", Some(&admin), &json!({"name": "Home Silver 50M", "speed_mbps": 50, "monthly_price": 199_900, "installation_fee": 100_000}))
        .await;
    res.json::<Value>().await.expect("json")["id"].as_i64().expect("id")
}

/// Fills the public form as a person would (the clock moves past the minimum fill time).
async fn submit_signup(app: &TestApp, browser: &reqwest::Client, fields: &[(&str, &str)]) -> reqwest::Response {
    let html = browser.get(app.url("/signup")).send().await.expect("form").text().await.expect("html");
    let csrf = csrf_token(&html);
    let stamp =
        html.split("name=\"stamp\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("stamp").to_owned();
    app.clock.advance(Duration::seconds(20));
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", &csrf), ("stamp", &stamp), ("website", "")];
    form.extend_from_slice(fields);
    browser.post(app.url("/signup")).form(&form).send().await.expect("submit")
}

fn applicant<'a>(phone: &'a str, package_id: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("full_name", "Siti Rahayu"),
        ("phone", phone),
        ("email", "siti.rahayu@contoh.co.id"),
        ("address", "Perum Galuh Mas Blok C2 No. 7, Telukjambe Timur"),
        ("city", "Karawang"),
        ("latitude", "-6,3227"),
        ("longitude", "107.2985"),
        ("package_id", package_id),
    ]
}

#[tokio::test]
async fn an_applicant_signs_up_with_the_code_sent_by_whatsapp_and_tracks_it() {
    let fake = FakeFonnte::start("token-signup").await.expect("fake");
    let url = fake.url.clone();
    let app = spawn_app_with(move |env| {
        env.insert("AGLIS_FONNTE_TOKEN".into(), "token-signup".into());
        env.insert("AGLIS_FONNTE_URL".into(), url);
    })
    .await;
    let pkg = package(&app).await.to_string();
    let browser = app.browser();
    let res = submit_signup(&app, &browser, &applicant("0857-2233-4455", &pkg)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let confirm_url = res.headers()["location"].to_str().expect("location").to_owned();
    assert!(confirm_url.starts_with("/signup/confirm?token="));

    // The code goes out through the queue to the WhatsApp provider.
    Runner::new(app.state.clone(), Arc::new(builtin_registry())).run_once().await.expect("run");
    let sent = fake.received();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].fields["target"], "6285722334455");
    let text = &sent[0].fields["message"];
    let code: String = text.split('*').nth(1).expect("code between stars").to_owned();
    assert_eq!(code.len(), 6, "{text}");

    let page = browser.get(app.url(&confirm_url)).send().await.expect("page").text().await.expect("html");
    let csrf = csrf_token(&page);
    let token = confirm_url.split("token=").nth(1).expect("token");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let res = browser
        .post(app.url("/signup/confirm"))
        .form(&[("csrf_token", csrf.as_str()), ("token", token), ("code", wrong)])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains("kode salah; sisa 4 kali percobaan"), "tries left are shown, in Indonesian: {html}");
    let res = browser
        .post(app.url("/signup/confirm"))
        .form(&[("csrf_token", csrf.as_str()), ("token", token), ("code", &code)])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("html");
    let number = html.split("<code>").nth(1).and_then(|s| s.split('<').next()).expect("number").to_owned();
    assert!(number.starts_with("REG") && number.len() == 14, "{number}");
    let again = browser
        .post(app.url("/signup/confirm"))
        .form(&[("csrf_token", csrf.as_str()), ("token", token), ("code", &code)])
        .send()
        .await
        .expect("post");
    assert_eq!(again.status(), StatusCode::CONFLICT, "one registration per code");

    // The confirmation with the tracking link is queued too.
    let q = MessageQuery { q: Some(number.clone()), page: 1, per_page: 10, ..MessageQuery::default() };
    let msgs = messages::list(&app.state.db, &q).await.expect("db").items;
    assert!(
        msgs.iter()
            .any(|m| m.template_code.as_deref() == Some("registration_confirmation")
                && m.body.contains("/track?number="))
    );

    // Tracking needs the number and the phone.
    let track = |number: String, phone: &'static str| {
        let browser = browser.clone();
        let csrf = csrf.clone();
        let url = app.url("/track");
        async move {
            browser
                .post(url)
                .form(&[("csrf_token", csrf.as_str()), ("number", &number), ("phone", phone)])
                .send()
                .await
                .expect("track")
        }
    };
    let res = track(number.clone(), "+62 857 2233 4455").await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("html");
    assert!(html.contains("Siti Rahayu") && html.contains("class=\"done\""), "the timeline shows the first step");
    assert_eq!(
        track(number.clone(), "0812-0000-0000").await.status(),
        StatusCode::NOT_FOUND,
        "another phone sees nothing"
    );

    // Staff verify it; the tracking page shows the new step.
    let (_, cs) = app.user_with_token("dewi", Role::CustomerService).await;
    let list: Value = app.get("/api/v1/registrations?status=submitted", Some(&cs)).await.json().await.expect("json");
    let id = list["items"][0]["id"].as_i64().expect("id");
    let res =
        app.post_json(&format!("/api/v1/registrations/{id}/steps"), Some(&cs), &json!({"status": "verified"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = track(number, "0857-2233-4455").await.text().await.expect("html");
    assert_eq!(html.matches("class=\"done\"").count(), 2, "submitted and verified");
}

#[tokio::test]
async fn bots_and_bad_input_are_turned_away_without_a_registration() {
    let app = spawn_app().await;
    let pkg = package(&app).await.to_string();
    let browser = app.browser();
    // A bot fills the hidden field.
    let html = browser.get(app.url("/signup")).send().await.expect("form").text().await.expect("html");
    let csrf = csrf_token(&html);
    let stamp =
        html.split("name=\"stamp\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("stamp").to_owned();
    app.clock.advance(Duration::seconds(20));
    let mut form: Vec<(&str, &str)> =
        vec![("csrf_token", &csrf), ("stamp", &stamp), ("website", "http://spam.example")];
    form.extend(applicant("0857-2233-4455", &pkg));
    assert_eq!(
        browser.post(app.url("/signup")).form(&form).send().await.expect("post").status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // A forged time stamp.
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", &csrf), ("stamp", "1.abc"), ("website", "")];
    form.extend(applicant("0857-2233-4455", &pkg));
    assert_eq!(
        browser.post(app.url("/signup")).form(&form).send().await.expect("post").status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // A person with a bad number and no package.
    let res = submit_signup(
        &app,
        &browser,
        &[("full_name", "Siti"), ("phone", "12345"), ("address", "Jl. Kenanga 5"), ("city", "Karawang")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains("Jl. Kenanga 5"), "what was typed is kept");
    let total = messages::list(&app.state.db, &MessageQuery { page: 1, per_page: 5, ..Default::default() })
        .await
        .expect("db")
        .total;
    assert_eq!(total, 0, "no code was sent");
}

#[tokio::test]
async fn sign_ups_and_look_ups_are_limited_per_address_and_number() {
    let app = spawn_app().await;
    let pkg = package(&app).await.to_string();
    let browser = app.browser();
    // Three codes to one number in an hour, then 429.
    for _ in 0..3 {
        assert_eq!(
            submit_signup(&app, &browser, &applicant("0857-2233-4455", &pkg)).await.status(),
            StatusCode::SEE_OTHER
        );
    }
    assert_eq!(
        submit_signup(&app, &browser, &applicant("0857-2233-4455", &pkg)).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Five sign-ups from one address in an hour (this was the fourth): one more number, then 429.
    assert_eq!(submit_signup(&app, &browser, &applicant("0813-1111-2222", &pkg)).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        submit_signup(&app, &browser, &applicant("0813-1111-3333", &pkg)).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    let html = browser.get(app.url("/track")).send().await.expect("page").text().await.expect("html");
    let csrf = csrf_token(&html);
    for i in 0..10 {
        let res = browser
            .post(app.url("/track"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("number", &format!("REG20261125{i:03}")),
                ("phone", "0812-0000-0000"),
            ])
            .send()
            .await
            .expect("track");
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    let res = browser
        .post(app.url("/track"))
        .form(&[("csrf_token", csrf.as_str()), ("number", "REG20261125999"), ("phone", "0812-0000-0000")])
        .send()
        .await
        .expect("track");
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "guessing numbers is slowed down");
}

/// A submitted registration, straight through the service.
async fn registration(app: &TestApp, phone: &str) -> i64 {
    let pkg = package(app).await;
    let input = aglis_server::registrations::service::ApplicationInput {
        full_name: "Bambang Wijaya".into(),
        phone: phone.into(),
        address: "Jl. Kertabumi No. 8, Karawang Barat".into(),
        city: "Karawang".into(),
        package_id: pkg.to_string(),
        ..Default::default()
    };
    let token = aglis_server::registrations::service::start_signup(
        &app.state,
        &input,
        "10.0.0.1",
        aglis_server::i18n::Lang::Id,
    )
    .await
    .expect("started");
    let msgs = messages::list(&app.state.db, &MessageQuery { page: 1, per_page: 1, ..Default::default() })
        .await
        .expect("db")
        .items;
    let code = msgs[0].body.split('*').nth(1).expect("code").to_owned();
    aglis_server::registrations::service::confirm_signup(&app.state, &token, &code, aglis_server::i18n::Lang::Id)
        .await
        .expect("confirmed")
        .id
}

#[tokio::test]
async fn each_step_needs_its_role_and_what_it_records_and_ends_in_an_active_customer() {
    let app = spawn_app().await;
    let id = registration(&app, "0812-8765-4321").await;
    let (_, cs) = app.user_with_token("dewi", Role::CustomerService).await;
    let (_, tech) = app.user_with_token("agus", Role::Technician).await;
    let (_, noc) = app.user_with_token("rizky", Role::Noc).await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let step = async |token: &str, body: Value| {
        app.post_json(&format!("/api/v1/registrations/{id}/steps"), Some(token), &body).await
    };
    let later = (app.clock.now_utc() + Duration::days(2)).to_rfc3339();
    let past = (app.clock.now_utc() - Duration::hours(1)).to_rfc3339();

    problem(step(&tech, json!({"status": "verified"})).await, 403).await;
    problem(step(&noc, json!({"status": "approved"})).await, 403).await;
    problem(step(&cs, json!({"status": "approved"})).await, 409).await;
    assert_eq!(step(&cs, json!({"status": "verified"})).await.status(), StatusCode::OK);
    problem(step(&cs, json!({"status": "rejected"})).await, 422).await;
    let p = problem(step(&cs, json!({"status": "survey_scheduled", "scheduled_at": past})).await, 422).await;
    assert!(p["errors"]["scheduled_at"].is_array());
    assert_eq!(step(&cs, json!({"status": "survey_scheduled", "scheduled_at": later})).await.status(), StatusCode::OK);
    problem(step(&cs, json!({"status": "surveyed"})).await, 422).await;

    let odp: Value = app
        .post_json("/api/v1/odps", Some(&admin), &json!({"code": "ODP-KRW-009-C27", "area": "Karawang Barat", "location": "Jl. Kertabumi", "total_ports": 8}))
        .await
        .json()
        .await
        .expect("json");
    let odp_id = odp["id"].as_i64().expect("id");
    assert_eq!(
        step(&cs, json!({"status": "surveyed", "feasible": true, "odp_id": odp_id})).await.status(),
        StatusCode::OK
    );
    let approved: Value = step(&cs, json!({"status": "approved"})).await.json().await.expect("json");
    let customer_id = approved["customer_id"].as_i64().expect("a customer is created on approval");
    let customer: Value =
        app.get(&format!("/api/v1/customers/{customer_id}"), Some(&admin)).await.json().await.expect("json");
    assert_eq!((customer["status"].as_str(), customer["phone"].as_str()), (Some("prospect"), Some("6281287654321")));
    let installs: Value =
        app.get(&format!("/api/v1/tickets?customer_id={customer_id}"), Some(&admin)).await.json().await.expect("json");
    assert_eq!(installs["total"], 1, "approval opens the installation ticket: {installs}");
    assert_eq!(
        (installs["items"][0]["type"].as_str(), installs["items"][0]["status"].as_str()),
        (Some("installation"), Some("open"))
    );

    assert_eq!(
        step(&cs, json!({"status": "installation_scheduled", "scheduled_at": later})).await.status(),
        StatusCode::OK
    );
    assert_eq!(step(&cs, json!({"status": "installed"})).await.status(), StatusCode::OK);
    let done: Value = step(&cs, json!({"status": "activated"})).await.json().await.expect("json");
    assert_eq!(done["status"], "activated");
    assert_eq!(done["next"], json!([]));
    problem(step(&admin, json!({"status": "cancelled", "reason": "x"})).await, 409).await;
    let customer: Value =
        app.get(&format!("/api/v1/customers/{customer_id}"), Some(&admin)).await.json().await.expect("json");
    assert_eq!(
        (customer["status"].as_str(), customer["odp_id"].as_i64(), customer["odp_port"].as_i64()),
        (Some("active"), Some(odp_id), Some(1))
    );

    let detail: Value = app.get(&format!("/api/v1/registrations/{id}"), Some(&cs)).await.json().await.expect("json");
    let steps: Vec<&str> =
        detail["history"].as_array().expect("history").iter().filter_map(|h| h["status"].as_str()).collect();
    assert_eq!(
        steps,
        [
            "submitted",
            "verified",
            "survey_scheduled",
            "surveyed",
            "approved",
            "installation_scheduled",
            "installed",
            "activated"
        ]
    );
    // The applicant heard of every step after the code: confirmation plus seven updates.
    let q = MessageQuery { q: Some("6281287654321".into()), page: 1, per_page: 50, ..MessageQuery::default() };
    let msgs = messages::list(&app.state.db, &q).await.expect("db").items;
    assert_eq!(msgs.iter().filter(|m| m.template_code.as_deref() == Some("registration_status")).count(), 7);
}

#[tokio::test]
async fn a_not_feasible_survey_cannot_be_approved_and_a_number_signs_up_once_at_a_time() {
    let app = spawn_app().await;
    let id = registration(&app, "0821-9988-7766").await;
    let (_, cs) = app.user_with_token("dewi", Role::CustomerService).await;
    let step = async |body: Value| app.post_json(&format!("/api/v1/registrations/{id}/steps"), Some(&cs), &body).await;
    step(json!({"status": "verified"})).await;
    step(json!({"status": "survey_scheduled", "scheduled_at": (app.clock.now_utc() + Duration::days(1)).to_rfc3339()}))
        .await;
    step(json!({"status": "surveyed", "feasible": false, "notes": "Tidak ada ODP dalam 300 m"})).await;
    problem(step(json!({"status": "approved"})).await, 409).await;
    let rejected: Value =
        step(json!({"status": "rejected", "reason": "Belum ada jaringan di lokasi"})).await.json().await.expect("json");
    assert_eq!(rejected["reason"], "Belum ada jaringan di lokasi");

    // The same number may sign up again once the earlier one is closed; not while one is open.
    let other = registration(&app, "0857-1000-2000").await;
    let input = aglis_server::registrations::service::ApplicationInput {
        full_name: "Orang Lain".into(),
        phone: "0857-1000-2000".into(),
        address: "Jl. Kenanga No. 5".into(),
        city: "Bekasi".into(),
        package_id: package(&app).await.to_string(),
        ..Default::default()
    };
    let err = aglis_server::registrations::service::check_application(&app.state.db, &input)
        .await
        .expect_err("open one exists");
    let said = aglis_server::i18n::Lang::En.render(&format!("{err:?}"));
    assert!(said.contains("in progress"), "{said} ({other})");
}

#[tokio::test]
async fn staff_signed_in_see_the_public_forms_to_register_a_walk_in_customer() {
    let app = spawn_app().await;
    package(&app).await;
    app.insert_user("dewi", Role::CustomerService).await;
    let browser = app.browser_login("dewi").await;
    for path in ["/signup", "/track"] {
        let html = browser.get(app.url(path)).send().await.expect("page").text().await.expect("html");
        assert!(html.contains("<form method=\"post\""), "{path} shows its form to a signed-in member of staff");
        assert!(html.contains("href=\"/registrations\""), "{path} leads back to the registrations");
        assert!(!html.contains("class=\"sidebar\""), "{path} is the public page, not the staff frame");
    }
    let html = browser.get(app.url("/signup")).send().await.expect("page").text().await.expect("html");
    assert!(html.contains("Home Silver 50M"), "the packages are listed");
}
