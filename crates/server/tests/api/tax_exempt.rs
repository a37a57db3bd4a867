//! PPN exemption of a customer or a package, set through the API and the forms: the monthly run
//! charges no PPN to them and everyone else pays it.

use crate::billing::{customer, month, silver, wib};
use crate::helpers::spawn_app;
use aglis_core::customer::CustomerStatus;
use aglis_core::permission::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn an_exempt_customer_or_package_pays_no_ppn_and_the_rest_do() {
    let app = spawn_app().await;
    let silver = silver(&app).await;
    let (_, admin) = app.user_with_token("admin", Role::Admin).await;
    let school = app
        .post_json(
            "/api/v1/packages",
            Some(&admin),
            &json!({"name": "Sekolah 100M", "speed_mbps": 100, "monthly_price": 300_000, "installation_fee": 0, "tax_exempt": true}),
        )
        .await;
    assert_eq!(school.status(), StatusCode::CREATED);
    let school: Value = school.json().await.expect("json");
    assert_eq!(school["tax_exempt"], true);
    let school = school["id"].as_i64().expect("id");
    let plain = customer(&app, 1, silver, CustomerStatus::Active, wib(2026, 3, 1, 9)).await;
    let mosque = customer(&app, 2, silver, CustomerStatus::Active, wib(2026, 3, 1, 9)).await;
    let pupil = customer(&app, 3, school, CustomerStatus::Active, wib(2026, 3, 1, 9)).await;

    // The mosque is marked exempt through the API; its other fields stay.
    let current: Value =
        app.get(&format!("/api/v1/customers/{mosque}"), Some(&admin)).await.json().await.expect("json");
    assert_eq!(current["tax_exempt"], false);
    let body = json!({
        "name": current["name"], "phone": current["phone"], "address": current["address"],
        "city": current["city"], "package_id": silver, "tax_exempt": true,
    });
    let res = app.send_json(reqwest::Method::PUT, &format!("/api/v1/customers/{mosque}"), Some(&admin), &body).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.expect("json")["tax_exempt"], true);

    month(&app, "2026-12", false).await;
    let totals: Value = app.get("/api/v1/invoices?period=2026-12", Some(&admin)).await.json().await.expect("json");
    let of = |id: i64| {
        totals["items"].as_array().expect("items").iter().find(|i| i["customer_id"] == id).cloned().expect("invoice")
    };
    assert_eq!((of(plain)["ppn"].as_i64(), of(plain)["total"].as_i64()), (Some(21_989), Some(221_889)));
    assert_eq!((of(mosque)["ppn"].as_i64(), of(mosque)["total"].as_i64()), (Some(0), Some(199_900)));
    assert_eq!((of(pupil)["ppn"].as_i64(), of(pupil)["total"].as_i64()), (Some(0), Some(300_000)));
}

#[tokio::test]
async fn the_customer_and_package_forms_tick_and_untick_the_exemption() {
    let app = spawn_app().await;
    let silver = silver(&app).await;
    let id = customer(&app, 1, silver, CustomerStatus::Active, wib(2026, 3, 1, 9)).await;
    app.insert_user("admin", Role::Admin).await;
    let browser = app.browser_login("admin").await;

    let edit =
        browser.get(app.url(&format!("/customers/{id}/edit"))).send().await.expect("page").text().await.expect("html");
    assert!(edit.contains("name=\"tax_exempt\"") && !edit.contains("name=\"tax_exempt\" value=\"1\" checked"));
    let token = crate::helpers::csrf_token(&edit);
    let form = |exempt: bool| {
        let mut f = vec![
            ("csrf_token", token.clone()),
            ("name", "Masjid Al-Ikhlas".to_owned()),
            ("phone", "0812-0000-0001".to_owned()),
            ("address", "Jl. Kertabumi No. 5".to_owned()),
            ("city", "Karawang".to_owned()),
            ("package_id", silver.to_string()),
            ("language", "id".to_owned()),
        ];
        if exempt {
            f.push(("tax_exempt", "1".to_owned()));
        }
        f
    };
    let res = browser.post(app.url(&format!("/customers/{id}/edit"))).form(&form(true)).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let show =
        browser.get(app.url(&format!("/customers/{id}"))).send().await.expect("page").text().await.expect("html");
    assert!(show.contains(&app.t("billing.no_ppn")), "the customer page says so");
    assert!(show.contains("tax_exempt: false → true"), "and the history records it");
    let res = browser.post(app.url(&format!("/customers/{id}/edit"))).form(&form(false)).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let c = aglis_db::repo::customers::get(&app.state.db, id).await.expect("db").expect("customer");
    assert!(!c.tax_exempt, "unticked");

    let res = browser
        .post(app.url(&format!("/admin/packages/{silver}")))
        .form(&[
            ("csrf_token", token.as_str()),
            ("name", "Home Silver 50M"),
            ("speed_mbps", "50"),
            ("monthly_price", "199900"),
            ("installation_fee", "250000"),
            ("is_active", "1"),
            ("tax_exempt", "1"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let p = aglis_db::repo::packages::get(&app.state.db, silver).await.expect("db").expect("package");
    assert!(p.tax_exempt);
    let list = browser.get(app.url("/admin/packages")).send().await.expect("page").text().await.expect("html");
    assert!(list.contains(&app.t("billing.no_ppn")));
}
