//! Dated pauses entered by staff: their days are not billed; the rules of what may be entered
//! answer 422 naming the field; one not begun may be cancelled, one under way ended early.

use crate::billing::{customer, month, silver, wib};
use crate::helpers::{problem, spawn_app};
use aglis_core::customer::CustomerStatus;
use aglis_core::permission::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn a_paused_fortnight_is_not_billed_and_bad_pauses_are_refused_by_field() {
    let app = spawn_app().await; // 18 November 2026
    let package = silver(&app).await;
    let id = customer(&app, 1, package, CustomerStatus::Active, wib(2026, 3, 1, 9)).await;
    let prospect = customer(&app, 2, package, CustomerStatus::Prospect, wib(2026, 11, 1, 9)).await;
    let (_, cs) = app.user_with_token("dewi", Role::CustomerService).await;
    let (_, tech) = app.user_with_token("agus", Role::Technician).await;
    let path = format!("/api/v1/customers/{id}/pauses");

    // Away 1–14 December: 14 of 31 days not billed.
    let res = app
        .post_json(
            &path,
            Some(&cs),
            &json!({"first_day": "2026-12-01", "last_day": "2026-12-14", "note": "mudik ke Solo"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let pause: Value = res.json().await.expect("json");
    assert_eq!((pause["reason"].as_str(), pause["last_day"].as_str()), (Some("paused"), Some("2026-12-14")));
    let dec = month(&app, "2026-12", false).await;
    assert_eq!(dec.created, 1);
    let inv: Value =
        app.get(&format!("/api/v1/invoices?customer_id={id}"), Some(&cs)).await.json().await.expect("json");
    let subtotal = inv["items"][0]["subtotal"].as_i64().expect("subtotal");
    assert_eq!(subtotal, (199_900 * 17 + 15) / 31, "17 of 31 days at Rp199.900");

    // What may not be entered names its field.
    for (body, field) in [
        (json!({"first_day": "2026-12-20", "last_day": "2026-12-19"}), "last_day"),
        (json!({"first_day": "2027-01-01", "last_day": "2027-07-30"}), "last_day"),
        (json!({"first_day": "2026-10-01", "last_day": "2026-10-05"}), "first_day"),
        (json!({"first_day": "2026-12-10", "last_day": "2026-12-20"}), "first_day"),
    ] {
        let body = problem(app.post_json(&path, Some(&cs), &body).await, 422).await;
        assert!(body["errors"][field].is_array(), "{body}");
    }
    let not_running = format!("/api/v1/customers/{prospect}/pauses");
    problem(
        app.post_json(&not_running, Some(&cs), &json!({"first_day": "2026-12-01", "last_day": "2026-12-02"})).await,
        422,
    )
    .await;
    let res = app.post_json(&path, Some(&tech), &json!({"first_day": "2027-01-05", "last_day": "2027-01-06"})).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "technicians do not edit customers");

    // A pause under way is ended early; one not begun is cancelled; one that is over stays.
    let later = app.post_json(&path, Some(&cs), &json!({"first_day": "2027-02-01", "last_day": "2027-02-10"})).await;
    let later: Value = later.json().await.expect("json");
    app.clock.set(wib(2026, 12, 5, 10));
    let first = pause["id"].as_i64().expect("id");
    let res = app.delete(&format!("/api/v1/service-pauses/{first}"), Some(&cs)).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app.delete(&format!("/api/v1/service-pauses/{}", later["id"]), Some(&cs)).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let list: Value = app.get(&path, Some(&cs)).await.json().await.expect("json");
    assert_eq!(list["total"], 1, "the cancelled one is gone: {list}");
    assert_eq!(list["items"][0]["last_day"], "2026-12-04", "ended the day before today: {list}");
    app.clock.set(wib(2026, 12, 20, 10));
    problem(app.delete(&format!("/api/v1/service-pauses/{first}"), Some(&cs)).await, 409).await;

    // The customer's history tells the story.
    let browser = app.browser_login("dewi").await;
    let page =
        browser.get(app.url(&format!("/customers/{id}"))).send().await.expect("page").text().await.expect("html");
    assert!(page.contains(&app.t("cust.event.paused")) && page.contains(&app.t("cust.event.pause_ended")));
    assert!(page.contains(&app.t("cust.event.pause_cancelled")));
    assert!(page.contains("01-12-2026 – 04-12-2026"), "the pause as it ended");
}

#[tokio::test]
async fn the_customer_page_enters_a_pause_and_says_what_is_wrong_in_indonesian() {
    let app = spawn_app().await;
    let package = silver(&app).await;
    let id = customer(&app, 1, package, CustomerStatus::Active, wib(2026, 3, 1, 9)).await;
    app.insert_user("dewi", Role::CustomerService).await;
    let browser = app.browser_login("dewi").await;
    let token = app.page_csrf(&browser, &format!("/customers/{id}")).await;
    let post = |first: &'static str, last: &'static str| {
        browser
            .post(app.url(&format!("/customers/{id}/pauses")))
            .form(&[
                ("csrf_token", token.as_str()),
                ("first_day", first),
                ("last_day", last),
                ("note", "renovasi rumah"),
            ])
            .send()
    };
    let res = post("2026-12-20", "2026-12-10").await.expect("post");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains("hari terakhir tidak boleh sebelum hari pertama"), "in the page's language");
    let res = post("", "2026-12-10").await.expect("post");
    assert!(res.text().await.expect("html").contains("isi tanggal"));
    let res = post("2026-12-10", "2026-12-20").await.expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page =
        browser.get(app.url(&format!("/customers/{id}"))).send().await.expect("page").text().await.expect("html");
    assert!(page.contains("10-12-2026 – 20-12-2026") && page.contains("renovasi rumah"), "listed with its note");
    assert!(page.contains("/cancel\""), "not begun: it may be cancelled");
}
