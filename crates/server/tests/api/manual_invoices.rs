//! Invoices made by hand and credit notes: numbered in this month's series, PPN as the settings
//! say, charged in the ledger; a credit note takes back at most what is owed, once, and the
//! statement, the invoice page and the PDF tell it from money paid.

use crate::billing::{customer, month, silver, wib};
use crate::helpers::{TestApp, problem, spawn_app};
use aglis_core::customer::CustomerStatus;
use aglis_core::permission::Role;
use aglis_db::repo::ledger;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn setup() -> (TestApp, i64, String) {
    let app = spawn_app().await; // 18 November 2026
    let package = silver(&app).await;
    let id = customer(&app, 1, package, CustomerStatus::Active, wib(2026, 3, 1, 9)).await;
    let (_, manager) = app.user_with_token("rina", Role::Manager).await;
    (app, id, manager)
}

#[tokio::test]
async fn a_manual_invoice_takes_the_next_number_charges_ppn_and_the_ledger() {
    let (app, id, manager) = setup().await;
    month(&app, "2026-11", false).await; // INV-202611-000001
    let body = json!({"customer_id": id, "lines": [
        {"description": "Router ZTE F670L", "quantity": 1, "unit_price": 350_000},
        {"description": "Kabel drop 50 m", "quantity": 2, "unit_price": 75_000},
    ]});
    let res = app.post_json("/api/v1/invoices", Some(&manager), &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let inv: Value = res.json().await.expect("json");
    assert_eq!(inv["number"], "INV-202611-000002", "the next of this month's series");
    assert_eq!((inv["kind"].as_str(), inv["subtotal"].as_i64()), (Some("manual"), Some(500_000)));
    assert_eq!((inv["ppn"].as_i64(), inv["total"].as_i64()), (Some(55_000), Some(555_000)), "12 % of 11/12");
    assert_eq!(inv["due_on"], "2026-11-25", "today + the settings' 7 days");
    let balance = ledger::balance(&app.state.db, id).await.expect("balance");
    assert_eq!(balance, 221_889 + 555_000, "both charges in the ledger");

    // Each wrong line is named; nothing is written.
    let bad = json!({"customer_id": id, "lines": [
        {"description": "Ok baris", "quantity": 1, "unit_price": 10_000},
        {"description": "x", "quantity": 0, "unit_price": 10_000},
    ], "due_on": "2026-10-01"});
    let body = problem(app.post_json("/api/v1/invoices", Some(&manager), &bad).await, 422).await;
    for field in ["lines[1].description", "lines[1].quantity", "due_on"] {
        assert!(body["errors"][field].is_array(), "{field}: {body}");
    }
    let unknown =
        json!({"customer_id": 999_999, "lines": [{"description": "Relokasi", "quantity": 1, "unit_price": 1}]});
    let body = problem(app.post_json("/api/v1/invoices", Some(&manager), &unknown).await, 422).await;
    assert!(body["errors"]["customer_id"].is_array(), "{body}");
    let (_, cs) = app.user_with_token("dewi", Role::CustomerService).await;
    let ok = json!({"customer_id": id, "lines": [{"description": "Relokasi", "quantity": 1, "unit_price": 100_000}]});
    assert_eq!(app.post_json("/api/v1/invoices", Some(&cs), &ok).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(ledger::balance(&app.state.db, id).await.expect("balance"), balance, "nothing more");
}

#[tokio::test]
async fn a_credit_note_takes_back_at_most_what_is_owed_and_is_not_money_paid() {
    let (app, id, manager) = setup().await;
    month(&app, "2026-11", false).await;
    let list: Value =
        app.get(&format!("/api/v1/invoices?customer_id={id}"), Some(&manager)).await.json().await.expect("json");
    let inv = list["items"][0]["id"].as_i64().expect("id");
    let path = format!("/api/v1/invoices/{inv}/credit-notes");

    let res = app.post_json(&path, Some(&manager), &json!({"amount": 221_890, "reason": "Salah tagih"})).await;
    let body = problem(res, 422).await;
    assert!(body["errors"]["amount"][0].as_str().is_some_and(|m| m.contains("221.889")), "names what is owed: {body}");
    problem(app.post_json(&path, Some(&manager), &json!({"amount": 1000, "reason": " "})).await, 422).await;

    let res =
        app.post_json(&path, Some(&manager), &json!({"amount": 21_889, "reason": "Gangguan jaringan 3 hari"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let out: Value = res.json().await.expect("json");
    assert_eq!((out["invoice"]["paid"].as_i64(), out["invoice"]["credited"].as_i64()), (Some(21_889), Some(21_889)));
    assert_eq!(
        (out["invoice"]["outstanding"].as_i64(), out["invoice"]["status"].as_str()),
        (Some(200_000), Some("overdue")),
        "due on the 8th, still owing on the 18th"
    );
    assert_eq!(ledger::balance(&app.state.db, id).await.expect("balance"), 200_000);

    // The rest credited: the invoice is settled and takes no more.
    let res = app
        .post_json(&path, Some(&manager), &json!({"amount": 200_000, "reason": "Pelanggan pindah, dibebaskan"}))
        .await;
    let out: Value = res.json().await.expect("json");
    assert_eq!(out["invoice"]["status"], "paid");
    problem(app.post_json(&path, Some(&manager), &json!({"amount": 1, "reason": "Sekali lagi"})).await, 409).await;

    // The collections figures do not count credit notes as money collected.
    let figures = aglis_db::repo::billing_stats::per_period(&app.state.db, "2026-11").await.expect("stats");
    assert_eq!((figures[0].billed, figures[0].collected), (0, 0), "{figures:?}");

    // The invoice page lists the notes with who wrote them; the statement shows both entries.
    let browser = app.browser_login("rina").await;
    let html = browser
        .get(app.url(&format!("/billing/invoices/{inv}")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("Gangguan jaringan 3 hari") && html.contains("Pengguna rina"), "listed");
    let statement = browser
        .get(app.url(&format!("/customers/{id}/statement")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert_eq!(statement.matches("Pelanggan pindah, dibebaskan").count(), 1, "the ledger line");
    let pdf = app.get(&format!("/api/v1/invoices/{inv}/pdf"), Some(&manager)).await;
    assert_eq!(pdf.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_forms_make_an_invoice_and_a_credit_note_and_name_wrong_fields_in_indonesian() {
    let (app, id, _) = setup().await;
    let browser = app.browser_login("rina").await;
    let page = browser
        .get(app.url(&format!("/billing/invoices/new?customer={id}")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(page.contains("value=\"AGLS00000001\""), "the customer is filled in");
    let token = crate::helpers::csrf_token(&page);
    let form = |price: &'static str| {
        vec![
            ("csrf_token", token.clone()),
            ("customer_code", "AGLS00000001".to_owned()),
            ("description_0", "Pemasangan ulang".to_owned()),
            ("quantity_0", "1".to_owned()),
            ("unit_price_0", "150.000".to_owned()),
            ("description_2", "Kabel".to_owned()),
            ("quantity_2", "3".to_owned()),
            ("unit_price_2", price.to_owned()),
        ]
    };
    let res = browser.post(app.url("/billing/invoices/new")).form(&form("gratis")).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains("harga satuan Rp 1 sampai"), "in Indonesian, on the row typed: {html}");
    assert!(html.contains("value=\"Pemasangan ulang\""), "what was typed stays");
    let res = browser.post(app.url("/billing/invoices/new")).form(&form("25000")).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"].to_str().expect("location").to_owned();
    let html = browser.get(app.url(&to)).send().await.expect("page").text().await.expect("html");
    assert!(html.contains("Pemasangan ulang") && html.contains("Rp 225.000"), "150.000 + 3 × 25.000: {html}");

    let res = browser
        .post(app.url(&format!("{to}/credit-notes")))
        .form(&[("csrf_token", token.as_str()), ("amount", "999.999.999"), ("reason", "Diskon")])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains("paling banyak sisa tagihan"));
    let res = browser
        .post(app.url(&format!("{to}/credit-notes")))
        .form(&[("csrf_token", token.as_str()), ("amount", "25.000"), ("reason", "Diskon pelanggan setia")])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html =
        browser.get(app.url(&format!("{to}?credited=1"))).send().await.expect("page").text().await.expect("html");
    assert!(html.contains(&app.t("credit.done")) && html.contains("Diskon pelanggan setia"));
}
