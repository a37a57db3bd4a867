use crate::helpers::{PASSWORD, problem, spawn_app};
use aglis_core::permission::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn new_user(username: &str, role: &str) -> Value {
    json!({"username": username, "password": "kata-sandi-1", "full_name": "Rina Marlina", "email": format!("{username}@aglis.id"), "phone": "0813-1000-0015", "role": role})
}

#[tokio::test]
async fn admin_creates_a_user_who_can_then_sign_in() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let res = app.post_json("/api/v1/users", Some(&admin), &new_user("rina", "customer_service")).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["username"], "rina");
    assert_eq!(body["role"], "customer_service");
    assert_eq!(body["phone"], "6281310000015", "phone normalised");
    assert!(body["id"].as_i64().is_some());
    let res = app.post_json("/api/v1/auth/login", None, &json!({"username": "rina", "password": "kata-sandi-1"})).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn creation_errors_name_the_field() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    app.post_json("/api/v1/users", Some(&admin), &new_user("rina", "technician")).await;

    let mut dup_name = new_user("rina", "technician");
    dup_name["email"] = json!("lain@aglis.id");
    let body = problem(app.post_json("/api/v1/users", Some(&admin), &dup_name).await, 409).await;
    assert!(body["errors"]["username"].is_array(), "{body}");

    let mut dup_email = new_user("rina2", "technician");
    dup_email["email"] = json!("rina@aglis.id");
    let body = problem(app.post_json("/api/v1/users", Some(&admin), &dup_email).await, 409).await;
    assert!(body["errors"]["email"].is_array(), "{body}");

    let mut bad = new_user("x y", "technician");
    bad["phone"] = json!("12345");
    bad["password"] = json!("short");
    let body = problem(app.post_json("/api/v1/users", Some(&admin), &bad).await, 422).await;
    for field in ["username", "phone", "password"] {
        assert!(body["errors"][field].is_array(), "{field}: {body}");
    }

    let body = problem(app.post_json("/api/v1/users", Some(&admin), &new_user("rina3", "superuser")).await, 422).await;
    assert!(body["errors"]["role"].is_array(), "{body}");
}

#[tokio::test]
async fn technician_gets_403_on_user_admin_api_and_page() {
    let app = spawn_app().await;
    let (tech, token) = app.user_with_token("agus", Role::Technician).await;
    problem(app.get("/api/v1/users", Some(&token)).await, 403).await;
    problem(app.post_json("/api/v1/users", Some(&token), &new_user("x1", "admin")).await, 403).await;
    // but may read their own record
    assert_eq!(app.get(&format!("/api/v1/users/{}", tech.id), Some(&token)).await.status(), StatusCode::OK);

    let browser = app.browser_login("agus").await;
    let res = browser.get(app.url("/admin/users")).send().await.expect("page");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let html = res.text().await.expect("html");
    assert!(html.contains("403"), "an HTML error page");
}

