//! Two-factor sign-in: enrolment on /account/security, the code step of the web login, the
//! `totp` field of the API login, replays, recovery codes, mandatory enrolment for admins and
//! supervisors, turning it off, and an admin's reset.

use crate::helpers::{ClockExt, PASSWORD, TestApp, between, problem, spawn_app, spawn_app_with};
use aglis_core::permission::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn enforcing() -> TestApp {
    spawn_app_with(|env| {
        env.insert("AGLIS_REQUIRE_2FA".into(), "true".into());
    })
    .await
}

/// Signs `username` in through both web steps with `code`; returns the browser.
async fn web_login_with_code(app: &TestApp, username: &str, code: &str) -> reqwest::Client {
    let browser = app.browser();
    let res = app.post_login_form(&browser, username, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/login/2fa?next=%2F");
    let csrf = app.page_csrf(&browser, "/login/2fa").await;
    let res = browser
        .post(app.url("/login/2fa"))
        .form(&[("code", code), ("csrf_token", csrf.as_str()), ("next", "/")])
        .send()
        .await
        .expect("code step");
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "code accepted");
    browser
}

#[tokio::test]
async fn enrol_then_sign_in_with_a_code_and_refuse_wrong_and_replayed_codes() {
    let app = spawn_app().await;
    app.insert_user("rizky", Role::Noc).await;
    let browser = app.browser_login("rizky").await;
    let (secret, codes) = app.enrol_two_factor(&browser).await;
    assert!(codes.iter().all(|c| c.len() == 12 && c.chars().nth(4) == Some('-')), "{codes:?}");
    let me: Value = browser.get(app.url("/api/v1/me")).send().await.expect("me").json().await.expect("json");
    assert_eq!(me["two_factor_enabled"], true);

    // the API now wants a code
    let body = problem(app.login_api("rizky", None).await, 401).await;
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("two-factor code is needed")), "{body}");
    let body = problem(app.login_api("rizky", Some("000000")).await, 401).await;
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("wrong")), "{body}");
    // the enrolment code's step was used already: the same code is a replay
    let enrol_code = app.totp_code(&secret);
    let body = problem(app.login_api("rizky", Some(&enrol_code)).await, 401).await;
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("already used")), "{body}");

    let code = app.next_totp_code(&secret);
    let res = app.login_api("rizky", Some(&code)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let token = res.json::<Value>().await.expect("json")["token"].as_str().expect("token").to_owned();
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status(), StatusCode::OK);
    // the same code again: refused (replay), even within its 30 seconds
    let body = problem(app.login_api("rizky", Some(&code)).await, 401).await;
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("already used")), "{body}");

    // a code of the next step works; one of two steps ahead does not
    let ahead = aglis_core::totp::code_for_step(
        &secret,
        aglis_core::totp::step_at(app.clock.now_utc().timestamp()) + 3,
        aglis_core::totp::DIGITS,
    );
    problem(app.login_api("rizky", Some(&ahead)).await, 401).await;
}

