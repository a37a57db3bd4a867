//! Validation messages on the pages speak the visitor's language: the public sign-up form and
//! the staff customer form, in Indonesian by default and in English when chosen.

use crate::helpers::{TestApp, csrf_token, spawn_app};
use aglis_core::permission::Role;
use aglis_server::i18n::Lang;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn package(app: &TestApp) -> String {
    let (_, admin) = app.user_with_token("admin.paket", Role::Admin).await;
    let res = app
        .post_json(
            "/api/v1/packages",
            Some(&admin),
            &json!({"name": "Home Silver 50M", "speed_mbps": 50, "monthly_price": 199_900, "installation_fee": 100_000}),
        )
        .await;
    res.json::<Value>().await.expect("json")["id"].as_i64().expect("id").to_string()
}

fn escaped(text: &str) -> String {
    text.replace('&', "&amp;").replace('\'', "&#39;").replace('"', "&#34;")
}

/// Posts the sign-up form with a foreign phone number and a one-letter name; answers the page.
async fn bad_signup(app: &TestApp, browser: &reqwest::Client, query: &str, package_id: &str) -> String {
    let html = browser.get(app.url(&format!("/signup{query}"))).send().await.expect("form").text().await.expect("html");
    let csrf = csrf_token(&html);
    let stamp =
        html.split("name=\"stamp\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("stamp").to_owned();
    app.clock.advance(Duration::seconds(20));
    let form = [
        ("csrf_token", csrf.as_str()),
        ("stamp", &stamp),
        ("website", ""),
        ("full_name", "S"),
        ("phone", "+1 202 555 0143"),
        ("address", "Perum Galuh Mas Blok C2 No. 7"),
        ("city", "Karawang"),
        ("package_id", package_id),
    ];
    let res = browser.post(app.url("/signup")).form(&form).send().await.expect("submit");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    res.text().await.expect("html")
}

#[tokio::test]
async fn the_signup_form_explains_mistakes_in_the_visitors_language() {
    let app = spawn_app().await;
    let pkg = package(&app).await;

    let browser = app.browser();
    let html = bad_signup(&app, &browser, "", &pkg).await;
    for key in ["val.phone.not_indonesian", "val.customer.name"] {
        assert!(html.contains(&escaped(Lang::Id.t(key))), "Indonesian {key} shown");
        assert!(!html.contains(&escaped(Lang::En.t(key))), "no English {key}");
    }
    assert!(!html.contains("@val."), "no message key leaks");

    let browser = app.browser();
    let html = bad_signup(&app, &browser, "?lang=en", &pkg).await;
    for key in ["val.phone.not_indonesian", "val.customer.name"] {
        assert!(html.contains(&escaped(Lang::En.t(key))), "English {key} shown");
    }
}

#[tokio::test]
async fn the_staff_customer_form_explains_mistakes_in_indonesian_and_english() {
    let app = spawn_app().await;
    let pkg = package(&app).await;
    app.insert_user("rina", Role::CustomerService).await;
    let browser = app.browser_login("rina").await;
    for lang in [Lang::Id, Lang::En] {
        let code = if lang == Lang::En { "en" } else { "id" };
        let html = browser
            .get(app.url(&format!("/customers/new?lang={code}")))
            .send()
            .await
            .expect("form")
            .text()
            .await
            .expect("html");
        let csrf = csrf_token(&html);
        let form = [
            ("csrf_token", csrf.as_str()),
            ("name", "Budi Santoso"),
            ("phone", "12345"),
            ("address", "Jl"),
            ("city", "Bekasi"),
            ("package_id", pkg.as_str()),
            ("ktp", "12"),
        ];
        let res = browser.post(app.url("/customers")).form(&form).send().await.expect("post");
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text().await.expect("html");
        for key in ["val.customer.address", "val.customer.ktp"] {
            assert!(html.contains(&escaped(lang.t(key))), "{code}: {key} shown");
        }
        assert!(!html.contains("@val."), "no message key leaks");
    }
}
