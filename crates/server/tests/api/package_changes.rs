//! A change of package is recorded with the day and both prices, shown on the customer's page,
//! and the monthly run bills each day at the package of that day.

use crate::billing::{customer, silver, wib};
use crate::helpers::spawn_app;
use aglis_core::customer::CustomerStatus;
use aglis_core::permission::Role;
use aglis_core::proration::Period;
use aglis_core::schedule::JAKARTA;
use aglis_db::entity::invoices as invoice_rows;
use aglis_db::repo::{invoices, package_changes};
use aglis_server::billing::run::run;
use chrono::Datelike;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

fn round_div(n: i64, d: i64) -> i64 {
    (2 * n + d).div_euclid(2 * d)
}

#[tokio::test]
async fn a_customer_moved_to_another_package_is_billed_at_each_days_package() {
    let app = spawn_app().await;
    let silver = silver(&app).await;
    let (_, admin) = app.user_with_token("admin", Role::Admin).await;
    let gold = app
        .post_json(
            "/api/v1/packages",
            Some(&admin),
            &json!({"name": "Home Gold 100M", "speed_mbps": 100, "monthly_price": 300_000, "installation_fee": 0}),
        )
        .await;
    assert_eq!(gold.status(), StatusCode::CREATED);
    let gold = gold.json::<Value>().await.expect("json")["id"].as_i64().expect("id");
    let id = customer(&app, 1, silver, CustomerStatus::Active, wib(2026, 3, 1, 9)).await;

    // The customer upgrades today, through the API.
    let current: Value = app.get(&format!("/api/v1/customers/{id}"), Some(&admin)).await.json().await.expect("json");
    let body = |package: i64| {
        json!({"name": current["name"], "phone": current["phone"], "address": current["address"],
               "city": current["city"], "package_id": package})
    };
    let res = app.send_json(reqwest::Method::PUT, &format!("/api/v1/customers/{id}"), Some(&admin), &body(gold)).await;
    assert_eq!(res.status(), StatusCode::OK);
    // Saving the profile again without a new package records no change.
    let res = app.send_json(reqwest::Method::PUT, &format!("/api/v1/customers/{id}"), Some(&admin), &body(gold)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let today = app.state.now().with_timezone(&JAKARTA).date_naive();
    let changes = package_changes::of_customer(&app.state.db, id).await.expect("changes");
    assert_eq!(changes.len(), 1, "{changes:?}");
    let c = &changes[0];
    assert_eq!((c.from_package_id, c.to_package_id, c.effective_on), (silver, gold, today));
    assert_eq!(
        (c.from_name.as_str(), c.from_price, c.to_name.as_str(), c.to_price),
        ("Home Silver 50M", 199_900, "Home Gold 100M", 300_000)
    );

    // This month: the days before today at Silver, from today at Gold.
    let period = Period::containing(today);
    let report = run(&app.state, period, false, None, None).await.expect("run");
    assert_eq!(report.created, 1, "{report:?}");
    let invoice = invoice_rows::Entity::find()
        .filter(invoice_rows::Column::Period.eq(period.to_string()))
        .one(&app.state.db)
        .await
        .expect("db")
        .expect("invoice");
    let lines = invoices::lines(&app.state.db, invoice.id).await.expect("lines");
    let days = period.days();
    let before = i64::from(today.day()) - 1;
    let mut expected = Vec::new();
    if before > 0 {
        expected.push(("Home Silver 50M", before, round_div(199_900 * before, days)));
    }
    expected.push(("Home Gold 100M", days - before, round_div(300_000 * (days - before), days)));
    let got: Vec<(i64, i64)> = lines.iter().map(|l| (i64::from(l.days.unwrap_or(0)), l.amount)).collect();
    assert_eq!(got, expected.iter().map(|(_, d, a)| (*d, *a)).collect::<Vec<_>>(), "{lines:?}");
    for (line, (name, _, _)) in lines.iter().zip(&expected) {
        assert!(line.description.contains(name), "{} should name {name}", line.description);
    }

    // Last month, billed late (after the change), is all Silver: the package it had.
    let report = run(&app.state, period.previous(), false, None, None).await.expect("run");
    assert_eq!(report.created, 1);
    let last = invoice_rows::Entity::find()
        .filter(invoice_rows::Column::Period.eq(period.previous().to_string()))
        .one(&app.state.db)
        .await
        .expect("db")
        .expect("invoice");
    let lines = invoices::lines(&app.state.db, last.id).await.expect("lines");
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].amount, 199_900);
    assert!(lines[0].description.contains("Home Silver 50M"), "{}", lines[0].description);

    // Staff see the change on the customer's page, in both languages.
    app.insert_user("cs", Role::CustomerService).await;
    let browser = app.browser_login("cs").await;
    for (lang, title) in [("id", "Riwayat paket"), ("en", "Package history")] {
        let page = browser.get(app.url(&format!("/customers/{id}?lang={lang}"))).send().await.expect("page");
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.expect("html");
        assert!(html.contains(title), "{lang}");
        assert!(html.contains("id=\"package-changes\""));
        assert!(html.contains(&format!("{}: Home Silver 50M", today.format("%d-%m-%Y"))), "{lang}");
    }
}
