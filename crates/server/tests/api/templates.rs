//! Message templates per event and language: admins edit them with a preview; a variable the
//! event does not provide is refused at save time; sends by template use the saved text.

use crate::helpers::{csrf_token, problem, spawn_app};
use aglis_core::notification_catalog::EVENTS;
use aglis_core::permission::Role;
use aglis_db::repo::messages;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn template_id(app: &crate::helpers::TestApp, token: &str, event: &str, language: &str) -> i64 {
    let list: Value =
        app.get("/api/v1/notification-templates?per_page=200", Some(token)).await.json().await.expect("json");
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|t| t["event"] == event && t["language"] == language)
        .and_then(|t| t["id"].as_i64())
        .expect("template exists")
}

#[tokio::test]
async fn every_event_has_an_indonesian_and_an_english_text_from_the_start() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token("dewi", Role::CustomerService).await;
    let res = app.get("/api/v1/notification-templates?per_page=200", Some(&token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let list: Value = res.json().await.expect("json");
    assert_eq!(list["total"].as_u64(), Some(EVENTS.len() as u64 * 2));
    let list = list["items"].as_array().expect("items");
    assert_eq!(list.len(), EVENTS.len() * 2);
    let sla = list.iter().find(|t| t["event"] == "sla_warning" && t["language"] == "id").expect("sla_warning/id");
    assert!(sla["body"].as_str().is_some_and(|b| b.contains("{{ticketNumber}}")), "{sla}");
    let names: Vec<&str> =
        sla["variables"].as_array().expect("vars").iter().filter_map(|v| v["name"].as_str()).collect();
    assert!(names.contains(&"remaining"), "{names:?}");
}

#[tokio::test]
async fn an_undeclared_variable_is_refused_at_save_time_and_a_good_text_is_used_by_the_next_send() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let id = template_id(&app, &admin, "payment_reminder", "id").await;
    let path = format!("/api/v1/notification-templates/{id}");

    let res = app
        .send_json(
            reqwest::Method::PUT,
            &path,
            Some(&admin),
            &json!({"subject": "Tagihan {{invoiceNumber}}", "body": "Halo {{customerName}}, paket {{packageName}}"}),
        )
        .await;
    let p = problem(res, 422).await;
    assert!(p["errors"]["body"][0].as_str().is_some_and(|m| m.contains("packageName")), "{p}");
    let res =
        app.send_json(reqwest::Method::PUT, &path, Some(&admin), &json!({"subject": "{{nope", "body": "Halo"})).await;
    assert!(problem(res, 422).await["errors"]["subject"].is_array());

    let text = "Yth. {{customerName}}, tagihan {{invoiceNumber}} sebesar {{amount}} jatuh tempo {{dueDate}}.";
    let res = app
        .send_json(
            reqwest::Method::PUT,
            &path,
            Some(&admin),
            &json!({"subject": "Tagihan {{invoiceNumber}}", "body": text}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    // A send by template renders the saved text with the given values.
    let vars = json!({"customerName": "Ibu Sri Wahyuni", "invoiceNumber": "INV-202611-0042", "amount": "Rp 388.500",
        "dueDate": "01/12/2026", "portalUrl": "https://aglis.example/portal"});
    let res = app
        .post_json(
            "/api/v1/notifications",
            Some(&admin),
            &json!({"channel": "whatsapp", "to": "0857-2233-4455", "template": "payment_reminder", "variables": vars}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let mid = res.json::<Value>().await.expect("json")["id"].as_i64().expect("id");
    let m = messages::get(&app.state.db, mid).await.expect("db").expect("message");
    assert_eq!(m.body, "Yth. Ibu Sri Wahyuni, tagihan INV-202611-0042 sebesar Rp 388.500 jatuh tempo 01/12/2026.");
    assert_eq!(m.subject.as_deref(), Some("Tagihan INV-202611-0042"));
    assert_eq!(m.template_code.as_deref(), Some("payment_reminder"));

    // The English text is separate and still the default.
    let res = app
        .post_json(
            "/api/v1/notifications",
            Some(&admin),
            &json!({"channel": "whatsapp", "to": "0857-2233-4455", "template": "payment_reminder", "language": "en", "variables": vars}),
        )
        .await;
    let mid = res.json::<Value>().await.expect("json")["id"].as_i64().expect("id");
    let m = messages::get(&app.state.db, mid).await.expect("db").expect("message");
    assert!(m.body.starts_with("Hello Ibu Sri Wahyuni, invoice *INV-202611-0042*"), "{}", m.body);
}

#[tokio::test]
async fn sends_by_template_name_what_is_missing_or_unknown() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token("dewi", Role::CustomerService).await;
    let cases = [
        (
            json!({"channel": "whatsapp", "to": "0812-3456-7890", "template": "maintenance", "variables": {"area": "Telukjambe"}}),
            "variables",
            "eta",
        ),
        (
            json!({"channel": "whatsapp", "to": "0812-3456-7890", "template": "maintenance", "variables": {"area": "a", "eta": "b", "actions": "c", "zona": "d"}}),
            "variables",
            "zona",
        ),
        (json!({"channel": "whatsapp", "to": "0812-3456-7890", "template": "tidak_ada"}), "template", "maintenance"),
        (
            json!({"channel": "whatsapp", "to": "0812-3456-7890", "template": "maintenance", "body": "x"}),
            "body",
            "either",
        ),
        (json!({"channel": "whatsapp", "to": "0812-3456-7890"}), "body", "template"),
        (json!({"channel": "whatsapp", "body": "x"}), "to", "exactly one"),
        (json!({"channel": "whatsapp", "to": "0812-3456-7890", "group": "Semua", "body": "x"}), "to", "exactly one"),
    ];
    for (body, field, mentions) in cases {
        let p = problem(app.post_json("/api/v1/notifications", Some(&token), &body).await, 422).await;
        let msg = p["errors"][field][0].as_str().unwrap_or_default().to_owned();
        assert!(msg.contains(mentions), "{body} → {field}: {p}");
    }
    let list: Value = app.get("/api/v1/notifications", Some(&token)).await.json().await.expect("json");
    assert_eq!(list["total"], 0, "nothing was recorded");
}

#[tokio::test]
async fn only_admins_change_texts_and_preview_fills_examples() {
    let app = spawn_app().await;
    let (_, cs) = app.user_with_token("dewi", Role::CustomerService).await;
    let (_, tech) = app.user_with_token("agus", Role::Technician).await;
    let id = template_id(&app, &cs, "sla_warning", "id").await;
    let res = app
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/notification-templates/{id}"),
            Some(&cs),
            &json!({"body": "x"}),
        )
        .await;
    problem(res, 403).await;
    problem(app.get("/api/v1/notification-templates", Some(&tech)).await, 403).await;

    let res = app
        .post_json(
            &format!("/api/v1/notification-templates/{id}/preview"),
            Some(&cs),
            &json!({"body": "SLA {{ticketNumber}} sisa {{remaining}}", "variables": {"remaining": "10 menit"}}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let p: Value = res.json().await.expect("json");
    assert_eq!(p["body"], "SLA TKT20261125003 sisa 10 menit");
    let res = app
        .post_json(&format!("/api/v1/notification-templates/{id}/preview"), Some(&cs), &json!({"body": "{{harga}}"}))
        .await;
    problem(res, 422).await;
    problem(
        app.post_json("/api/v1/notification-templates/999999/preview", Some(&cs), &json!({"body": "x"})).await,
        404,
    )
    .await;
}

#[tokio::test]
async fn the_editor_previews_without_saving_and_saves_for_admins() {
    let app = spawn_app().await;
    app.insert_user("andi", Role::Admin).await;
    let browser = app.browser_login("andi").await;
    let list = browser.get(app.url("/notifications/templates")).send().await.expect("page").text().await.expect("html");
    assert!(list.contains("installation_schedule"), "every event is listed");
    let token = app.token("andi").await;
    let id = template_id(&app, &token, "maintenance", "id").await;
    let path = format!("/notifications/templates/{id}");
    let page = browser.get(app.url(&path)).send().await.expect("page").text().await.expect("html");
    assert!(page.contains("Telukjambe Timur"), "the saved text is previewed with example values");
    let csrf = csrf_token(&page);

    let text = "Perbaikan di {{area}} selesai {{eta}}.";
    let res = browser
        .post(app.url(&path))
        .form(&[("csrf_token", csrf.as_str()), ("subject", ""), ("body", text), ("action", "preview")])
        .send()
        .await
        .expect("preview");
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("html");
    assert!(html.contains("Perbaikan di Telukjambe Timur selesai 14.00 WIB."), "preview of the unsaved text");
    let saved: Value =
        app.get("/api/v1/notification-templates?per_page=200", Some(&token)).await.json().await.expect("json");
    assert!(saved["items"].as_array().expect("items").iter().all(|t| t["body"] != text), "preview does not save");

    let res = browser
        .post(app.url(&path))
        .form(&[("csrf_token", csrf.as_str()), ("subject", ""), ("body", "Di {{kota}}"), ("action", "save")])
        .send()
        .await
        .expect("save");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains("kota"), "the error names the variable");

    let res = browser
        .post(app.url(&path))
        .form(&[("csrf_token", csrf.as_str()), ("subject", "Info {{area}}"), ("body", text), ("action", "save")])
        .send()
        .await
        .expect("save");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let saved: Value =
        app.get("/api/v1/notification-templates?per_page=200", Some(&token)).await.json().await.expect("json");
    assert!(
        saved["items"].as_array().expect("items").iter().any(|t| t["body"] == text && t["subject"] == "Info {{area}}")
    );
}
