use crate::helpers::{PASSWORD, problem, spawn_app};
use aglis_core::permission::Role;
use reqwest::StatusCode;

#[tokio::test]
async fn login_form_without_or_with_a_forged_token_is_rejected() {
    let app = spawn_app().await;
    app.insert_user("andi", Role::Admin).await;
    let browser = app.browser();
    let _ = browser.get(app.url("/login")).send().await.expect("page");
    let res = browser
        .post(app.url("/login"))
        .form(&[("username", "andi"), ("password", PASSWORD)])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = browser
        .post(app.url("/login"))
        .form(&[("username", "andi"), ("password", PASSWORD), ("csrf_token", "0".repeat(64).as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // without the cookie at all (another site posting blind)
    let res = app
        .browser()
        .post(app.url("/login"))
        .form(&[("username", "andi"), ("password", PASSWORD), ("csrf_token", "x")])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn signed_in_forms_need_the_session_token() {
    let app = spawn_app().await;
    app.insert_user("andi", Role::Admin).await;
    let target = app.insert_user("budi", Role::Technician).await;
    let browser = app.browser_login("andi").await;
    let path = format!("/admin/users/{}/active", target.id);
    let res = browser.post(app.url(&path)).form(&[("active", "false")]).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let user = aglis_db::repo::users::get(&app.state.db, target.id).await.expect("db").expect("user");
    assert!(user.is_active, "nothing changed");

    let token = app.page_csrf(&browser, &format!("/admin/users/{}", target.id)).await;
    let res = browser
        .post(app.url(&path))
        .form(&[("active", "false"), ("csrf_token", token.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let user = aglis_db::repo::users::get(&app.state.db, target.id).await.expect("db").expect("user");
    assert!(!user.is_active);
}

#[tokio::test]
async fn cookie_authenticated_api_writes_need_the_csrf_header_bearer_ones_do_not() {
    let app = spawn_app().await;
    app.insert_user("andi", Role::Admin).await;
    let browser = app.browser_login("andi").await;
    let body = serde_json::json!({"username": "baru", "password": "password-baru", "full_name": "Orang Baru", "role": "technician"});
    let res = browser.post(app.url("/api/v1/users")).json(&body).send().await.expect("post");
    problem(res, 403).await;
    let token = app.page_csrf(&browser, "/").await;
    let res =
        browser.post(app.url("/api/v1/users")).header("x-csrf-token", token).json(&body).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::CREATED);

    let bearer = app.token("andi").await;
    let body = serde_json::json!({"username": "baru2", "password": "password-baru", "full_name": "Orang Baru", "role": "technician"});
    assert_eq!(app.post_json("/api/v1/users", Some(&bearer), &body).await.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn logout_needs_the_token_too() {
    let app = spawn_app().await;
    app.insert_user("andi", Role::Admin).await;
    let browser = app.browser_login("andi").await;
    let res = browser.post(app.url("/logout")).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(browser.get(app.url("/")).send().await.expect("home").status(), StatusCode::OK, "still signed in");
    let token = app.page_csrf(&browser, "/").await;
    let res = browser.post(app.url("/logout")).form(&[("csrf_token", token.as_str())]).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(browser.get(app.url("/")).send().await.expect("home").status(), StatusCode::SEE_OTHER, "signed out");
}
