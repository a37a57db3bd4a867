//! The ticket pages: the staff list and form, assignment on a ticket's page, and a technician
//! working a ticket from their phone queue through the step forms.

use crate::helpers::{TestApp, spawn_app};
use aglis_core::permission::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn page(browser: &reqwest::Client, url: String) -> (StatusCode, String) {
    let res = browser.get(url).send().await.expect("page");
    (res.status(), res.text().await.expect("html"))
}

/// Posts a form with the browser's CSRF token.
async fn post(app: &TestApp, browser: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let csrf = app.page_csrf(browser, "/my/tickets").await;
    let mut fields: Vec<(&str, &str)> = vec![("csrf_token", csrf.as_str())];
    fields.extend_from_slice(form);
    browser.post(app.url(path)).form(&fields).send().await.expect("post")
}

async fn customer(app: &TestApp, admin: &str, name: &str, phone: &str) -> i64 {
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

async fn technician(app: &TestApp, admin: &str, user_id: i64, name: &str, phone: &str) -> i64 {
    let res = app
        .post_json(
            "/api/v1/technicians",
            Some(admin),
            &json!({"full_name": name, "phone": phone, "user_id": user_id, "work_zone": "Karawang Barat",
                "max_daily_tickets": 3, "skills": {"ftth_basic_install": 4, "fiber_splicing": 3}}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.expect("json")["id"].as_i64().expect("id")
}

#[tokio::test]
async fn a_supervisor_lists_creates_and_assigns_tickets_on_the_pages() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    app.insert_user("sari.spv", Role::Supervisor).await;
    let agus = app.insert_user("agus", Role::Technician).await;
    let agus_id = technician(&app, &admin, agus.id, "Agus Setiawan", "0812-7777-1001").await;
    let cid = customer(&app, &admin, "Siti Rahayu", "0857-2233-4455").await;
    let res = app
        .post_json(
            "/api/v1/tickets",
            Some(&admin),
            &json!({"customer_id": cid, "type": "repair", "priority": "high",
                "description": "Internet mati sejak pagi, lampu LOS merah"}),
        )
        .await;
    let first: Value = res.json().await.expect("json");
    let first_number = first["number"].as_str().expect("number").to_owned();

    let browser = app.browser_login("sari.spv").await;
    let (status, html) = page(&browser, app.url("/tickets")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&first_number) && html.contains("Siti Rahayu"), "the list shows the ticket and customer");
    assert!(html.contains("href=\"/tickets/new\""), "a supervisor may open tickets");
    assert!(html.contains("href=\"/tickets\""), "the navigation links the tickets");
    let (_, html) = page(&browser, app.url("/tickets?status=closed")).await;
    assert!(html.contains(&app.t("ticket.empty")), "the empty state");
    let (_, html) = page(&browser, app.url(&format!("/tickets?q={}", &first_number[..11]))).await;
    assert!(html.contains(&first_number), "search by the number's start");
    let (_, html) = page(&browser, app.url("/tickets?q=a")).await;
    assert!(html.contains(&app.t("ticket.search_hint")) && !html.contains(&first_number), "one letter lists nothing");
    let (_, html) = page(&browser, app.url("/tickets?lang=en")).await;
    assert!(html.contains("New ticket"), "English on request");
    let (_, html) = page(&browser, app.url("/tickets?lang=id")).await;
    assert!(html.contains(&app.t("ticket.new")));

    // The form: the customer found by name, a description too short, then created.
    let (status, html) = page(&browser, app.url("/tickets/new?cq=siti")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("<option value=\"{cid}\"")), "the customer search offers Siti");
    let cid_text = cid.to_string();
    let res = post(
        &app,
        &browser,
        "/tickets",
        &[
            ("customer_id", &cid_text),
            ("type", "wifi_setup"),
            ("priority", "normal"),
            ("title", "Ganti nama WiFi"),
            ("description", "x"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains(&app.t("ticket.err.description")), "the message is shown");
    assert!(html.contains("Ganti nama WiFi") && html.contains("Siti Rahayu"), "what was typed is kept");
    let res = post(
        &app,
        &browser,
        "/tickets",
        &[("customer_id", ""), ("type", "repair"), ("priority", "normal"), ("description", "Kabel putus")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "only a survey may have no customer");
    let res = post(
        &app,
        &browser,
        "/tickets",
        &[
            ("customer_id", &cid_text),
            ("type", "wifi_setup"),
            ("priority", "normal"),
            ("title", "Ganti nama WiFi"),
            ("description", "Pelanggan minta nama dan kata sandi WiFi diganti"),
            ("location", ""),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().expect("location").to_owned();
    let (status, html) = page(&browser, app.url(&location)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Ganti nama WiFi") && html.contains("Perum Bumi Telukjambe Blok D 12, Karawang"));
    assert!(html.contains(&app.t("ticket.event.created")), "the history starts");
    assert!(html.contains("data-confirm-form"), "cancelling asks first");

    // Assignment: a lead is needed, then Agus leads it.
    let assign = format!("{location}/assign");
    let res = post(&app, &browser, &assign, &[("technician_id", "")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains(&app.t("ticket.err.technician")));
    let agus_text = agus_id.to_string();
    let res = post(&app, &browser, &assign, &[("technician_id", &agus_text)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&browser, app.url(&location)).await;
    assert!(html.contains("Agus Setiawan") && html.contains("tkt-assigned"), "the team and the new status");
    let (_, html) = page(&browser, app.url(&format!("/tickets?technician_id={agus_id}"))).await;
    assert!(html.contains("Ganti nama WiFi") && !html.contains(&first_number), "filtered by technician");

    // A step the ticket cannot take is refused with the reason on the page.
    let step = format!("{location}/step");
    let res = post(&app, &browser, &step, &[("to", "closed")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.expect("html").contains("alert error"));

    // Customers are not served staff pages.
    app.insert_user("pelanggan", Role::Customer).await;
    let customer_browser = app.browser_login("pelanggan").await;
    assert_eq!(page(&customer_browser, app.url("/tickets")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(page(&customer_browser, app.url(&location)).await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_technician_works_a_ticket_from_the_phone_queue() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let agus = app.insert_user("agus", Role::Technician).await;
    let budi = app.insert_user("budi", Role::Technician).await;
    app.insert_user("dedi", Role::Technician).await;
    let agus_id = technician(&app, &admin, agus.id, "Agus Setiawan", "0812-7777-1001").await;
    technician(&app, &admin, budi.id, "Budi Hartono", "0812-7777-1002").await;
    let cid = customer(&app, &admin, "Dewi Lestari", "0812-1000-2000").await;
    let res = app
        .post_json(
            "/api/v1/tickets",
            Some(&admin),
            &json!({"customer_id": cid, "type": "repair", "priority": "high",
                "description": "Internet mati sejak pagi, lampu LOS merah"}),
        )
        .await;
    let t: Value = res.json().await.expect("json");
    let id = t["id"].as_i64().expect("id");
    let number = t["number"].as_str().expect("number").to_owned();
    let res =
        app.post_json(&format!("/api/v1/tickets/{id}/assign"), Some(&admin), &json!({"technician_id": agus_id})).await;
    assert_eq!(res.status(), StatusCode::OK);

    let browser = app.browser_login("agus").await;
    let (status, html) = page(&browser, app.url("/my/tickets")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&number) && html.contains(&format!("href=\"/tickets/{id}\"")), "the queue links the ticket");
    assert!(html.contains("Dewi Lestari"));
    assert!(html.contains("href=\"/my/tickets\""), "the technician's navigation leads to the queue");
    let path = format!("/tickets/{id}");
    let (status, html) = page(&browser, app.url(&path)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("value=\"on_the_way\""), "the next step is a button");
    assert!(!html.contains("value=\"cancelled\""), "a technician may not cancel");
    assert!(!html.contains("/assign\""), "nor assign");

    let step = format!("{path}/step");
    for to in ["on_the_way", "in_progress"] {
        let res = post(&app, &browser, &step, &[("to", to), ("note", "")]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{to}");
    }
    let (_, html) = page(&browser, app.url(&path)).await;
    assert!(html.contains("tkt-in_progress") && html.contains("name=\"completion.final_attenuation\""));

    // Resolving without the readings names the missing one; waiting needs a reason.
    let res = post(&app, &browser, &step, &[("to", "resolved"), ("completion.odp_id", ""), ("note", "")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains("field-error") && html.contains("odp_id is needed"), "the field error is shown");
    let res = post(
        &app,
        &browser,
        &step,
        &[("to", "resolved"), ("completion.odp_id", "4"), ("completion.final_attenuation", "5")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The readings typed are kept (the ODP is chosen from a list of the ODPs that exist).
    let html = res.text().await.expect("html");
    assert!(html.contains("name=\"completion.final_attenuation\" value=\"5\""), "the readings typed are kept");
    assert!(html.contains("<select name=\"completion.odp_id\""), "the ODP is chosen from a list");
    let res = post(&app, &browser, &step, &[("to", "waiting_customer"), ("note", " ")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = post(
        &app,
        &browser,
        &step,
        &[("to", "resolved"), ("completion.odp_id", "4"), ("completion.final_attenuation", "-19,5")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&browser, app.url(&path)).await;
    assert!(html.contains("tkt-resolved") && html.contains("-19.5"), "resolved with its readings");
    let (_, html) = page(&browser, app.url("/my/tickets")).await;
    assert!(html.contains(&app.t("ticket.my_empty")), "a resolved ticket leaves the queue");

    // Another technician: the ticket does not exist for him.
    let other = app.browser_login("budi").await;
    assert_eq!(page(&other, app.url(&path)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(post(&app, &other, &step, &[("to", "closed")]).await.status(), StatusCode::NOT_FOUND);
    let (_, html) = page(&other, app.url("/tickets")).await;
    assert!(!html.contains(&number), "a technician's list holds their own tickets");

    // A technician account without a profile is told so.
    let dedi = app.browser_login("dedi").await;
    let (status, html) = page(&dedi, app.url("/my/tickets")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&app.t("ticket.no_profile")));
}

/// What the ticket page says of a resolved demo ticket to `username`.
async fn resolved_ticket_page(app: &TestApp, admin: &str, username: &str) -> (i64, String) {
    let list: Value =
        app.get("/api/v1/tickets?status=resolved&per_page=1", Some(admin)).await.json().await.expect("json");
    let id = list["items"][0]["id"].as_i64().expect("a resolved demo ticket");
    let browser = app.browser_login(username).await;
    let (status, html) = page(&browser, app.url(&format!("/tickets/{id}?lang=id"))).await;
    assert_eq!(status, StatusCode::OK);
    (id, html)
}

#[tokio::test]
async fn the_ticket_page_names_statuses_odps_and_packages_and_keeps_the_wifi_password_for_the_team() {
    let app = crate::helpers::spawn_demo_app(|_| {}).await;
    let (_, admin) = app.user_with_token("andi.admin", Role::Admin).await;
    app.insert_user("rina.cs", Role::CustomerService).await;
    app.insert_user("sari.spv", Role::Supervisor).await;

    let (id, html) = resolved_ticket_page(&app, &admin, "rina.cs").await;
    let history = html.split("id=\"history\"").nth(1).expect("history");
    for code in ["on_the_way", "in_progress", " → resolved", "assigned →"] {
        assert!(!history.contains(code), "no status code {code:?} in the history");
    }
    assert!(history.contains(&app.t("ticket.status.resolved")), "statuses by name");
    let detail: Value = app.get(&format!("/api/v1/tickets/{id}"), Some(&admin)).await.json().await.expect("json");
    let odp_id = detail["completion"]["odp_id"].as_i64().expect("odp");
    let code = aglis_db::repo::odps::get(&app.state.db, odp_id).await.expect("db").expect("the ODP").code;
    assert!(html.contains(code.as_str()), "the ODP by its code {code}");
    assert!(!html.contains("ID ODP") && !html.contains("ID paket"), "no ids as labels");
    let package = aglis_db::repo::packages::get(&app.state.db, 2).await.expect("db").expect("package 2");
    assert!(html.contains(&package.name.replace('&', "&amp;")), "the package by its name");
    assert!(!html.contains("rahasia2026"), "customer service does not see the Wi-Fi password");
    assert!(html.contains(&app.t("ticket.reading.hidden")));

    let (_, html) = resolved_ticket_page(&app, &admin, "sari.spv").await;
    assert!(html.contains("rahasia2026"), "a supervisor does");

    // The API keeps the same secret from the same people.
    let (_, cs_token) = app.user_with_token("yuli.cs", Role::CustomerService).await;
    let seen: Value = app.get(&format!("/api/v1/tickets/{id}"), Some(&cs_token)).await.json().await.expect("json");
    assert!(seen["completion"]["wifi_name"].is_string() && seen["completion"].get("wifi_password").is_none(), "{seen}");
    assert_eq!(detail["completion"]["wifi_password"], "rahasia2026", "an admin reads it");
}