#[tokio::test]
async fn supervisor_lists_and_edits_but_cannot_change_roles_or_create() {
    let app = spawn_app().await;
    app.insert_user("andi", Role::Admin).await;
    let tech = app.insert_user("agus", Role::Technician).await;
    let (_, sup) = app.user_with_token("siti", Role::Supervisor).await;
    let list: Value = app.get("/api/v1/users", Some(&sup)).await.json().await.expect("json");
    assert_eq!(list["total"], 3);
    let path = format!("/api/v1/users/{}", tech.id);
    let res = app.send_json(Method::PATCH, &path, Some(&sup), &json!({"full_name": "Agus Setiawan"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    // The document has no `null` for these fields: one is refused, not taken as "unchanged".
    for field in ["phone", "email", "full_name"] {
        let res = app.send_json(Method::PATCH, &path, Some(&sup), &json!({ field: null })).await;
        assert!(res.status().is_client_error(), "{field}: null is {}", res.status());
    }
    // A name of only U+0085 (white space to Rust, not to the document's pattern dialect) is refused
    // by both: the pattern says so now.
    let doc: Value = app.get("/api/openapi.json", None).await.json().await.expect("json");
    let pattern = doc["components"]["schemas"]["UpdateUserRequest"]["properties"]["full_name"]["pattern"].clone();
    assert_eq!(pattern, "[^\\s\\u0085]");
    let res = app.send_json(Method::PATCH, &path, Some(&sup), &json!({"role": "admin"})).await;
    problem(res, 403).await;
    problem(app.post_json("/api/v1/users", Some(&sup), &new_user("x1", "technician")).await, 403).await;
}

#[tokio::test]
async fn anyone_may_edit_their_own_contact_details_only() {
    let app = spawn_app().await;
    let other = app.insert_user("budi", Role::Technician).await;
    let (me, token) = app.user_with_token("agus", Role::Technician).await;
    let res = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/users/{}", me.id),
            Some(&token),
            &json!({"phone": "+62 857 1000 0011"}),
        )
        .await;
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["phone"], "6285710000011");
    let res = app
        .send_json(Method::PATCH, &format!("/api/v1/users/{}", me.id), Some(&token), &json!({"role": "admin"}))
        .await;
    problem(res, 403).await;
    let res = app
        .send_json(Method::PATCH, &format!("/api/v1/users/{}", other.id), Some(&token), &json!({"full_name": "X"}))
        .await;
    problem(res, 403).await;
}

#[tokio::test]
async fn deactivation_signs_the_user_out_and_the_last_admin_is_protected() {
    let app = spawn_app().await;
    let (andi, admin) = app.user_with_token("andi", Role::Admin).await;
    let (tech, tech_token) = app.user_with_token("agus", Role::Technician).await;
    let res = app.post_json(&format!("/api/v1/users/{}/deactivate", tech.id), Some(&admin), &json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    problem(app.get("/api/v1/me", Some(&tech_token)).await, 401).await;
    let res = app.post_json("/api/v1/auth/login", None, &json!({"username": "agus", "password": PASSWORD})).await;
    problem(res, 401).await;

    // cannot remove own admin access, nor the last admin
    let path = format!("/api/v1/users/{}", andi.id);
    problem(app.send_json(Method::PATCH, &path, Some(&admin), &json!({"is_active": false})).await, 409).await;
    problem(app.send_json(Method::PATCH, &path, Some(&admin), &json!({"role": "technician"})).await, 409).await;
    let (_, admin2) = app.user_with_token("dua", Role::Admin).await;
    let res = app.post_json(&format!("/api/v1/users/{}/deactivate", andi.id), Some(&admin2), &json!({})).await;
    assert_eq!(res.status(), StatusCode::OK, "with another admin left it is allowed");
    let dua = aglis_db::repo::users::find_credentials(&app.state.db, "dua").await.expect("db").expect("dua").0;
    problem(app.post_json(&format!("/api/v1/users/{}/deactivate", dua.id), Some(&admin2), &json!({})).await, 409).await;
}

#[tokio::test]
async fn password_reset_revokes_sessions_and_sets_the_new_password() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    let (tech, tech_token) = app.user_with_token("agus", Role::Technician).await;
    let path = format!("/api/v1/users/{}/password", tech.id);
    problem(app.post_json(&path, Some(&admin), &json!({"password": "pendek"})).await, 422).await;
    problem(app.post_json(&path, Some(&tech_token), &json!({"password": "password-baru-1"})).await, 403).await;
    let res = app.post_json(&path, Some(&admin), &json!({"password": "password-baru-1"})).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    problem(app.get("/api/v1/me", Some(&tech_token)).await, 401).await;
    let res =
        app.post_json("/api/v1/auth/login", None, &json!({"username": "agus", "password": "password-baru-1"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    problem(
        app.post_json(
            &format!("/api/v1/users/{}/password", 999_999),
            Some(&admin),
            &json!({"password": "password-baru-1"}),
        )
        .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn list_searches_filters_and_pages() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi", Role::Admin).await;
    for i in 0..30 {
        app.insert_user(&format!("teknisi{i:02}"), Role::Technician).await;
    }
    app.insert_user("siti", Role::Supervisor).await;
    let page: Value =
        app.get("/api/v1/users?role=technician&per_page=10&page=3", Some(&admin)).await.json().await.expect("json");
    assert_eq!(page["total"], 30);
    assert_eq!(page["items"].as_array().map(Vec::len), Some(10));
    assert_eq!(page["page"], 3);
    let by_role = aglis_db::repo::users::count_active_by_role(&app.state.db).await.expect("counts");
    let n = |r: Role| by_role.iter().find(|(role, _)| *role == r).map(|(_, n)| *n);
    assert_eq!(
        (n(Role::Technician), n(Role::Admin), n(Role::Supervisor), n(Role::Noc)),
        (Some(30), Some(1), Some(1), Some(0))
    );
    let jobs = aglis_db::jobs::counts(&app.state.db).await.expect("job counts");
    assert_eq!(jobs.iter().map(|(s, _)| *s).collect::<Vec<_>>(), ["queued", "running", "done", "dead"]);
    let found: Value = app.get("/api/v1/users?q=SITI", Some(&admin)).await.json().await.expect("json");
    assert_eq!(found["total"], 1);
    assert_eq!(found["items"][0]["username"], "siti");
    let none: Value = app.get("/api/v1/users?q=%25_%5C", Some(&admin)).await.json().await.expect("json");
    assert_eq!(none["total"], 0, "LIKE wildcards are escaped");
    problem(app.get("/api/v1/users?per_page=500", Some(&admin)).await, 422).await;
    problem(app.get("/api/v1/users?page=abc", Some(&admin)).await, 422).await;
    problem(app.get("/api/v1/users?role=root", Some(&admin)).await, 422).await;
    problem(app.get("/api/v1/users/abc", Some(&admin)).await, 404).await;
    problem(app.get("/api/v1/users/424242", Some(&admin)).await, 404).await;
}

#[tokio::test]
async fn admin_creates_and_edits_users_through_the_pages() {
    let app = spawn_app().await;
    app.insert_user("andi", Role::Admin).await;
    let browser = app.browser_login("andi").await;
    let token = app.page_csrf(&browser, "/admin/users/new").await;
    // a bad phone shows the form again with the message and the typed values
    let res = browser
        .post(app.url("/admin/users"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", "dedi"),
            ("password", "password-dedi"),
            ("full_name", "Dedi Kurniawan"),
            ("role", "technician"),
            ("phone", "12"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains("field-error") && html.contains("value=\"Dedi Kurniawan\""), "{html}");
    let res = browser
        .post(app.url("/admin/users"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", "dedi"),
            ("password", "password-dedi"),
            ("full_name", "Dedi Kurniawan"),
            ("role", "technician"),
            ("phone", "0857-1000-0011"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().expect("location").to_owned();
    let html = browser.get(app.url(&location)).send().await.expect("page").text().await.expect("html");
    assert!(html.contains("Dedi Kurniawan") && html.contains("6285710000011"));
    let list = browser.get(app.url("/admin/users?q=dedi")).send().await.expect("page").text().await.expect("html");
    assert!(list.contains("Dedi Kurniawan"));
}
