use crate::helpers::spawn_app;
use aglis_core::permission::Role;
use reqwest::StatusCode;

#[tokio::test]
async fn each_role_sees_its_own_navigation() {
    let app = spawn_app().await;
    let cases = [
        ("admin", Role::Admin, true, true),
        ("supervisor", Role::Supervisor, true, true),
        ("manager", Role::Manager, false, false),
        ("noc", Role::Noc, false, false),
        ("cs", Role::CustomerService, false, false),
        ("technician", Role::Technician, false, false),
    ];
    for (username, role, users_link, jobs_link) in cases {
        app.insert_user(username, role).await;
        let browser = app.browser_login(username).await;
        let res = browser.get(app.url("/?lang=en")).send().await.expect("dashboard");
        assert_eq!(res.status(), StatusCode::OK, "{username}");
        let html = res.text().await.expect("html");
        assert!(html.contains("href=\"/\""), "{username} has the dashboard");
        assert_eq!(html.contains("href=\"/admin/users\""), users_link, "{username}: users link");
        assert_eq!(html.contains("href=\"/admin/jobs\""), jobs_link, "{username}: jobs link");
        assert_eq!(
            html.contains("href=\"/notifications\""),
            role != Role::Technician,
            "{username}: notifications link"
        );
        assert!(html.contains(&format!("role-{}", role.as_str())), "{username}: role badge");
    }
}

#[tokio::test]
async fn pages_speak_indonesian_by_default_and_english_on_request() {
    let app = spawn_app().await;
    let browser = app.browser();
    let html = browser.get(app.url("/login")).send().await.expect("page").text().await.expect("html");
    assert!(html.contains("Kata sandi") && html.contains("lang=\"id\""));
    let res = browser.get(app.url("/login?lang=en")).send().await.expect("page");
    assert!(
        res.headers().get_all("set-cookie").iter().any(|c| c.to_str().is_ok_and(|c| c.starts_with("aglis_lang=en")))
    );
    let html = res.text().await.expect("html");
    assert!(html.contains("Password") && html.contains("lang=\"en\""));
    let html = browser.get(app.url("/login")).send().await.expect("page").text().await.expect("html");
    assert!(html.contains("lang=\"en\""), "the choice is remembered");
}

#[tokio::test]
async fn unknown_pages_are_html_404_and_unknown_api_paths_problem_json() {
    let app = spawn_app().await;
    let res = app.get("/no/such/page", None).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.headers()["content-type"].to_str().expect("ct").starts_with("text/html"));
    assert!(res.text().await.expect("html").contains("404"));
    let res = app.get("/api/v1/no-such-thing", None).await;
    crate::helpers::problem(res, 404).await;
    let res = app.api.delete(app.url("/api/v1/me")).send().await.expect("req");
    crate::helpers::problem(res, 405).await;
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_login_and_back() {
    let app = spawn_app().await;
    app.insert_user("andi", Role::Admin).await;
    let browser = app.browser();
    let res = browser.get(app.url("/admin/users?q=a")).send().await.expect("page");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/login?next=%2Fadmin%2Fusers%3Fq%3Da");
    let html = browser
        .get(app.url("/login?next=%2Fadmin%2Fusers%3Fq%3Da"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    let token = crate::helpers::csrf_token(&html);
    let res = browser
        .post(app.url("/login"))
        .form(&[
            ("username", "andi"),
            ("password", crate::helpers::PASSWORD),
            ("csrf_token", &token),
            ("next", "/admin/users?q=a"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(res.headers()["location"], "/admin/users?q=a");
}

#[tokio::test]
async fn assets_are_embedded() {
    let app = spawn_app().await;
    for (path, ct) in [
        ("/assets/app.css", "text/css"),
        ("/assets/htmx.min.js", "text/javascript"),
        ("/assets/app.js", "text/javascript"),
    ] {
        let res = app.get(path, None).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert!(res.headers()["content-type"].to_str().expect("ct").starts_with(ct), "{path}");
    }
    assert_eq!(app.get("/assets/nope.css", None).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_demo_seed_creates_one_account_per_staff_role_once() {
    let app = crate::helpers::spawn_app_with(|_| {}).await;
    let mut config = (*app.state.config).clone();
    config.demo = true;
    let state = aglis_server::state::AppState { config: std::sync::Arc::new(config), ..app.state.clone() };
    let created = aglis_server::demo::seed(&state).await.expect("seed");
    assert!(created >= 6);
    assert_eq!(aglis_server::demo::seed(&state).await.expect("seed again"), 0, "first run only");
    for (username, _, role, _, _) in aglis_server::demo::DEMO_ACCOUNTS {
        let res = app
            .post_json("/api/v1/auth/login", None, &serde_json::json!({"username": username, "password": "demo12345"}))
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{username}");
        let body: serde_json::Value = res.json().await.expect("json");
        assert_eq!(body["user"]["role"], role.as_str());
    }
    let dead = aglis_db::jobs::count(&app.state.db, aglis_core::job::JobStatus::Dead).await.expect("count");
    assert_eq!(dead, 1, "the queue page has a dead job to show");
}

#[tokio::test]
async fn the_demo_refuses_an_installation_it_did_not_make() {
    let app = crate::helpers::spawn_app_with(|_| {}).await;
    app.insert_user("kepala", aglis_core::permission::Role::Admin).await;
    let mut config = (*app.state.config).clone();
    config.demo = true;
    let state = aglis_server::state::AppState { config: std::sync::Arc::new(config), ..app.state.clone() };
    let refused = aglis_server::demo::seed(&state).await.expect_err("an installation's database");
    assert!(refused.to_string().contains("aglis demo did not make"), "{refused}");
    let (users, total) = aglis_db::repo::users::list(&app.state.db, &Default::default()).await.expect("users");
    assert_eq!((total, users[0].username.as_str()), (1, "kepala"), "nothing was added");
}