#[tokio::test]
async fn a_recovery_code_works_once_and_a_new_set_replaces_the_old_one() {
    let app = spawn_app().await;
    app.insert_user("dewi", Role::CustomerService).await;
    let browser = app.browser_login("dewi").await;
    let (secret, codes) = app.enrol_two_factor(&browser).await;

    let res = app.login_api("dewi", Some(&codes[0].to_uppercase())).await;
    assert_eq!(res.status(), StatusCode::OK, "case and dashes do not matter");
    problem(app.login_api("dewi", Some(&codes[0])).await, 401).await;
    let browser2 = web_login_with_code(&app, "dewi", &codes[1]).await;
    assert_eq!(browser2.get(app.url("/")).send().await.expect("home").status(), StatusCode::OK);

    // new codes, confirmed with a current code: the old unused ones stop working
    let csrf = app.page_csrf(&browser, "/account/security").await;
    let code = app.next_totp_code(&secret);
    let res = browser
        .post(app.url("/account/security/2fa/recovery-codes"))
        .form(&[("code", code.as_str()), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("regenerate");
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("html");
    let fresh = between(&html, "<li><code>", "</code>").expect("a new code");
    problem(app.login_api("dewi", Some(&codes[2])).await, 401).await;
    assert_eq!(app.login_api("dewi", Some(&fresh)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_web_login_asks_for_the_code_and_the_pending_session_opens_nothing_else() {
    let app = spawn_app().await;
    app.insert_user("budi", Role::Technician).await;
    let browser = app.browser_login("budi").await;
    let (secret, _) = app.enrol_two_factor(&browser).await;

    let fresh = app.browser();
    let res = app.post_login_form(&fresh, "budi", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/login/2fa?next=%2F");
    let pending_cookie = TestApp::session_cookie_of(&res).expect("a pending session cookie");
    // password only: no page, no API
    let res = fresh.get(app.url("/")).send().await.expect("home");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(res.headers()["location"].to_str().expect("loc").starts_with("/login"));
    problem(fresh.get(app.url("/api/v1/me")).send().await.expect("me"), 401).await;

    let page = fresh.get(app.url("/login/2fa")).send().await.expect("code page");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains(&app.t("login.code_title")), "{html}");
    let csrf = crate::helpers::csrf_token(&html);
    let res = fresh
        .post(app.url("/login/2fa"))
        .form(&[("code", "123456"), ("csrf_token", csrf.as_str()), ("next", "/")])
        .send()
        .await
        .expect("wrong code");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.text().await.expect("html").contains(&app.t("login.code_wrong")));

    let code = app.next_totp_code(&secret);
    let res = fresh
        .post(app.url("/login/2fa"))
        .form(&[("code", code.as_str()), ("csrf_token", csrf.as_str()), ("next", "/")])
        .send()
        .await
        .expect("code");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/");
    let full_cookie = TestApp::session_cookie_of(&res).expect("a new session cookie");
    assert_ne!(full_cookie, pending_cookie, "the code step rotates the session");
    assert_eq!(fresh.get(app.url("/")).send().await.expect("home").status(), StatusCode::OK);
    // the pending session is gone
    let res = app
        .api
        .get(app.url("/api/v1/me"))
        .header("cookie", format!("aglis_session={pending_cookie}"))
        .send()
        .await
        .expect("old cookie");
    problem(res, 401).await;
    // the same code again on a new pending session: a replay
    let other = app.browser();
    app.post_login_form(&other, "budi", PASSWORD).await;
    let csrf = app.page_csrf(&other, "/login/2fa").await;
    let res = other
        .post(app.url("/login/2fa"))
        .form(&[("code", code.as_str()), ("csrf_token", csrf.as_str()), ("next", "/")])
        .send()
        .await
        .expect("replay");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.text().await.expect("html").contains(&app.t("login.code_replayed")));
}

#[tokio::test]
async fn an_admin_under_enforcement_must_enrol_before_anything_else() {
    let app = enforcing().await;
    app.insert_user("andi", Role::Admin).await;
    let body = problem(app.login_api("andi", None).await, 403).await;
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("enrol") && d.contains("web")), "{body}");

    let browser = app.browser();
    let res = app.post_login_form(&browser, "andi", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/account/security");
    for path in ["/", "/admin/users", "/customers"] {
        let res = browser.get(app.url(path)).send().await.expect("page");
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(res.headers()["location"], "/account/security", "{path}");
    }
    let body = problem(browser.get(app.url("/api/v1/users")).send().await.expect("api"), 403).await;
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("enrol")), "{body}");
    let page = browser.get(app.url("/account/security")).send().await.expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.expect("html").contains(&app.t("account.must_enrol")));

    let (secret, _) = app.enrol_two_factor(&browser).await;
    assert_eq!(browser.get(app.url("/admin/users")).send().await.expect("page").status(), StatusCode::OK);
    problem(app.login_api("andi", None).await, 401).await;
    let code = app.next_totp_code(&secret);
    assert_eq!(app.login_api("andi", Some(&code)).await.status(), StatusCode::OK);

    // mandatory: it cannot be turned off
    let csrf = app.page_csrf(&browser, "/account/security").await;
    let code = app.next_totp_code(&secret);
    let res = browser
        .post(app.url("/account/security/2fa/disable"))
        .form(&[("code", code.as_str()), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("disable");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_existing_api_token_of_an_unenrolled_supervisor_gets_403_under_enforcement() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_token("siti", Role::Supervisor).await;
    // the same database served with enforcement on
    let enforced = spawn_app_with(|env| {
        env.insert("AGLIS_REQUIRE_2FA".into(), "true".into());
        env.insert("AGLIS_DATABASE_URL".into(), app.db_url.clone());
    })
    .await;
    enforced.clock.set(app.clock.now_utc());
    let body = problem(enforced.get("/api/v1/me", Some(&token)).await, 403).await;
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("/account/security")), "{body}");
    // a technician is not affected
    let (_, tech) = enforced.user_with_token("agus", Role::Technician).await;
    assert_eq!(enforced.get("/api/v1/me", Some(&tech)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_optional_second_factor_can_be_turned_off_with_a_code() {
    let app = enforcing().await;
    app.insert_user("agus", Role::Technician).await;
    let browser = app.browser_login("agus").await;
    let (secret, _) = app.enrol_two_factor(&browser).await;
    let csrf = app.page_csrf(&browser, "/account/security").await;
    let res = browser
        .post(app.url("/account/security/2fa/disable"))
        .form(&[("code", "999999"), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("disable");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "a wrong code is refused");
    let code = app.next_totp_code(&secret);
    let res = browser
        .post(app.url("/account/security/2fa/disable"))
        .form(&[("code", code.as_str()), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("disable");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.login_api("agus", None).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_admin_resets_another_users_second_factor() {
    let app = spawn_app().await;
    let (admin, admin_token) = app.user_with_token("andi", Role::Admin).await;
    let user = app.insert_user("rizky", Role::Noc).await;
    let browser = app.browser_login("rizky").await;
    app.enrol_two_factor(&browser).await;
    let (_, other_admin) = app.user_with_token("yuli", Role::Admin).await;
    let (_, sup) = app.user_with_token("siti", Role::Supervisor).await;

    let path = format!("/api/v1/users/{}/2fa/reset", user.id);
    problem(app.post_json(&path, Some(&sup), &json!({})).await, 403).await;
    problem(app.post_json(&format!("/api/v1/users/{}/2fa/reset", admin.id), Some(&admin_token), &json!({})).await, 409)
        .await;
    problem(app.post_json("/api/v1/users/999999/2fa/reset", Some(&admin_token), &json!({})).await, 404).await;
    let res = app.post_json(&path, Some(&admin_token), &json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["two_factor_enabled"], false);
    // signed out everywhere, and the password alone works again
    let res = browser.get(app.url("/")).send().await.expect("home");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.login_api("rizky", None).await.status(), StatusCode::OK);

    // the page: a confirmation step, then the reset
    let browser = app.browser_login("rizky").await;
    app.enrol_two_factor(&browser).await;
    let admin_browser = app.browser_login("yuli").await;
    let _ = other_admin;
    let edit = admin_browser.get(app.url(&format!("/admin/users/{}", user.id))).send().await.expect("edit");
    let html = edit.text().await.expect("html");
    let confirm_link = format!("/admin/users/{}/2fa/reset", user.id);
    assert!(html.contains(&confirm_link), "the edit page links to the reset");
    let confirm = admin_browser.get(app.url(&confirm_link)).send().await.expect("confirm page");
    assert_eq!(confirm.status(), StatusCode::OK);
    let csrf = crate::helpers::csrf_token(&confirm.text().await.expect("html"));
    let res =
        admin_browser.post(app.url(&confirm_link)).form(&[("csrf_token", csrf.as_str())]).send().await.expect("reset");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.login_api("rizky", None).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn enrolment_needs_a_right_code_and_shows_a_qr_code_without_inline_styles() {
    let app = spawn_app().await;
    app.insert_user("eko", Role::Manager).await;
    let browser = app.browser_login("eko").await;
    let csrf = app.page_csrf(&browser, "/account/security").await;
    browser
        .post(app.url("/account/security/2fa/setup"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("setup");
    let page = browser.get(app.url("/account/security")).send().await.expect("page");
    assert_eq!(page.headers()["cache-control"], "no-store", "a page with a secret is not cached");
    let html = page.text().await.expect("html");
    assert!(html.contains("<svg") && html.contains("<path"), "an inline QR code");
    let qr = between(&html, "<svg", "</svg>").expect("svg");
    assert!(!qr.contains("style=") && !html.contains("data:"), "no inline style, no data URI");
    assert!(html.contains("otpauth://totp/AGLIS:eko?secret="), "a link for authenticator apps on the phone");
    for bad in ["000000", "12", "abcdef"] {
        let res = browser
            .post(app.url("/account/security/2fa/enable"))
            .form(&[("code", bad), ("csrf_token", csrf.as_str())])
            .send()
            .await
            .expect("enable");
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let me: Value = browser.get(app.url("/api/v1/me")).send().await.expect("me").json().await.expect("json");
    assert_eq!(me["two_factor_enabled"], false);
}
