//! Progressive lockout (spec §10): 5 failures → 5 minutes, 10 → 1 hour, 15 → until an admin
//! unlocks; the count resets after 24 h without failures; the owner and the admins are told; and
//! the per-address limit on sign-in attempts.

use crate::helpers::{ClockExt, PASSWORD, TestApp, problem, spawn_app, spawn_app_with};
use aglis_core::permission::Role;
use aglis_db::repo::messages::{self, MessageQuery};
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn wrong(app: &TestApp, username: &str) -> Value {
    let res = app.post_json("/api/v1/auth/login", None, &json!({"username": username, "password": "bukan-ini"})).await;
    problem(res, 401).await
}

async fn right(app: &TestApp, username: &str) -> reqwest::Response {
    app.post_json("/api/v1/auth/login", None, &json!({"username": username, "password": PASSWORD})).await
}

async fn fail_times(app: &TestApp, username: &str, n: usize) -> Vec<Value> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(wrong(app, username).await);
    }
    out
}

/// Messages queued to `recipient`.
async fn messages_to(app: &TestApp, recipient: &str) -> Vec<messages::Message> {
    let query = MessageQuery { q: Some(recipient.to_owned()), page: 1, per_page: 100, ..Default::default() };
    let items = messages::list(&app.state.db, &query).await.expect("messages").items;
    items.into_iter().filter(|m| m.recipient == recipient).collect()
}

