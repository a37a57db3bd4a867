//! The SLA table and the holidays, edited through the API and the `/admin/sla` page: edits reach
//! tickets created afterwards and the SLA check, a holiday moves business-hours deadlines (of new
//! and open tickets), bad input is a 4xx naming the field, and only admins and supervisors edit.

use crate::helpers::{ClockExt, TestApp, csrf_token, problem, spawn_app};
use aglis_core::permission::Role;
use aglis_core::schedule::JAKARTA;
use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A Jakarta wall-clock time.
fn wib(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    JAKARTA.with_ymd_and_hms(y, mo, d, h, mi, 0).single().expect("valid WIB time").with_timezone(&Utc)
}

async fn customer(app: &TestApp, admin: &str) -> i64 {
    let pkg = app
        .post_json(
            "/api/v1/packages",
            Some(admin),
            &json!({"name": "Home Bronze 20M", "speed_mbps": 20, "monthly_price": 166_500, "installation_fee": 0}),
        )
        .await;
    let pkg: Value = pkg.json().await.expect("json");
    let res = app
        .post_json(
            "/api/v1/customers",
            Some(admin),
            &json!({"name": "Slamet Riyadi", "phone": "0812-8765-4321", "address": "Jl. Tuparev 88", "package_id": pkg["id"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.expect("json")["id"].as_i64().expect("id")
}

/// A repair ticket of `priority`: (id, its deadline).
async fn ticket(app: &TestApp, token: &str, customer: i64, priority: &str) -> (i64, DateTime<Utc>) {
    let res = app
        .post_json(
            "/api/v1/tickets",
            Some(token),
            &json!({"customer_id": customer, "type": "repair", "priority": priority, "description": "Internet mati total"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let t: Value = res.json().await.expect("json");
    (t["id"].as_i64().expect("id"), due(&t))
}

fn due(t: &Value) -> DateTime<Utc> {
    t["sla_due_at"].as_str().expect("a deadline").parse().expect("RFC 3339")
}

async fn due_of(app: &TestApp, token: &str, id: i64) -> DateTime<Utc> {
    due(&app.get(&format!("/api/v1/tickets/{id}"), Some(token)).await.json::<Value>().await.expect("json"))
}

async fn put_rows(app: &TestApp, token: &str, rows: Value) -> reqwest::Response {
    app.send_json(Method::PUT, "/api/v1/sla/targets", Some(token), &json!({ "rows": rows })).await
}

fn row<'a>(table: &'a Value, ticket_type: &str, priority: &str) -> &'a Value {
    table["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|r| r["ticket_type"] == ticket_type && r["priority"] == priority)
        .expect("row")
}

#[tokio::test]
async fn targets_are_edited_through_the_api_and_apply_to_tickets_created_afterwards() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let (_, supervisor) = app.user_with_token("sari.spv", Role::Supervisor).await;
    let cid = customer(&app, &admin).await;

    let table: Value = app.get("/api/v1/sla/targets", Some(&supervisor)).await.json().await.expect("json");
    assert_eq!(table["items"].as_array().map(Vec::len), Some(8), "4 rows for every type, 4 for installations");
    let high = row(&table, "*", "high");
    assert_eq!(
        (high["resolution_minutes"].as_i64(), high["calendar"].as_str(), high["custom"].as_bool()),
        (Some(240), Some("24x7"), Some(false))
    );
    assert_eq!(table["items"][0]["priority"], "critical", "most urgent first");

    let (before, due_before) = ticket(&app, &admin, cid, "high").await;
    let created = app.clock.now_utc();
    assert_eq!(due_before, created + Duration::hours(4), "the default: 4 h, 24/7");
    let res = put_rows(
        &app,
        &supervisor,
        json!([{"ticket_type": "repair", "priority": "high", "response_minutes": 20, "resolution_minutes": 90, "calendar": "24x7"}]),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let table: Value = res.json().await.expect("json");
    assert_eq!(row(&table, "repair", "high")["custom"], true);
    assert_eq!(row(&table, "*", "high")["custom"], false, "rows not sent stay as they are");
    app.clock.advance(Duration::minutes(5));
    let (_, due_after) = ticket(&app, &admin, cid, "high").await;
    assert_eq!(
        due_after,
        app.clock.now_utc() + Duration::minutes(90),
        "a ticket created afterwards gets the new target"
    );
    assert_eq!(due_of(&app, &admin, before).await, due_before, "a ticket keeps the promise it was opened with");

    // The SLA check measures with the new target: at 72 minutes (80 %) the new ticket escalates.
    app.clock.advance(Duration::minutes(72));
    let done = aglis_server::tickets::escalation::check(&app.state).await.expect("check");
    assert_eq!(done.escalations, 0, "high tickets escalate at 90 %, not 80 %");
    app.clock.advance(Duration::minutes(9));
    let done = aglis_server::tickets::escalation::check(&app.state).await.expect("check");
    assert_eq!(done.escalations, 1, "81 of 90 minutes: high → critical; the older ticket is at 36 %");
}

#[tokio::test]
async fn bad_targets_are_refused_by_field_and_nothing_is_half_saved() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let good = json!({"ticket_type": "*", "priority": "normal", "response_minutes": 60, "resolution_minutes": 600, "calendar": "24x7"});
    for (rows, field) in [
        (json!([]), "rows"),
        (
            json!([{"ticket_type": "speed_test", "priority": "high", "response_minutes": 1, "resolution_minutes": 2, "calendar": "24x7"}]),
            "rows[0].ticket_type",
        ),
        (
            json!([good, {"ticket_type": "*", "priority": "urgent", "response_minutes": 1, "resolution_minutes": 2, "calendar": "24x7"}]),
            "rows[1].priority",
        ),
        (
            json!([{"priority": "high", "response_minutes": 0, "resolution_minutes": 60, "calendar": "24x7"}]),
            "rows[0].response_minutes",
        ),
        (
            json!([{"priority": "high", "response_minutes": 10, "resolution_minutes": -60, "calendar": "24x7"}]),
            "rows[0].resolution_minutes",
        ),
        (
            json!([{"priority": "high", "response_minutes": 61, "resolution_minutes": 60, "calendar": "24x7"}]),
            "rows[0].resolution_minutes",
        ),
        (
            json!([{"priority": "high", "response_minutes": 10, "resolution_minutes": 60, "calendar": "always"}]),
            "rows[0].calendar",
        ),
        (
            json!([{"priority": "high", "response_minutes": 10, "resolution_minutes": 600_000, "calendar": "24x7"}]),
            "rows[0].resolution_minutes",
        ),
        (json!([good, good]), "rows[1].priority"),
    ] {
        let p = problem(put_rows(&app, &admin, rows.clone()).await, 422).await;
        assert!(p["errors"][field].is_array(), "{rows} → {p}");
    }
    let p = problem(put_rows(&app, &admin, json!([{"priority": "high", "response_minutes": "ten"}])).await, 422).await;
    assert!(p["detail"].as_str().is_some_and(|d| d.contains("response_minutes")), "{p}");
    let res = app.send_json(Method::PUT, "/api/v1/sla/targets", Some(&admin), &json!({"rows": "all"})).await;
    problem(res, 422).await;
    let table: Value = app.get("/api/v1/sla/targets", Some(&admin)).await.json().await.expect("json");
    assert!(
        table["items"].as_array().expect("items").iter().all(|r| r["custom"] == false),
        "the good row was not saved alone"
    );
    assert_eq!(row(&table, "*", "normal")["resolution_minutes"], 24 * 60);

    for (user, role) in [("agus", Role::Technician), ("bambang", Role::Manager), ("siti", Role::Customer)] {
        let (_, token) = app.user_with_token(user, role).await;
        problem(app.get("/api/v1/sla/targets", Some(&token)).await, 403).await;
        problem(put_rows(&app, &token, json!([good])).await, 403).await;
        problem(app.get("/api/v1/holidays", Some(&token)).await, 403).await;
        let res = app
            .post_json("/api/v1/holidays", Some(&token), &json!({"date": "2026-12-24", "name": "Cuti bersama Natal"}))
            .await;
        problem(res, 403).await;
        problem(app.send_json(Method::DELETE, "/api/v1/holidays/2026-12-25", Some(&token), &json!({})).await, 403)
            .await;
    }
}

#[tokio::test]
async fn a_holiday_moves_business_hours_deadlines_of_new_and_open_tickets_and_the_sla_check() {
    let app = spawn_app().await;
    // Wednesday 14 July 2027, 16:00 WIB: no public holiday that week.
    app.clock.set(wib(2027, 7, 14, 16, 0));
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let cid = customer(&app, &admin).await;
    // Normal tickets: one working day (9 h) on business hours.
    let res = put_rows(
        &app,
        &admin,
        json!([{"ticket_type": "*", "priority": "normal", "response_minutes": 60, "resolution_minutes": 540, "calendar": "business"}]),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (first, due) = ticket(&app, &admin, cid, "normal").await;
    assert_eq!(due, wib(2027, 7, 15, 16, 0), "1 h on Wednesday, 8 h on Thursday");

    let list: Value = app.get("/api/v1/holidays?year=2027", Some(&admin)).await.json().await.expect("json");
    assert_eq!(list["items"][0]["built_in"], true, "none stored yet: the built-in list");
    let built_in_2027 = list["items"].as_array().map_or(0, Vec::len);
    assert!(built_in_2027 >= 15 && list["items"][0]["date"] == "2027-01-01", "{list}");

    let res = app
        .post_json("/api/v1/holidays", Some(&admin), &json!({"date": "2027-07-15", "name": "Cuti bersama (uji)"}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let list: Value = app.get("/api/v1/holidays?year=2027", Some(&admin)).await.json().await.expect("json");
    assert_eq!(
        (list["items"][0]["built_in"].as_bool(), list["items"].as_array().map(Vec::len)),
        (Some(false), Some(built_in_2027 + 1))
    );
    assert!(
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|h| h["date"] == "2027-07-15" && h["name"] == "Cuti bersama (uji)")
    );
    let (_, due) = ticket(&app, &admin, cid, "normal").await;
    assert_eq!(due, wib(2027, 7, 16, 16, 0), "Thursday is skipped now");
    assert_eq!(due_of(&app, &admin, first).await, wib(2027, 7, 16, 16, 0), "the open ticket's deadline moved too");

    // The SLA check counts no time on the holiday: at Thursday 15:00 both tickets used 1 h of 9.
    app.clock.set(wib(2027, 7, 15, 15, 0));
    assert_eq!(aglis_server::tickets::escalation::check(&app.state).await.expect("check").escalations, 0);

    let res = app.send_json(Method::DELETE, "/api/v1/holidays/2027-07-15", Some(&admin), &json!({})).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(due_of(&app, &admin, first).await, wib(2027, 7, 15, 16, 0), "back to Thursday");
    let done = aglis_server::tickets::escalation::check(&app.state).await.expect("check");
    assert_eq!(done.escalations, 2, "8 of 9 hours used: both normal tickets reach 80 %");
    let (_, due) = ticket(&app, &admin, cid, "normal").await;
    assert_eq!(due, wib(2027, 7, 16, 15, 0), "2 h on Thursday, 7 h on Friday");

    // Bad input and what is not there.
    problem(app.send_json(Method::DELETE, "/api/v1/holidays/2027-07-15", Some(&admin), &json!({})).await, 404).await;
    // A path that is no day names no holiday: 404, like a missing id.
    for bad in ["2027-02-30", "15-07-2027", "{date}", "1999-01-01"] {
        let p = problem(
            app.send_json(Method::DELETE, &format!("/api/v1/holidays/{bad}"), Some(&admin), &json!({})).await,
            404,
        )
        .await;
        assert!(p["detail"].as_str().is_some_and(|d| d.contains("is not a holiday")), "{bad}: {p}");
    }
    let p = problem(
        app.post_json("/api/v1/holidays", Some(&admin), &json!({"date": "2027-08-17", "name": "HUT RI"})).await,
        409,
    )
    .await;
    assert!(p["detail"].as_str().is_some_and(|d| d.contains("Proklamasi")), "names the holiday already there: {p}");
    let p = problem(
        app.post_json("/api/v1/holidays", Some(&admin), &json!({"date": "2027-13-01", "name": " "})).await,
        422,
    )
    .await;
    assert!(p["errors"]["date"].is_array() && p["errors"]["name"].is_array(), "{p}");
    problem(app.post_json("/api/v1/holidays", Some(&admin), &json!({"date": 20270801})).await, 422).await;
    for bad in ["?year=1999", "?year=abc", "?year=99999999999"] {
        problem(app.get(&format!("/api/v1/holidays{bad}"), Some(&admin)).await, 422).await;
    }
    let this_year: Value = app.get("/api/v1/holidays", Some(&admin)).await.json().await.expect("json");
    let year = app.clock.now_utc().with_timezone(&JAKARTA).year().to_string();
    let dates: Vec<&str> =
        this_year["items"].as_array().expect("items").iter().filter_map(|h| h["date"].as_str()).collect();
    assert!(!dates.is_empty() && dates.iter().all(|d| d.starts_with(&year)), "this year by default: {dates:?}");
}

#[tokio::test]
async fn the_last_holiday_cannot_be_deleted() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let days: Vec<String> = aglis_core::sla::INDONESIAN_HOLIDAYS.iter().map(|(d, _)| d.to_string()).collect();
    let (last, rest) = days.split_last().expect("holidays");
    for d in rest {
        let res = app.send_json(Method::DELETE, &format!("/api/v1/holidays/{d}"), Some(&admin), &json!({})).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT, "{d}");
    }
    let p = problem(
        app.send_json(Method::DELETE, &format!("/api/v1/holidays/{last}"), Some(&admin), &json!({})).await,
        409,
    )
    .await;
    assert!(p["detail"].as_str().is_some_and(|d| d.contains("built-in")), "{p}");
    assert_eq!(aglis_db::repo::sla::holiday_list(&app.state.db).await.expect("db").len(), 1);
}

/// Posts a form from `/admin/sla` with its CSRF token.
async fn post_form(app: &TestApp, browser: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let csrf = app.page_csrf(browser, "/admin/sla").await;
    let mut fields: Vec<(&str, &str)> = vec![("csrf_token", csrf.as_str())];
    fields.extend_from_slice(form);
    browser.post(app.url(path)).form(&fields).send().await.expect("post")
}

#[tokio::test]
async fn the_page_edits_targets_and_holidays_with_a_confirmation_before_deleting() {
    let app = spawn_app().await;
    app.clock.set(wib(2026, 12, 1, 10, 0));
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    app.insert_user("sari.spv", Role::Supervisor).await;
    let browser = app.browser_login("sari.spv").await;
    let res = browser.get(app.url("/admin/sla")).send().await.expect("page");
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("html");
    assert!(html.contains(&app.t("slaadm.targets_help")) && html.contains(&app.t("slaadm.built_in")));
    assert!(html.contains("Kelahiran Yesus Kristus (Natal)"), "this year's built-in holidays");
    assert!(html.contains("name=\"all.high.resolution\" value=\"240\""), "{html}");

    // Only the row changed is stored.
    let res = post_form(
        &app,
        &browser,
        "/admin/sla/targets",
        &[
            ("all.high.response", "30"),
            ("all.high.resolution", "300"),
            ("all.high.calendar", "24x7"),
            ("all.low.response", "240"),
            ("all.low.resolution", "2880"),
            ("all.low.calendar", "business"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/admin/sla?saved=targets");
    let table: Value = app.get("/api/v1/sla/targets", Some(&admin)).await.json().await.expect("json");
    assert_eq!(
        (row(&table, "*", "high")["resolution_minutes"].as_i64(), row(&table, "*", "high")["custom"].as_bool()),
        (Some(300), Some(true))
    );
    assert_eq!(row(&table, "*", "low")["custom"], false, "unchanged rows stay defaults");
    let html = browser.get(app.url("/admin/sla?saved=targets")).send().await.expect("page").text().await.expect("html");
    assert!(html.contains(&app.t("slaadm.saved_targets")));

    // Refused: the typed values come back with the reason.
    let res = post_form(
        &app,
        &browser,
        "/admin/sla/targets",
        &[("all.high.response", "400"), ("all.high.resolution", "300")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains(&app.t("slaadm.err.order")) && html.contains("value=\"400\""));
    let res = post_form(&app, &browser, "/admin/sla/targets", &[("new.type", ""), ("new.response", "10")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("html").contains(&app.t("slaadm.err.type")));
    // A row for one type.
    let res = post_form(
        &app,
        &browser,
        "/admin/sla/targets",
        &[
            ("new.type", "wifi_setup"),
            ("new.priority", "low"),
            ("new.response", "120"),
            ("new.resolution", "1440"),
            ("new.calendar", "business"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let table: Value = app.get("/api/v1/sla/targets", Some(&admin)).await.json().await.expect("json");
    assert_eq!(row(&table, "wifi_setup", "low")["resolution_minutes"], 1440);

    // Holidays: add, refuse a day taken, confirm, delete.
    let res =
        post_form(&app, &browser, "/admin/sla/holidays", &[("date", "2026-12-24"), ("name", "Cuti bersama Natal")])
            .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/admin/sla?year=2026&saved=added");
    let res = post_form(&app, &browser, "/admin/sla/holidays", &[("date", "2026-12-24"), ("name", "Lagi")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.expect("html").contains(&app.t("slaadm.err.taken")));
    let res = post_form(&app, &browser, "/admin/sla/holidays", &[("date", "2026-02-30"), ("name", "")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains(&app.t("slaadm.err.date")) && html.contains(&app.t("slaadm.err.name")));
    let html = browser.get(app.url("/admin/sla?year=2026")).send().await.expect("page").text().await.expect("html");
    assert!(html.contains("Cuti bersama Natal") && !html.contains(&app.t("slaadm.built_in")), "stored now");
    assert!(
        html.contains("href=\"/admin/sla/holidays/2026-12-24/delete#confirm\""),
        "deleting starts with a confirmation"
    );

    let res = browser.get(app.url("/admin/sla/holidays/2026-12-24/delete")).send().await.expect("page");
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("html");
    assert!(html.contains(&app.t("slaadm.confirm_text")) && html.contains("Cuti bersama Natal"));
    assert!(html.contains("action=\"/admin/sla/holidays/2026-12-24/delete\""));
    assert!(
        aglis_db::repo::sla::holiday(&app.state.db, chrono::NaiveDate::from_ymd_opt(2026, 12, 24).expect("date"))
            .await
            .expect("db")
            .is_some(),
        "only asked"
    );
    let res = browser
        .post(app.url("/admin/sla/holidays/2026-12-24/delete"))
        .form(&[("csrf_token", csrf_token(&html).as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/admin/sla?year=2026&saved=deleted");
    let html = browser
        .get(app.url("/admin/sla?year=2026&saved=deleted"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(!html.contains("Cuti bersama Natal") && html.contains(&app.t("slaadm.saved_deleted")));
    assert_eq!(
        browser.get(app.url("/admin/sla/holidays/2026-12-24/delete")).send().await.expect("page").status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        browser.get(app.url("/admin/sla?year=1900")).send().await.expect("page").status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let html = browser.get(app.url("/admin/sla?year=2031")).send().await.expect("page").text().await.expect("html");
    assert!(html.contains(&app.t("slaadm.no_holidays")), "an empty year says so");

    for (user, role) in [("agus", Role::Technician), ("bambang", Role::Manager), ("siti", Role::Customer)] {
        app.insert_user(user, role).await;
        let other = app.browser_login(user).await;
        let res = other.get(app.url("/admin/sla")).send().await.expect("page");
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{user}");
    }
}