#[tokio::test]
async fn five_ten_and_fifteen_failures_lock_for_five_minutes_an_hour_and_until_unlocked() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let user = app.insert_user("rizky", Role::Noc).await;

    // 5 → 5 minutes; the right password learns it (429 + Retry-After), a wrong one does not
    fail_times(&app, "rizky", 5).await;
    let res = right(&app, "rizky").await;
    let retry: u64 = res.headers()["retry-after"].to_str().expect("header").parse().expect("seconds");
    assert!((1..=300).contains(&retry), "{retry}");
    let body = problem(res, 429).await;
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("locked")), "{body}");
    wrong(&app, "rizky").await;
    app.clock.advance(Duration::minutes(4));
    problem(right(&app, "rizky").await, 429).await;
    app.clock.advance(Duration::minutes(1));

    // failures during the lock did not count: 5 more make 10 → an hour
    fail_times(&app, "rizky", 5).await;
    let res = right(&app, "rizky").await;
    let retry: u64 = res.headers()["retry-after"].to_str().expect("header").parse().expect("seconds");
    assert!((3000..=3600).contains(&retry), "{retry}");
    problem(res, 429).await;
    app.clock.advance(Duration::minutes(59));
    problem(right(&app, "rizky").await, 429).await;
    app.clock.advance(Duration::minutes(2));

    // 15 → until an admin unlocks it, however long one waits
    fail_times(&app, "rizky", 5).await;
    app.clock.advance(Duration::days(3));
    let body = problem(right(&app, "rizky").await, 403).await;
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("admin")), "{body}");
    let shown: Value = app.get(&format!("/api/v1/users/{}", user.id), Some(&admin)).await.json().await.expect("json");
    assert_eq!(shown["locked_permanently"], true);

    // the owner and the admin were told of each of the three locks
    let to_owner = messages_to(&app, "rizky@example.id").await;
    let to_admin = messages_to(&app, "andi@example.id").await;
    assert_eq!(to_owner.len(), 3, "{to_owner:?}");
    assert_eq!(to_admin.len(), 3);
    assert!(to_admin.iter().all(|m| m.body.contains("rizky") && m.subject.is_some()), "{to_admin:?}");

    // a supervisor may not unlock; an admin does, and the password works again
    let (_, sup) = app.user_with_token("siti", Role::Supervisor).await;
    let path = format!("/api/v1/users/{}/unlock", user.id);
    problem(app.post_json(&path, Some(&sup), &json!({})).await, 403).await;
    let res = app.post_json(&path, Some(&admin), &json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    assert_eq!((body["locked_permanently"].clone(), body["failed_logins"].clone()), (json!(false), json!(0)));
    assert_eq!(right(&app, "rizky").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_count_resets_after_a_day_without_failures_and_after_a_sign_in() {
    let app = spawn_app().await;
    app.insert_user("budi", Role::Technician).await;
    fail_times(&app, "budi", 4).await;
    app.clock.advance(Duration::hours(24) + Duration::minutes(1));
    fail_times(&app, "budi", 4).await;
    assert_eq!(right(&app, "budi").await.status(), StatusCode::OK, "4 + 4 with a day between: no lock");
    fail_times(&app, "budi", 4).await;
    assert_eq!(right(&app, "budi").await.status(), StatusCode::OK, "the sign-in reset the count");
    fail_times(&app, "budi", 4).await;
    app.clock.advance(Duration::hours(23));
    wrong(&app, "budi").await;
    problem(right(&app, "budi").await, 429).await;
}

#[tokio::test]
async fn the_answer_warns_when_one_or_two_attempts_remain() {
    let app = spawn_app().await;
    app.insert_user("dewi", Role::CustomerService).await;
    let answers = fail_times(&app, "dewi", 5).await;
    let details: Vec<&str> = answers.iter().map(|a| a["detail"].as_str().unwrap_or_default()).collect();
    assert!(!details[1].contains("lock"), "{details:?}");
    assert!(details[2].contains("2 more failed sign-ins will lock"), "{details:?}");
    assert!(details[3].contains("one more failed sign-in will lock"), "{details:?}");
    assert!(!details[4].contains("lock"), "the locking failure looks like any other: {details:?}");

    // and the form says it in the page's language
    let app = spawn_app().await;
    app.insert_user("hendra", Role::Technician).await;
    let browser = app.browser();
    for _ in 0..3 {
        app.post_login_form(&browser, "hendra", "salah-terus").await;
    }
    let res = app.post_login_form(&browser, "hendra", "salah-terus").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let html = res.text().await.expect("html");
    assert!(html.contains(&app.t("login.warn_remaining").replace("{n}", "1")), "{html}");
}

#[tokio::test]
async fn a_locked_account_is_shown_and_unlocked_on_its_user_page() {
    let app = spawn_app().await;
    app.insert_user("andi", Role::Admin).await;
    let user = app.insert_user("joko", Role::Technician).await;
    fail_times(&app, "joko", 5).await;
    let browser = app.browser_login("andi").await;
    let path = format!("/admin/users/{}", user.id);
    let html = browser.get(app.url(&path)).send().await.expect("page").text().await.expect("html");
    assert!(html.contains(&format!("action=\"/admin/users/{}/unlock\"", user.id)), "an unlock button");
    let csrf = crate::helpers::csrf_token(&html);
    let res = browser
        .post(app.url(&format!("{path}/unlock")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("unlock");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(right(&app, "joko").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn wrong_second_factor_codes_count_toward_the_lock() {
    let app = spawn_app().await;
    app.insert_user("agus", Role::Technician).await;
    let browser = app.browser_login("agus").await;
    app.enrol_two_factor(&browser).await;
    for _ in 0..4 {
        problem(app.login_api("agus", Some("000001")).await, 401).await;
    }
    // the fifth wrong code locks, and says so: whoever sends it knows the password
    let res = app.login_api("agus", Some("000001")).await;
    assert!(res.headers().contains_key("retry-after"));
    problem(res, 429).await;
}

#[tokio::test]
async fn sign_in_attempts_are_limited_per_address() {
    let app = spawn_app_with(|env| {
        env.insert("AGLIS_LOGIN_ATTEMPTS_PER_IP".into(), "3".into());
    })
    .await;
    app.insert_user("siti", Role::Supervisor).await;
    for user in ["a1", "a2", "a3"] {
        let res = app.post_json("/api/v1/auth/login", None, &json!({"username": user, "password": "x"})).await;
        problem(res, 401).await;
    }
    // the fourth, even with the right password (and a forged forwarding header), waits
    let res = app
        .api
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", "203.0.113.9")
        .json(&json!({"username": "siti", "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    let retry: u64 = res.headers()["retry-after"].to_str().expect("header").parse().expect("seconds");
    assert!((1..=600).contains(&retry), "{retry}");
    let body = problem(res, 429).await;
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("too many sign-in attempts")), "{body}");
    // the form shares the count
    let browser = app.browser();
    let res = app.post_login_form(&browser, "siti", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
    // the window passes
    app.clock.advance(Duration::minutes(10));
    assert_eq!(right(&app, "siti").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_code_step_is_limited_per_address_too() {
    let app = spawn_app_with(|env| {
        env.insert("AGLIS_LOGIN_ATTEMPTS_PER_IP".into(), "4".into());
    })
    .await;
    app.insert_user("eko", Role::Technician).await;
    let browser = app.browser_login("eko").await;
    app.enrol_two_factor(&browser).await;
    let fresh = app.browser();
    app.post_login_form(&fresh, "eko", PASSWORD).await;
    let csrf = app.page_csrf(&fresh, "/login/2fa").await;
    let mut last = StatusCode::OK;
    for _ in 0..5 {
        let res = fresh
            .post(app.url("/login/2fa"))
            .form(&[("code", "12345"), ("csrf_token", csrf.as_str())])
            .send()
            .await
            .expect("code");
        last = res.status();
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_forged_forwarding_entry_does_not_escape_the_address_limit() {
    // Behind one load balancer, which appends the address it saw (203.0.113.7) to whatever the
    // client wrote in X-Forwarded-For.
    let app = spawn_app_with(|env| {
        env.insert("AGLIS_TRUST_FORWARDED_FOR".into(), "true".into());
    })
    .await;
    // Unknown usernames, so that no account lock answers instead of the address limit.
    let attempt = |forwarded: String, username: String| {
        app.api
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", forwarded)
            .json(&json!({"username": username, "password": "salah"}))
            .send()
    };
    let mut statuses = Vec::new();
    for i in 0..25 {
        let res = attempt(format!("198.51.100.{i}, 203.0.113.7"), format!("tamu{i}")).await.expect("login");
        statuses.push(res.status().as_u16());
    }
    // The default limit is 20 attempts per address: the forged first entries changed nothing.
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 5, "{statuses:?}");
    assert!(statuses[..20].iter().all(|s| *s == 401), "{statuses:?}");
    // The audit log records the load balancer's entry, never the invented ones.
    let records = aglis_db::repo::audit_log::count_from(
        &app.state.db,
        aglis_core::audit::AuditEvent::LoginFailed,
        "203.0.113.7",
        app.clock.now_utc() - Duration::hours(1),
    )
    .await
    .expect("count");
    assert!(records >= 20, "{records}");
    // Another client behind the same balancer is not blocked by the first one's attempts.
    let res = attempt("203.0.113.8".into(), "tamu99".into()).await.expect("login");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}
